/**
 * The Worker's Cron Trigger in workerd: src/worker.ts bundled as wrangler bundles it, the database
 * behind the local Hrana server, and the Worker's outbound fetches caught by Miniflare's
 * `outboundService` (webhook requests are recorded; the database's are passed through).
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createClient as createWebClient } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { newId } from "../../src/db/ids.js";
import { outboxEvents } from "../../src/db/tables.js";
import { webhookDeliveries, webhookEndpoints } from "../../src/domains/webhooks/tables.js";
import { createPiiVault, generatePiiKeyMaterial } from "../../src/shared/crypto/pii.js";
import { bundleWorkerWithDatabase } from "../helpers/worker-bundle.js";
import { createSigningKey } from "../helpers/keys.js";
import { startLibsqlHttpServer } from "../libsql-http-server.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const wranglerToml = readFileSync(join(root, "wrangler.toml"), "utf8");
const dbToken = "hrana-test-token";
const secret = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;

let dir: string;
let mf: Miniflare;
let hrana: Awaited<ReturnType<typeof startLibsqlHttpServer>>;
let db: Db;
let closeDb: () => void;
const stderr: string[] = [];
const hooks: { url: string; headers: Record<string, string>; body: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hexi-cron-"));
  const { scriptPath, file, ...local } = await bundleWorkerWithDatabase(root, dir);
  local.client.close();
  hrana = await startLibsqlHttpServer({ file, authToken: dbToken });
  const client = createWebClient({ url: hrana.url, authToken: dbToken });
  db = createDb(client as never);
  closeDb = () => client.close();

  const pii = generatePiiKeyMaterial("test1");
  const vault = await createPiiVault(pii);
  const platformKey = await createSigningKey("platform-cron");
  const now = new Date().toISOString();
  const endpoint = (id: string, url: string) => ({
    id,
    tenantId: "620902",
    url,
    description: null,
    eventTypes: ["member_report.confirmed"],
    status: "active" as const,
    createdBy: "jwt:620902:county-1",
    createdAt: now,
    updatedAt: now,
  });
  await db.insert(webhookEndpoints).values([
    {
      ...endpoint("whep_01KDVDNA011AKWK3RC504FTYF8", "https://hooks.example.com/hexi"),
      secretSealed: await vault.seal(secret),
    },
    // Stored before the rules tightened, say: the Worker still refuses to send it anywhere.
    {
      ...endpoint("whep_01KDVDNA011AKWK3RC504FTYF9", "https://169.254.169.254/latest/meta-data/"),
      secretSealed: await vault.seal(secret),
    },
  ]);
  await db.insert(outboxEvents).values({
    id: newId("evt", Date.now()),
    tenantId: "620902",
    type: "member_report.confirmed",
    subjectType: "member_report",
    subjectId: "mrep_01KDVDNA011AKWK3RC504FTYF8",
    payload: { memberReportId: "mrep_01KDVDNA011AKWK3RC504FTYF8", status: "confirmed" },
    createdAt: now,
  });

  mf = new Miniflare({
    handleRuntimeStdio: (out: Readable, err: Readable) => {
      out.resume();
      err.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    },
    workers: [
      {
        name: "hexi",
        modules: true,
        modulesRoot: dir,
        scriptPath,
        compatibilityDate: /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wranglerToml)![1]!,
        bindings: {
          DATABASE_URL: hrana.url,
          DATABASE_AUTH_TOKEN: dbToken,
          HEXI_SIGNING_JWKS: JSON.stringify({ keys: [platformKey.privateJwk] }),
          HEXI_PII_KEYS: JSON.stringify(pii.encryptionKeys),
          HEXI_PII_KEY_ID: pii.currentKeyId,
          HEXI_PII_HMAC_KEY: pii.hmacKey,
        },
        durableObjects: { RATE_LIMITER: { className: "RateLimiterObject", useSQLite: true } },
        outboundService: async (request: {
          url: string;
          method: string;
          headers: Headers;
          text(): Promise<string>;
        }) => {
          const headers = Object.fromEntries(request.headers as unknown as Iterable<[string, string]>);
          const body = await request.text();
          if (!request.url.startsWith("https://hooks.example.com/")) {
            // The database (Hrana over HTTP on 127.0.0.1) is reached as usual.
            const { authorization = "", "content-type": contentType = "application/json" } = headers;
            return (await fetch(request.url, {
              method: request.method,
              headers: { authorization, "content-type": contentType },
              body: body || undefined,
            })) as never;
          }
          hooks.push({ url: request.url, headers, body });
          return new Response(null, { status: 204 }) as never;
        },
      },
    ],
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  closeDb?.();
  await hrana?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the Worker's Cron Trigger", () => {
  it("is declared in wrangler.toml", () => {
    expect(wranglerToml).toMatch(/^\[triggers\]\s*\ncrons = \["\* \* \* \* \*"\]/m);
  });

  it("fans out the outbox and delivers a signed message, refusing a private target", async () => {
    const worker = await mf.getWorker("hexi");
    await worker.scheduled({ cron: "* * * * *", scheduledTime: new Date() });
    await expect
      .poll(async () => (await db.select().from(webhookDeliveries)).map((d) => d.status).sort(), {
        timeout: 10_000,
        message: stderr.join(""),
      })
      .toEqual(["failed", "succeeded"]);
    expect(hooks, stderr.join("")).toHaveLength(1);
    const [hook] = hooks;
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key)
      .update(`${hook!.headers["webhook-id"]}.${hook!.headers["webhook-timestamp"]}.${hook!.body}`)
      .digest("base64");
    expect(hook!.headers["webhook-signature"]).toBe(`v1,${expected}`);
    expect(JSON.parse(hook!.body)).toMatchObject({
      type: "member_report.confirmed",
      data: { id: "mrep_01KDVDNA011AKWK3RC504FTYF8", status: "confirmed" },
    });
    const [refused] = await db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, "whep_01KDVDNA011AKWK3RC504FTYF9"));
    expect(refused!.lastError).toMatch(/^Refused: .*169\.254\.169\.254/);
  });
});
