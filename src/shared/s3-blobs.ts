import { AwsClient } from "aws4fetch";
import { assertBlobKey, type BlobStore, type PresignedUpload } from "./blobs.js";

/** Where an S3-compatible bucket is (AWS S3, MinIO, Ceph RGW, Aliyun OSS or Tencent COS in S3 mode, R2's S3 API). */
export interface S3Settings {
  /** The service's base URL, e.g. `https://s3.cn-northwest-1.amazonaws.com.cn` or `http://127.0.0.1:9000`. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** `20261204T101500Z`: SigV4's timestamp, from the injected clock (aws4fetch would read the wall clock). */
const amzDate = (now: Date) =>
  now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/**
 * Photos in an S3-compatible bucket, path-style (`<endpoint>/<bucket>/<key>`, which every
 * S3-compatible service accepts), signed with SigV4 by `aws4fetch` (a few KB, fetch and
 * SubtleCrypto only, so the same adapter runs on Workers and Node). It also hands out pre-signed
 * PUT URLs, which bind the content type and exact length, so a client uploads straight to the bucket.
 */
export function s3BlobStore(
  settings: S3Settings,
  options: { now: () => Date; fetch?: typeof fetch },
): BlobStore & Required<Pick<BlobStore, "presignPut" | "sizeOf">> {
  const client = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    service: "s3",
    region: settings.region,
    retries: 0,
  });
  const send = options.fetch ?? ((input: Request | string | URL, init?: RequestInit) => fetch(input, init));
  const base = `${settings.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(settings.bucket)}`;
  const urlOf = (key: string) => {
    assertBlobKey(key);
    return `${base}/${key}`;
  };
  async function call(method: string, key: string, init: { body?: Uint8Array; headers?: Record<string, string> } = {}) {
    const signed = await client.sign(urlOf(key), {
      method,
      headers: init.headers,
      body: init.body as Uint8Array<ArrayBuffer> | undefined,
      aws: { datetime: amzDate(options.now()) },
    });
    return send(signed);
  }
  const failed = async (what: string, res: Response) => {
    await res.body?.cancel();
    return new Error(`S3 ${what} answered ${res.status}`);
  };
  return {
    async put(key, bytes, contentType) {
      // The payload's hash is signed too (aws4fetch would send UNSIGNED-PAYLOAD): the bucket refuses altered bytes.
      const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
      const hex = [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
      const res = await call("PUT", key, {
        body: bytes,
        headers: { "content-type": contentType, "x-amz-content-sha256": hex },
      });
      if (!res.ok) throw await failed("PUT", res);
      await res.body?.cancel();
    },
    async get(key) {
      const res = await call("GET", key);
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) throw await failed("GET", res);
      return new Uint8Array(await res.arrayBuffer());
    },
    async delete(key) {
      const res = await call("DELETE", key);
      if (!res.ok && res.status !== 404) throw await failed("DELETE", res);
      await res.body?.cancel();
    },
    async sizeOf(key) {
      const res = await call("HEAD", key);
      if (res.status === 404) return null;
      if (!res.ok) throw await failed("HEAD", res);
      return Number(res.headers.get("content-length") ?? "0");
    },
    async presignPut(key, { contentType, bytes, expiresSeconds }): Promise<PresignedUpload> {
      const now = options.now();
      const url = new URL(urlOf(key));
      url.searchParams.set("X-Amz-Expires", String(expiresSeconds));
      const headers = { "content-type": contentType, "content-length": String(bytes) };
      // allHeaders: the length is signed too, so the bucket refuses a body of any other size.
      const signed = await client.sign(url.toString(), {
        method: "PUT",
        headers,
        aws: { signQuery: true, allHeaders: true, datetime: amzDate(now) },
      });
      return {
        method: "PUT",
        url: signed.url,
        headers,
        expiresAt: new Date(now.getTime() + expiresSeconds * 1000).toISOString(),
      };
    },
  };
}
