/**
 * Where uploaded files (complaint photos) live: a directory on Node, an R2 bucket on Workers, memory in
 * tests. Keys are `/`-separated paths the app builds from ids (never from client input). The database
 * holds each file's key, type, size and hash; the store holds only bytes.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
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
