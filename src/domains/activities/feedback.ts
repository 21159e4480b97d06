import { z } from "@hono/zod-openapi";
import { and, eq, getTableColumns, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import type { Principal } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import { quarterEnd } from "../../shared/calendar.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { etagOf } from "../../shared/http/etag.js";
import { createRouter, etagHeader, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit } from "../../shared/store/commit.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { members } from "../organisations/tables.js";
import { memberReports } from "../reports/tables.js";
import { quarterSchema } from "./ledger.js";
import { feedbackMachine } from "./machines.js";
import { employerFeedback, feedbackStatuses, ledgerEntries, participations } from "./tables.js";
import { msg } from "../../shared/http/messages.js";
import { readRelated, readRows } from "../../shared/store/records.js";

const feedbackId = idSchema("fb");

/** Rows per INSERT: well inside SQLite's bound-parameter limit (18 columns × 200). */
const chunkSize = 200;

const feedbackSchema = z
  .object({
    id: feedbackId,
    tenant: z.string().openapi({ description: "The community's tenant, which keeps the record.", example: "620902" }),
    memberReportId: idSchema("mrep"),
    memberId: idSchema("mem"),
    memberName: z.string().nullable().openapi({ example: "张伟" }),
    quarter: z.string().openapi({ example: "2026-Q3" }),
    hours: z
      .number()
      .openapi({ description: "Verified hours in the quarter (ledger sum, corrections included).", example: 12.5 }),
    points: z.number().int().openapi({ example: 125 }),
    rating: z.number().nullable().openapi({
      description: "Average residents' rating of the quarter's verified participations; null when none was rated.",
      example: 4.5,
    }),
    comment: z.string().nullable().openapi({ example: "2026-Q3：参加社区服务 12.5 小时，积分 125 分。" }),
    recipientOrgId: idSchema("org").openapi({ description: "The member's employer party organisation (单位党组织)." }),
    recipientTenantId: z
      .string()
      .openapi({ description: "The employer's tenant; may differ from the community's.", example: "620981" }),
    status: z.enum(feedbackStatuses),
    sentAt: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("EmployerFeedback", {
    description: "双向反馈: a member's quarterly service card for the employer's party organisation.",
  });

const generateSchema = z
  .object({
    quarter: quarterSchema.openapi({ description: "A quarter that has ended (China time)." }),
    communityId: divisionIdSchema
      .optional()
      .openapi({ description: "Only this community's members; otherwise every active report within reach." }),
    comment: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: "The comment on every card; a summary of hours and points by default." }),
  })
  .strict()
  .openapi("GenerateEmployerFeedback", {
    example: { quarter: "2026-Q3", communityId: "div_01KDVDNA011AKWK3RC504FTYF8" },
  });

const generatedSchema = z
  .object({
    generated: z.number().int().openapi({ description: "Cards created by this run.", example: 42 }),
    existing: z
      .number()
      .int()
      .openapi({ description: "Members who already had a card for the quarter; left as they were.", example: 3 }),
  })
  .openapi("EmployerFeedbackRun");

type FeedbackRow = typeof employerFeedback.$inferSelect;
type FeedbackView = FeedbackRow & { memberName: string | null };

const present = (row: FeedbackView) => ({
  id: row.id,
  tenant: row.tenantId,
  memberReportId: row.memberReportId,
  memberId: row.memberId,
  memberName: row.memberName,
  quarter: row.quarter,
  hours: row.hours,
  points: row.points,
  rating: row.rating,
  comment: row.comment,
  recipientOrgId: row.recipientOrgId,
  recipientTenantId: row.recipientTenantId,
  status: row.status,
  sentAt: row.sentAt,
  acknowledgedAt: row.acknowledgedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const nothing = sql`0`;

/** What the employer may see of a card: only once the community has sent it. */
const deliveredStatuses = ["sent", "acknowledged"] as const satisfies readonly (typeof feedbackStatuses)[number][];

/**
 * The employer's side: a unit admin reaches exactly the cards addressed to its unit party organisation,
 * whichever tenant keeps them, once they are sent (a generated card is the community's draft).
 */
function addressedTo(principal: Principal): SQL {
  const unitOrgId = principal.owner?.unitOrgId;
  if (!unitOrgId || !principal.roles.includes("unit_admin")) return nothing;
  return and(
    eq(employerFeedback.recipientTenantId, principal.tenant),
    eq(employerFeedback.recipientOrgId, unitOrgId),
    inArray(employerFeedback.status, [...deliveredStatuses]),
  )!;
}

const communitySide = (principal: Principal) =>
  withinReach(principal, { tenantId: employerFeedback.tenantId, divisionPath: employerFeedback.divisionPath });

/** The community's side (its tenant, its subtree; every tenant for the city) or the employer's side. */
const feedbackReach = (principal: Principal): SQL => or(communitySide(principal), addressedTo(principal))!;

async function findFeedback(c: Context<AppEnv>, id: string, condition: SQL): Promise<FeedbackView> {
  const [row] = await c
    .get("db")
    .select({ ...getTableColumns(employerFeedback), memberName: members.name })
    .from(employerFeedback)
    .leftJoin(members, eq(members.id, employerFeedback.memberId))
    .where(and(eq(employerFeedback.id, id), condition));
  if (!row) throw notFound("employer feedback");
  return row;
}

const generateEmployerFeedback = protectedRoute({
  method: "post",
  path: "/v1/employer-feedback/generate",
  operationId: "generateEmployerFeedback",
  tags: ["activities"],
  summary: "Create the quarter's service cards for employers",
  description:
    "For every active member report within reach whose member has an employer party organisation, one card: the quarter's ledger sums, the average rating, " +
    "addressed to the employer (possibly in another tenant). Idempotent per member and quarter: running it again creates only the cards still missing.",
  scope: "feedback:manage",
  request: { body: { required: true, content: { "application/json": { schema: generateSchema } } } },
  responses: {
    200: {
      description: "How many cards this run created, and how many existed already.",
      content: { "application/json": { schema: generatedSchema } },
    },
  },
});

const listEmployerFeedback = protectedRoute({
  method: "get",
  path: "/v1/employer-feedback",
  operationId: "listEmployerFeedback",
  tags: ["activities"],
  summary: "Service cards: the community's, or those addressed to the caller's unit",
  description:
    "Community administrators see their tenant's cards within their subtree; a unit admin sees exactly the cards addressed to its unit party organisation, in any tenant, once sent (sent or acknowledged; never generated ones).",
  scope: "feedback:read",
  request: {
    query: pageQuerySchema.extend({
      quarter: quarterSchema.optional(),
      status: z.enum(feedbackStatuses).optional(),
      memberId: idSchema("mem").optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of cards, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(feedbackSchema, "EmployerFeedbackPage") } },
    },
  },
});

const getEmployerFeedback = protectedRoute({
  method: "get",
  path: "/v1/employer-feedback/{id}",
  operationId: "getEmployerFeedback",
  tags: ["activities"],
  summary: "One service card",
  scope: "feedback:read",
  errors: [404],
  request: { params: z.object({ id: feedbackId }) },
  responses: {
    200: { description: "The card.", headers: etagHeader, content: { "application/json": { schema: feedbackSchema } } },
  },
});

interface QuarterScope {
  tenantId: string;
  quarter: string;
}

/** Members of the tenant who already have a card for the quarter (feedback_tenant_quarter_idx). */
const existingCards = (c: Context<AppEnv>, q: QuarterScope) =>
  c
    .get("db")
    .select({ memberId: employerFeedback.memberId })
    .from(employerFeedback)
    .where(and(eq(employerFeedback.tenantId, q.tenantId), eq(employerFeedback.quarter, q.quarter)));

/** Each member's hours and points in the quarter, corrections included (ledger_tenant_quarter_idx). */
const quarterSums = (c: Context<AppEnv>, q: QuarterScope) =>
  c
    .get("db")
    .select({
      memberId: ledgerEntries.memberId,
      hours: sql<number>`sum(${ledgerEntries.hours})`,
      points: sql<number>`sum(${ledgerEntries.points})`,
    })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.tenantId, q.tenantId), eq(ledgerEntries.quarter, q.quarter)))
    .groupBy(ledgerEntries.memberId);

/** Each member's average rating over the quarter's rated, posted participations. */
const quarterRatings = (c: Context<AppEnv>, q: QuarterScope) =>
  c
    .get("db")
    .select({ memberId: ledgerEntries.memberId, rating: sql<number | null>`avg(${participations.rating})` })
    .from(ledgerEntries)
    .innerJoin(
      participations,
      and(eq(participations.tenantId, ledgerEntries.tenantId), eq(participations.id, ledgerEntries.sourceId)),
    )
    .where(
      and(
        eq(ledgerEntries.tenantId, q.tenantId),
        eq(ledgerEntries.quarter, q.quarter),
        eq(ledgerEntries.sourceType, "participation"),
        isNotNull(participations.rating),
      ),
    )
    .groupBy(ledgerEntries.memberId);

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const crudRoutes = createRouter()
  .openapi(generateEmployerFeedback, async (c) => {
    const body = c.req.valid("json");
    const { db, principal, clock } = c.var;
    const now = clock.now();
    if (quarterEnd(body.quarter) > now) {
      throw new ApiError("validation_failed", msg("feedback.quarter_not_ended"), {
        errors: [{ in: "body", pointer: "/quarter", detail: msg("feedback.quarter_not_ended_field") }],
      });
    }
    const community = body.communityId
      ? await requireDivisionForWrite(c, body.communityId, {
          pointer: "/communityId",
          levels: ["community"],
          // A community retired mid-quarter still owes its members' service cards.
          allowRetired: true,
        })
      : undefined;

    const scope = { tenantId: principal.tenant, quarter: body.quarter };
    const reports = await db
      .select({
        id: memberReports.id,
        tenantId: memberReports.tenantId,
        memberId: memberReports.memberId,
        divisionPath: memberReports.divisionPath,
        employerOrgId: memberReports.employerOrgId,
        employerTenantId: memberReports.employerTenantId,
      })
      .from(memberReports)
      .where(
        and(
          withinReach(principal, { tenantId: memberReports.tenantId, divisionPath: memberReports.divisionPath }),
          community ? eq(memberReports.communityId, community.id) : undefined,
          eq(memberReports.status, "active"),
          isNotNull(memberReports.employerOrgId),
        ),
      );
    const existing = new Set((await existingCards(c, scope)).map((r) => r.memberId));
    const sums = new Map((await quarterSums(c, scope)).map((r) => [r.memberId, r]));
    const ratings = new Map((await quarterRatings(c, scope)).map((r) => [r.memberId, r.rating]));

    const at = now.toISOString();
    const rows: FeedbackRow[] = reports
      .filter((r) => !existing.has(r.memberId))
      .map((r) => {
        const hours = Number(sums.get(r.memberId)?.hours ?? 0);
        const points = Number(sums.get(r.memberId)?.points ?? 0);
        const rating = ratings.get(r.memberId);
        return {
          id: newId("fb", now.getTime()),
          tenantId: r.tenantId,
          memberReportId: r.id,
          memberId: r.memberId,
          divisionPath: r.divisionPath,
          quarter: body.quarter,
          hours,
          points,
          rating: rating === undefined || rating === null ? null : Math.round(Number(rating) * 100) / 100,
          comment: body.comment ?? `${body.quarter}：参加社区服务 ${hours} 小时，积分 ${points} 分。`,
          recipientOrgId: r.employerOrgId!,
          recipientTenantId: r.employerTenantId ?? r.tenantId,
          status: "generated" as const,
          sentAt: null,
          acknowledgedAt: null,
          version: 1,
          createdAt: at,
          updatedAt: at,
        };
      });
    if (rows.length === 0) return c.json({ generated: 0, existing: reports.length }, 200);

    // All cards and the run's audit event in one atomic batch; a concurrent run's cards win the unique index quietly.
    const writes: BatchItem<"sqlite">[] = chunks(rows, chunkSize).map((chunk) =>
      db
        .insert(employerFeedback)
        .values(chunk)
        .onConflictDoNothing({
          target: [employerFeedback.tenantId, employerFeedback.memberId, employerFeedback.quarter],
        }),
    );
    await commit(c, {
      writes,
      audit: {
        action: "employer_feedback.generate",
        targetType: "employer_feedback_run",
        targetId: newId("fbrun", now.getTime()),
        divisionPath: community?.path ?? principal.org?.path,
        changes: {
          quarter: body.quarter,
          communityId: community?.id ?? null,
          activeReports: reports.length,
          attempted: rows.length,
        },
      },
    });
    // Ours are those of our ids that exist now (a concurrent run may have taken some members first).
    let generated = 0;
    for (const chunk of chunks(rows, 500)) {
      const [found] = await db
        .select({ n: sql<number>`count(*)` })
        .from(employerFeedback)
        .where(
          and(
            eq(employerFeedback.tenantId, principal.tenant),
            inArray(
              employerFeedback.id,
              chunk.map((r) => r.id),
            ),
          ),
        );
      generated += Number(found?.n ?? 0);
    }
    return c.json({ generated, existing: reports.length - generated }, 200);
  })
  .openapi(listEmployerFeedback, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(employerFeedback.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select({ ...getTableColumns(employerFeedback), memberName: members.name })
        .from(employerFeedback)
        .leftJoin(members, eq(members.id, employerFeedback.memberId))
        .where(
          and(
            feedbackReach(c.get("principal")),
            q.quarter ? eq(employerFeedback.quarter, q.quarter) : undefined,
            q.status ? eq(employerFeedback.status, q.status) : undefined,
            q.memberId ? eq(employerFeedback.memberId, q.memberId) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getEmployerFeedback, async (c) => {
    const row = await findFeedback(c, c.req.valid("param").id, feedbackReach(c.get("principal")));
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });

const eventPayload = (row: FeedbackView) => ({
  quarter: row.quarter,
  memberId: row.memberId,
  hours: row.hours,
  points: row.points,
  rating: row.rating,
  recipientOrgId: row.recipientOrgId,
  recipientTenantId: row.recipientTenantId,
});

const transitions = actionRoutes({
  base: "/v1/employer-feedback",
  idSchema: feedbackId,
  machine: feedbackMachine,
  table: employerFeedback,
  targetType: "employer_feedback",
  tag: "activities",
  schema: feedbackSchema,
  present,
  // The member's name beside the card, read in the action's own batch.
  presentAlong: {
    read: (c, id) => readRelated(c, members, { name: members.name }, employerFeedback, employerFeedback.memberId, id),
    present: (row, read) => present({ ...row, memberName: (read as { name: string }[])[0]?.name ?? null }),
  },
  eventPayload,
  actions: {
    send: {
      operationId: "sendEmployerFeedback",
      summary: "Send a service card to the employer",
      description: "The event employer_feedback.sent is emitted in the recipient's tenant, whose systems act on it.",
      scope: "feedback:manage",
      find: (c, id) => findFeedback(c, id, communitySide(c.get("principal"))),
      visible: (c) => communitySide(c.get("principal")),
      requestEffects: (c) => ({ set: { sentAt: c.get("clock").now().toISOString() } }),
      event: "sent",
      eventTenant: (u) => u.recipientTenantId,
    },
    acknowledge: {
      operationId: "acknowledgeEmployerFeedback",
      summary: "Acknowledge a service card (the employer's party organisation)",
      description:
        "Only the recipient: a unit admin of the addressed unit party organisation in the addressed tenant, also when the card is kept by another tenant. " +
        "The audit event and employer_feedback.acknowledged belong to the community's tenant.",
      scope: "feedback:acknowledge",
      find: (c, id) => findFeedback(c, id, addressedTo(c.get("principal"))),
      visible: (c) => addressedTo(c.get("principal")),
      requestEffects: (c) => ({ set: { acknowledgedAt: c.get("clock").now().toISOString() } }),
      event: "acknowledged",
    },
  },
});

export const feedbackRoutes = createRouter().route("/", crudRoutes).route("/", transitions);
