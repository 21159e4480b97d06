import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import {
  imageBody,
  imageResponse,
  receiveImage,
  photosOfRecord,
  presentPhoto,
  serveRecordPhoto,
  storeRecordPhoto,
  type PhotoStore,
} from "../../shared/api/photos.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { idSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { quickReportId, tag } from "./common.js";
import { quickReportPhotos, type quickReports } from "./tables.js";

/**
 * Photos of a quick report: the complaints' upload checks (src/shared/api/photos.ts: type by
 * content, size limit, metadata and EXIF location stripped), stored in the same blob store, served
 * only to whoever may read the report.
 */
type ReportRow = typeof quickReports.$inferSelect;
type PhotoRow = typeof quickReportPhotos.$inferSelect;

/** [D] Photos per quick report. */
export const maxReportPhotos = 6;
/** Upload path: exempt from the JSON-only rule and the general body limit (app.ts), limited by the photo reader. */
export const reportPhotoUploadPath = /^\/v1\/quick-reports\/[^/]+\/photos$/;

const photoId = idSchema("qph");
export const photoSchema = z
  .object({
    id: photoId,
    contentType: z.enum(["image/jpeg", "image/png", "image/webp"]),
    bytes: z.number().int().openapi({ example: 482113 }),
    author: z.enum(["worker", "staff"]),
    createdAt: z.string().openapi({ example: "2026-12-01T02:05:00.000Z" }),
  })
  .openapi("QuickReportPhoto");

export const photosOfReport = (c: Context<AppEnv>, report: ReportRow) =>
  photosOfRecord<PhotoRow["author"]>(c, photoStore(), report);

const photoStore = (): PhotoStore => ({
  table: quickReportPhotos,
  parentColumn: "report_id",
  targetType: "quick_report",
  idPrefix: "qph",
  folder: "quick-reports",
  max: maxReportPhotos,
  full: msg("newemp.photos_full", { limit: maxReportPhotos }),
});

async function addReportPhoto(c: Context<AppEnv>, report: ReportRow) {
  if (report.status === "closed" || report.status === "rejected")
    throw new ApiError("conflict", msg("newemp.report_closed", { status: report.status }));
  const image = await receiveImage(c);
  const author: PhotoRow["author"] = c.get("principal").scopes.has("quickreports:manage") ? "staff" : "worker";
  const photo = await storeRecordPhoto(c, photoStore(), report, author, image, (p) => ({
    reportId: report.id,
    photoId: p.id,
    author,
  }));
  return presentPhoto(photo);
}

export function reportPhotoRoutes(find: (c: Context<AppEnv>, id: string) => Promise<ReportRow>) {
  const upload = protectedRoute({
    method: "post",
    path: "/v1/quick-reports/{id}/photos",
    operationId: "addQuickReportPhoto",
    tags: [tag],
    summary: "Add a photo to a quick report (the worker, their platform, or the community)",
    scope: ["quickreports:file", "quickreports:manage"],
    errors: [404, 409, 413, 415, 503],
    request: { params: z.object({ id: quickReportId }), body: imageBody as never },
    responses: { 201: { description: "Stored.", content: { "application/json": { schema: photoSchema } } } },
  });
  const read = protectedRoute({
    method: "get",
    path: "/v1/quick-reports/{id}/photos/{photoId}",
    operationId: "getQuickReportPhoto",
    tags: [tag],
    summary: "One photo of a quick report within reach",
    scope: "quickreports:read",
    errors: [404, 503],
    request: { params: z.object({ id: quickReportId, photoId }) },
    responses: { 200: imageResponse },
  });
  return createRouter()
    .openapi(upload, async (c) => c.json(await addReportPhoto(c, await find(c, c.req.valid("param").id)), 201))
    .openapi(read, async (c) => {
      const { id, photoId: photo } = c.req.valid("param");
      return (await serveRecordPhoto(c, photoStore(), await find(c, id), photo)) as never;
    });
}
