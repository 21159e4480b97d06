import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { localDate } from "../../shared/calendar.js";
import { maskIdCard, maskName, maskPhone } from "../../shared/crypto/pii.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, commitCreated, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { assertMayRevealPii } from "../../shared/auth/pii-reveal.js";
import { idCardChecksumValid } from "../../shared/id-card.js";
import { keysetPage, tag } from "./common.js";
import {
  assessmentResults,
  communityWorkers,
  defaultGradeScale,
  gradeScales,
  tierOfPost,
  workerAssessments,
  workerGradeChanges,
  workerPosts,
  workerTiers,
  type GradeScale,
  type WorkerTier,
} from "./tables.js";
import { msg, thing, zodMessage } from "../../shared/http/messages.js";

const workerId = idSchema("cw");
type WorkerRow = typeof communityWorkers.$inferSelect;
const educations = ["secondary", "college", "bachelor", "master_or_above"] as const;
const swLevels = ["none", "assistant", "intermediate", "senior"] as const;

const workerSchema = z
  .object({
    id: workerId,
    tenant: z.string().openapi({ example: "620902" }),
    communityId: divisionIdSchema,
    name: z.string().openapi({ description: "Masked for the city.", example: "李娜" }),
    idCard: z
      .string()
      .openapi({ description: "Masked unless revealed with `reveal=pii`.", example: "6209**********0024" }),
    phone: z.string().nullable().openapi({ example: "138****5678" }),
    post: z
      .enum(workerPosts)
      .openapi({ description: "secretary (书记), director (主任), deputy, member, grid_worker." }),
    tier: z
      .enum(workerTiers)
      .openapi({ description: "三岗: principal (正职), deputy (副职), other (其他社区工作者)." }),
    grade: z
      .number()
      .int()
      .openapi({ description: "十八级: within the tier's band of the tenant's scale.", example: 9 }),
    education: z.enum(educations),
    serviceStartDate: dateSchema,
    socialWorkerLevel: z
      .enum(swLevels)
      .openapi({ description: "社会工作者职业资格: none, assistant (助理), intermediate (中级), senior (高级)." }),
    status: z.enum(["active", "left"]),
    ...timestampsSchema,
  })
  .openapi("CommunityWorker");

const idCardSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^\d{17}[\dX]$/, zodMessage("field.id_card_format"))
  .refine(idCardChecksumValid, zodMessage("members.id_card_checksum"));

const createWorkerSchema = z
  .object({
    communityId: divisionIdSchema,
    name: z.string().trim().min(1).max(50),
    idCard: idCardSchema,
    phone: z
      .string()
      .trim()
      .regex(/^1[3-9]\d{9}$/)
      .optional(),
    post: z.enum(workerPosts),
    grade: z.number().int().min(1).max(18).optional().openapi({ description: "The band's lowest grade by default." }),
    education: z.enum(educations),
    serviceStartDate: dateSchema,
    socialWorkerLevel: z.enum(swLevels).default("none"),
  })
  .strict()
  .openapi("CreateCommunityWorker", {
    example: {
      communityId: "div_01KDVDNA011AKWK3RC504FTYF8",
      name: "李娜",
      idCard: "620902198805010024",
      phone: "13812345678",
      post: "deputy",
      education: "bachelor",
      serviceStartDate: "2018-07-01",
      socialWorkerLevel: "intermediate",
    },
  });

const patchWorkerSchema = z
  .object({
    post: z.enum(workerPosts),
    education: z.enum(educations),
    socialWorkerLevel: z.enum(swLevels),
    status: z.enum(["active", "left"]),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchCommunityWorker", { example: { post: "director" } });

const gradeChangeSchema = z
  .object({
    id: idSchema("wgc"),
    workerId,
    fromGrade: z.number().int().nullable(),
    toGrade: z.number().int(),
    tier: z.enum(workerTiers),
    reason: z.enum(["appointment", "advancement", "assessment", "post_change", "correction"]),
    effectiveOn: dateSchema,
    createdAt: z.string(),
  })
  .openapi("WorkerGradeChange");

const createGradeChangeSchema = z
  .object({
    toGrade: z.number().int().min(1).max(18),
    reason: z.enum(["advancement", "correction"]).openapi({
      description: "advancement (晋级: years of service, education, certificates), or a correction.",
    }),
    effectiveOn: dateSchema,
  })
  .strict()
  .openapi("CreateWorkerGradeChange", { example: { toGrade: 10, reason: "advancement", effectiveOn: "2026-07-01" } });

const assessmentSchema = z
  .object({
    id: idSchema("wa"),
    workerId,
    year: z.number().int().openapi({ example: 2026 }),
    result: z.enum(assessmentResults).openapi({
      description: "excellent (优秀), competent (称职), basically_competent (基本称职), incompetent (不称职).",
    }),
    gradeBefore: z.number().int(),
    gradeAfter: z
      .number()
      .int()
      .openapi({ description: "After the result's effect in the tenant's scale, within the band." }),
    createdAt: z.string(),
  })
  .openapi("WorkerAssessment");

const scaleSchema = z
  .object({
    bands: z.object({
      principal: z.tuple([z.number().int().min(1).max(18), z.number().int().min(1).max(18)]),
      deputy: z.tuple([z.number().int().min(1).max(18), z.number().int().min(1).max(18)]),
      other: z.tuple([z.number().int().min(1).max(18), z.number().int().min(1).max(18)]),
    }),
    assessmentEffects: z.object({
      excellent: z.number().int().min(-3).max(3),
      competent: z.number().int().min(-3).max(3),
      basically_competent: z.number().int().min(-3).max(3),
      incompetent: z.number().int().min(-3).max(3),
    }),
  })
  .strict()
  .refine((s) => Object.values(s.bands).every(([lo, hi]) => lo <= hi), zodMessage("governance.band_inverted"))
  .openapi("GradeScale", { example: defaultGradeScale });

async function scaleOf(c: Context<AppEnv>, tenant: string): Promise<GradeScale & { version: number }> {
  const [row] = await c.get("db").select().from(gradeScales).where(eq(gradeScales.tenantId, tenant));
  return row ? { ...row.scale, version: row.version } : { ...defaultGradeScale, version: 0 };
}

const clamp = (grade: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, grade));

function requireInBand(scale: GradeScale, tier: WorkerTier, grade: number, pointer: string) {
  const [lo, hi] = scale.bands[tier];
  if (grade < lo || grade > hi)
    throw new ApiError("validation_failed", msg("governance.grade_band", { tier, low: lo, high: hi }), {
      errors: [{ in: "body", pointer, detail: msg("governance.grade_band_field", { low: lo, high: hi }) }],
    });
}

const present = (row: WorkerRow, c: Context<AppEnv>, clear?: { idCard: string; phone: string | null }) => ({
  id: row.id,
  tenant: row.tenantId,
  communityId: row.communityId,
  name: c.get("principal").crossTenant ? maskName(row.name) : row.name,
  idCard: clear?.idCard ?? row.idCardMasked,
  phone: clear ? clear.phone : row.phoneMasked,
  post: row.post,
  tier: row.tier,
  grade: row.grade,
  education: row.education,
  serviceStartDate: row.serviceStartDate,
  socialWorkerLevel: row.socialWorkerLevel,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const workerEvent = (row: WorkerRow, type: string) => ({
  type: `community_worker.${type}`,
  subjectType: "community_worker",
  subjectId: row.id,
  payload: {
    workerId: row.id,
    communityId: row.communityId,
    post: row.post,
    tier: row.tier,
    grade: row.grade,
    status: row.status,
  },
});

const reach = { divisionPath: communityWorkers.divisionPath };
const findWorker = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, communityWorkers, reach, id, "community worker");
const idParam = z.object({ id: workerId });

function historyRow(
  c: Context<AppEnv>,
  row: WorkerRow,
  fromGrade: number | null,
  reason: string,
  effectiveOn: string,
  offset = 0,
) {
  const now = c.get("clock").now();
  return c
    .get("db")
    .insert(workerGradeChanges)
    .values({
      id: newId("wgc", now.getTime() + offset),
      tenantId: row.tenantId,
      workerId: row.id,
      divisionPath: row.divisionPath,
      fromGrade,
      toGrade: row.grade,
      tier: row.tier,
      reason: reason as "appointment",
      effectiveOn,
      createdAt: now.toISOString(),
    });
}

/** The worker's own write (guarded by version) with its history and the same batch's audit and events. */
async function writeWorker(
  c: Context<AppEnv>,
  row: WorkerRow,
  set: Partial<WorkerRow>,
  extra: Parameters<typeof commit>[1]["writes"],
  audit: { action: string; changes: Record<string, unknown> },
  event: string,
  expectedVersion?: number,
): Promise<WorkerRow> {
  if (expectedVersion !== undefined && expectedVersion !== row.version)
    throw new ApiError(
      "precondition_failed",
      msg("generic.version_mismatch", {
        what: thing("community worker"),
        version: row.version,
        expected: expectedVersion,
      }),
    );
  const at = c.get("clock").now().toISOString();
  const updated = { ...row, ...set, version: row.version + 1, updatedAt: at };
  const db = c.get("db");
  try {
    await commit(c, {
      writes: [
        db
          .update(communityWorkers)
          .set({ ...set, version: sql`${communityWorkers.version} + 1`, updatedAt: at })
          .where(and(eq(communityWorkers.id, row.id), eq(communityWorkers.version, row.version))),
        guardChanged(),
        ...extra,
      ],
      audit: { ...audit, targetType: "community_worker", targetId: row.id, divisionPath: row.divisionPath },
      events: [workerEvent(updated, event)],
      conflicts: { "worker_assessments.year": msg("unique.worker_assessment") },
    });
  } catch (err) {
    if (err instanceof GuardFailed)
      throw new ApiError("conflict", msg("generic.changed_concurrently", { what: thing("community worker") }));
    throw err;
  }
  return updated;
}

const routes = {
  getScale: protectedRoute({
    method: "get",
    path: "/v1/grade-scale",
    operationId: "getGradeScale",
    tags: [tag],
    summary: "The tenant's 三岗十八级 grade scale (bands per tier, assessment effects)",
    scope: "workers:read",
    responses: { 200: versionedResponse(scaleSchema, "The scale in force (the default until the tenant sets one).") },
  }),
  putScale: protectedRoute({
    method: "put",
    path: "/v1/grade-scale",
    operationId: "putGradeScale",
    tags: [tag],
    summary: "Set the tenant's grade scale",
    description:
      'Existing grades stay as they are; the new bands apply to later grade changes. `If-Match` with the scale\'s ETag (`"v0"` for the default).',
    scope: "workers:configure",
    errors: [412, 428],
    request: {
      headers: ifMatchHeader,
      body: { required: true, content: { "application/json": { schema: scaleSchema } } },
    },
    responses: { 200: versionedResponse(scaleSchema, "The scale now in force.") },
  }),
  create: protectedRoute({
    method: "post",
    path: "/v1/community-workers",
    operationId: "createCommunityWorker",
    tags: [tag],
    summary: "Appoint a community worker (社区工作者)",
    description:
      "ID card and phone are sealed and shown masked. The grade must lie in the post tier's band (its lowest by default); the appointment starts the grade history.",
    scope: "workers:write",
    idempotent: true,
    request: { body: { required: true, content: { "application/json": { schema: createWorkerSchema } } } },
    responses: { 201: versionedResponse(workerSchema, "The worker.") },
  }),
  list: protectedRoute({
    method: "get",
    path: "/v1/community-workers",
    operationId: "listCommunityWorkers",
    tags: [tag],
    summary: "Community workers within reach",
    scope: "workers:read",
    request: {
      query: pageQuerySchema.extend({
        communityId: divisionIdSchema.optional(),
        post: z.enum(workerPosts).optional(),
        tier: z.enum(workerTiers).optional(),
        status: z.enum(["active", "left"]).optional(),
      }),
    },
    responses: {
      200: {
        description: "A page of workers (personal data masked).",
        content: { "application/json": { schema: pageOf(workerSchema, "CommunityWorkerPage") } },
      },
    },
  }),
  get: protectedRoute({
    method: "get",
    path: "/v1/community-workers/{id}",
    operationId: "getCommunityWorker",
    tags: [tag],
    summary: "One community worker",
    description:
      "`reveal=pii` answers the clear ID card and phone: the scope pii:read and a person's JWT, audited as `community_worker.pii_revealed`.",
    scope: "workers:read",
    errors: [404],
    request: { params: idParam, query: z.object({ reveal: z.enum(["pii"]).optional() }) },
    responses: { 200: versionedResponse(workerSchema, "The worker.") },
  }),
  patch: protectedRoute({
    method: "patch",
    path: "/v1/community-workers/{id}",
    operationId: "updateCommunityWorker",
    tags: [tag],
    summary: "Change a worker's post, education, qualification or status",
    description:
      "A post in another tier moves the grade into that tier's band (recorded in the grade history as post_change).",
    scope: "workers:write",
    errors: [404, 409, 412, 428],
    request: {
      params: idParam,
      headers: ifMatchHeader,
      body: { required: true, content: { "application/json": { schema: patchWorkerSchema } } },
    },
    responses: { 200: versionedResponse(workerSchema, "The worker.") },
  }),
  changeGrade: protectedRoute({
    method: "post",
    path: "/v1/community-workers/{id}/grade-changes",
    operationId: "createWorkerGradeChange",
    tags: [tag],
    summary: "Advance (or correct) a worker's grade within the tier's band",
    scope: "workers:write",
    errors: [404, 409],
    request: {
      params: idParam,
      body: { required: true, content: { "application/json": { schema: createGradeChangeSchema } } },
    },
    responses: { 200: versionedResponse(workerSchema, "The worker at the new grade.") },
  }),
  history: protectedRoute({
    method: "get",
    path: "/v1/community-workers/{id}/grade-changes",
    operationId: "listWorkerGradeChanges",
    tags: [tag],
    summary: "A worker's grade history",
    scope: "workers:read",
    errors: [404],
    request: { params: idParam, query: pageQuerySchema },
    responses: {
      200: {
        description: "A page of grade changes.",
        content: { "application/json": { schema: pageOf(gradeChangeSchema, "WorkerGradeChangePage") } },
      },
    },
  }),
  assess: protectedRoute({
    method: "post",
    path: "/v1/community-workers/{id}/assessments",
    operationId: "createWorkerAssessment",
    tags: [tag],
    summary: "Record the annual assessment (年度考核) and apply its effect on grade",
    description:
      "One per worker and year (409 otherwise). The result moves the grade by the tenant scale's effect, kept within the tier's band.",
    scope: "workers:write",
    errors: [404, 409],
    request: {
      params: idParam,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({ year: z.number().int().min(2000).max(2100), result: z.enum(assessmentResults) })
              .strict()
              .openapi("CreateWorkerAssessment", { example: { year: 2026, result: "excellent" } }),
          },
        },
      },
    },
    responses: {
      201: { description: "The assessment.", content: { "application/json": { schema: assessmentSchema } } },
    },
  }),
};

export const workerRoutes = createRouter()
  .openapi(routes.getScale, async (c) => {
    const { version, ...scale } = await scaleOf(c, c.get("principal").tenant);
    return c.json(scale, 200, { etag: etagOf(version) });
  })
  .openapi(routes.putScale, async (c) => {
    const expected = requireIfMatch(c);
    const tenant = c.get("principal").tenant;
    const current = await scaleOf(c, tenant);
    if (expected !== current.version)
      throw new ApiError("precondition_failed", msg("governance.grade_scale_etag", { etag: etagOf(current.version) }));
    const scale = c.req.valid("json") as GradeScale;
    const at = c.get("clock").now().toISOString();
    const db = c.get("db");
    try {
      await commit(c, {
        writes: [
          current.version === 0
            ? db.insert(gradeScales).values({ tenantId: tenant, scale, version: 1, updatedAt: at })
            : db
                .update(gradeScales)
                .set({ scale, version: sql`${gradeScales.version} + 1`, updatedAt: at })
                .where(and(eq(gradeScales.tenantId, tenant), eq(gradeScales.version, current.version))),
          guardChanged(),
        ],
        audit: { action: "grade_scale.put", targetType: "grade_scale", targetId: tenant, changes: { ...scale } },
        events: [
          {
            type: "grade_scale.updated",
            subjectType: "grade_scale",
            subjectId: tenant,
            payload: { tenant, version: current.version + 1 },
          },
        ],
        conflicts: { "grade_scales.tenant_id": msg("governance.grade_scale_race") },
      });
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("precondition_failed", msg("governance.grade_scale_changed"));
      throw err;
    }
    return c.json(scale, 200, { etag: etagOf(current.version + 1) });
  })
  .openapi(routes.create, async (c) => {
    const body = c.req.valid("json");
    const community = await requireDivisionForWrite(c, body.communityId, {
      pointer: "/communityId",
      levels: ["community"],
    });
    const tier = tierOfPost[body.post];
    const scale = await scaleOf(c, community.tenantId);
    const grade = body.grade ?? scale.bands[tier][0];
    requireInBand(scale, tier, grade, "/grade");
    const pii = c.get("pii");
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: WorkerRow = {
      id: newId("cw", now.getTime()),
      tenantId: community.tenantId,
      communityId: community.id,
      divisionPath: community.path,
      name: body.name,
      idCardCipher: await pii.seal(body.idCard),
      idCardHash: await pii.fingerprint(body.idCard),
      idCardMasked: maskIdCard(body.idCard),
      phoneCipher: body.phone ? await pii.seal(body.phone) : null,
      phoneMasked: body.phone ? maskPhone(body.phone) : null,
      post: body.post,
      tier,
      grade,
      education: body.education,
      serviceStartDate: body.serviceStartDate,
      socialWorkerLevel: body.socialWorkerLevel,
      status: "active",
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const response = present(row, c);
    const headers = await commitCreated(c, `/v1/community-workers/${row.id}`, 1, response, {
      writes: [
        c.get("db").insert(communityWorkers).values(row),
        historyRow(c, row, null, "appointment", localDate(now), 1),
      ],
      audit: {
        action: "community_worker.create",
        targetType: "community_worker",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body), post: row.post, grade: row.grade },
      },
      events: [workerEvent(row, "appointed")],
      conflicts: {
        "community_workers.id_card_hash": msg("unique.worker_id_card"),
      },
    });
    return c.json(response, 201, headers);
  })
  .openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, communityWorkers, reach, q, {
      communityId: [communityWorkers.communityId, q.communityId],
      post: [communityWorkers.post, q.post],
      tier: [communityWorkers.tier, q.tier],
      status: [communityWorkers.status, q.status],
    });
    return c.json({ data: page.data.map((r) => present(r, c)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(routes.get, async (c) => {
    const reveal = c.req.valid("query").reveal === "pii";
    if (reveal) assertMayRevealPii(c.get("principal"));
    const row = await findWorker(c, c.req.valid("param").id);
    if (!reveal) return c.json(present(row, c), 200, { etag: etagOf(row.version) });
    const pii = c.get("pii");
    const clear = {
      idCard: await pii.open(row.idCardCipher),
      phone: row.phoneCipher ? await pii.open(row.phoneCipher) : null,
    };
    await commit(c, {
      writes: [],
      audit: {
        action: "community_worker.pii_revealed",
        targetType: "community_worker",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: clear.phone === null ? ["idCard"] : ["idCard", "phone"] },
      },
    });
    return c.json(present(row, c, clear), 200, { etag: etagOf(row.version), "cache-control": "no-store" });
  })
  .openapi(routes.patch, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findWorker(c, c.req.valid("param").id);
    const tier = patch.post ? tierOfPost[patch.post] : row.tier;
    const scale = await scaleOf(c, row.tenantId);
    const grade = tier === row.tier ? row.grade : clamp(row.grade, scale.bands[tier]);
    const next = { ...row, ...patch, tier, grade };
    const updated = await writeWorker(
      c,
      row,
      { ...patch, tier, grade },
      grade !== row.grade ? [historyRow(c, next, row.grade, "post_change", localDate(c.get("clock").now()))] : [],
      {
        action: "community_worker.update",
        changes: { ...patch, ...(grade !== row.grade ? { grade: [row.grade, grade] } : {}) },
      },
      "updated",
      expectedVersion,
    );
    return c.json(present(updated, c), 200, { etag: etagOf(updated.version) });
  })
  .openapi(routes.changeGrade, async (c) => {
    const body = c.req.valid("json");
    const row = await findWorker(c, c.req.valid("param").id);
    if (row.status !== "active") throw new ApiError("conflict", msg("governance.worker_left"));
    requireInBand(await scaleOf(c, row.tenantId), row.tier, body.toGrade, "/toGrade");
    const updated = await writeWorker(
      c,
      row,
      { grade: body.toGrade },
      [historyRow(c, { ...row, grade: body.toGrade }, row.grade, body.reason, body.effectiveOn)],
      { action: "community_worker.grade_change", changes: { grade: [row.grade, body.toGrade], reason: body.reason } },
      "grade_changed",
    );
    return c.json(present(updated, c), 200, { etag: etagOf(updated.version) });
  })
  .openapi(routes.history, async (c) => {
    const row = await findWorker(c, c.req.valid("param").id);
    const page = await keysetPage(
      c,
      workerGradeChanges,
      c.req.valid("query"),
      [eq(workerGradeChanges.tenantId, row.tenantId), eq(workerGradeChanges.workerId, row.id)],
      ({ tenantId: _t, divisionPath: _d, ...r }) => r,
    );
    return c.json(page, 200);
  })
  .openapi(routes.assess, async (c) => {
    const body = c.req.valid("json");
    const row = await findWorker(c, c.req.valid("param").id);
    if (row.status !== "active") throw new ApiError("conflict", msg("governance.worker_left"));
    const scale = await scaleOf(c, row.tenantId);
    const gradeAfter = clamp(row.grade + scale.assessmentEffects[body.result], scale.bands[row.tier]);
    const now = c.get("clock").now();
    const assessment = {
      id: newId("wa", now.getTime()),
      tenantId: row.tenantId,
      workerId: row.id,
      divisionPath: row.divisionPath,
      year: body.year,
      result: body.result,
      gradeBefore: row.grade,
      gradeAfter,
      createdAt: now.toISOString(),
    };
    await writeWorker(
      c,
      row,
      { grade: gradeAfter },
      [
        c.get("db").insert(workerAssessments).values(assessment),
        ...(gradeAfter !== row.grade
          ? [historyRow(c, { ...row, grade: gradeAfter }, row.grade, "assessment", `${body.year + 1}-01-01`, 1)]
          : []),
      ],
      {
        action: "community_worker.assess",
        changes: { year: body.year, result: body.result, grade: [row.grade, gradeAfter] },
      },
      "assessed",
    );
    const { tenantId: _t, divisionPath: _d, ...shown } = assessment;
    return c.json(shown, 201);
  });
