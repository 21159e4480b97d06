import { assertBlobKey, type BlobStore } from "../shared/blobs.js";

/** The part of an R2 bucket binding this uses (structural, so no Workers types leak into the app). */
export interface R2BucketLike {
  put(key: string, value: Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  delete(key: string): Promise<void>;
}

/** Photos in an R2 bucket (`[[r2_buckets]] binding = "PHOTOS"` in wrangler.toml). */
export function r2BlobStore(bucket: R2BucketLike): BlobStore {
  return {
    async put(key, bytes, contentType) {
      assertBlobKey(key);
      await bucket.put(key, bytes, { httpMetadata: { contentType } });
    },
    async get(key) {
      assertBlobKey(key);
      const object = await bucket.get(key);
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
    async delete(key) {
      assertBlobKey(key);
      await bucket.delete(key);
    },
  };
}
