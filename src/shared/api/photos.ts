import { sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { ApiError, notFound } from "../http/errors.js";
import { msg, type Message } from "../http/messages.js";
import { commit, guardChanged, GuardFailed } from "../store/commit.js";
import type { AppEnv } from "../request/context.js";
import { ImageRejected, sniffImage, stripMetadata, type ImageType } from "../images.js";

/**
 * Photo uploads of any record (complaints, quick reports): the image itself as the body
 * (`Content-Type: image/jpeg|png|webp`), at most `maxPhotoBytes`, checked by content (HEIC refused),
 * with EXIF/XMP/text metadata stripped before it is stored, so locations and device details never
 * leave the upload. A domain keeps its own photo table and count limit; this is the part they share.
 */
export const maxPhotoBytes = 8 * 1024 * 1024;
export const photoTypes = ["image/jpeg", "image/png", "image/webp"] as const;

/** The OpenAPI request body of an upload route. */
export const imageBody = {
  required: true,
  description: `The image itself: JPEG, PNG or WebP, at most ${maxPhotoBytes} bytes. EXIF (location), XMP, IPTC and text metadata are removed before it is stored.`,
  content: Object.fromEntries(photoTypes.map((type) => [type, { schema: { type: "string", format: "binary" } }])),
} as const;
const binary = { schema: { type: "string" as const, format: "binary" } };
/** The OpenAPI 200 of a photo read. */
export const imageResponse = {
  description: "The photo (metadata already stripped).",
  content: { "image/jpeg": binary, "image/png": binary, "image/webp": binary },
};

const unsupported = (message: ReturnType<typeof msg>) =>
  new ApiError("unsupported_media_type", message, { headers: { "accept-post": photoTypes.join(", ") } });

/** The body, read up to the limit: a 413 as soon as it is known to be larger. */
async function readImage(c: Context<AppEnv>): Promise<Uint8Array> {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (!type || !(photoTypes as readonly string[]).includes(type)) throw unsupported(msg("property.photo_type"));
  const declared = Number(c.req.header("content-length") ?? "0");
  const tooLarge = () => new ApiError("payload_too_large", msg("property.photo_too_large", { bytes: maxPhotoBytes }));
  if (declared > maxPhotoBytes) throw tooLarge();
  const reader = c.req.raw.body?.getReader();
  if (!reader) throw new ApiError("validation_failed", msg("property.photo_no_body"));
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxPhotoBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

export interface ReceivedImage {
  type: ImageType;
  /** The bytes to store: metadata stripped, nothing re-encoded. */
  bytes: Uint8Array;
  sha256: string;
  strippedBytes: number;
}

/** Reads, checks and strips the uploaded image; 413/415 problems for what is refused. */
export async function receiveImage(c: Context<AppEnv>): Promise<ReceivedImage> {
  if (!c.get("blobs")) throw new ApiError("unavailable", msg("property.photo_storage_missing"));
  return checkImage(await readImage(c), c.req.header("content-type"));
}

/**
 * Checks bytes by content (JPEG, PNG or WebP; HEIC refused) and strips their metadata; a 415 when
 * they are refused or are not the `declaredType` (the upload's Content-Type), when there is one.
 */
export async function checkImage(raw: Uint8Array, declaredType?: string): Promise<ReceivedImage> {
  let type: ImageType;
  let clean: Uint8Array;
  try {
    type = sniffImage(raw);
    clean = stripMetadata(raw, type);
  } catch (err) {
    if (err instanceof ImageRejected) throw unsupported(imageRejection(err.message));
    throw err;
  }
  if (declaredType !== undefined && type !== declaredType.split(";")[0]?.trim().toLowerCase())
    throw new ApiError("unsupported_media_type", msg("property.photo_type_mismatch", { type }));
  return { type, bytes: clean, sha256: await digest(clean), strippedBytes: raw.length - clean.length };
}

/** A stored photo's bytes as the response, or null when the store has lost them. */
export async function sendImage(c: Context<AppEnv>, storageKey: string, contentType: string) {
  const blobs = c.get("blobs");
  if (!blobs) throw new ApiError("unavailable", msg("property.photo_storage_missing"));
  const bytes = await blobs.get(storageKey);
  if (!bytes) return null;
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
    "content-type": contentType,
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'",
  });
}

async function digest(bytes: Uint8Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The image reader's refusals (src/shared/images.ts, a leaf without the catalogue), in the catalogue's words. */
function imageRejection(reason: string) {
  if (reason.startsWith("HEIC/HEIF")) return msg("property.photo_heic");
  if (reason.startsWith("Not a JPEG")) return msg("property.photo_not_image");
  return msg("property.photo_malformed", { reason });
}

/** A record's photo as every photo table holds it (complaint_photos, quick_report_photos). */
export interface StoredPhoto<A extends string> {
  id: string;
  tenantId: string;
  storageKey: string;
  contentType: ImageType;
  bytes: number;
  sha256: string;
  author: A;
  createdAt: string;
}

/** Where a domain keeps its photos: the table, the column naming their record, and how many one record may have. */
export interface PhotoStore {
  table: SQLiteTable;
  /** The photo table's column naming the record (e.g. `complaint_id`). */
  parentColumn: string;
  /** The record's audit target type: the audit action is `<targetType>.add_photo`, the event `<targetType>.photo_added`. */
  targetType: string;
  /** The id prefix of a photo (e.g. `cph`) and the blob-store folder of the record's photos. */
  idPrefix: string;
  folder: string;
  max: number;
  /** The 409 when the record has `max` photos already. */
  full: Message;
}

/**
 * Stores a checked photo of `record`: the blob first, then its row (only while the record has fewer
 * than `store.max`: counted in the same statement), its audit (`<targetType>.add_photo`) and event
 * (`<targetType>.photo_added`, with `payload`) in one batch; the blob goes again if the batch fails.
 */
export async function storeRecordPhoto<A extends string>(
  c: Context<AppEnv>,
  store: PhotoStore,
  record: { id: string; tenantId: string; divisionPath: string },
  author: A,
  image: ReceivedImage,
  payload: (photo: StoredPhoto<A>) => Record<string, unknown>,
): Promise<StoredPhoto<A>> {
  const blobs = c.get("blobs");
  if (!blobs) throw new ApiError("unavailable", msg("property.photo_storage_missing"));
  const now = c.get("clock").now();
  const id = newId(store.idPrefix, now.getTime());
  const photo: StoredPhoto<A> = {
    id,
    tenantId: record.tenantId,
    storageKey: `${store.folder}/${record.tenantId}/${record.id}/${id}`,
    contentType: image.type,
    bytes: image.bytes.length,
    sha256: image.sha256,
    author,
    createdAt: now.toISOString(),
  };
  await blobs.put(photo.storageKey, image.bytes, image.type);
  const parent = sql.identifier(store.parentColumn);
  try {
    await commit(c, {
      writes: [
        c
          .get("db")
          .run(sql`insert into ${store.table} (id, tenant_id, ${parent}, storage_key, content_type, bytes, sha256, author, created_at)
          select ${photo.id}, ${photo.tenantId}, ${record.id}, ${photo.storageKey}, ${photo.contentType}, ${photo.bytes}, ${photo.sha256}, ${photo.author}, ${photo.createdAt}
          where (select count(*) from ${store.table} where tenant_id = ${photo.tenantId} and ${parent} = ${record.id}) < ${store.max}`),
        guardChanged(),
      ],
      audit: {
        action: `${store.targetType}.add_photo`,
        targetType: store.targetType,
        targetId: record.id,
        divisionPath: record.divisionPath,
        tenantId: record.tenantId,
        changes: {
          photoId: photo.id,
          author,
          bytes: photo.bytes,
          contentType: photo.contentType,
          strippedBytes: image.strippedBytes,
        },
      },
      events: [
        {
          type: `${store.targetType}.photo_added`,
          subjectType: store.targetType,
          subjectId: record.id,
          payload: payload(photo),
          tenantId: record.tenantId,
        },
      ],
    });
  } catch (err) {
    await blobs.delete(photo.storageKey).catch(() => {});
    if (err instanceof GuardFailed) throw new ApiError("conflict", store.full);
    throw err;
  }
  return photo;
}

/** A photo as the API shows it: no storage key, no hash. */
export interface ShownPhoto<A extends string> {
  id: string;
  contentType: ImageType;
  bytes: number;
  author: A;
  createdAt: string;
}

export const presentPhoto = <A extends string>(photo: ShownPhoto<A>): ShownPhoto<A> => ({
  id: photo.id,
  contentType: photo.contentType,
  bytes: photo.bytes,
  author: photo.author,
  createdAt: photo.createdAt,
});

/** A record's photos, oldest first (at most `store.max`), for a caller already allowed to read the record. */
export async function photosOfRecord<A extends string>(
  c: Context<AppEnv>,
  store: PhotoStore,
  record: { id: string; tenantId: string },
): Promise<ShownPhoto<A>[]> {
  return c.get("db").all<ShownPhoto<A>>(
    sql`select id, content_type as "contentType", bytes, author, created_at as "createdAt" from ${store.table}
      where tenant_id = ${record.tenantId} and ${sql.identifier(store.parentColumn)} = ${record.id}
      order by id limit ${store.max}`,
  );
}

/** The bytes of one photo of the record (which the caller may already read); a photo of another record is a 404. */
export async function serveRecordPhoto(
  c: Context<AppEnv>,
  store: PhotoStore,
  record: { id: string; tenantId: string },
  photoId: string,
): Promise<Response> {
  const [row] = await c.get("db").all<{ storageKey: string; contentType: string }>(
    sql`select storage_key as "storageKey", content_type as "contentType" from ${store.table}
      where tenant_id = ${record.tenantId} and ${sql.identifier(store.parentColumn)} = ${record.id} and id = ${photoId}`,
  );
  const response = row && (await sendImage(c, row.storageKey, row.contentType));
  if (!response) throw notFound("photo");
  return response;
}
