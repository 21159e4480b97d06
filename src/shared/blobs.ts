/**
 * Where uploaded files (complaint photos) live: a directory on Node, an R2 bucket on Workers, memory in
 * tests. Keys are `/`-separated paths the app builds from ids (never from client input). The database
 * holds each file's key, type, size and hash; the store holds only bytes.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
  /** The stored size in bytes, or null when absent: read before `get` of an object a client uploaded. */
  sizeOf?(key: string): Promise<number | null>;
  /**
   * A URL the client PUTs the file to directly, bound to the type, the exact length and an expiry
   * (S3-compatible stores only, src/shared/s3-blobs.ts; the others take uploads through the API).
   */
  presignPut?(
    key: string,
    options: { contentType: string; bytes: number; expiresSeconds: number },
  ): Promise<PresignedUpload>;
}

export interface PresignedUpload {
  method: "PUT";
  url: string;
  /** Headers the PUT must carry exactly as given (they are signed). */
  headers: Record<string, string>;
  expiresAt: string;
}

export function memoryBlobStore(): BlobStore & { size(): number } {
  const blobs = new Map<string, Uint8Array>();
  return {
    async put(key, bytes) {
      blobs.set(key, bytes.slice());
    },
    async get(key) {
      return blobs.get(key)?.slice() ?? null;
    },
    async delete(key) {
      blobs.delete(key);
    },
    size: () => blobs.size,
  };
}

/** Keys the app builds: letters, digits, `_`, `-` and `/` between non-empty parts. */
export function assertBlobKey(key: string): void {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(key)) throw new Error(`Not a blob key: ${key}`);
}
