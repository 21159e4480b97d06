import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, getTableColumns, gte, lt, or, sql, type SQL } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import type { Principal } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import { addMonths, localDate } from "../../shared/calendar.js";
import { maskName, maskPhone } from "../../shared/crypto/pii.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, commitCreated, guardChanged } from "../../shared/store/commit.js";
import { unknownReference } from "../../shared/store/references.js";
import { members, partyOrgs } from "../organisations/tables.js";
import { tag, tenantCodeSchema } from "./common.js";
import { mobilityMachine } from "./machines.js";
import { awayStatuses, mobilityChecks, mobilityRecords, mobilityStatuses } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";
import { readRelated, readRows } from "../../shared/store/records.js";

const mobilityId = idSchema("mob");
type MobilityRow = typeof mobilityRecords.$inferSelect;
type MobilityView = MobilityRow & { memberName: string | null };

/** [D] Defaults: a check every quarter; no recorded contact for six months is lost contact (失联). */
export const defaultCheckIntervalMonths = 3;
export const defaultLostContactMonths = 6;

const mobilitySchema = z
  .object({
    id: mobilityId,
    tenant: z
      .string()
      .openapi({ description: "The member's (home) tenant, which keeps the record.", example: "620902" }),
    memberId: idSchema("mem"),
    memberName: z.string().nullable().openapi({ description: "Masked for the city.", example: "张伟" }),
    homeOrgId: idSchema("org").nullable(),
    destination: z.string().openapi({
      description: "Where the member went (whereabouts: not shown to the city).",
      example: "新疆乌鲁木齐市",
    }),
    certificateNumber: z.string().openapi({ description: "流动党员活动证 number.", example: "620902-2026-0153" }),
    contact: z.string().openapi({ description: "The member's contact phone, always masked.", example: "138****5678" }),
    receivingTenantId: z.string().nullable().openapi({ example: "620981" }),
    receivingOrgId: idSchema("org").nullable().openapi({
      description:
        "The party organisation that receives the member, possibly in another tenant, which then reads this record.",
    }),
    leftOn: dateSchema,
    checkIntervalMonths: z.number().int().openapi({ example: 3 }),
    lostContactMonths: z.number().int().openapi({ example: 6 }),
    lastContactOn: dateSchema,
    nextCheckDue: dateSchema,
    checkOverdue: z.boolean().openapi({ description: "Set by the background job when the next check is past due." }),
    lostContactDueOn: dateSchema,
    status: z.enum(mobilityStatuses).openapi({
      description:
        "outflow → lost_contact (no contact for `lostContactMonths`, by the job or by hand) → located (a check reached them); returned | transferred end it.",
    }),
    endNote: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("MobilityRecord");

const createSchema = z
  .object({
    memberId: idSchema("mem"),
    destination: z.string().trim().min(1).max(200),
    certificateNumber: z.string().trim().min(1).max(50),
    contact: z
      .string()
      .regex(/^1\d{10}$/, zodMessage("field.mobile_loose"))
      .openapi({ example: "13812345678" }),
    receivingTenantId: tenantCodeSchema.optional(),
    receivingOrgId: idSchema("org").optional(),
    leftOn: dateSchema,
    checkIntervalMonths: z.number().int().min(1).max(12).default(defaultCheckIntervalMonths),
    lostContactMonths: z.number().int().min(1).max(24).default(defaultLostContactMonths),
  })
  .strict()
  .refine((b) => !b.receivingOrgId || b.receivingTenantId, {
    path: ["receivingTenantId"],
    message: zodMessage("governance.receiving_tenant_required"),
  })
  .openapi("CreateMobilityRecord", {
    example: {
      memberId: "mem_01KDVDNA011AKWK3RC504FTYF8",
      destination: "玉门市老市区",
      certificateNumber: "620902-2026-0153",
      contact: "13812345678",
      receivingTenantId: "620981",
      receivingOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      leftOn: "2026-03-01",
    },
  });

const checkSchema = z
  .object({
    checkedOn: dateSchema,
    contacted: z.boolean().openapi({ description: "Whether the check reached the member." }),
    method: z.enum(["phone", "visit", "online", "other"]),
    note: z.string().trim().max(500).optional(),
  })
  .strict()
  .openapi("MobilityCheck", { example: { checkedOn: "2026-06-01", contacted: true, method: "phone" } });

const endSchema = z
  .object({ note: z.string().trim().min(1).max(500).optional(), certificateInspected: z.boolean().optional() })
  .strict()
  .openapi("EndMobility", { example: { certificateInspected: true, note: "已查验流动党员活动证。" } });

const present = (row: MobilityView, c: Context<AppEnv>) => {
  const city = c.get("principal").crossTenant;
  return {
    id: row.id,
    tenant: row.tenantId,
    memberId: row.memberId,
    memberName: row.memberName && city ? maskName(row.memberName) : row.memberName,
    homeOrgId: row.homeOrgId,
    destination: city ? "***" : row.destination,
    certificateNumber: row.certificateNumber,
    contact: row.contactMasked,
    receivingTenantId: row.receivingTenantId,
    receivingOrgId: row.receivingOrgId,
    leftOn: row.leftOn,
    checkIntervalMonths: row.checkIntervalMonths,
    lostContactMonths: row.lostContactMonths,
    lastContactOn: row.lastContactOn,
    nextCheckDue: row.nextCheckDue,
    checkOverdue: row.checkOverdue,
    lostContactDueOn: row.lostContactDueOn,
    status: row.status,
    endNote: row.endNote,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
};

/** Event payloads: ids and states only (whereabouts and contact are personal data). */
export const mobilityEventPayload = (row: MobilityRow) => ({
  mobilityRecordId: row.id,
  memberId: row.memberId,
  status: row.status,
  receivingTenantId: row.receivingTenantId,
  receivingOrgId: row.receivingOrgId,
  nextCheckDue: row.nextCheckDue,
});

const nothing = sql`0`;

/**
 * The receiving side: a tenant whose party organisation receives the member sees exactly those
 * records (its administrators within their subtree, a unit admin those addressed to its unit
 * organisation) — and through them nothing else of the home tenant.
 */
function receivedBy(principal: Principal): SQL {
  if (principal.crossTenant) return nothing;
  const inTenant = eq(mobilityRecords.receivingTenantId, principal.tenant);
  if (principal.owner) {
    const unitOrgId = principal.owner.unitOrgId;
    return unitOrgId ? and(inTenant, eq(mobilityRecords.receivingOrgId, unitOrgId))! : nothing;
  }
  if (!principal.org) return inTenant;
  return and(
    inTenant,
    gte(mobilityRecords.receivingDivisionPath, principal.org.path),
    lt(mobilityRecords.receivingDivisionPath, `${principal.org.path.slice(0, -1)}0`),
  )!;
}

/** The home side: its tenant and subtree (every tenant for the city); a member their own; a unit admin its members'. */
const homeReach = (principal: Principal) =>
  withinReach(principal, {
    tenantId: mobilityRecords.tenantId,
    divisionPath: mobilityRecords.divisionPath,
    memberId: mobilityRecords.memberId,
    unitOrgId: mobilityRecords.homeOrgId,
  });

/** The home side or the receiving side. */
export function mobilityReach(principal: Principal): SQL {
  return or(homeReach(principal), receivedBy(principal))!;
}

/** Only the home side writes (its tenant); the receiving side reads. */
const homeSide = (principal: Principal) =>
  and(
    eq(mobilityRecords.tenantId, principal.tenant),
    withinReach(principal, {
      tenantId: mobilityRecords.tenantId,
      divisionPath: mobilityRecords.divisionPath,
      unitOrgId: mobilityRecords.homeOrgId,
    }),
  )!;

async function findRecord(c: Context<AppEnv>, id: string, condition: SQL): Promise<MobilityView> {
  const [row] = await c
    .get("db")
    .select({ ...getTableColumns(mobilityRecords), memberName: members.name })
    .from(mobilityRecords)
    .leftJoin(members, eq(members.id, mobilityRecords.memberId))
    .where(and(eq(mobilityRecords.id, id), condition));
  if (!row) throw notFound("mobility record");
  return row;
}

const findReadable = (c: Context<AppEnv>, id: string) => findRecord(c, id, mobilityReach(c.get("principal")));
const findWritable = (c: Context<AppEnv>, id: string) => findRecord(c, id, homeSide(c.get("principal")));

const response = (description: string) => versionedResponse(mobilitySchema, description);
const idParam = z.object({ id: mobilityId });

const createRecord = protectedRoute({
  method: "post",
  path: "/v1/mobility-records",
  operationId: "createMobilityRecord",
  tags: [tag],
  summary: "Record a party member leaving for work elsewhere (流动党员 outflow)",
  description:
    "The member's home side records destination, activity-certificate number, contact (sealed, shown masked) and the receiving party organisation when known, possibly in another tenant. Checks are due every `checkIntervalMonths` (3); no recorded contact for `lostContactMonths` (6) is lost contact. One open record per member.",
  scope: "mobility:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createSchema } } } },
  responses: { 201: response("The record, outflow.") },
});

const listRecords = protectedRoute({
  method: "get",
  path: "/v1/mobility-records",
  operationId: "listMobilityRecords",
  tags: [tag],
  summary: "Mobility records: the home side's, or those received by the caller",
  scope: "mobility:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(mobilityStatuses).optional(),
      memberId: idSchema("mem").optional(),
      checkOverdue: z.enum(["true", "false"]).optional(),
      side: z
        .enum(["home", "receiving"])
        .optional()
        .openapi({ description: "Only records kept by your tenant (home) or received by it (receiving)." }),
    }),
  },
  responses: {
    200: {
      description: "A page of records, in the requested `order`.",
      content: { "application/json": { schema: pageOf(mobilitySchema, "MobilityRecordPage") } },
    },
  },
});

const getRecord = protectedRoute({
  method: "get",
  path: "/v1/mobility-records/{id}",
  operationId: "getMobilityRecord",
  tags: [tag],
  summary: "One mobility record",
  scope: "mobility:read",
  errors: [404],
  request: { params: idParam },
  responses: { 200: response("The record.") },
});

const recordCheck = protectedRoute({
  method: "post",
  path: "/v1/mobility-records/{id}/checks",
  operationId: "recordMobilityCheck",
  tags: [tag],
  summary: "Record a regular check (定期排查)",
  description:
    "A check that reaches the member moves the last contact, the next check due date and the lost-contact date, and clears an overdue check; a lost-contact member reached is located. A check that does not reach them is recorded and changes no dates.",
  scope: "mobility:write",
  errors: [404, 409],
  request: { params: idParam, body: { required: true, content: { "application/json": { schema: checkSchema } } } },
  responses: { 200: response("The record after the check.") },
});

async function requireMember(c: Context<AppEnv>, memberId: string) {
  const principal = c.get("principal");
  const [member] = await c
    .get("db")
    .select({ id: members.id, name: members.name, orgId: members.orgId, divisionPath: members.divisionPath })
    .from(members)
    .where(
      and(
        eq(members.id, memberId),
        eq(members.tenantId, principal.tenant),
        withinReach(principal, {
          tenantId: members.tenantId,
          divisionPath: members.divisionPath,
          unitOrgId: members.orgId,
        }),
      ),
    );
  if (!member) throw unknownReference("/memberId", "member");
  return member;
}

/** The receiving party organisation, looked up in its own tenant (the one cross-tenant reference here). */
async function requireReceivingOrg(c: Context<AppEnv>, tenant: string, orgId: string) {
  const [org] = await c
    .get("db")
    .select({ id: partyOrgs.id, divisionPath: partyOrgs.divisionPath })
    .from(partyOrgs)
    .where(and(eq(partyOrgs.id, orgId), eq(partyOrgs.tenantId, tenant)));
  if (!org) throw unknownReference("/receivingOrgId", "party organisation of that tenant");
  return org;
}

export const mobilityRoutes = createRouter()
  .openapi(createRecord, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const member = await requireMember(c, body.memberId);
    const receiving =
      body.receivingOrgId && body.receivingTenantId
        ? await requireReceivingOrg(c, body.receivingTenantId, body.receivingOrgId)
        : undefined;
    const now = c.get("clock").now();
    if (body.leftOn > localDate(now)) {
      throw new ApiError("validation_failed", msg("governance.left_in_future"), {
        errors: [{ in: "body", pointer: "/leftOn", detail: msg("field.not_after_today") }],
      });
    }
    const pii = c.get("pii");
    const at = now.toISOString();
    const row: MobilityRow = {
      id: newId("mob", now.getTime()),
      tenantId: principal.tenant,
      memberId: member.id,
      homeOrgId: member.orgId,
      divisionPath: member.divisionPath,
      destination: body.destination,
      certificateNumber: body.certificateNumber,
      contactCipher: await pii.seal(body.contact),
      contactMasked: maskPhone(body.contact),
      receivingTenantId: body.receivingTenantId ?? null,
      receivingOrgId: receiving?.id ?? null,
      receivingDivisionPath: receiving?.divisionPath ?? null,
      leftOn: body.leftOn,
      checkIntervalMonths: body.checkIntervalMonths,
      lostContactMonths: body.lostContactMonths,
      lastContactOn: body.leftOn,
      nextCheckDue: addMonths(body.leftOn, body.checkIntervalMonths),
      checkOverdue: false,
      lostContactDueOn: addMonths(body.leftOn, body.lostContactMonths),
      status: "outflow",
      endNote: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const view = present({ ...row, memberName: member.name }, c);
    const headers = await commitCreated(c, `/v1/mobility-records/${row.id}`, row.version, view, {
      writes: [c.get("db").insert(mobilityRecords).values(row)],
      audit: {
        action: "mobility_record.create",
        targetType: "mobility_record",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: {
          memberId: row.memberId,
          fields: ["destination", "certificateNumber", "contact"],
          receivingTenantId: row.receivingTenantId,
          receivingOrgId: row.receivingOrgId,
        },
      },
      events: [
        {
          type: "mobility_record.created",
          subjectType: "mobility_record",
          subjectId: row.id,
          payload: mobilityEventPayload(row),
        },
        // The receiving tenant hears of its inflow in its own outbox.
        ...(row.receivingTenantId && row.receivingTenantId !== row.tenantId
          ? [
              {
                type: "mobility_record.inflow",
                subjectType: "mobility_record",
                subjectId: row.id,
                tenantId: row.receivingTenantId,
                payload: mobilityEventPayload(row),
              },
            ]
          : []),
      ],
      conflicts: { "mobility_records.member_id": msg("unique.mobility_open") },
    });
    return c.json(view, 201, headers);
  })
  .openapi(listRecords, async (c) => {
    const q = c.req.valid("query");
    const principal = c.get("principal");
    const keys = keyset(mobilityRecords.id, q);
    const filters = [
      q.status ? eq(mobilityRecords.status, q.status) : undefined,
      q.memberId ? eq(mobilityRecords.memberId, q.memberId) : undefined,
      q.checkOverdue ? eq(mobilityRecords.checkOverdue, q.checkOverdue === "true") : undefined,
    ];
    const pageOn = (side: SQL) =>
      readRows(
        c,
        c
          .get("db")
          .select({ ...getTableColumns(mobilityRecords), memberName: members.name })
          .from(mobilityRecords)
          .leftJoin(members, eq(members.id, mobilityRecords.memberId))
          .where(and(side, ...filters, keys.after))
          .orderBy(keys.orderBy)
          .limit(keys.limit),
      );
    // Each side reads its own index; both sides together are merged in key order (an OR would scan the table).
    const home = q.side === "receiving" ? [] : await pageOn(homeReach(principal));
    const received = q.side === "home" || principal.crossTenant ? [] : await pageOn(receivedBy(principal));
    const byId = new Map([...home, ...received].map((r) => [r.id, r]));
    const merged = [...byId.values()].sort((a, b) =>
      q.order === "newest" ? b.id.localeCompare(a.id) : a.id.localeCompare(b.id),
    );
    const page = keys.of(merged.slice(0, keys.limit));
    return c.json({ data: page.data.map((r) => present(r, c)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getRecord, async (c) => {
    const row = await findReadable(c, c.req.valid("param").id);
    return c.json(present(row, c), 200, { etag: etagOf(row.version) });
  })
  .openapi(recordCheck, async (c) => {
    const body = c.req.valid("json");
    const row = await findWritable(c, c.req.valid("param").id);
    if (!(awayStatuses as readonly string[]).includes(row.status)) {
      throw new ApiError("invalid_transition", msg("governance.mobility_not_away", { status: row.status }), {
        currentState: row.status,
        allowedActions: [],
      });
    }
    const now = c.get("clock").now();
    const at = now.toISOString();
    const reached = body.contacted && body.checkedOn >= row.lastContactOn;
    const set: Partial<MobilityRow> = reached
      ? {
          lastContactOn: body.checkedOn,
          nextCheckDue: addMonths(body.checkedOn, row.checkIntervalMonths),
          lostContactDueOn: addMonths(body.checkedOn, row.lostContactMonths),
          checkOverdue: false,
          status: row.status === "lost_contact" ? "located" : row.status,
        }
      : {};
    const updated: MobilityView = { ...row, ...set, version: row.version + 1, updatedAt: at };
    const db = c.get("db");
    const located = row.status === "lost_contact" && updated.status === "located";
    await commit(c, {
      writes: [
        db.insert(mobilityChecks).values({
          id: newId("mchk", now.getTime()),
          tenantId: row.tenantId,
          recordId: row.id,
          checkedOn: body.checkedOn,
          contacted: body.contacted,
          method: body.method,
          note: body.note ?? null,
          createdAt: at,
        }),
        db
          .update(mobilityRecords)
          .set({ ...set, version: sql`${mobilityRecords.version} + 1`, updatedAt: at })
          .where(and(eq(mobilityRecords.id, row.id), eq(mobilityRecords.version, row.version))),
        guardChanged(),
      ],
      audit: {
        action: "mobility_record.check",
        targetType: "mobility_record",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: {
          checkedOn: body.checkedOn,
          contacted: body.contacted,
          method: body.method,
          status: [row.status, updated.status],
        },
      },
      events: [
        {
          type: "mobility_record.checked",
          subjectType: "mobility_record",
          subjectId: row.id,
          payload: mobilityEventPayload(updated),
        },
        ...(located
          ? [
              {
                type: "mobility_record.located",
                subjectType: "mobility_record",
                subjectId: row.id,
                payload: mobilityEventPayload(updated),
              },
            ]
          : []),
      ],
    });
    return c.json(present(updated, c), 200, { etag: etagOf(updated.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/mobility-records",
      tag,
      idSchema: mobilityId,
      schema: mobilitySchema,
      targetType: "mobility_record",
      machine: mobilityMachine,
      table: mobilityRecords,
      scope: "mobility:write",
      find: findWritable,
      visible: (c) => homeSide(c.get("principal")),
      present,
      // The member's name beside the record, read in the action's own batch.
      presentAlong: {
        read: (c, id) => readRelated(c, members, { name: members.name }, mobilityRecords, mobilityRecords.memberId, id),
        present: (row, read, c) =>
          present({ ...row, memberName: (read as { name: string }[])[0]?.name ?? null } as MobilityView, c),
      },
      eventPayload: mobilityEventPayload,
      actions: {
        lose_contact: {
          operationId: "markMobilityLostContact",
          summary: "Mark the member lost contact (失联)",
          description: "The background job does this too once `lostContactDueOn` has passed with no recorded contact.",
          event: "lost_contact",
        },
        return: {
          operationId: "returnMobileMember",
          summary: "The member came back (activity certificate inspected)",
          body: endSchema,
          event: "returned",
          requestEffects: (_c, body) => {
            if (body?.certificateInspected !== true) {
              throw new ApiError("validation_failed", msg("governance.return_needs_certificate"), {
                errors: [{ in: "body", pointer: "/certificateInspected", detail: msg("field.must_be_true") }],
              });
            }
            return { set: { endNote: body.note ?? null } };
          },
        },
        transfer: {
          operationId: "transferMobileMember",
          summary: "The member's organisational relationship was transferred",
          body: endSchema,
          event: "transferred",
          requestEffects: (_c, body) => ({ set: { endNote: body?.note ?? null } }),
        },
      },
    }),
  );
