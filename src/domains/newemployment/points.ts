import { z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { actorOf } from "../../shared/auth/principal.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { keyset, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { commitCreated, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { requireReference } from "../../shared/store/references.js";
import { quickReportEventPayload, quickReportId, stationId, tag, workerId } from "./common.js";
import { findQuickReport } from "./reports.js";
import { stationReach } from "./stations.js";
import { pointsReasons, quickReportPoints, warmStations } from "./tables.js";
import { findWorker, pointsOf, type WorkerRow } from "./workers.js";

/**
 * The points ledger: append-only entries; the balance is their sum. An accepted quick report adds
 * its category's points; a correction reverses them when the report is later found invalid or a
 * duplicate (one reversal per report, of exactly what it earned); a redemption spends points (at a
 * warm station), refused when the balance is short. No entry is ever changed or deleted.
 */
type EntryRow = typeof quickReportPoints.$inferSelect;
const entryId = idSchema("qpt");

const entrySchema = z
  .object({
    id: entryId,
    workerId,
    reportId: quickReportId.nullable(),
    points: z
      .number()
      .int()
      .openapi({ description: "Positive when earned, negative when reversed or spent.", example: 8 }),
    reason: z.enum(pointsReasons),
    note: z.string().nullable().openapi({ example: "暖心驿站兑换热饮两杯" }),
    stationId: stationId.nullable().openapi({ description: "For a redemption: where the points were spent." }),
    createdAt: z.string().openapi({ example: "2026-12-01T03:00:00.000Z" }),
  })
  .openapi("PointsEntry");

const presentEntry = (e: EntryRow) => ({
  id: e.id,
  workerId: e.workerId,
  reportId: e.reportId,
  points: e.points,
  reason: e.reason,
  note: e.note,
  stationId: e.stationId,
  createdAt: e.createdAt,
});

const entryWithBalanceSchema = entrySchema
  .extend({ balance: z.number().int().openapi({ description: "The balance after this entry.", example: 27 }) })
  .openapi("PointsEntryWithBalance");

const balanceSchema = z
  .object({
    workerId,
    balance: z.number().int().openapi({ description: "The sum of every entry.", example: 35 }),
    earned: z.number().int().openapi({ description: "Points earned by accepted reports.", example: 43 }),
    corrected: z.number().int().openapi({ description: "Points reversed by corrections (≤ 0).", example: -8 }),
    redeemed: z.number().int().openapi({ description: "Points spent (≤ 0).", example: 0 }),
  })
  .openapi("PointsBalance");

const correctionSchema = z
  .object({
    reason: z.enum(["invalid", "duplicate"]).openapi({
      description:
        "invalid: found not true after acceptance; duplicate: another report of the same thing was accepted.",
    }),
    note: z.string().trim().min(1).max(500).optional().openapi({ example: "复核：与 qrp_… 为同一处占道。" }),
  })
  .strict()
  .openapi("PointsCorrection", { example: { reason: "duplicate", note: "复核：与同楼另一条随手拍为同一处占道。" } });

const redemptionSchema = z
  .object({
    points: z.number().int().min(1).max(100_000).openapi({ example: 8 }),
    stationId: stationId.optional().openapi({ description: "The warm station where they are spent." }),
    note: z.string().trim().min(1).max(500).optional().openapi({ example: "暖心驿站兑换热饮两杯" }),
  })
  .strict()
  .openapi("PointsRedemption", { example: { points: 8, note: "暖心驿站兑换热饮两杯" } });

const listPoints = protectedRoute({
  method: "get",
  path: "/v1/gig-workers/{id}/points",
  operationId: "listGigWorkerPoints",
  tags: [tag],
  summary: "A worker's points: the balance and a page of ledger entries",
  scope: "newemp:read",
  errors: [404],
  request: { params: z.object({ id: workerId }), query: pageQuerySchema },
  responses: {
    200: {
      description: "The balance (all entries) and a page of entries, in the requested `order`.",
      content: {
        "application/json": {
          schema: z
            .object({
              balance: z.number().int().openapi({ example: 35 }),
              data: z.array(entrySchema),
              nextCursor: z.string().nullable(),
            })
            .openapi("PointsPage"),
        },
      },
    },
  },
});

const getBalance = protectedRoute({
  method: "get",
  path: "/v1/gig-workers/{id}/points/balance",
  operationId: "getGigWorkerPointsBalance",
  tags: [tag],
  summary: "A worker's points balance, by kind of entry",
  scope: "newemp:read",
  errors: [404],
  request: { params: z.object({ id: workerId }) },
  responses: {
    200: { description: "The balance.", content: { "application/json": { schema: balanceSchema } } },
  },
});

const redeem = protectedRoute({
  method: "post",
  path: "/v1/gig-workers/{id}/points/redemptions",
  operationId: "redeemGigWorkerPoints",
  tags: [tag],
  summary: "Spend a worker's points (e.g. at a warm station)",
  description:
    "Appends a negative entry, only if the balance covers it at the time of the write (checked in the same statement): otherwise a 409 `conflict` problem naming the balance. Audited as `gig_worker.redeem_points`, event `gig_worker.points_redeemed`.",
  scope: "newemp:write",
  idempotent: true,
  errors: [404, 409],
  request: {
    params: z.object({ id: workerId }),
    body: { required: true, content: { "application/json": { schema: redemptionSchema } } },
  },
  responses: {
    201: { description: "Spent.", content: { "application/json": { schema: entryWithBalanceSchema } } },
  },
});

const correct = protectedRoute({
  method: "post",
  path: "/v1/quick-reports/{id}/points-corrections",
  operationId: "correctQuickReportPoints",
  tags: [tag],
  summary: "Reverse the points an accepted quick report earned (found invalid or a duplicate)",
  description:
    "Appends an entry of minus what the report earned; the acceptance entry is never changed. Once per report (409 the second time); 409 for a report that earned nothing. The balance may go below zero if the points were already spent: later redemptions are refused until it recovers. Audited as `quick_report.reverse_points`, event `quick_report.points_reversed`.",
  scope: "quickreports:manage",
  idempotent: true,
  errors: [404, 409],
  request: {
    params: z.object({ id: quickReportId }),
    body: { required: true, content: { "application/json": { schema: correctionSchema } } },
  },
  responses: {
    201: { description: "Reversed.", content: { "application/json": { schema: entryWithBalanceSchema } } },
  },
});

/** Sums of a worker's entries by reason. */
async function balanceOf(c: Context<AppEnv>, worker: WorkerRow) {
  const rows = await c
    .get("db")
    .select({ reason: quickReportPoints.reason, points: sql<number>`coalesce(sum(${quickReportPoints.points}), 0)` })
    .from(quickReportPoints)
    .where(and(eq(quickReportPoints.tenantId, worker.tenantId), eq(quickReportPoints.workerId, worker.id)))
    .groupBy(quickReportPoints.reason);
  const by = (reason: EntryRow["reason"]) => Number(rows.find((r) => r.reason === reason)?.points ?? 0);
  const earned = by("accepted");
  const corrected = by("correction");
  const redeemed = by("redemption");
  return { workerId: worker.id, balance: earned + corrected + redeemed, earned, corrected, redeemed };
}

const newEntry = (c: Context<AppEnv>, worker: Pick<WorkerRow, "id" | "tenantId" | "platformUnitId">) => {
  const at = c.get("clock").now();
  return {
    id: newId("qpt", at.getTime()),
    tenantId: worker.tenantId,
    workerId: worker.id,
    platformUnitId: worker.platformUnitId,
    createdBy: actorOf(c.get("principal")),
    createdAt: at.toISOString(),
  };
};

export const pointsRoutes = createRouter()
  .openapi(listPoints, async (c) => {
    // The worker is within reach, so are their entries: the same tenant and worker.
    const worker = await findWorker(c, c.req.valid("param").id);
    const keys = keyset(quickReportPoints.id, c.req.valid("query"));
    const rows = await c
      .get("db")
      .select()
      .from(quickReportPoints)
      .where(
        and(eq(quickReportPoints.tenantId, worker.tenantId), eq(quickReportPoints.workerId, worker.id), keys.after),
      )
      .orderBy(keys.orderBy)
      .limit(keys.limit);
    const page = keys.of(rows);
    return c.json(
      { balance: await pointsOf(c, worker), data: page.data.map(presentEntry), nextCursor: page.nextCursor },
      200,
    );
  })
  .openapi(getBalance, async (c) => {
    const worker = await findWorker(c, c.req.valid("param").id);
    return c.json(await balanceOf(c, worker), 200);
  })
  .openapi(redeem, async (c) => {
    const worker = await findWorker(c, c.req.valid("param").id);
    const body = c.req.valid("json");
    if (body.stationId)
      await requireReference(c, warmStations, stationReach, body.stationId, {
        pointer: "/stationId",
        what: "warm station",
      });
    const before = await balanceOf(c, worker);
    const short = (balance: number) =>
      new ApiError("conflict", msg("newemp.points_short", { balance, points: body.points }), {
        balance,
        requested: body.points,
      });
    if (before.balance < body.points) throw short(before.balance);
    const row: EntryRow = {
      ...newEntry(c, worker),
      divisionPath: worker.divisionPath,
      reportId: null,
      points: -body.points,
      reason: "redemption",
      note: body.note ?? null,
      stationId: body.stationId ?? null,
    };
    const response = { ...presentEntry(row), balance: before.balance - body.points };
    const db = c.get("db");
    try {
      await commitCreated(c, `/v1/gig-workers/${worker.id}/points`, 1, response, {
        // The entry goes in only if the balance still covers it when written (two redemptions at once cannot overdraw).
        writes: [
          db.run(sql`insert into ${quickReportPoints} (id, tenant_id, worker_id, platform_unit_id, division_path, report_id, points, reason, note, station_id, created_by, created_at)
            select ${row.id}, ${row.tenantId}, ${row.workerId}, ${row.platformUnitId}, ${row.divisionPath}, null, ${row.points}, 'redemption', ${row.note}, ${row.stationId}, ${row.createdBy}, ${row.createdAt}
            where (select coalesce(sum(points), 0) from ${quickReportPoints} where tenant_id = ${row.tenantId} and worker_id = ${row.workerId}) >= ${body.points}`),
          guardChanged(),
        ],
        audit: {
          action: "gig_worker.redeem_points",
          targetType: "gig_worker",
          targetId: worker.id,
          divisionPath: worker.divisionPath,
          tenantId: worker.tenantId,
          changes: { entryId: row.id, points: row.points, stationId: row.stationId },
        },
        events: [
          {
            type: "gig_worker.points_redeemed",
            subjectType: "gig_worker",
            subjectId: worker.id,
            payload: {
              workerId: worker.id,
              platformUnitId: worker.platformUnitId,
              trade: worker.trade,
              baseDivisionId: worker.baseDivisionId,
              entryId: row.id,
              points: row.points,
              stationId: row.stationId,
            },
            tenantId: worker.tenantId,
          },
        ],
      });
    } catch (err) {
      if (err instanceof GuardFailed) throw short((await balanceOf(c, worker)).balance);
      throw err;
    }
    return c.json(response, 201);
  })
  .openapi(correct, async (c) => {
    const report = await findQuickReport(c, c.req.valid("param").id);
    const body = c.req.valid("json");
    const db = c.get("db");
    const entries = await db
      .select()
      .from(quickReportPoints)
      .where(and(eq(quickReportPoints.tenantId, report.tenantId), eq(quickReportPoints.reportId, report.id)));
    const earned = entries.find((e) => e.reason === "accepted");
    if (!earned) throw new ApiError("conflict", msg("newemp.points_not_earned"));
    if (entries.some((e) => e.reason === "correction"))
      throw new ApiError("conflict", msg("newemp.points_reversed_already"));
    const row: EntryRow = {
      ...newEntry(c, { id: earned.workerId, tenantId: earned.tenantId, platformUnitId: earned.platformUnitId }),
      divisionPath: earned.divisionPath,
      reportId: report.id,
      points: -earned.points,
      reason: "correction",
      note: body.note ? `${body.reason}: ${body.note}` : body.reason,
      stationId: null,
    };
    const [sum] = await db
      .select({ points: sql<number>`coalesce(sum(${quickReportPoints.points}), 0)` })
      .from(quickReportPoints)
      .where(and(eq(quickReportPoints.tenantId, row.tenantId), eq(quickReportPoints.workerId, row.workerId)));
    const response = { ...presentEntry(row), balance: Number(sum?.points ?? 0) + row.points };
    await commitCreated(c, `/v1/gig-workers/${row.workerId}/points`, 1, response, {
      writes: [db.insert(quickReportPoints).values(row)],
      audit: {
        action: "quick_report.reverse_points",
        targetType: "quick_report",
        targetId: report.id,
        divisionPath: report.divisionPath,
        tenantId: report.tenantId,
        changes: { entryId: row.id, points: row.points, reason: body.reason },
      },
      events: [
        {
          type: "quick_report.points_reversed",
          subjectType: "quick_report",
          subjectId: report.id,
          payload: { ...quickReportEventPayload(report), reversedPoints: row.points, correction: body.reason },
          tenantId: report.tenantId,
        },
      ],
      // The unique (report, reason) index: a reversal written meanwhile by someone else.
      conflicts: { "quick_report_points.tenant_id": msg("newemp.points_reversed_already") },
    });
    return c.json(response, 201);
  });
