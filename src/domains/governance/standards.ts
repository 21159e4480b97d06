import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, count, eq, lt, max, ne, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import { localDate } from "../../shared/calendar.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findVisible, findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireReference } from "../../shared/store/references.js";
import { partyOrgs } from "../organisations/tables.js";
import { chunks, keysetPage, tag } from "./common.js";
import { checklistMachine, rectificationMachine } from "./machines.js";
import { countsReach, inspectionCountWrites, rectificationCountWrites, sumTotals } from "./counts.js";
import { checklists, inspections, rectifications, rectificationStatuses } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const checklistId = idSchema("chkl");
const inspectionId = idSchema("insp");
const rectificationId = idSchema("rect");
const orgIdSchema = idSchema("org");
type ChecklistRow = typeof checklists.$inferSelect;
type InspectionRow = typeof inspections.$inferSelect;
type RectificationRow = typeof rectifications.$inferSelect;

const checklistItemSchema = z.object({
  code: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,20}$/)
    .openapi({ example: "1.2" }),
  area: z.string().trim().min(1).max(50).openapi({ example: "组织生活" }),
  standard: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .openapi({ example: "按期召开支部党员大会、支委会、党小组会，按时上好党课。" }),
  points: z.number().int().min(1).max(100).openapi({ example: 10 }),
});

const checklistSchema = z
  .object({
    id: checklistId,
    tenant: z.string().openapi({ example: "620902" }),
    title: z.string().openapi({ example: "党支部标准化规范化建设评分表（2026 版）" }),
    edition: z.number().int().openapi({ example: 1 }),
    items: z.array(checklistItemSchema),
    maxScore: z.number().int().openapi({ example: 100 }),
    status: z.enum(["active", "retired"]),
    ...timestampsSchema,
  })
  .openapi("Checklist");

const createChecklistSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    items: z
      .array(checklistItemSchema)
      .min(1)
      .max(200)
      .superRefine((items, ctx) => {
        items.forEach((item, i) => {
          if (items.findIndex((o) => o.code === item.code) !== i)
            ctx.addIssue({
              code: "custom",
              path: [i, "code"],
              message: zodMessage("field.value_listed_twice", { value: item.code }),
            });
        });
      }),
  })
  .strict()
  .openapi("CreateChecklist", {
    example: {
      title: "党支部标准化规范化建设评分表（2026 版）",
      items: [
        { code: "1.1", area: "组织设置", standard: "支部委员会按期换届。", points: 10 },
        { code: "2.1", area: "组织生活", standard: "按期召开三会一课。", points: 20 },
      ],
    },
  });

const inspectionSchema = z
  .object({
    id: inspectionId,
    tenant: z.string().openapi({ example: "620902" }),
    orgId: orgIdSchema,
    checklistId,
    inspectedOn: dateSchema,
    inspectingLevel: z
      .string()
      .nullable()
      .openapi({ description: "The inspector's division (path); null for the county (the whole tenant)." }),
    scores: z.array(z.object({ code: z.string(), score: z.number().int(), note: z.string().optional() })),
    totalScore: z.number().int().openapi({ example: 85 }),
    maxScore: z.number().int().openapi({ example: 100 }),
    shortfalls: z
      .number()
      .int()
      .openapi({ description: "Items scored below their points: one rectification each.", example: 2 }),
    ...timestampsSchema,
  })
  .openapi("Inspection");

const createInspectionSchema = z
  .object({
    orgId: orgIdSchema.openapi({ description: "The branch (party organisation) inspected." }),
    checklistId,
    inspectedOn: dateSchema,
    scores: z
      .array(
        z.object({
          code: z.string().min(1).max(20),
          score: z.number().int().min(0),
          note: z.string().trim().max(500).optional(),
        }),
      )
      .min(1)
      .max(200),
    rectification: z
      .object({
        deadline: dateSchema.openapi({ description: "When every shortfall must be rectified." }),
        owner: z.string().trim().min(1).max(100).openapi({ example: "支部书记" }),
      })
      .strict(),
  })
  .strict()
  .openapi("CreateInspection", {
    example: {
      orgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      checklistId: "chkl_01KDVDNA011AKWK3RC504FTYF8",
      inspectedOn: "2026-06-15",
      scores: [
        { code: "1.1", score: 10 },
        { code: "2.1", score: 15, note: "党课记录不全" },
      ],
      rectification: { deadline: "2026-07-15", owner: "支部书记" },
    },
  });

const rectificationSchema = z
  .object({
    id: rectificationId,
    tenant: z.string().openapi({ example: "620902" }),
    inspectionId,
    orgId: orgIdSchema,
    itemCode: z.string().openapi({ example: "2.1" }),
    standard: z.string(),
    shortfall: z.number().int().openapi({ description: "Points missing.", example: 5 }),
    deadline: dateSchema,
    owner: z.string(),
    evidence: z.string().nullable(),
    status: z.enum(rectificationStatuses).openapi({
      description: "open → submitted (evidence) → closed by the inspecting level, which may reopen it instead.",
    }),
    overdue: z.boolean().openapi({ description: "Not closed and past its deadline (China time)." }),
    closedAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("Rectification");

const evidenceSchema = z
  .object({ evidence: z.string().trim().min(1).max(2000) })
  .strict()
  .openapi("RectificationEvidence", { example: { evidence: "已补齐 2026 年上半年党课记录，见附件。" } });

const presentChecklist = (row: ChecklistRow) => ({
  id: row.id,
  tenant: row.tenantId,
  title: row.title,
  edition: row.edition,
  items: row.items,
  maxScore: row.maxScore,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const presentInspection = (row: InspectionRow) => ({
  id: row.id,
  tenant: row.tenantId,
  orgId: row.orgId,
  checklistId: row.checklistId,
  inspectedOn: row.inspectedOn,
  inspectingLevel: row.inspectorPath || null,
  scores: row.scores,
  totalScore: row.totalScore,
  maxScore: row.maxScore,
  shortfalls: row.shortfalls,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const presentRectification = (row: RectificationRow, c: Context<AppEnv>) => ({
  id: row.id,
  tenant: row.tenantId,
  inspectionId: row.inspectionId,
  orgId: row.orgId,
  itemCode: row.itemCode,
  standard: row.standard,
  shortfall: row.shortfall,
  deadline: row.deadline,
  owner: row.owner,
  evidence: row.evidence,
  status: row.status,
  overdue: row.status !== "closed" && row.deadline < localDate(c.get("clock").now()),
  closedAt: row.closedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Checklists are tenant-wide data: the tenant's own (the city reads all). */
const checklistReach = (c: Context<AppEnv>) => {
  const principal = c.get("principal");
  return principal.crossTenant ? sql`1` : eq(checklists.tenantId, principal.tenant);
};
const branchReach = { divisionPath: inspections.divisionPath, unitOrgId: inspections.orgId };
const rectificationReach = { divisionPath: rectifications.divisionPath, unitOrgId: rectifications.orgId };

/** The inspecting level of a principal: its division path, or "" for the whole tenant. */
const levelOf = (c: Context<AppEnv>) => c.get("principal").org?.path ?? "";

const createChecklist = protectedRoute({
  method: "post",
  path: "/v1/checklists",
  operationId: "createChecklist",
  tags: [tag],
  summary: "Load a new edition of the branch standardisation checklist",
  scope: "standards:manage",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createChecklistSchema } } } },
  responses: { 201: versionedResponse(checklistSchema, "The new edition, active.") },
});

const listChecklists = protectedRoute({
  method: "get",
  path: "/v1/checklists",
  operationId: "listChecklists",
  tags: [tag],
  summary: "Checklist editions of the tenant",
  scope: "standards:read",
  request: { query: pageQuerySchema.extend({ status: z.enum(["active", "retired"]).optional() }) },
  responses: {
    200: {
      description: "A page of checklist editions.",
      content: { "application/json": { schema: pageOf(checklistSchema, "ChecklistPage") } },
    },
  },
});

const getChecklist = protectedRoute({
  method: "get",
  path: "/v1/checklists/{id}",
  operationId: "getChecklist",
  tags: [tag],
  summary: "One checklist edition",
  scope: "standards:read",
  errors: [404],
  request: { params: z.object({ id: checklistId }) },
  responses: { 200: versionedResponse(checklistSchema, "The checklist edition.") },
});

const createInspection = protectedRoute({
  method: "post",
  path: "/v1/inspections",
  operationId: "createInspection",
  tags: [tag],
  summary: "Score a branch against an active checklist edition",
  description:
    "Every checklist item is scored once (0 to its points). Each item scored below its points becomes a rectification with the given deadline and owner, closed only by the inspecting level (the inspector's division, or the county).",
  scope: "standards:inspect",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createInspectionSchema } } } },
  responses: { 201: versionedResponse(inspectionSchema, "The inspection and its shortfalls.") },
});

const listInspections = protectedRoute({
  method: "get",
  path: "/v1/inspections",
  operationId: "listInspections",
  tags: [tag],
  summary: "Inspections of branches within reach",
  scope: "standards:read",
  request: { query: pageQuerySchema.extend({ orgId: orgIdSchema.optional() }) },
  responses: {
    200: {
      description: "A page of inspections.",
      content: { "application/json": { schema: pageOf(inspectionSchema, "InspectionPage") } },
    },
  },
});

const getInspection = protectedRoute({
  method: "get",
  path: "/v1/inspections/{id}",
  operationId: "getInspection",
  tags: [tag],
  summary: "One inspection",
  scope: "standards:read",
  errors: [404],
  request: { params: z.object({ id: inspectionId }) },
  responses: { 200: versionedResponse(inspectionSchema, "The inspection.") },
});

const listRectifications = protectedRoute({
  method: "get",
  path: "/v1/rectifications",
  operationId: "listRectifications",
  tags: [tag],
  summary: "Rectifications of branches within reach",
  scope: "standards:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(rectificationStatuses).optional(),
      orgId: orgIdSchema.optional(),
      inspectionId: inspectionId.optional(),
      overdue: z.enum(["true"]).optional().openapi({ description: "Only those not closed and past their deadline." }),
    }),
  },
  responses: {
    200: {
      description: "A page of rectifications.",
      content: { "application/json": { schema: pageOf(rectificationSchema, "RectificationPage") } },
    },
  },
});

const getRectification = protectedRoute({
  method: "get",
  path: "/v1/rectifications/{id}",
  operationId: "getRectification",
  tags: [tag],
  summary: "One rectification",
  scope: "standards:read",
  errors: [404],
  request: { params: z.object({ id: rectificationId }) },
  responses: { 200: versionedResponse(rectificationSchema, "The rectification.") },
});

const standardsStatsSchema = z
  .object({
    inspections: z.number().int(),
    averageScorePercent: z.number().nullable().openapi({ example: 87.5 }),
    rectifications: z.object({
      open: z.number().int(),
      submitted: z.number().int(),
      closed: z.number().int(),
      overdue: z.number().int().openapi({ description: "Not closed and past their deadline." }),
    }),
  })
  .openapi("StandardsStats");

const getStandardsStats = protectedRoute({
  method: "get",
  path: "/v1/standards-stats",
  operationId: "getStandardsStats",
  tags: [tag],
  summary: "Inspections, average score and rectifications (overdue included) within reach",
  scope: "standards:read",
  request: { query: z.object({ year: z.coerce.number().int().min(2000).max(2100).optional() }) },
  responses: {
    200: { description: "The figures.", content: { "application/json": { schema: standardsStatsSchema } } },
  },
});

function requireScores(checklist: ChecklistRow, scores: { code: string; score: number }[]) {
  const byCode = new Map(checklist.items.map((i) => [i.code, i]));
  const errors: FieldError[] = [];
  scores.forEach((s, i) => {
    const item = byCode.get(s.code);
    if (!item)
      errors.push({
        in: "body",
        pointer: `/scores/${i}/code`,
        detail: msg("governance.no_checklist_item_field", { code: s.code }),
      });
    else if (s.score > item.points)
      errors.push({ in: "body", pointer: `/scores/${i}/score`, detail: msg("field.too_big", { limit: item.points }) });
    if (scores.findIndex((o) => o.code === s.code) !== i)
      errors.push({
        in: "body",
        pointer: `/scores/${i}/code`,
        detail: msg("governance.scored_twice_field", { code: s.code }),
      });
  });
  const missing = checklist.items.filter((item) => !scores.some((s) => s.code === item.code));
  if (missing.length)
    errors.push({
      in: "body",
      pointer: "/scores",
      detail: msg("governance.unscored_field", { codes: missing.map((m) => m.code) }),
    });
  if (errors.length) throw new ApiError("validation_failed", msg("governance.scores_mismatch"), { errors });
  return byCode;
}

export const standardsRoutes = createRouter()
  .openapi(createChecklist, async (c) => {
    const body = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    const [last] = await c
      .get("db")
      .select({ edition: max(checklists.edition) })
      .from(checklists)
      .where(eq(checklists.tenantId, tenant));
    const now = c.get("clock").now().toISOString();
    const row: ChecklistRow = {
      id: newId("chkl", c.get("clock").now().getTime()),
      tenantId: tenant,
      title: body.title,
      edition: (last?.edition ?? 0) + 1,
      items: body.items,
      maxScore: body.items.reduce((n, i) => n + i.points, 0),
      status: "active",
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const response = presentChecklist(row);
    const headers = await commitCreated(c, `/v1/checklists/${row.id}`, 1, response, {
      writes: [c.get("db").insert(checklists).values(row)],
      audit: {
        action: "checklist.create",
        targetType: "checklist",
        targetId: row.id,
        changes: { edition: row.edition, items: row.items.length },
      },
      events: [
        {
          type: "checklist.created",
          subjectType: "checklist",
          subjectId: row.id,
          payload: { checklistId: row.id, edition: row.edition, status: row.status },
        },
      ],
      conflicts: { "checklists.edition": msg("unique.checklist_edition") },
    });
    return c.json(response, 201, headers);
  })
  .openapi(listChecklists, async (c) => {
    const q = c.req.valid("query");
    const page = await keysetPage(
      c,
      checklists,
      q,
      [checklistReach(c), q.status ? eq(checklists.status, q.status) : undefined],
      presentChecklist,
    );
    return c.json(page, 200);
  })
  .openapi(getChecklist, async (c) => {
    const row = await findVisible(c, checklists, c.req.valid("param").id, "checklist", checklistReach(c));
    return c.json(presentChecklist(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(createInspection, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const org = await requireReference(
      c,
      partyOrgs,
      { divisionPath: partyOrgs.divisionPath, unitOrgId: partyOrgs.id },
      body.orgId,
      { pointer: "/orgId", what: "party organisation" },
    );
    const [checklist] = await c
      .get("db")
      .select()
      .from(checklists)
      .where(
        and(
          eq(checklists.id, body.checklistId),
          eq(checklists.tenantId, principal.tenant),
          eq(checklists.status, "active"),
        ),
      );
    if (!checklist)
      throw new ApiError("validation_failed", msg("governance.no_active_checklist"), {
        errors: [{ in: "body", pointer: "/checklistId", detail: msg("governance.no_active_checklist") }],
      });
    const items = requireScores(checklist, body.scores);
    const today = localDate(c.get("clock").now());
    if (body.inspectedOn > today || body.rectification.deadline < body.inspectedOn) {
      throw new ApiError("validation_failed", msg("governance.dates_out_of_order"), {
        errors: [
          body.inspectedOn > today
            ? { in: "body", pointer: "/inspectedOn", detail: msg("field.not_after_today") }
            : { in: "body", pointer: "/rectification/deadline", detail: msg("governance.not_before_inspection_field") },
        ],
      });
    }
    const now = c.get("clock").now();
    const at = now.toISOString();
    const shortfalls = body.scores.filter((s) => s.score < items.get(s.code)!.points);
    const row: InspectionRow = {
      id: newId("insp", now.getTime()),
      tenantId: principal.tenant,
      orgId: org.id,
      divisionPath: org.divisionPath,
      checklistId: checklist.id,
      inspectedOn: body.inspectedOn,
      inspectorPath: levelOf(c),
      scores: body.scores,
      totalScore: body.scores.reduce((n, s) => n + s.score, 0),
      maxScore: checklist.maxScore,
      shortfalls: shortfalls.length,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const rects: RectificationRow[] = shortfalls.map((s, i) => ({
      id: newId("rect", now.getTime() + i),
      tenantId: row.tenantId,
      inspectionId: row.id,
      orgId: org.id,
      divisionPath: org.divisionPath,
      inspectorPath: row.inspectorPath,
      itemCode: s.code,
      standard: items.get(s.code)!.standard,
      shortfall: items.get(s.code)!.points - s.score,
      deadline: body.rectification.deadline,
      owner: body.rectification.owner,
      evidence: null,
      status: "open",
      closedAt: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    }));
    const db = c.get("db");
    const response = presentInspection(row);
    const headers = await commitCreated(c, `/v1/inspections/${row.id}`, 1, response, {
      writes: [
        db.insert(inspections).values(row),
        ...chunks(rects).map((part) => db.insert(rectifications).values(part)),
        ...inspectionCountWrites(db, row, { count: rects.length, deadline: body.rectification.deadline }),
      ],
      audit: {
        action: "inspection.create",
        targetType: "inspection",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: {
          orgId: row.orgId,
          checklistId: row.checklistId,
          totalScore: row.totalScore,
          shortfalls: rects.length,
        },
      },
      events: [
        {
          type: "inspection.recorded",
          subjectType: "inspection",
          subjectId: row.id,
          payload: {
            inspectionId: row.id,
            orgId: row.orgId,
            checklistId: row.checklistId,
            totalScore: row.totalScore,
            maxScore: row.maxScore,
            shortfalls: rects.length,
          },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listInspections, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, inspections, branchReach, q, { orgId: [inspections.orgId, q.orgId] });
    return c.json({ data: page.data.map(presentInspection), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getInspection, async (c) => {
    const row = await findWithinReach(c, inspections, branchReach, c.req.valid("param").id, "inspection");
    return c.json(presentInspection(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(listRectifications, async (c) => {
    const q = c.req.valid("query");
    const today = localDate(c.get("clock").now());
    const page = await keysetPage(
      c,
      rectifications,
      q,
      [
        withinReach(c.get("principal"), { tenantId: rectifications.tenantId, ...rectificationReach }),
        q.status ? eq(rectifications.status, q.status) : undefined,
        q.orgId ? eq(rectifications.orgId, q.orgId) : undefined,
        q.inspectionId ? eq(rectifications.inspectionId, q.inspectionId) : undefined,
        q.overdue ? and(ne(rectifications.status, "closed"), lt(rectifications.deadline, today)) : undefined,
      ],
      (r) => presentRectification(r, c),
    );
    return c.json(page, 200);
  })
  .openapi(getRectification, async (c) => {
    const row = await findWithinReach(c, rectifications, rectificationReach, c.req.valid("param").id, "rectification");
    return c.json(presentRectification(row, c), 200, { etag: etagOf(row.version) });
  })
  .openapi(getStandardsStats, async (c) => {
    const { year } = c.req.valid("query");
    const principal = c.get("principal");
    // Administrators and the city: from the running totals (counts.ts), rows per division and
    // deadline whatever the number of inspections. A unit administrator sees only its own branch's
    // records, which the totals (per division) cannot single out: those few are counted directly.
    if (!principal.owner) {
      const today = localDate(c.get("clock").now());
      // Rectifications are totalled per deadline month and, under a metric per month, per deadline
      // day (counts.ts): overdue is the months before this one plus this month's days before today.
      const month = today.slice(0, 7);
      const common = { period: year === undefined ? undefined : String(year), reach: countsReach(c), byDim: false };
      const [totals, thisMonth] = await Promise.all([
        sumTotals(c, {
          ...common,
          metrics: [
            "standards.inspections",
            "standards.score",
            "standards.max_score",
            ...rectificationStatuses.map((s) => `standards.rectification.${s}`),
          ],
          before: month,
        }),
        sumTotals(c, {
          ...common,
          metrics: ["open", "submitted"].map((s) => `standards.rectification.${s}.day.${month}`),
          before: today,
        }),
      ]);
      const total = (metric: string) => totals.find((t) => t.metric === metric);
      const overdueThisMonth = thisMonth.reduce((sum, t) => sum + t.nBefore, 0);
      const score = total("standards.score")?.n ?? 0;
      const maxScore = total("standards.max_score")?.n ?? 0;
      const open = total("standards.rectification.open");
      const submitted = total("standards.rectification.submitted");
      return c.json(
        {
          inspections: total("standards.inspections")?.n ?? 0,
          averageScorePercent: maxScore ? Math.round((score / maxScore) * 1000) / 10 : null,
          rectifications: {
            open: open?.n ?? 0,
            submitted: submitted?.n ?? 0,
            closed: total("standards.rectification.closed")?.n ?? 0,
            overdue: (open?.nBefore ?? 0) + (submitted?.nBefore ?? 0) + overdueThisMonth,
          },
        },
        200,
      );
    }
    const db = c.get("db");
    const today = localDate(c.get("clock").now());
    const inYear = (column: typeof inspections.inspectedOn) =>
      year ? and(sql`${column} >= ${`${year}-01-01`}`, sql`${column} <= ${`${year}-12-31`}`) : undefined;
    const [insp] = await db
      .select({
        n: count(),
        total: sql<number | null>`sum(${inspections.totalScore})`,
        max: sql<number | null>`sum(${inspections.maxScore})`,
      })
      .from(inspections)
      .where(
        and(
          withinReach(principal, { tenantId: inspections.tenantId, ...branchReach }),
          inYear(inspections.inspectedOn),
        ),
      );
    const rects = await db
      .select({
        status: rectifications.status,
        n: count(),
        overdue: sql<number>`sum(case when ${rectifications.deadline} < ${today} then 1 else 0 end)`,
      })
      .from(rectifications)
      .innerJoin(
        inspections,
        and(eq(inspections.tenantId, rectifications.tenantId), eq(inspections.id, rectifications.inspectionId)),
      )
      .where(
        and(
          withinReach(principal, { tenantId: rectifications.tenantId, ...rectificationReach }),
          inYear(inspections.inspectedOn),
        ),
      )
      .groupBy(rectifications.status);
    const by = (s: string) => rects.find((r) => r.status === s);
    return c.json(
      {
        inspections: insp?.n ?? 0,
        averageScorePercent: insp?.max && insp.total !== null ? Math.round((insp.total / insp.max) * 1000) / 10 : null,
        rectifications: {
          open: by("open")?.n ?? 0,
          submitted: by("submitted")?.n ?? 0,
          closed: by("closed")?.n ?? 0,
          overdue: (by("open")?.overdue ?? 0) + (by("submitted")?.overdue ?? 0),
        },
      },
      200,
    );
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/checklists",
      tag,
      idSchema: checklistId,
      schema: checklistSchema,
      targetType: "checklist",
      machine: checklistMachine,
      table: checklists,
      scope: "standards:manage",
      find: (c, id) => findVisible(c, checklists, id, "checklist", eq(checklists.tenantId, c.get("principal").tenant)),
      present: presentChecklist,
      eventPayload: (row) => ({ checklistId: row.id, edition: row.edition, status: row.status }),
      actions: {
        retire: { operationId: "retireChecklist", summary: "Retire a checklist edition", event: "retired" },
      },
    }),
  )
  .route("/", rectificationActions());

/** Only the level that inspected closes or reopens a rectification (a 403 for anyone else who sees it). */
function inspectingLevelOnly(c: Context<AppEnv>, row: RectificationRow) {
  if (levelOf(c) !== row.inspectorPath) throw new ApiError("forbidden", msg("governance.inspecting_level_only"));
}

function rectificationActions() {
  const findOwn = (c: Context<AppEnv>, id: string) =>
    findVisible(
      c,
      rectifications,
      id,
      "rectification",
      and(
        eq(rectifications.tenantId, c.get("principal").tenant),
        withinReach(c.get("principal"), { tenantId: rectifications.tenantId, ...rectificationReach }),
      )!,
    );
  return actionRoutes({
    base: "/v1/rectifications",
    tag,
    idSchema: rectificationId,
    schema: rectificationSchema,
    targetType: "rectification",
    machine: rectificationMachine,
    table: rectifications,
    find: findOwn,
    present: presentRectification,
    eventPayload: (row) => ({
      rectificationId: row.id,
      inspectionId: row.inspectionId,
      orgId: row.orgId,
      status: row.status,
      deadline: row.deadline,
    }),
    actions: {
      submit: {
        operationId: "submitRectificationEvidence",
        summary: "Submit the rectification's evidence (the branch's side)",
        scope: "orglife:write",
        body: evidenceSchema,
        event: "submitted",
        effects: (c, row, body) => ({
          set: { evidence: body.evidence },
          writes: rectificationCountWrites(c.get("db"), row, "submitted"),
        }),
      },
      close: {
        operationId: "closeRectification",
        summary: "Close a rectification (the inspecting level only)",
        scope: "standards:inspect",
        authorize: inspectingLevelOnly,
        event: "closed",
        effects: (c, row) => ({
          set: { closedAt: c.get("clock").now().toISOString() },
          writes: rectificationCountWrites(c.get("db"), row, "closed"),
        }),
      },
      reopen: {
        operationId: "reopenRectification",
        summary: "Send a rectification back: the evidence falls short (the inspecting level only)",
        scope: "standards:inspect",
        authorize: inspectingLevelOnly,
        event: "reopened",
        effects: (c, row) => ({ writes: rectificationCountWrites(c.get("db"), row, "open") }),
      },
    },
  });
}
