import { z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, guardChanged, GuardFailed, type AuditEntry, type DomainEvent } from "../../shared/store/commit.js";
import { findWithinReach, updateVersioned, readRows } from "../../shared/store/records.js";
import { linkCodeSchema, linkListSchema, requireActiveLinks } from "./five-links.js";
import { orgReportMachine } from "./machines.js";
import { partyOrgIdSchema, requirePartyOrg, unitOrgCategories } from "./references.js";
import { agreements, orgReports } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const agreementId = idSchema("agr");

const agreementSchema = z
  .object({
    id: agreementId,
    tenant: z.string().openapi({ example: "620902" }),
    unitOrgId: partyOrgIdSchema,
    communityOrgId: partyOrgIdSchema,
    startsOn: dateSchema,
    endsOn: dateSchema,
    liaisonName: z.string().openapi({ example: "王敏" }),
    links: z.array(linkCodeSchema).openapi({ example: ["organisation", "venue", "service"] }),
    ...timestampsSchema,
  })
  .openapi("Agreement");

const endsAfterStart = { message: zodMessage("field.ends_after_starts"), path: ["endsOn"] };

const createAgreementSchema = z
  .object({
    unitOrgId: partyOrgIdSchema,
    communityOrgId: partyOrgIdSchema,
    startsOn: dateSchema,
    endsOn: dateSchema,
    liaisonName: z.string().trim().min(1).max(100).openapi({ example: "王敏" }),
    links: linkListSchema,
  })
  .strict()
  .refine((a) => a.endsOn > a.startsOn, endsAfterStart)
  .openapi("CreateAgreement", {
    example: {
      unitOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      communityOrgId: "org_01KDVDNA02Q7M4V1Z8XG3H6J9K",
      startsOn: "2026-12-01",
      endsOn: "2028-11-30",
      liaisonName: "王敏",
      links: ["organisation", "venue", "service"],
    },
  });

const patchAgreementSchema = z
  .object({ endsOn: dateSchema, liaisonName: createAgreementSchema.shape.liaisonName, links: linkListSchema })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchAgreement", { example: { endsOn: "2029-11-30", links: ["organisation", "venue", "activity"] } });

type AgreementRow = typeof agreements.$inferSelect;
const present = (row: AgreementRow) => ({
  id: row.id,
  tenant: row.tenantId,
  unitOrgId: row.unitOrgId,
  communityOrgId: row.communityOrgId,
  startsOn: row.startsOn,
  endsOn: row.endsOn,
  liaisonName: row.liaisonName,
  links: row.links,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
const reach = { divisionPath: agreements.divisionPath, unitOrgId: agreements.unitOrgId };
const agreementResponse = (description: string) => versionedResponse(agreementSchema, description);

const createAgreement = protectedRoute({
  method: "post",
  path: "/v1/agreements",
  operationId: "createAgreement",
  tags: ["reports"],
  summary: "Sign a co-building agreement (共建协议) between a unit and a community party organisation",
  description:
    "Both organisations must be within reach; `links` are active five-link codes. In the same write, every `received` unit report between the two organisations becomes `active` (event `org_report.activated`).",
  scope: "agreements:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createAgreementSchema } } } },
  responses: { 201: agreementResponse("The agreement was recorded.") },
});

const listAgreements = protectedRoute({
  method: "get",
  path: "/v1/agreements",
  operationId: "listAgreements",
  tags: ["reports"],
  summary: "Co-building agreements within reach",
  scope: "agreements:read",
  request: {
    query: pageQuerySchema.extend({
      unitOrgId: partyOrgIdSchema.optional(),
      communityOrgId: partyOrgIdSchema.optional(),
      link: linkCodeSchema.optional().openapi({ description: "Only agreements that commit to this link." }),
    }),
  },
  responses: {
    200: {
      description: "A page of agreements, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(agreementSchema, "AgreementPage") } },
    },
  },
});

const getAgreement = protectedRoute({
  method: "get",
  path: "/v1/agreements/{id}",
  operationId: "getAgreement",
  tags: ["reports"],
  summary: "One co-building agreement",
  scope: "agreements:read",
  errors: [404],
  request: { params: z.object({ id: agreementId }) },
  responses: { 200: agreementResponse("The agreement.") },
});

const updateAgreement = protectedRoute({
  method: "patch",
  path: "/v1/agreements/{id}",
  operationId: "updateAgreement",
  tags: ["reports"],
  summary: "Extend an agreement, change its liaison or its links",
  scope: "agreements:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: agreementId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchAgreementSchema } } },
  },
  responses: { 200: agreementResponse("The updated agreement.") },
});

export const agreementRoutes = createRouter()
  .openapi(createAgreement, async (c) => {
    const body = c.req.valid("json");
    const { db, principal } = c.var;
    const unitOrg = await requirePartyOrg(c, body.unitOrgId, { pointer: "/unitOrgId", categories: unitOrgCategories });
    const communityOrg = await requirePartyOrg(c, body.communityOrgId, {
      pointer: "/communityOrgId",
      categories: ["community"],
    });
    await requireActiveLinks(c, body.links);
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: AgreementRow = {
      id: newId("agr", now.getTime()),
      tenantId: principal.tenant,
      unitOrgId: unitOrg.id,
      communityOrgId: communityOrg.id,
      divisionPath: communityOrg.divisionPath,
      startsOn: body.startsOn,
      endsOn: body.endsOn,
      liaisonName: body.liaisonName,
      links: body.links,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    // The signed agreement activates the unit's received report(s) to this community, in the same batch.
    const received = await db
      .select()
      .from(orgReports)
      .where(
        and(
          eq(orgReports.tenantId, principal.tenant),
          eq(orgReports.unitOrgId, unitOrg.id),
          eq(orgReports.communityOrgId, communityOrg.id),
          eq(orgReports.status, "received"),
        ),
      );
    const activated = orgReportMachine.next("received", "activate");
    const activations = received.flatMap((r) => [
      db
        .update(orgReports)
        .set({ status: activated, version: sql`${orgReports.version} + 1`, updatedAt: at })
        .where(and(eq(orgReports.id, r.id), eq(orgReports.version, r.version), eq(orgReports.status, "received"))),
      guardChanged(),
    ]);
    const audit: AuditEntry[] = [
      {
        action: "agreement.create",
        targetType: "agreement",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body), links: body.links },
      },
      ...received.map((r) => ({
        action: "org_report.activate",
        targetType: "org_report",
        targetId: r.id,
        divisionPath: r.divisionPath,
        changes: { status: [r.status, activated], agreementId: row.id },
      })),
    ];
    const events: DomainEvent[] = [
      {
        type: "agreement.signed",
        subjectType: "agreement",
        subjectId: row.id,
        payload: {
          agreementId: row.id,
          unitOrgId: row.unitOrgId,
          communityOrgId: row.communityOrgId,
          links: row.links,
        },
      },
      ...received.map((r) => ({
        type: "org_report.activated",
        subjectType: "org_report",
        subjectId: r.id,
        payload: {
          orgReportId: r.id,
          unitOrgId: r.unitOrgId,
          communityOrgId: r.communityOrgId,
          status: activated,
          agreementId: row.id,
        },
      })),
    ];
    const response = present(row);
    const headers = { etag: etagOf(row.version), location: `/v1/agreements/${row.id}` };
    try {
      await commit(
        c,
        { writes: [db.insert(agreements).values(row), ...activations], audit, events },
        { status: 201, body: response, headers },
      );
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("conflict", msg("reports.agreement_race"));
      throw err;
    }
    return c.json(response, 201, headers);
  })
  .openapi(listAgreements, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(agreements.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(agreements)
        .where(
          and(
            withinReach(c.get("principal"), { tenantId: agreements.tenantId, ...reach }),
            q.unitOrgId ? eq(agreements.unitOrgId, q.unitOrgId) : undefined,
            q.communityOrgId ? eq(agreements.communityOrgId, q.communityOrgId) : undefined,
            q.link ? sql`exists (select 1 from json_each(${agreements.links}) where value = ${q.link})` : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getAgreement, async (c) => {
    const row = await findWithinReach(c, agreements, reach, c.req.valid("param").id, "agreement");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(updateAgreement, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findWithinReach(c, agreements, reach, c.req.valid("param").id, "agreement");
    if (patch.endsOn !== undefined && !(patch.endsOn > row.startsOn)) {
      throw new ApiError("validation_failed", msg("field.ends_after_starts"), {
        errors: [{ in: "body", pointer: "/endsOn", detail: msg("field.after_date", { date: row.startsOn }) }],
      });
    }
    if (patch.links) await requireActiveLinks(c, patch.links, row.links);
    const updated = await updateVersioned(c, {
      table: agreements,
      row,
      expectedVersion,
      set: patch,
      audit: {
        action: "agreement.update",
        targetType: "agreement",
        changes: { fields: Object.keys(patch), ...(patch.links ? { links: patch.links } : {}) },
      },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
