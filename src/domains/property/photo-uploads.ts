import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { createRouter, errorResponses, protectedRoute } from "../../shared/api/openapi.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { idSchema } from "../../shared/http/schemas.js";
import { complaintId, followUpTokenSchema, tag, type ComplaintRow } from "./common.js";
import { maxPhotoBytes, photoSchema, storePhoto } from "./photos.js";
import { checkImage } from "../../shared/api/photos.js";

/**
 * Pre-signed uploads (S3-compatible storage only), for staff and for the reporter through the
 * follow-up link: the client asks for an upload URL, PUTs the
 * image straight to the bucket (the URL binds its type and exact length and expires), then asks to
 * attach it. Only then does the server read it — its size first, then its content: JPEG, PNG or
 * WebP by magic bytes, metadata and EXIF location stripped — and store the clean copy as the
 * complaint's photo; the uploaded original is deleted either way. Nothing is recorded before the
 * attach: an upload never attached stays in `uploads/`, which a bucket lifecycle rule empties.
 */

/** [D] How long an upload URL works. */
export const uploadUrlSeconds = 600;
const uploadId = idSchema("cpu");
const photoTypes = ["image/jpeg", "image/png", "image/webp"] as const;
const stagingKey = (complaint: ComplaintRow, upload: string) =>
  `uploads/${complaint.tenantId}/${complaint.id}/${upload}`;

const uploadRequestSchema = z
  .object({
    contentType: z.enum(photoTypes),
    bytes: z
      .number()
      .int()
      .min(1)
      .max(maxPhotoBytes)
      .openapi({ description: "The file's exact size: the URL is signed for it.", example: 482113 }),
  })
  .strict()
  .openapi("PhotoUploadRequest", { example: { contentType: "image/jpeg", bytes: 482113 } });
type PhotoUploadRequest = z.infer<typeof uploadRequestSchema>;

const uploadSchema = z
  .object({
    uploadId,
    method: z.literal("PUT"),
    url: z.url().openapi({ example: "https://s3.example.cn/hexi-photos/uploads/620902/cmp_…/cpu_…?X-Amz-Algorithm=…" }),
    headers: z
      .record(z.string(), z.string())
      .openapi({ example: { "content-type": "image/jpeg", "content-length": "482113" } }),
    expiresAt: z.string().openapi({ example: "2026-12-04T10:10:00.000Z" }),
    attach: z.string().openapi({
      description: "Where to POST once the PUT succeeded.",
      example: "/v1/complaints/cmp_01KDVDNA011AKWK3RC504FTYF8/photo-uploads/cpu_01KDVDNA011AKWK3RC504FTYF8/attach",
    }),
  })
  .openapi("PhotoUpload");

const presignDescription = (direct: string) =>
  `Only where photos are kept in S3-compatible storage (503 otherwise: upload through \`POST ${direct}\`). PUT the file to \`url\` with exactly \`headers\` within ${uploadUrlSeconds} s, then POST to \`attach\`. Not once the complaint is closed (409).`;
const attachDescription =
  "Reads the uploaded object (size first: more than the limit is a 413), checks it by content (415 for anything but JPEG, PNG or WebP), strips its metadata and stores the clean copy like a direct upload. The upload is consumed: attaching it again is a 404.";
const uploadBody = { required: true, content: { "application/json": { schema: uploadRequestSchema } } };

const presignRoute = protectedRoute({
  method: "post",
  path: "/v1/complaints/{id}/photo-uploads",
  operationId: "createComplaintPhotoUpload",
  tags: [tag],
  summary: "Get a pre-signed URL to upload a photo straight to storage",
  description: presignDescription("/v1/complaints/{id}/photos"),
  scope: ["complaints:manage", "complaints:handle"],
  errors: [404, 409, 503],
  request: { params: z.object({ id: complaintId }), body: uploadBody },
  responses: { 201: { description: "Upload here.", content: { "application/json": { schema: uploadSchema } } } },
});

const attachRoute = protectedRoute({
  method: "post",
  path: "/v1/complaints/{id}/photo-uploads/{uploadId}/attach",
  operationId: "attachComplaintPhotoUpload",
  tags: [tag],
  summary: "Attach an uploaded photo to the complaint",
  description: attachDescription,
  scope: ["complaints:manage", "complaints:handle"],
  errors: [404, 409, 413, 415, 503],
  request: { params: z.object({ id: complaintId, uploadId }) },
  responses: { 201: { description: "Attached.", content: { "application/json": { schema: photoSchema } } } },
});

const tokenParams = z.object({ token: followUpTokenSchema });
const publicPresignRoute = createRoute({
  method: "post",
  path: "/v1/public/complaints/{token}/photo-uploads",
  operationId: "createPublicComplaintPhotoUpload",
  tags: [tag],
  summary: "The reporter gets a pre-signed URL to upload a photo straight to storage",
  description: `Public: the follow-up token is the credential. ${presignDescription("/v1/public/complaints/{token}/photos")}`,
  security: [],
  request: { params: tokenParams, body: uploadBody },
  responses: {
    201: { description: "Upload here.", content: { "application/json": { schema: uploadSchema } } },
    ...errorResponses([400, 404, 409, 503]),
  },
});

const publicAttachRoute = createRoute({
  method: "post",
  path: "/v1/public/complaints/{token}/photo-uploads/{uploadId}/attach",
  operationId: "attachPublicComplaintPhotoUpload",
  tags: [tag],
  summary: "The reporter attaches an uploaded photo to their complaint",
  description: `Public: the follow-up token is the credential. ${attachDescription}`,
  security: [],
  request: { params: tokenParams.extend({ uploadId }) },
  responses: {
    201: { description: "Attached.", content: { "application/json": { schema: photoSchema } } },
    ...errorResponses([400, 404, 409, 413, 415, 503]),
  },
});

function presigningStore(c: Context<AppEnv>) {
  const blobs = c.get("blobs");
  if (!blobs) throw new ApiError("unavailable", msg("property.photo_storage_missing"));
  if (!blobs.presignPut || !blobs.sizeOf) throw new ApiError("unavailable", msg("property.photo_presign_unsupported"));
  return blobs as typeof blobs & Required<Pick<typeof blobs, "presignPut" | "sizeOf">>;
}

/** A signed PUT for one upload to the complaint's staging folder; `attachBase` is where its attach is POSTed. */
async function presign(c: Context<AppEnv>, complaint: ComplaintRow, body: PhotoUploadRequest, attachBase: string) {
  const blobs = presigningStore(c);
  if (complaint.status === "closed") throw new ApiError("conflict", msg("complaint.closed"));
  const upload = newId("cpu", c.get("clock").now().getTime());
  const signed = await blobs.presignPut(stagingKey(complaint, upload), {
    contentType: body.contentType,
    bytes: body.bytes,
    expiresSeconds: uploadUrlSeconds,
  });
  return { uploadId: upload, ...signed, attach: `${attachBase}/photo-uploads/${upload}/attach` };
}

/** Reads the staged upload (size first, then content), stores the clean copy as `author`'s photo, and deletes the upload either way. */
async function attach(c: Context<AppEnv>, complaint: ComplaintRow, upload: string, author: "reporter" | "staff") {
  const blobs = presigningStore(c);
  const key = stagingKey(complaint, upload);
  const size = await blobs.sizeOf(key);
  if (size === null) throw notFound("photo");
  try {
    if (size > maxPhotoBytes)
      throw new ApiError("payload_too_large", msg("property.photo_too_large", { bytes: maxPhotoBytes }));
    // The reporter adds nothing to a closed complaint (as with a direct upload); staff may still document it.
    if (author === "reporter" && complaint.status === "closed") throw new ApiError("conflict", msg("complaint.closed"));
    const raw = await blobs.get(key);
    if (!raw) throw notFound("photo");
    // The pre-signed PUT fixed the Content-Type; the content is checked here.
    return await storePhoto(c, complaint, author, await checkImage(raw));
  } finally {
    await blobs.delete(key);
  }
}

/** Staff routes: upload and attach (complaints:manage or complaints:handle), the complaint within reach. */
export function photoUploadRoutes(find: (c: Context<AppEnv>, id: string) => Promise<ComplaintRow>) {
  return createRouter()
    .openapi(presignRoute, async (c) => {
      const complaint = await find(c, c.req.valid("param").id);
      return c.json(await presign(c, complaint, c.req.valid("json"), `/v1/complaints/${complaint.id}`), 201);
    })
    .openapi(attachRoute, async (c) => {
      const { id, uploadId: upload } = c.req.valid("param");
      return c.json(await attach(c, await find(c, id), upload, "staff"), 201);
    });
}

/** The reporter's routes (public: the follow-up token is the credential), the same checks; photos are the reporter's. */
export function publicPhotoUploadRoutes(byToken: (c: Context<AppEnv>, token: string) => Promise<ComplaintRow>) {
  return createRouter()
    .openapi(publicPresignRoute, async (c) => {
      const { token } = c.req.valid("param");
      const complaint = await byToken(c, token);
      return c.json(await presign(c, complaint, c.req.valid("json"), `/v1/public/complaints/${token}`), 201);
    })
    .openapi(publicAttachRoute, async (c) => {
      const { token, uploadId: upload } = c.req.valid("param");
      return c.json(await attach(c, await byToken(c, token), upload, "reporter"), 201);
    });
}
