import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, readRows } from "../../shared/store/records.js";
import { localDate } from "../../shared/calendar.js";
import { partyOrgIdSchema, requireMember, requirePartyOrg, unitOrgCategories } from "./references.js";
import { evaluationGrades, evaluations } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const evaluationId = idSchema("eval");
const subjectKinds = ["unit_org", "member"] as const;
const subjectPrefix = { unit_org: "org", member: "mem" } as const;
const subjectIdSchema = z
  .string()
  .regex(/^(org|mem)_[0-9A-Z]{26}$/, zodMessage("field.subject_id_format"))
  .openapi({
    description: "A unit party organisation (`org_…`) or a member (`mem_…`), as `subjectKind` says.",
    example: "org_01KDVDNA011AKWK3RC504FTYF8",
  });
const yearSchema = z.number().int().min(2000).max(2100).openapi({ example: 2026 });

const evaluationSchema = z
  .object({
    id: evaluationId,
    tenant: z.string().openapi({ example: "620902" }),
    subjectKind: z.enum(subjectKinds),
    subjectId: subjectIdSchema,
    communityOrgId: partyOrgIdSchema,
    year: yearSchema,
    grade: z.enum(evaluationGrades),
    comment: z.string().nullable().openapi({ example: "积极参与社区治理，服务群众成效明显。" }),
    approver: z
      .string()
      .openapi({ description: "The subject of the credential that recorded it.", example: "user-42" }),
    ...timestampsSchema,
  })
  .openapi("Evaluation");

const createEvaluationSchema = z
  .object({
    subjectKind: z.enum(subjectKinds),
    subjectId: subjectIdSchema,
    communityOrgId: partyOrgIdSchema,
    year: yearSchema,
    grade: z.enum(evaluationGrades),
    comment: z.string().trim().min(1).max(1000).optional(),
  })
  .strict()
  .refine((e) => e.subjectId.startsWith(`${subjectPrefix[e.subjectKind]}_`), {
    message: zodMessage("reports.subject_kind_mismatch"),
    path: ["subjectId"],
  })
  .openapi("CreateEvaluation", {
    example: {
      subjectKind: "unit_org",
      subjectId: "org_01KDVDNA011AKWK3RC504FTYF8",
      communityOrgId: "org_01KDVDNA02Q7M4V1Z8XG3H6J9K",
      year: 2026,
      grade: "excellent",
    },
  });

type EvaluationRow = typeof evaluations.$inferSelect;
const present = (row: EvaluationRow) => ({
  id: row.id,
  tenant: row.tenantId,
  subjectKind: row.subjectKind,
  subjectId: row.subjectId,
  communityOrgId: row.communityOrgId,
  year: row.year,
  grade: row.grade,
  comment: row.comment,
  approver: row.approver,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
/** Admins reach through the community's division; a unit admin reads its unit's evaluations, a member their own (ids are prefixed, so one column serves both). */
const reach = {
  divisionPath: evaluations.divisionPath,
  memberId: evaluations.subjectId,
  unitOrgId: evaluations.subjectId,
};
const conflicts = { "evaluations.subject_id": msg("unique.evaluation") };
const evaluationResponse = (description: string) => versionedResponse(evaluationSchema, description);

const createEvaluation = protectedRoute({
  method: "post",
  path: "/v1/evaluations",
  operationId: "createEvaluation",
  tags: ["reports"],
  summary: "Record a community's annual evaluation of a unit organisation or a member",
  description:
    "One evaluation per community, subject and year (409 otherwise). The approver is the caller. The subject and the community organisation must be within reach.",
  scope: "evaluations:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createEvaluationSchema } } } },
  responses: { 201: evaluationResponse("The evaluation was recorded.") },
});

const listEvaluations = protectedRoute({
  method: "get",
  path: "/v1/evaluations",
  operationId: "listEvaluations",
  tags: ["reports"],
  summary: "Annual evaluations within reach",
  scope: "evaluations:read",
  request: {
    query: pageQuerySchema.extend({
      subjectKind: z.enum(subjectKinds).optional(),
      subjectId: subjectIdSchema.optional(),
      year: z.coerce.number().int().min(2000).max(2100).optional().openapi({ example: 2026 }),
    }),
  },
  responses: {
    200: {
      description: "A page of evaluations, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(evaluationSchema, "EvaluationPage") } },
    },
  },
});

const getEvaluation = protectedRoute({
  method: "get",
  path: "/v1/evaluations/{id}",
  operationId: "getEvaluation",
  tags: ["reports"],
  summary: "One annual evaluation",
  scope: "evaluations:read",
  errors: [404],
  request: { params: z.object({ id: evaluationId }) },
  responses: { 200: evaluationResponse("The evaluation.") },
});

export const evaluationRoutes = createRouter()
  .openapi(createEvaluation, async (c) => {
    const body = c.req.valid("json");
    const now = c.get("clock").now();
    if (body.year > Number(localDate(now).slice(0, 4))) {
      throw new ApiError("validation_failed", msg("reports.year_not_begun"), {
        errors: [{ in: "body", pointer: "/year", detail: msg("field.not_future_year") }],
      });
    }
    const communityOrg = await requirePartyOrg(c, body.communityOrgId, {
      pointer: "/communityOrgId",
      categories: ["community"],
    });
    if (body.subjectKind === "unit_org")
      await requirePartyOrg(c, body.subjectId, { pointer: "/subjectId", categories: unitOrgCategories });
    else await requireMember(c, body.subjectId, { pointer: "/subjectId", inSubtree: true });
    const row: EvaluationRow = {
      id: newId("eval", now.getTime()),
      tenantId: c.get("principal").tenant,
      subjectKind: body.subjectKind,
      subjectId: body.subjectId,
      communityOrgId: communityOrg.id,
      divisionPath: communityOrg.divisionPath,
      year: body.year,
      grade: body.grade,
      comment: body.comment ?? null,
      approver: c.get("principal").subject,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/evaluations/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(evaluations).values(row)],
      // The grade and comment are an assessment of a person: the trail and the event name fields, not values.
      audit: {
        action: "evaluation.create",
        targetType: "evaluation",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "evaluation.recorded",
          subjectType: "evaluation",
          subjectId: row.id,
          payload: {
            evaluationId: row.id,
            subjectKind: row.subjectKind,
            subjectId: row.subjectId,
            communityOrgId: row.communityOrgId,
            year: row.year,
          },
        },
      ],
      conflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(listEvaluations, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(evaluations.id, q);
    // The id's prefix names its kind: filtering on both lets the (tenant, kind, subject) index serve a subject-only query.
    const kind = q.subjectKind ?? (q.subjectId?.startsWith("org_") ? "unit_org" : q.subjectId ? "member" : undefined);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(evaluations)
        .where(
          and(
            withinReach(c.get("principal"), { tenantId: evaluations.tenantId, ...reach }),
            kind ? eq(evaluations.subjectKind, kind) : undefined,
            q.subjectId ? eq(evaluations.subjectId, q.subjectId) : undefined,
            q.year ? eq(evaluations.year, q.year) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getEvaluation, async (c) => {
    const row = await findWithinReach(c, evaluations, reach, c.req.valid("param").id, "evaluation");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });
