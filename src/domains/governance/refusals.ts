import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { localDate } from "../../shared/calendar.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { admissionId } from "./admission.js";
import {
  countsReach,
  type Outcome,
  outcomes,
  reachesStreets,
  refusalCountWrite,
  sumTotals,
  type Total,
} from "./counts.js";
import { quarterSchema, tag } from "./common.js";
import { admissionKinds, admissionRefusals, governanceCounts } from "./tables.js";
import { msg } from "../../shared/http/messages.js";

const refusalId = idSchema("refusal");
type RefusalRow = typeof admissionRefusals.$inferSelect;

const refusalSchema = z
  .object({
    id: refusalId,
    tenant: z.string().openapi({ example: "620902" }),
    communityId: divisionIdSchema,
    requestedBy: z.string().openapi({ description: "Who asked (a department or office).", example: "区住建局" }),
    departmentId: z.string().nullable(),
    kind: z.enum(admissionKinds),
    what: z.string().openapi({ example: "要求社区填报物业企业台账" }),
    requestedOn: dateSchema,
    requestId: admissionId
      .nullable()
      .openapi({ description: "The request refused at once by the negative list, for automatic refusals." }),
    ...timestampsSchema,
  })
  .openapi("AdmissionRefusal");

const createRefusalSchema = z
  .object({
    communityId: divisionIdSchema,
    requestedBy: z.string().trim().min(1).max(100),
    kind: z.enum(admissionKinds),
    what: z.string().trim().min(1).max(1000),
    requestedOn: dateSchema.openapi({ description: "When the work was asked for; not in the future (China time)." }),
  })
  .strict()
  .openapi("CreateAdmissionRefusal", {
    example: {
      communityId: "div_01KDVDNA011AKWK3RC504FTYF8",
      requestedBy: "区住建局",
      kind: "ledger",
      what: "要求社区填报物业企业台账",
      requestedOn: "2026-11-20",
    },
  });

const present = (row: RefusalRow) => ({
  id: row.id,
  tenant: row.tenantId,
  communityId: row.communityId,
  requestedBy: row.requestedBy,
  departmentId: row.departmentId,
  kind: row.kind,
  what: row.what,
  requestedOn: row.requestedOn,
  requestId: row.requestId,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const createRefusal = protectedRoute({
  method: "post",
  path: "/v1/admission-refusals",
  operationId: "createAdmissionRefusal",
  tags: [tag],
  summary: "Record a community's refusal of unlisted, unadmitted work",
  scope: "refusals:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createRefusalSchema } } } },
  responses: { 201: versionedResponse(refusalSchema, "The refusal, recorded.") },
});

const listRefusals = protectedRoute({
  method: "get",
  path: "/v1/admission-refusals",
  operationId: "listAdmissionRefusals",
  tags: [tag],
  summary: "Refusals recorded within reach",
  scope: "admission:read",
  request: {
    query: pageQuerySchema.extend({
      communityId: divisionIdSchema.optional(),
      kind: z.enum(admissionKinds).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of refusals, in the requested `order`.",
      content: { "application/json": { schema: pageOf(refusalSchema, "AdmissionRefusalPage") } },
    },
  },
});

const getRefusal = protectedRoute({
  method: "get",
  path: "/v1/admission-refusals/{id}",
  operationId: "getAdmissionRefusal",
  tags: [tag],
  summary: "One refusal",
  scope: "admission:read",
  errors: [404],
  request: { params: z.object({ id: refusalId }) },
  responses: { 200: versionedResponse(refusalSchema, "The refusal.") },
});

const statsSchema = z
  .object({
    quarter: z.string().openapi({ example: "2026-Q1" }),
    byDepartment: z.array(
      z.object({
        departmentId: z.string(),
        departmentName: z.string(),
        admitted: z.number().int().openapi({ description: "Approved, active or expired (listed or reviewed)." }),
        refused: z.number().int().openapi({ description: "Refused by the duty list, or rejected in review." }),
        pending: z.number().int().openapi({ description: "In street or county review, or returned." }),
        withdrawn: z.number().int(),
      }),
    ),
    byCommunity: z.array(
      z.object({
        communityId: divisionIdSchema,
        carried: z.number().int().openapi({ description: "Admitted work whose period overlaps the quarter." }),
        refusals: z.number().int().openapi({ description: "Refusals recorded for work asked in the quarter." }),
      }),
    ),
  })
  .openapi("AdmissionStats", {
    description: "The burden-reduction figures: admitted vs refused per department, work per community.",
  });

const getStats = protectedRoute({
  method: "get",
  path: "/v1/admission-stats",
  operationId: "getAdmissionStats",
  tags: [tag],
  summary: "Admitted vs refused per department, work carried per community, for a quarter",
  description:
    "Per department: requests submitted in the quarter (China time) by outcome. Per community: admitted work whose period overlaps the quarter, and refusals of work asked in it. Within the caller's reach; the city sees every tenant.",
  scope: "admission:read",
  request: { query: z.object({ quarter: quarterSchema }) },
  responses: { 200: { description: "The figures.", content: { "application/json": { schema: statsSchema } } } },
});

export const refusalRoutes = createRouter()
  .openapi(createRefusal, async (c) => {
    const body = c.req.valid("json");
    const community = await requireDivisionForWrite(c, body.communityId, {
      pointer: "/communityId",
      levels: ["community"],
    });
    const now = c.get("clock").now();
    if (body.requestedOn > localDate(now)) {
      throw new ApiError("validation_failed", msg("governance.requested_in_future"), {
        errors: [{ in: "body", pointer: "/requestedOn", detail: msg("field.not_after_today") }],
      });
    }
    const row: RefusalRow = {
      id: newId("refusal", now.getTime()),
      tenantId: c.get("principal").tenant,
      communityId: community.id,
      divisionPath: community.path,
      requestedBy: body.requestedBy,
      departmentId: null,
      kind: body.kind,
      what: body.what,
      requestedOn: body.requestedOn,
      requestId: null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/admission-refusals/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(admissionRefusals).values(row), refusalCountWrite(c.get("db"), row)],
      audit: {
        action: "admission_refusal.create",
        targetType: "admission_refusal",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { kind: row.kind, requestedOn: row.requestedOn },
      },
      events: [
        {
          type: "admission_refusal.recorded",
          subjectType: "admission_refusal",
          subjectId: row.id,
          payload: { refusalId: row.id, communityId: row.communityId, kind: row.kind, requestedOn: row.requestedOn },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listRefusals, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, admissionRefusals, { divisionPath: admissionRefusals.divisionPath }, q, {
      communityId: [admissionRefusals.communityId, q.communityId],
      kind: [admissionRefusals.kind, q.kind],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getRefusal, async (c) => {
    const row = await findWithinReach(
      c,
      admissionRefusals,
      { divisionPath: admissionRefusals.divisionPath },
      c.req.valid("param").id,
      "refusal",
    );
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(getStats, async (c) => {
    const { quarter } = c.req.valid("query");
    const principal = c.get("principal");
    // From the running totals (counts.ts): a read of rows per street (or community) and department,
    // and per community, however many requests the quarter holds.
    let perDepartment: Total[] = [];
    if (principal.owner?.departmentId) {
      perDepartment = await sumTotals(c, {
        metrics: outcomes.map((o) => `admission.department.${o}`),
        period: quarter,
        reach: and(
          eq(governanceCounts.tenantId, principal.tenant),
          eq(governanceCounts.dim, principal.owner.departmentId),
        )!,
        byDim: true,
      });
    } else if (!principal.owner) {
      const scope = (await reachesStreets(c)) ? "department" : "target";
      perDepartment = await sumTotals(c, {
        metrics: outcomes.map((o) => `admission.${scope}.${o}`),
        period: quarter,
        reach: countsReach(c),
        byDim: true,
      });
    }
    const departments = new Map<string, z.infer<typeof statsSchema>["byDepartment"][number]>();
    for (const r of perDepartment) {
      const entry = departments.get(r.dim) ?? {
        departmentId: r.dim,
        departmentName: r.label ?? r.dim,
        admitted: 0,
        refused: 0,
        pending: 0,
        withdrawn: 0,
      };
      entry[r.metric.slice(r.metric.lastIndexOf(".") + 1) as Outcome] += r.n;
      departments.set(r.dim, entry);
    }
    const perCommunity = principal.owner
      ? []
      : await sumTotals(c, {
          metrics: ["admission.carried", "admission.refusals"],
          period: quarter,
          reach: countsReach(c),
          byDim: true,
        });
    const communities = new Map<string, { communityId: string; carried: number; refusals: number }>();
    for (const r of perCommunity) {
      const entry = communities.get(r.dim) ?? { communityId: r.dim, carried: 0, refusals: 0 };
      if (r.metric === "admission.carried") entry.carried += r.n;
      else entry.refusals += r.n;
      communities.set(r.dim, entry);
    }
    const counted = (d: { admitted: number; refused: number; pending: number; withdrawn: number }) =>
      d.admitted + d.refused + d.pending + d.withdrawn > 0;
    return c.json(
      {
        quarter,
        byDepartment: [...departments.values()]
          .filter(counted)
          .sort((a, b) => a.departmentId.localeCompare(b.departmentId)),
        byCommunity: [...communities.values()]
          .filter((e) => e.carried + e.refusals > 0)
          .sort((a, b) => a.communityId.localeCompare(b.communityId)),
      },
      200,
    );
  });
