import { z } from "@hono/zod-openapi";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { and, eq } from "drizzle-orm";
import { keyset, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema } from "../../shared/http/schemas.js";
import { quickReportId, tag, workerId } from "./common.js";
import { findWorker, pointsOf } from "./workers.js";
import { quickReportPoints } from "./tables.js";

/** The points ledger: append-only entries (an accepted quick report adds its category's points); the balance is their sum. */

const entrySchema = z
  .object({
    id: idSchema("qpt"),
    workerId,
    reportId: quickReportId.nullable(),
    points: z.number().int().openapi({ example: 8 }),
    reason: z.enum(["accepted", "correction"]),
    createdAt: z.string().openapi({ example: "2026-12-01T03:00:00.000Z" }),
  })
  .openapi("PointsEntry");

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

export const pointsRoutes = createRouter().openapi(listPoints, async (c) => {
  // The worker is within reach, so are their entries: the same tenant and worker.
  const worker = await findWorker(c, c.req.valid("param").id);
  const keys = keyset(quickReportPoints.id, c.req.valid("query"));
  const rows = await c
    .get("db")
    .select()
    .from(quickReportPoints)
    .where(and(eq(quickReportPoints.tenantId, worker.tenantId), eq(quickReportPoints.workerId, worker.id), keys.after))
    .orderBy(keys.orderBy)
    .limit(keys.limit);
  const page = keys.of(rows);
  return c.json(
    {
      balance: await pointsOf(c, worker),
      data: page.data.map((e) => ({
        id: e.id,
        workerId: e.workerId,
        reportId: e.reportId,
        points: e.points,
        reason: e.reason,
        createdAt: e.createdAt,
      })),
      nextCursor: page.nextCursor,
    },
    200,
  );
});
