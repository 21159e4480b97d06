import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small S3-compatible object store on 127.0.0.1 for tests (no real S3 or MinIO can be installed
 * here): path-style PUT/GET/HEAD/DELETE of whole objects, kept in memory. It checks every request's
 * AWS Signature Version 4 with its OWN implementation of the algorithm (from AWS's specification,
 * not the library's code): the Authorization header or the pre-signed query, the credential scope,
 * the signed headers as they arrived, the payload hash when one is declared, the request time
 * (15 minutes either way) and a pre-signed URL's expiry, against the clock it is given.
 */
export interface S3Stub {
  endpoint: string;
  bucket: string;
  objects: Map<string, { bytes: Buffer; contentType: string }>;
  /** Every refused request, with the reason, for assertions. */
  refusals: string[];
  close(): Promise<void>;
}

export const stubCredentials = {
  accessKeyId: "AKIDHEXITEST",
  secretAccessKey: "hexi-test-secret-key",
  region: "cn-northwest-1",
};

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
const amzTime = (stamp: string) =>
  Date.parse(
    `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
  );

function signature(secret: string, scope: string[], amzDate: string, canonical: string) {
  const [day, region, service] = scope;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope.join("/"), sha256(canonical)].join("\n");
  let key = hmac(`AWS4${secret}`, day!);
  key = hmac(key, region!);
  key = hmac(key, service!);
  key = hmac(key, "aws4_request");
  return createHmac("sha256", key).update(toSign).digest("hex");
}

/** Why the request's signature is not acceptable, or undefined when it is. */
function refusal(req: IncomingMessage, body: Buffer, now: Date): string | undefined {
  const url = new URL(req.url!, "http://stub");
  const presigned = url.searchParams.has("X-Amz-Signature");
  let credential: string;
  let signedHeaders: string;
  let given: string;
  let amzDate: string;
  if (presigned) {
    if (url.searchParams.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return "algorithm";
    credential = url.searchParams.get("X-Amz-Credential") ?? "";
    signedHeaders = url.searchParams.get("X-Amz-SignedHeaders") ?? "";
    given = url.searchParams.get("X-Amz-Signature") ?? "";
    amzDate = url.searchParams.get("X-Amz-Date") ?? "";
    const expires = Number(url.searchParams.get("X-Amz-Expires"));
    if (!(expires > 0 && expires <= 604_800)) return "expires";
    if (now.getTime() > amzTime(amzDate) + expires * 1000) return "expired";
  } else {
    const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      req.headers.authorization ?? "",
    );
    if (!match) return "authorization header";
    [, credential, signedHeaders, given] = match as unknown as [string, string, string, string];
    amzDate = String(req.headers["x-amz-date"] ?? "");
    if (Math.abs(now.getTime() - amzTime(amzDate)) > 15 * 60_000) return "request time";
  }
  const [keyId, ...scope] = credential.split("/");
  if (keyId !== stubCredentials.accessKeyId) return "access key";
  if (scope.length !== 4 || scope[0] !== amzDate.slice(0, 8) || scope[1] !== stubCredentials.region)
    return "credential scope";
  if (scope[2] !== "s3" || scope[3] !== "aws4_request") return "credential scope";
  const names = signedHeaders.split(";");
  if (!names.includes("host")) return "host not signed";
  let payloadHash = "UNSIGNED-PAYLOAD";
  if (!presigned) {
    payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
    if (!names.includes("x-amz-content-sha256") || !names.includes("x-amz-date")) return "signed headers";
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256(body)) return "payload hash";
  }
  const query = [...url.searchParams.entries()]
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a, x], [b, y]) => (a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headerLines = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const canonical = [req.method, url.pathname, query, headerLines, signedHeaders, payloadHash].join("\n");
  const expected = signature(stubCredentials.secretAccessKey, scope, amzDate, canonical);
  return expected === given ? undefined : "signature";
}

export async function startS3Stub(now: () => Date, bucket = "hexi-photos"): Promise<S3Stub> {
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  const refusals: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const why = refusal(req, body, now());
    if (why) {
      refusals.push(`${req.method} ${why}`);
      res
        .writeHead(403, { "content-type": "application/xml" })
        .end("<Error><Code>SignatureDoesNotMatch</Code></Error>");
      return;
    }
    const path = new URL(req.url!, "http://stub").pathname;
    if (!path.startsWith(`/${bucket}/`)) return void res.writeHead(404).end();
    const key = path.slice(bucket.length + 2);
    const object = objects.get(key);
    switch (req.method) {
      case "PUT":
        objects.set(key, { bytes: body, contentType: String(req.headers["content-type"] ?? "") });
        return void res.writeHead(200, { etag: `"${sha256(body).slice(0, 32)}"` }).end();
      case "GET":
      case "HEAD":
        if (!object) return void res.writeHead(404).end();
        res.writeHead(200, { "content-type": object.contentType, "content-length": object.bytes.length });
        return void res.end(req.method === "GET" ? object.bytes : undefined);
      case "DELETE":
        objects.delete(key);
        return void res.writeHead(204).end();
      default:
        return void res.writeHead(405).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    objects,
    refusals,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
