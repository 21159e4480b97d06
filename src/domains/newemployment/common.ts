import { z } from "@hono/zod-openapi";
import { idSchema } from "../../shared/http/schemas.js";
import type { quickReports } from "./tables.js";

export const tag = "new-employment";
export const workerId = idSchema("gwk");
export const stationId = idSchema("wst");
export const quickReportId = idSchema("qrp");
export const areaId = idSchema("car");
export const platformUnitId = idSchema("unit");

/** WGS-84 as stored. */
export const latSchema = z.number().min(-90).max(90).openapi({ example: 39.7446 });
export const longSchema = z.number().min(-180).max(180).openapi({ example: 98.5131 });

/** A place in the datum the client's map gave (Chinese map SDKs give GCJ-02); stored as WGS-84. */
export const placeSchema = z
  .object({
    lat: latSchema,
    long: longSchema,
    datum: z.enum(["wgs84", "gcj02"]).openapi({
      description: "wgs84 (GPS) or gcj02 (AMap/高德, Tencent, WeChat `wx.getLocation`): converted to WGS-84.",
      example: "gcj02",
    }),
  })
  .strict()
  .openapi("Place");

/** A quick report's webhook payload (every `quick_report.*` event): read by the routes and the escalation job. */
export const quickReportEventPayload = (row: typeof quickReports.$inferSelect) => ({
  reportId: row.id,
  workerId: row.workerId,
  platformUnitId: row.platformUnitId,
  communityId: row.communityId,
  category: row.category,
  status: row.status,
  level: row.level,
  routedBy: row.routedBy,
  dueAt: row.dueAt,
  points: row.points,
});
