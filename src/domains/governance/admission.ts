import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { divisions } from "../../db/tables.js";
import type { Principal } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import { localDate } from "../../shared/calendar.js";
import { actionRoutes, type ActionSpec } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findVisible } from "../../shared/store/records.js";
import { requireDivisionForWrite, unknownReference } from "../../shared/store/references.js";
import { workingCalendarFor } from "./calendars.js";
import { chunks, keysetPage, tag } from "./common.js";
import { dutyItemId } from "./duty-items.js";
import { admissionMachine } from "./machines.js";
import {
  admissionKinds,
  admissionRefusals,
  admissionRequests,
  admissionStatuses,
  admissionTargets,
  dutyItems,
  dutyLists,
  type DutyKind,
} from "./tables.js";
import { addWorkingDays } from "./working-days.js";
import { admissionCountWrites, refusalCountWrite } from "./counts.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

/** [D] Review deadlines in working days: the street within 5, the county within 10 after the street's approval. */
export const streetReviewDays = 5;
export const countyReviewDays = 10;

const admittingKinds: readonly DutyKind[] = ["basic", "statutory", "assisting"];
const refusingKinds: readonly DutyKind[] = ["returned", "negative"];

export const admissionId = idSchema("adm");
type AdmissionRow = typeof admissionRequests.$inferSelect;

const editableFields = {
  title: z.string().trim().min(1).max(200).openapi({ example: "创建全国文明城市入户调查" }),
  description: z.string().trim().max(4000).openapi({ example: "请社区配合开展入户问卷调查，每户一份。" }),
  periodStart: dateSchema,
  periodEnd: dateSchema,
  fundingYuan: z
    .number()
    .int()
    .min(0)
    .max(1_000_000_000)
    .openapi({ description: "Funding that comes with the work (费随事转), in yuan.", example: 20000 }),
  staffProvided: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .openapi({ description: "Staff the department provides (权随责走).", example: 2 }),
};

const admissionSchema = z
  .object({
    id: admissionId,
    tenant: z.string().openapi({ example: "620902" }),
    departmentId: z
      .string()
      .openapi({ description: "The department's code (its `unit` claim).", example: "dept-civil-affairs" }),
    departmentName: z.string().openapi({ example: "区民政局" }),
    kind: z.enum(admissionKinds),
    streetId: divisionIdSchema,
    communityIds: z.array(divisionIdSchema),
    ...editableFields,
    dutyItemId: dutyItemId.nullable(),
    route: z.enum(["listed", "reviewed"]).openapi({
      description:
        "listed: admitted or refused at once by the duty list item it matched; reviewed: street then county review.",
    }),
    status: z.enum(admissionStatuses).openapi({
      description:
        "street_review → county_review → approved | rejected | returned (→ street_review when resubmitted); approved → active → expired | withdrawn. refused: matched a returned / negative-list item.",
    }),
    streetDeadline: dateSchema.nullable().openapi({ description: "The street's review deadline, in working days." }),
    countyDeadline: dateSchema.nullable().openapi({ description: "The county's review deadline, in working days." }),
    decisionNote: z.string().nullable(),
    decidedAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("AdmissionRequest");

const createAdmissionSchema = z
  .object({
    departmentName: z.string().trim().min(1).max(100).openapi({ example: "区民政局" }),
    kind: z.enum(admissionKinds),
    streetId: divisionIdSchema.openapi({
      description: "The street or town whose communities are asked; it reviews first.",
    }),
    communityIds: z.array(divisionIdSchema).min(1).max(200),
    ...editableFields,
    dutyItemId: dutyItemId.optional().openapi({
      description:
        "The item of the tenant's published duty list the work falls under: basic / statutory / assisting items admit it at once, returned / negative-list items refuse it at once.",
    }),
  })
  .strict()
  .refine((b) => b.periodEnd >= b.periodStart, { path: ["periodEnd"], message: zodMessage("field.ends_before_starts") })
  .openapi("CreateAdmissionRequest", {
    example: {
      departmentName: "区民政局",
      kind: "survey",
      title: "创建全国文明城市入户调查",
      description: "请社区配合开展入户问卷调查，每户一份。",
      streetId: "div_01KDVDNA011AKWK3RC504FTYF8",
      communityIds: ["div_01KDVDNA021AKWK3RC504FTYF8"],
      periodStart: "2026-03-01",
      periodEnd: "2026-03-31",
      fundingYuan: 20000,
      staffProvided: 2,
    },
  });

const noteSchema = z
  .object({ note: z.string().trim().min(1).max(1000).optional() })
  .strict()
  .openapi("AdmissionDecision", { example: { note: "经费未落实，请补充后再报。" } });

const resubmitSchema = z
  .object(editableFields)
  .partial()
  .strict()
  .openapi("ResubmitAdmissionRequest", { example: { fundingYuan: 30000, staffProvided: 3 } });

const present = (row: AdmissionRow) => ({
  id: row.id,
  tenant: row.tenantId,
  departmentId: row.departmentId,
  departmentName: row.departmentName,
  kind: row.kind,
  streetId: row.streetId,
  communityIds: row.communityIds,
  title: row.title,
  description: row.description,
  periodStart: row.periodStart,
  periodEnd: row.periodEnd,
  fundingYuan: row.fundingYuan,
  staffProvided: row.staffProvided,
  dutyItemId: row.dutyItemId,
  route: row.route,
  status: row.status,
  streetDeadline: row.streetDeadline,
  countyDeadline: row.countyDeadline,
  decisionNote: row.decisionNote,
  decidedAt: row.decidedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const admissionEventPayload = (row: AdmissionRow) => ({
  admissionRequestId: row.id,
  departmentId: row.departmentId,
  kind: row.kind,
  streetId: row.streetId,
  communityIds: row.communityIds,
  status: row.status,
  route: row.route,
  dutyItemId: row.dutyItemId,
  streetDeadline: row.streetDeadline,
  countyDeadline: row.countyDeadline,
});

const nothing = sql`0`;

/**
 * Who sees a request: a department its own (by its `unit` claim), in its tenant; administrators
 * their subtree (the street's path), and a principal narrowed to a community the requests that
 * target a community in its subtree; the city every tenant's.
 */
export function admissionReach(principal: Principal): SQL {
  if (principal.owner) {
    const department = principal.owner.departmentId;
    return department
      ? and(eq(admissionRequests.tenantId, principal.tenant), eq(admissionRequests.departmentId, department))!
      : nothing;
  }
  const subtree = withinReach(principal, {
    tenantId: admissionRequests.tenantId,
    divisionPath: admissionRequests.divisionPath,
  });
  if (!principal.org) return subtree;
  return or(subtree, targetedWithin(principal))!;
}

function targetedWithin(principal: Principal): SQL {
  return sql`exists (select 1 from ${admissionTargets} where ${admissionTargets.tenantId} = ${admissionRequests.tenantId} and ${admissionTargets.requestId} = ${admissionRequests.id} and ${withinReach(principal, { tenantId: admissionTargets.tenantId, divisionPath: admissionTargets.divisionPath })})`;
}

const findAdmission = (c: Context<AppEnv>, id: string) =>
  findVisible(c, admissionRequests, id, "admission request", admissionReach(c.get("principal")));

const createAdmission = protectedRoute({
  method: "post",
  path: "/v1/admission-requests",
  operationId: "createAdmissionRequest",
  tags: [tag],
  summary: "Ask to put work on communities (社区事务准入)",
  description: `A functional department (role \`department\`, its code in the token's \`unit\` claim) names the work, the street and its target communities, the period, the funding and staff it brings. Matched to a listed duty (\`dutyItemId\` of the tenant's published list) it is approved or refused at once; otherwise it goes to the street, whose review is due within ${streetReviewDays} working days (China's official calendar, make-up working weekends included).`,
  scope: "admission:submit",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createAdmissionSchema } } } },
  responses: {
    201: versionedResponse(admissionSchema, "The request: approved or refused at once, or in street review."),
  },
});

const listAdmissions = protectedRoute({
  method: "get",
  path: "/v1/admission-requests",
  operationId: "listAdmissionRequests",
  tags: [tag],
  summary: "Admission requests within reach",
  description:
    "A department sees its own; a street its street's; a community those targeting it; the county all. `overdue=true`: reviews past their deadline (China time).",
  scope: "admission:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(admissionStatuses).optional(),
      kind: z.enum(admissionKinds).optional(),
      departmentId: z.string().trim().min(1).max(64).optional(),
      communityId: divisionIdSchema.optional(),
      overdue: z.enum(["true", "false"]).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of requests, in the requested `order`.",
      content: { "application/json": { schema: pageOf(admissionSchema, "AdmissionRequestPage") } },
    },
  },
});

const getAdmission = protectedRoute({
  method: "get",
  path: "/v1/admission-requests/{id}",
  operationId: "getAdmissionRequest",
  tags: [tag],
  summary: "One admission request",
  scope: "admission:read",
  errors: [404],
  request: { params: z.object({ id: admissionId }) },
  responses: { 200: versionedResponse(admissionSchema, "The request.") },
});

/** The target communities: each a community of the tenant under the street; a 400 at each that is not. */
async function requireTargets(c: Context<AppEnv>, street: { path: string }, ids: readonly string[]) {
  const rows = await c
    .get("db")
    .select({ id: divisions.id, path: divisions.path })
    .from(divisions)
    .where(
      and(
        eq(divisions.tenantId, c.get("principal").tenant),
        inArray(divisions.id, [...ids]),
        eq(divisions.level, "community"),
      ),
    );
  const byId = new Map(rows.filter((r) => r.path.startsWith(street.path)).map((r) => [r.id, r]));
  const errors: FieldError[] = ids.flatMap((id, i) =>
    byId.has(id) && ids.indexOf(id) === i
      ? []
      : [{ in: "body" as const, pointer: `/communityIds/${i}`, detail: msg("governance.not_street_community_field") }],
  );
  if (errors.length) throw new ApiError("validation_failed", msg("governance.not_street_communities"), { errors });
  return ids.map((id) => byId.get(id)!);
}

/** The listed duty the work falls under: an item of a published list of the caller's tenant. */
async function requirePublishedItem(c: Context<AppEnv>, itemId: string) {
  const [item] = await c
    .get("db")
    .select({ id: dutyItems.id, kind: dutyItems.kind })
    .from(dutyItems)
    .innerJoin(dutyLists, eq(dutyLists.id, dutyItems.listId))
    .where(
      and(
        eq(dutyItems.id, itemId),
        eq(dutyItems.tenantId, c.get("principal").tenant),
        eq(dutyLists.status, "published"),
      ),
    );
  if (!item) throw unknownReference("/dutyItemId", "item of a published duty list");
  return item;
}

async function deadline(c: Context<AppEnv>, days: number) {
  const today = localDate(c.get("clock").now());
  return addWorkingDays(today, days, await workingCalendarFor(c, today, days));
}

export const admissionRoutes = createRouter()
  .openapi(createAdmission, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const departmentId = principal.owner?.departmentId;
    if (!departmentId) throw new ApiError("forbidden", msg("governance.department_only"));
    const street = await requireDivisionForWrite(c, body.streetId, {
      pointer: "/streetId",
      levels: ["street", "town"],
    });
    const targets = await requireTargets(c, street, body.communityIds);
    const item = body.dutyItemId ? await requirePublishedItem(c, body.dutyItemId) : undefined;
    const now = c.get("clock").now();
    const at = now.toISOString();
    const listed = item !== undefined && (admittingKinds.includes(item.kind) || refusingKinds.includes(item.kind));
    const status: AdmissionRow["status"] = !listed
      ? "street_review"
      : admittingKinds.includes(item!.kind)
        ? "approved"
        : "refused";
    const row: AdmissionRow = {
      id: newId("adm", now.getTime()),
      tenantId: principal.tenant,
      departmentId,
      departmentName: body.departmentName,
      kind: body.kind,
      title: body.title,
      description: body.description,
      streetId: street.id,
      divisionPath: street.path,
      communityIds: body.communityIds,
      periodStart: body.periodStart,
      periodEnd: body.periodEnd,
      fundingYuan: body.fundingYuan,
      staffProvided: body.staffProvided,
      dutyItemId: item?.id ?? null,
      route: listed ? "listed" : "reviewed",
      status,
      streetDeadline: listed ? null : await deadline(c, streetReviewDays),
      countyDeadline: null,
      decisionNote: listed ? `Matched duty list item ${item!.id} (${item!.kind}).` : null,
      decidedAt: listed ? at : null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const db = c.get("db");
    // An automatic refusal is recorded in every target community's refusals too.
    const refusals =
      status === "refused"
        ? targets.map((t, i) => ({
            id: newId("refusal", now.getTime() + i),
            tenantId: row.tenantId,
            communityId: t.id,
            divisionPath: t.path,
            requestedBy: row.departmentName,
            departmentId,
            kind: row.kind,
            what: row.title,
            requestedOn: localDate(now),
            requestId: row.id,
            version: 1,
            createdAt: at,
            updatedAt: at,
          }))
        : [];
    const response = present(row);
    const eventName = status === "approved" ? "admitted" : status === "refused" ? "refused" : "submitted";
    const headers = await commitCreated(c, `/v1/admission-requests/${row.id}`, row.version, response, {
      writes: [
        db.insert(admissionRequests).values(row),
        ...chunks(targets).map((part) =>
          db
            .insert(admissionTargets)
            .values(
              part.map((t) => ({ tenantId: row.tenantId, requestId: row.id, communityId: t.id, divisionPath: t.path })),
            ),
        ),
        ...chunks(refusals).map((part) => db.insert(admissionRefusals).values(part)),
        ...admissionCountWrites(db, row, null, status),
        ...refusals.map((r) => refusalCountWrite(db, r)),
      ],
      audit: {
        action: "admission_request.create",
        targetType: "admission_request",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { status, route: row.route, dutyItemId: row.dutyItemId, communities: targets.length },
      },
      events: [
        {
          type: `admission_request.${eventName}`,
          subjectType: "admission_request",
          subjectId: row.id,
          payload: admissionEventPayload(row),
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listAdmissions, async (c) => {
    const q = c.req.valid("query");
    const principal = c.get("principal");
    const today = localDate(c.get("clock").now());
    const page = await keysetPage(
      c,
      admissionRequests,
      q,
      [
        admissionReach(principal),
        q.status ? eq(admissionRequests.status, q.status) : undefined,
        q.kind ? eq(admissionRequests.kind, q.kind) : undefined,
        q.departmentId ? eq(admissionRequests.departmentId, q.departmentId) : undefined,
        q.communityId
          ? sql`exists (select 1 from ${admissionTargets} where ${admissionTargets.tenantId} = ${admissionRequests.tenantId} and ${admissionTargets.requestId} = ${admissionRequests.id} and ${admissionTargets.communityId} = ${q.communityId})`
          : undefined,
        q.overdue === "true" ? overdue(today) : q.overdue === "false" ? sql`not (${overdue(today)})` : undefined,
      ],
      present,
    );
    return c.json(page, 200);
  })
  .openapi(getAdmission, async (c) => {
    const row = await findAdmission(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .route("/", admissionActions());

/** A review past its deadline (a deadline day itself is still in time). */
function overdue(today: string): SQL {
  return or(
    and(eq(admissionRequests.status, "street_review"), lt(admissionRequests.streetDeadline, today)),
    and(eq(admissionRequests.status, "county_review"), lt(admissionRequests.countyDeadline, today)),
  )!;
}

function decided(c: Context<AppEnv>, body: { note?: string } | undefined) {
  return { decisionNote: body?.note ?? null, decidedAt: c.get("clock").now().toISOString() };
}

/**
 * Every move also moves the stats' running totals (counts.ts) in the same batch, after the
 * request's guarded update: a move that fails (409, 412, a lost race) counts nothing.
 */
function counted(actions: AdmissionActions): AdmissionActions {
  return Object.fromEntries(
    Object.entries(actions).map(([name, spec]) => [
      name,
      {
        ...spec,
        effects: async (c: Context<AppEnv>, row: AdmissionRow, body: unknown) => {
          const effects = (await spec.effects?.(c, row, body)) ?? {};
          const to = admissionMachine.transitions[name as AdmissionAction].to;
          return {
            ...effects,
            writes: [...(effects.writes ?? []), ...admissionCountWrites(c.get("db"), row, row.status, to)],
          };
        },
      },
    ]),
  ) as AdmissionActions;
}

type AdmissionAction = (typeof admissionMachine.actions)[number];
type AdmissionActions = { [K in AdmissionAction]?: ActionSpec<AdmissionRow> };

function admissionActions() {
  return actionRoutes({
    base: "/v1/admission-requests",
    tag,
    idSchema: admissionId,
    schema: admissionSchema,
    targetType: "admission_request",
    machine: admissionMachine,
    table: admissionRequests,
    find: findAdmission,
    present,
    eventPayload: admissionEventPayload,
    actions: counted({
      street_approve: {
        operationId: "streetApproveAdmissionRequest",
        summary: "Street review: pass the request to the county",
        description: `The county's review is due within ${countyReviewDays} working days.`,
        scope: "admission:street_review",
        body: noteSchema,
        event: "street_approved",
        effects: async (c, _row, body) => ({
          set: { countyDeadline: await deadline(c, countyReviewDays), decisionNote: body?.note ?? null },
        }),
      },
      street_reject: {
        operationId: "streetRejectAdmissionRequest",
        summary: "Street review: reject the request",
        scope: "admission:street_review",
        body: noteSchema,
        event: "rejected",
        effects: (c, _row, body) => ({ set: decided(c, body) }),
      },
      street_return: {
        operationId: "streetReturnAdmissionRequest",
        summary: "Street review: return the request for changes",
        scope: "admission:street_review",
        body: noteSchema,
        event: "returned",
        effects: (c, _row, body) => ({ set: decided(c, body) }),
      },
      approve: {
        operationId: "approveAdmissionRequest",
        summary: "County review: approve (admit) the work",
        scope: "admission:county_review",
        body: noteSchema,
        event: "approved",
        effects: (c, _row, body) => ({ set: decided(c, body) }),
      },
      reject: {
        operationId: "rejectAdmissionRequest",
        summary: "County review: reject the request",
        scope: "admission:county_review",
        body: noteSchema,
        event: "rejected",
        effects: (c, _row, body) => ({ set: decided(c, body) }),
      },
      return: {
        operationId: "returnAdmissionRequest",
        summary: "County review: return the request for changes",
        scope: "admission:county_review",
        body: noteSchema,
        event: "returned",
        effects: (c, _row, body) => ({ set: decided(c, body) }),
      },
      resubmit: {
        operationId: "resubmitAdmissionRequest",
        summary: "Resubmit a returned request, with changes",
        description: `Back to street review, due within ${streetReviewDays} working days.`,
        scope: "admission:submit",
        body: resubmitSchema,
        event: "resubmitted",
        effects: async (c, row, body) => {
          const start = body?.periodStart ?? row.periodStart;
          const end = body?.periodEnd ?? row.periodEnd;
          if (end < start)
            throw new ApiError("validation_failed", msg("governance.period_ends_before_start"), {
              errors: [{ in: "body", pointer: "/periodEnd", detail: msg("field.ends_before_starts") }],
            });
          return {
            set: {
              ...body,
              streetDeadline: await deadline(c, streetReviewDays),
              countyDeadline: null,
              decisionNote: null,
              decidedAt: null,
            },
            changes: { fields: Object.keys(body ?? {}) },
          };
        },
      },
      activate: {
        operationId: "activateAdmissionRequest",
        summary: "Start the admitted work",
        scope: "admission:submit",
        event: "activated",
      },
      expire: {
        operationId: "expireAdmissionRequest",
        summary: "End the work at the end of its period",
        scope: ["admission:submit", "admission:county_review"],
        event: "expired",
      },
      withdraw: {
        operationId: "withdrawAdmissionRequest",
        summary: "Withdraw the request or the work",
        scope: "admission:submit",
        event: "withdrawn",
      },
    }),
  });
}
