import { msg } from "../../shared/http/messages.js";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, errorResponses, protectedRoute } from "../../shared/api/openapi.js";
import { idSchema } from "../../shared/http/schemas.js";
import {
  imageBody,
  imageResponse,
  receiveImage,
  photosOfRecord,
  presentPhoto,
  serveRecordPhoto,
  storeRecordPhoto,
  type PhotoStore,
  type ReceivedImage,
} from "../../shared/api/photos.js";
import { complaintEventPayload, complaintId, followUpTokenSchema, tag, type ComplaintRow } from "./common.js";
import { complaintPhotos } from "./tables.js";

/**
 * Photos of a complaint: uploaded as the image itself (`Content-Type: image/jpeg|png|webp`), at most
 * `maxPhotoBytes`, checked by content (HEIC refused), stored with EXIF/XMP/text metadata stripped
 * (locations and device details never leave the upload), and served only to whoever may read the
 * complaint (staff within reach, or its reporter through the link). The upload checks are shared
 * with quick reports (src/shared/api/photos.ts).
 *
 * [D] Photos per complaint, reporter and staff together.
 */
export const maxPhotos = 9;
export { maxPhotoBytes } from "../../shared/api/photos.js";
/** Upload paths: exempt from the JSON-only rule and the general body limit (app.ts), limited here instead. */
export const photoUploadPath = /^\/v1\/(?:public\/)?complaints\/[^/]+\/photos$/;

export const photoId = idSchema("cph");
export const photoSchema = z
  .object({
    id: photoId,
    contentType: z.enum(["image/jpeg", "image/png", "image/webp"]),
    bytes: z.number().int().openapi({ example: 482113 }),
    author: z.enum(["reporter", "staff"]),
    createdAt: z.string().openapi({ example: "2026-12-01T02:05:00.000Z" }),
  })
  .openapi("ComplaintPhoto");

export type PhotoRow = typeof complaintPhotos.$inferSelect;
export const photosOf = (c: Context<AppEnv>, row: ComplaintRow) =>
  photosOfRecord<PhotoRow["author"]>(c, photoStore(), row);

/** A photo sent through the API: read up to the limit and checked, then stored as `storePhoto` does. */
export async function addPhoto(c: Context<AppEnv>, complaint: ComplaintRow, author: "reporter" | "staff") {
  return storePhoto(c, complaint, author, await receiveImage(c));
}

const photoStore = (): PhotoStore => ({
  table: complaintPhotos,
  parentColumn: "complaint_id",
  targetType: "complaint",
  idPrefix: "cph",
  folder: "complaints",
  max: maxPhotos,
  full: msg("property.photos_full", { limit: maxPhotos }),
});

/** Stores a checked photo, then its row, audit and event in one batch (refused beyond `maxPhotos`); the blob goes if the batch fails. */
export async function storePhoto(
  c: Context<AppEnv>,
  complaint: ComplaintRow,
  author: "reporter" | "staff",
  image: ReceivedImage,
) {
  const photo = await storeRecordPhoto(c, photoStore(), complaint, author, image, () => ({
    ...complaintEventPayload(complaint),
    author,
  }));
  return presentPhoto(photo);
}

/** The photo's bytes, if it belongs to the complaint (which the caller has already been allowed to read). */
const servePhoto = (c: Context<AppEnv>, complaint: ComplaintRow, id: string) =>
  serveRecordPhoto(c, photoStore(), complaint, id);

/** Staff routes: upload (complaints:manage or complaints:handle) and read (complaints:read). */
export function staffPhotoRoutes(find: (c: Context<AppEnv>, id: string) => Promise<ComplaintRow>) {
  const upload = protectedRoute({
    method: "post",
    path: "/v1/complaints/{id}/photos",
    operationId: "addComplaintPhoto",
    tags: [tag],
    summary: "Add a photo (e.g. of the resolution)",
    scope: ["complaints:manage", "complaints:handle"],
    errors: [404, 409, 413, 415, 503],
    request: { params: z.object({ id: complaintId }), body: imageBody as never },
    responses: { 201: { description: "Stored.", content: { "application/json": { schema: photoSchema } } } },
  });
  const read = protectedRoute({
    method: "get",
    path: "/v1/complaints/{id}/photos/{photoId}",
    operationId: "getComplaintPhoto",
    tags: [tag],
    summary: "One photo of a complaint within reach",
    scope: "complaints:read",
    errors: [404, 503],
    request: { params: z.object({ id: complaintId, photoId }) },
    responses: { 200: imageResponse },
  });
  return createRouter()
    .openapi(upload, async (c) => c.json(await addPhoto(c, await find(c, c.req.valid("param").id), "staff"), 201))
    .openapi(read, async (c) => {
      const { id, photoId: photo } = c.req.valid("param");
      return servePhoto(c, await find(c, id), photo) as never;
    });
}

/** The reporter's routes (public: the token is the credential). */
export function publicPhotoRoutes(byToken: (c: Context<AppEnv>, token: string) => Promise<ComplaintRow>) {
  const tokenParams = z.object({ token: followUpTokenSchema });
  const upload = createRoute({
    method: "post",
    path: "/v1/public/complaints/{token}/photos",
    operationId: "addPublicComplaintPhoto",
    tags: [tag],
    summary: "The reporter adds a photo",
    description: "Public: the token is the credential. Not once the complaint is closed (409).",
    security: [],
    request: { params: tokenParams, body: imageBody as never },
    responses: {
      201: { description: "Stored.", content: { "application/json": { schema: photoSchema } } },
      ...errorResponses([400, 404, 409, 413, 415, 503]),
    },
  });
  const read = createRoute({
    method: "get",
    path: "/v1/public/complaints/{token}/photos/{photoId}",
    operationId: "getPublicComplaintPhoto",
    tags: [tag],
    summary: "The reporter sees a photo of their complaint",
    security: [],
    request: { params: tokenParams.extend({ photoId }) },
    responses: { 200: imageResponse, ...errorResponses([400, 404, 503]) },
  });
  return createRouter()
    .openapi(upload, async (c) => {
      const complaint = await byToken(c, c.req.valid("param").token);
      if (complaint.status === "closed") throw new ApiError("conflict", msg("complaint.closed"));
      return c.json(await addPhoto(c, complaint, "reporter"), 201);
    })
    .openapi(read, async (c) => {
      const { token, photoId: photo } = c.req.valid("param");
      return servePhoto(c, await byToken(c, token), photo) as never;
    });
}
