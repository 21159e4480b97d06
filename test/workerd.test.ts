/**
 * The Worker entry (src/worker.ts), bundled the way wrangler bundles it and run in workerd by
 * Miniflare, against the real libSQL engine behind a local Hrana HTTP server. One file on purpose:
 * each workerd start costs about a second.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createClient as createWebClient } from "@libsql/client/web";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePiiKeyMaterial } from "../src/shared/crypto/pii.js";
import { divisions } from "../src/db/tables.js";
import { bundleWorkerWithDatabase } from "./helpers/worker-bundle.js";
import {
  createSigningKey,
  signToken,
  testAudience,
  testIssuer,
  type SigningKey,
  type TokenOptions,
} from "./helpers/keys.js";
import { startLibsqlHttpServer } from "./libsql-http-server.js";
import { and, eq, getTableName } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { seedDemo } from "../src/db/seed/demo.js";
import { seedDemoRecords } from "../src/node/demo-records.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { createPiiVault, type PiiKeyMaterial } from "../src/shared/crypto/pii.js";
import type { VersionedTable } from "../src/shared/store/records.js";
import { employerFeedback, participations } from "../src/domains/activities/tables.js";
import { sites, teams, volunteers } from "../src/domains/emergency/tables.js";
import { mobilityRecords } from "../src/domains/governance/tables.js";
import { needs, postClaims, servicePosts } from "../src/domains/lists/tables.js";
import { units } from "../src/domains/organisations/tables.js";
import { orgReports } from "../src/domains/reports/tables.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const wranglerToml = readFileSync(join(root, "wrangler.toml"), "utf8");
const tomlString = (key: string) => {
  const match = new RegExp(`^${key}\\s*=\\s*"([^"]+)"`, "m").exec(wranglerToml);
  if (!match) throw new Error(`wrangler.toml has no ${key}`);
  return match[1]!;
};
const dbToken = "hrana-test-token";

let dir: string;
let bundled: string;
let mf: Miniflare;
let hrana: Awaited<ReturnType<typeof startLibsqlHttpServer>>;
let key: SigningKey;
/** The platform's own signing key (HEXI_SIGNING_JWKS): signs the OAuth token endpoint's tokens. */
let platformKey: SigningKey;
let seeded: { id: string; tenantId: string; level: string }[];
const stderr: string[] = [];
let hranaRecords: Awaited<ReturnType<typeof startLibsqlHttpServer>>;
/** One record per domain table of the records database, in a state its action starts from. */
let picked: Awaited<ReturnType<typeof seedRecords>>;

/** Migrates and seeds `file` with the demo tree and its records (1 %), and picks a record per write to count. */
async function seedRecords(file: string, pii: PiiKeyMaterial) {
  const { client, db } = openDatabase(`file:${file}`);
  await migrateDatabase(db);
  await seedDemo(db);
  await seedDemoRecords(client, db, await createPiiVault(pii), new Date());
  const pick = async (table: VersionedTable & { status?: SQLiteColumn }, status?: string) => {
    const [row] = await db
      .select({ id: table.id, version: table.version })
      .from(table as SQLiteTable)
      .where(and(eq(table.tenantId, "620902"), status && table.status ? eq(table.status, status) : undefined))
      .orderBy(table.id)
      .limit(1);
    if (!row) throw new Error(`the demo records have no ${getTableName(table)} ${status ?? ""}`);
    return row as { id: string; version: number };
  };
  const rows = {
    orgReport: await pick(orgReports, "submitted"),
    servicePost: await pick(servicePosts, "open"),
    postClaim: await pick(postClaims, "active"),
    need: await pick(needs, "open"),
    participation: await pick(participations, "signed_up"),
    feedback: await pick(employerFeedback, "generated"),
    mobility: await pick(mobilityRecords, "outflow"),
    site: await pick(sites, "open"),
    team: await pick(teams),
    volunteer: await pick(volunteers),
    unit: await pick(units),
  };
  client.close();
  return rows;
}

async function get(path: string, token?: TokenOptions, worker?: string): Promise<Response> {
  const headers: Record<string, string> = token
    ? { authorization: `Bearer ${await signToken(key, token, new Date())}` }
    : {};
  const url = `http://hexi.test${path}`;
  // Miniflare's undici Response is structurally the Fetch API's.
  const response = worker
    ? await (await mf.getWorker(worker)).fetch(url, { headers })
    : await mf.dispatchFetch(url, { headers });
  return response as unknown as Response;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hexi-workerd-"));

  // Bundle as wrangler does, then migrate and seed from Node through the embedded engine and serve the same file over Hrana.
  const { scriptPath, file, client, db } = await bundleWorkerWithDatabase(root, dir);
  bundled = readFileSync(scriptPath, "utf8");
  seeded = await db.select({ id: divisions.id, tenantId: divisions.tenantId, level: divisions.level }).from(divisions);
  client.close();
  hrana = await startLibsqlHttpServer({ file, authToken: dbToken });
  const pii = generatePiiKeyMaterial("test1");
  // A second database holding the demo's records in every domain, served by its own Hrana server.
  const records = join(dir, "records.db");
  picked = await seedRecords(records, pii);
  hranaRecords = await startLibsqlHttpServer({ file: records, authToken: dbToken });

  key = await createSigningKey();
  platformKey = await createSigningKey("platform-2026-11");
  const compatibilityDate = tomlString("compatibility_date");
  const bindings = {
    DATABASE_URL: hrana.url,
    DATABASE_AUTH_TOKEN: dbToken,
    HEXI_JWT_ISSUER: testIssuer,
    HEXI_JWT_AUDIENCE: testAudience,
    HEXI_JWT_PUBLIC_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
    HEXI_SIGNING_JWKS: JSON.stringify({ keys: [platformKey.privateJwk] }),
    HEXI_PII_KEYS: JSON.stringify(pii.encryptionKeys),
    HEXI_PII_KEY_ID: pii.currentKeyId,
    HEXI_PII_HMAC_KEY: pii.hmacKey,
  };
  const { HEXI_SIGNING_JWKS: _absent, ...withoutKeys } = bindings;
  // As wrangler.toml's [[durable_objects.bindings]]; the "cold" Worker shares hexi's objects, like two isolates of one Worker.
  const rateLimiter = (scriptName?: string) => ({
    RATE_LIMITER: { className: "RateLimiterObject", useSQLite: true, ...(scriptName ? { scriptName } : {}) },
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
        compatibilityDate,
        bindings,
        durableObjects: rateLimiter(),
        // As wrangler.toml's [assets] with run_worker_first = true.
        assets: {
          directory: resolve(root, tomlString("directory")),
          binding: tomlString("binding"),
          routerConfig: {
            has_user_worker: true,
            invoke_user_worker_ahead_of_assets: /^run_worker_first\s*=\s*true/m.test(wranglerToml),
          },
        },
      },
      // The same bundle again, left cold until a burst of concurrent first requests.
      {
        name: "cold",
        modules: true,
        modulesRoot: dir,
        scriptPath,
        compatibilityDate,
        bindings,
        durableObjects: rateLimiter("hexi"),
      },
      // The same bundle on the database with every domain's records (round trips per domain).
      {
        name: "records",
        modules: true,
        modulesRoot: dir,
        scriptPath,
        compatibilityDate,
        bindings: { ...bindings, DATABASE_URL: hranaRecords.url },
        durableObjects: rateLimiter("hexi"),
      },
      // The same bundle without the platform's signing keys: it must refuse to serve, and say why.
      { name: "misconfigured", modules: true, modulesRoot: dir, scriptPath, compatibilityDate, bindings: withoutKeys },
    ],
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await hrana?.close();
  await hranaRecords?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const divisionsOf = (tenant: string) => seeded.filter((d) => d.tenantId === tenant).map((d) => d.id);

describe("the Worker in workerd", () => {
  it("is bundled with wrangler.toml's aliases: zod's locales other than English stay out", () => {
    // A sentence of zod's Arabic locale (node_modules/zod/v4/locales/ar.js), and one of its English one.
    expect(bundled).not.toContain("مدخلات غير مقبولة");
    expect(bundled).toContain("Invalid input");
  });

  it("answers /healthz after reaching the database over HTTP with its auth token", async () => {
    const res = await get("/healthz");
    expect(res.status, stderr.join("")).toBe(200); // the runtime's log says why not
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const body = (await res.json()) as { status: string; database: string; time: string };
    expect(body).toMatchObject({ status: "ok", database: "ok" });
    expect(Math.abs(Date.parse(body.time) - Date.now())).toBeLessThan(60_000);
  });

  it("rejects /v1/me without a token with a problem, and answers with one", async () => {
    const anonymous = await get("/v1/me");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await anonymous.json()).toMatchObject({ status: 401, code: "unauthenticated" });

    const wrongKey = await signToken(await createSigningKey("other-key"), {}, new Date());
    const forged = await mf.dispatchFetch("http://hexi.test/v1/me", {
      headers: { authorization: `Bearer ${wrongKey}` },
    });
    expect(forged.status).toBe(401);

    const me = await get("/v1/me", { tenant: "620902", roles: ["county_admin"], sub: "user-7" });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      tenant: "620902",
      subject: "user-7",
      roles: ["county_admin"],
      credential: "jwt",
      crossTenant: false,
    });
  });

  it("pages through /v1/divisions with cursors, within the token's tenant only", async () => {
    const expected = divisionsOf("620902");
    expect(expected.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/v1/divisions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, {
        tenant: "620902",
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: { id: string; tenant: string }[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const d of page.data) expect(d.tenant).toBe("620902");
      seen.push(...page.data.map((d) => d.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...expected].sort());
    // Pages are fetched with limit + 1 rows, so a full last page already says there is no next one.
    expect(pages).toBe(Math.ceil(expected.length / 2));
  });

  it("answers a burst of concurrent requests on a cold isolate", async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => get("/v1/divisions?limit=5", { tenant: "620921" }, "cold")),
    );
    for (const res of responses) {
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: { tenant: string }[] };
      expect(page.data.length).toBeGreaterThan(0);
      expect(page.data.every((d) => d.tenant === "620921")).toBe(true);
    }
  });

  it("hides another tenant's division behind a 404", async () => {
    const [foreign] = divisionsOf("620921");
    expect(foreign).toBeDefined();
    const own = await get(`/v1/divisions/${foreign}`, { tenant: "620921" });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id: foreign, tenant: "620921" });

    const cross = await get(`/v1/divisions/${foreign}`, { tenant: "620902" });
    expect(cross.status).toBe(404);
    expect(await cross.json()).toMatchObject({ status: 404, code: "not_found" });
  });

  it("serves the OpenAPI document and the docs page", async () => {
    const doc = await get("/openapi.json");
    expect(doc.status).toBe(200);
    const body = (await doc.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(["/healthz", "/v1/me", "/v1/divisions", "/v1/divisions/{id}"]),
    );

    const page = await get("/docs");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/docs/assets/swagger-ui-bundle.js">');
  });

  it("serves the docs UI's files from the ASSETS binding, and only under /docs/assets", async () => {
    const css = await get("/docs/assets/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const onDisk = readFileSync(join(root, tomlString("directory"), "docs", "swagger-ui.css"), "utf8");
    expect(await css.text()).toBe(onDisk);

    const icon = await get("/docs/assets/favicon-32x32.png");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await icon.arrayBuffer()).subarray(1, 4)).toEqual(new TextEncoder().encode("PNG"));

    // run_worker_first: the package's other files are not published at the root.
    const raw = await get("/swagger-ui.css");
    expect(raw.status).toBe(404);
    expect(raw.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await get("/docs/assets/package.json")).status).toBe(404);
  });

  it("serves the console page with its CSP, and its built files from the same ASSETS directory", async () => {
    const page = await get("/console/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/console/assets/app.js">');
    const script = await get("/console/assets/app.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toBe(readFileSync(join(root, tomlString("directory"), "console", "app.js"), "utf8"));
    // Only the listed files, and never the raw directory.
    expect((await get("/console/assets/../docs/swagger-ui.css")).status).toBe(404);
    expect((await get("/console/app.js")).status).toBe(404);
  });

  it("refuses to serve without the platform's signing keys, and logs why", async () => {
    const res = await get("/healthz", undefined, "misconfigured");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 503, code: "unavailable" });
    await expect.poll(() => stderr.join(""), { timeout: 5000 }).toContain("HEXI_SIGNING_JWKS");
  });
});

async function send(
  method: string,
  path: string,
  options: {
    token?: TokenOptions;
    headers?: Record<string, string>;
    json?: unknown;
    body?: string;
    worker?: string;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    ...(options.token ? { authorization: `Bearer ${await signToken(key, options.token, new Date())}` } : {}),
    ...options.headers,
  };
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const init = { method, headers, body };
  const url = `http://hexi.test${path}`;
  const response = options.worker
    ? await (await mf.getWorker(options.worker)).fetch(url, init)
    : await mf.dispatchFetch(url, init);
  return response as unknown as Response;
}

describe("third-party access in workerd", () => {
  const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };

  it("counts an API key's quota in the RATE_LIMITER Durable Object, shared by every isolate", async () => {
    const created = await send("POST", "/v1/api-keys", {
      token: county,
      json: { name: "workerd", scopes: ["divisions:read"], rateLimitPerMinute: 2 },
    });
    expect(created.status, stderr.join("")).toBe(201);
    const { key: apiKey } = (await created.json()) as { key: string };
    const use = (worker: string) => send("GET", "/v1/divisions?limit=1", { headers: { "x-api-key": apiKey }, worker });

    const first = await use("hexi");
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"key";q=2;w=60, "tenant";q=6000;w=60');
    expect(first.headers.get("ratelimit")).toMatch(/^"key";r=1;t=\d+, "tenant";r=\d+;t=\d+$/);
    const second = await use("cold"); // another Worker instance, the same objects
    expect(second.status).toBe(200);
    expect(second.headers.get("ratelimit")).toMatch(/^"key";r=0;/);
    const third = await use("hexi");
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(29);
    expect(await third.json()).toMatchObject({ status: 429, code: "rate_limited" });
  });

  it("checks an API key's allow-list against CF-Connecting-IP", async () => {
    const created = await send("POST", "/v1/api-keys", {
      token: county,
      json: { name: "allow-list", scopes: ["divisions:read"], ipAllowList: ["203.0.113.0/24"] },
    });
    const { key: apiKey } = (await created.json()) as { key: string };
    const from = (ip: string) =>
      send("GET", "/v1/divisions?limit=1", { headers: { "x-api-key": apiKey, "cf-connecting-ip": ip } });
    expect((await from("203.0.113.9")).status).toBe(200);
    expect((await from("198.51.100.9")).status).toBe(403);
  });

  it("issues OAuth client-credentials tokens signed with HEXI_SIGNING_JWKS, verified by the same Worker", async () => {
    const created = await send("POST", "/v1/api-clients", {
      token: county,
      json: { name: "district system", roles: ["auditor"] },
    });
    expect(created.status).toBe(201);
    const client = (await created.json()) as { clientId: string; clientSecret: string };
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`;
    const issued = await send("POST", "/v1/oauth/token", {
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(issued.status, stderr.join("")).toBe(200);
    const { access_token: accessToken, expires_in: expiresIn } = (await issued.json()) as {
      access_token: string;
      expires_in: number;
    };
    expect(expiresIn).toBe(900);
    expect(JSON.parse(Buffer.from(accessToken.split(".")[0]!, "base64url").toString())).toMatchObject({
      alg: "ES256",
      kid: "platform-2026-11",
    });

    const me = await send("GET", "/v1/me", { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ tenant: "620902", subject: client.clientId, roles: ["auditor"] });
    expect(me.headers.get("ratelimit-policy")).toMatch(/^"client";q=600;w=60/);

    const wrong = await send("POST", "/v1/oauth/token", {
      json: { grant_type: "client_credentials", client_id: client.clientId, client_secret: "hxs_wrong" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: "invalid_client" });

    const jwks = (await (await send("GET", "/.well-known/jwks.json")).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(["platform-2026-11"]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });
});

/**
 * Every `POST /v2/pipeline` is a network round trip from the edge to Turso (~30 ms away): a read
 * costs one, a create two (its reads and the idempotency lookup in one batch, then the write batch),
 * an update or an action one. These counts only grow by accident, so they are held here.
 */
const roundTripBudgets = {
  "create member": 2,
  "create member report": 2,
  "replay a create": 1,
  "read by id": 1,
  "list page": 1,
  "PATCH with If-Match": 1,
  "stale PATCH": 2,
  action: 1,
  "create API key": 1,
  "API key, first use": 2,
  "API key, next use": 1,
};

describe("round trips to the database per operation", () => {
  const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-trips" };
  const counted: Record<string, number> = {};
  /** The requests the operation made, including work deferred past its response (`waitUntil`). */
  async function trips(name: string, operation: () => Promise<Response>, expectedStatus: number) {
    const before = hrana.pipelines;
    const res = await operation();
    expect(res.status, `${name}: ${stderr.join("")}`).toBe(expectedStatus);
    const body = await res.json();
    counted[name] = hrana.pipelines - before;
    return { res, body: body as Record<string, unknown> & { id: string; version: number } };
  }
  afterAll(() => console.info(`Hrana round trips per operation: ${JSON.stringify(counted)}`));

  it("reads by id and list pages take one, creates two, updates and actions one", async () => {
    await get("/v1/divisions?limit=1", county); // the isolate's directory and keys are loaded once
    const community = seeded.find((d) => d.tenantId === "620902" && d.level === "community")!.id;
    const admin: TokenOptions = { tenant: "620902", roles: ["community_admin"], org: community, sub: "trips" };
    // One token for every call, as a client holds one: a new token's principal is resolved once (its org's path).
    const bearer = { authorization: `Bearer ${await signToken(key, admin, new Date())}` };
    expect((await send("GET", "/v1/me", { headers: bearer })).status).toBe(200);
    const idCard = "620902198805010024";
    const member = await trips(
      "create member",
      () =>
        send("POST", "/v1/members", {
          headers: { ...bearer, "idempotency-key": "trips-member-1" },
          json: {
            name: "张丽",
            status: "full",
            classification: "in_service",
            residenceDivisionId: community,
            gender: "female",
            birthDate: "1988-05-01",
            idCard,
            joinDate: "2010-07-01",
          },
        }),
      201,
    );
    const report = { memberId: member.body.id, communityId: community, channel: "online", skills: ["法律咨询"] };
    const create = () =>
      send("POST", "/v1/member-reports", {
        headers: { ...bearer, "idempotency-key": "trips-report-1" },
        json: report,
      });
    const created = await trips("create member report", create, 201);
    const replayed = await trips("replay a create", create, 201);
    expect(replayed.res.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.body).toEqual(created.body);

    await trips("read by id", () => send("GET", `/v1/member-reports/${created.body.id}`, { headers: bearer }), 200);
    const list = await trips(
      "list page",
      () =>
        send("GET", `/v1/member-reports?communityId=${community}&status=submitted&order=newest&limit=20`, {
          headers: bearer,
        }),
      200,
    );
    expect((list.body.data as { id: string }[]).map((r) => r.id)).toEqual([created.body.id]);
    const patched = await trips(
      "PATCH with If-Match",
      () =>
        send("PATCH", `/v1/members/${member.body.id}`, {
          headers: { ...bearer, "if-match": `"v${member.body.version}"` },
          json: { skills: ["急救"] },
        }),
      200,
    );
    expect(patched.body).toMatchObject({ skills: ["急救"], version: member.body.version + 1 });
    const stale = await trips(
      "stale PATCH",
      () =>
        send("PATCH", `/v1/members/${member.body.id}`, {
          headers: { ...bearer, "if-match": `"v${member.body.version}"` },
          json: { skills: ["维修"] },
        }),
      412,
    );
    expect(stale.body).toMatchObject({ code: "precondition_failed" });
    const confirmed = await trips(
      "action",
      () => send("POST", `/v1/member-reports/${created.body.id}/confirm`, { headers: bearer }),
      200,
    );
    expect(confirmed.body).toMatchObject({ status: "confirmed", version: 2 });

    const apiKey = await trips(
      "create API key",
      () => send("POST", "/v1/api-keys", { token: county, json: { name: "trips", scopes: ["reports:read"] } }),
      201,
    );
    const before = hrana.pipelines;
    const useKey = () =>
      send("GET", `/v1/member-reports/${created.body.id}`, { headers: { "x-api-key": apiKey.body.key as string } });
    expect((await useKey()).status).toBe(200);
    // The key's lookup (with its `last_used_at`, in the same batch) and the read itself; nothing deferred.
    await expect.poll(() => hrana.pipelines - before).toBe(roundTripBudgets["API key, first use"]);
    counted["API key, first use"] = hrana.pipelines - before;
    await trips("API key, next use", useKey, 200);

    // Held at what they are: an operation that takes one more round trip fails here.
    expect(counted).toEqual(roundTripBudgets);
  });
});

/**
 * Every domain's writes, one round trip each where the batch itself can check the condition (reach,
 * state, If-Match version): the update is conditional and carries its guard, audit and events.
 * Each write is `[what, method, path, body, status]`; a PATCH sends the version it was picked at.
 */
describe("round trips per domain write", () => {
  const admin: TokenOptions = { tenant: "620902", roles: ["county_admin", "community_admin"], sub: "domain-trips" };
  const counted: Record<string, number> = {};
  afterAll(() => console.info(`Hrana round trips per domain write: ${JSON.stringify(counted)}`));

  it("takes one for each action and PATCH", async () => {
    const bearer = { authorization: `Bearer ${await signToken(key, admin, new Date())}` };
    expect((await send("GET", "/v1/me", { headers: bearer, worker: "records" })).status).toBe(200);
    const p = picked;
    const ifMatch = (row: { version: number }) => ({ "if-match": `"v${row.version}"` });
    const writes: [string, string, string, unknown, Record<string, string>, number][] = [
      ["org report: receive", "POST", `/v1/org-reports/${p.orgReport.id}/receive`, undefined, {}, 200],
      ["service post: close", "POST", `/v1/service-posts/${p.servicePost.id}/close`, undefined, {}, 200],
      ["post claim: release", "POST", `/v1/post-claims/${p.postClaim.id}/release`, undefined, {}, 200],
      ["need: PATCH", "PATCH", `/v1/needs/${p.need.id}`, { quantity: 3 }, ifMatch(p.need), 200],
      ["participation: check in", "POST", `/v1/participations/${p.participation.id}/check-in`, undefined, {}, 200],
      ["employer feedback: send", "POST", `/v1/employer-feedback/${p.feedback.id}/send`, undefined, {}, 200],
      [
        "mobility record: lose contact",
        "POST",
        `/v1/mobility-records/${p.mobility.id}/lose-contact`,
        undefined,
        {},
        200,
      ],
      ["site: PATCH", "PATCH", `/v1/sites/${p.site.id}`, { occupancy: 0 }, ifMatch(p.site), 200],
      ["site: close", "POST", `/v1/sites/${p.site.id}/close`, undefined, {}, 200],
      ["team: PATCH", "PATCH", `/v1/teams/${p.team.id}`, { quorum: 2 }, ifMatch(p.team), 200],
      ["volunteer: PATCH", "PATCH", `/v1/volunteers/${p.volunteer.id}`, { active: true }, ifMatch(p.volunteer), 200],
      ["unit: PATCH", "PATCH", `/v1/units/${p.unit.id}`, { name: "酒泉市测试单位" }, ifMatch(p.unit), 200],
      // Refused inside the batch: the second read only says why (a stale If-Match is 412).
      ["stale PATCH (need)", "PATCH", `/v1/needs/${p.need.id}`, { quantity: 4 }, ifMatch(p.need), 412],
      ["refused action (site already closed)", "POST", `/v1/sites/${p.site.id}/close`, undefined, {}, 409],
    ];
    for (const [what, method, path, json, headers, status] of writes) {
      const before = hranaRecords.pipelines;
      const res = await send(method, path, { headers: { ...bearer, ...headers }, json, worker: "records" });
      expect(res.status, `${what}: ${await res.clone().text()} ${stderr.join("")}`).toBe(status);
      counted[what] = hranaRecords.pipelines - before;
    }
    const expected = Object.fromEntries(writes.map(([what, , , , , status]) => [what, status < 400 ? 1 : 2] as const));
    expect(counted).toEqual(expected);
  });
});

// The stand-in database server must be faithful for the tests above to mean anything: the client
// the Worker uses, run from Node here, against a scratch database of its own.
describe("the Hrana test server", () => {
  let server: Awaited<ReturnType<typeof startLibsqlHttpServer>>;
  let client: ReturnType<typeof createWebClient>;
  const count = async (name: string) =>
    (await client.execute({ sql: "select count(*) as n from t where name = ?", args: [name] })).rows[0]!.n;

  beforeAll(async () => {
    server = await startLibsqlHttpServer({ file: join(dir, "scratch.db"), authToken: dbToken });
    client = createWebClient({ url: server.url, authToken: dbToken, intMode: "bigint" });
    await client.executeMultiple(
      "create table t (id integer primary key, name text unique, f real, b blob, n integer); create table u (x)",
    );
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("round-trips every value type, with columns, counts and row ids", async () => {
    const inserted = await client.execute({
      sql: "insert into t (name, f, b, n) values (?, ?, ?, ?)",
      args: ["a", 1.5, new Uint8Array([0, 1, 255]), 2n ** 62n],
    });
    expect(inserted.rowsAffected).toBe(1);
    expect(inserted.lastInsertRowid).toBe(1n);
    const { columns, columnTypes, rows } = await client.execute({
      sql: "select id, name, f, b, n, null as z from t where name = :name",
      args: { name: "a" },
    });
    expect(columns).toEqual(["id", "name", "f", "b", "n", "z"]);
    expect(columnTypes.slice(0, 5)).toEqual(["INTEGER", "TEXT", "REAL", "BLOB", "INTEGER"]);
    const [row] = rows;
    expect([row!.id, row!.name, row!.f, row!.n, row!.z]).toEqual([1n, "a", 1.5, 2n ** 62n, null]);
    expect(new Uint8Array(row!.b as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 255]));
    const returning = await client.execute({ sql: "insert into t (name) values (?) returning id", args: ["r"] });
    expect([returning.rowsAffected, returning.rows[0]!.id]).toEqual([1, 2n]);
  });

  it("reports constraint violations with SQLite's extended code", async () => {
    await expect(client.execute({ sql: "insert into t (name) values (?)", args: ["a"] })).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT_UNIQUE",
    });
  });

  it("runs a batch all or nothing", async () => {
    await expect(
      client.batch(["insert into t (name) values ('b1')", "insert into t (name) values ('a')"], "write"),
    ).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
    expect(await count("b1")).toBe(0n);
    const results = await client.batch(["insert into t (name) values ('b2')", "select count(*) as n from t"], "write");
    expect(results[1]!.rows[0]!.n).toBe(3n); // a, r and b2
  });

  it("keeps an interactive transaction on its own stream until commit or rollback", async () => {
    const tx = await client.transaction("write");
    await tx.execute("insert into t (name) values ('tx')");
    expect((await tx.execute("select count(*) as n from t where name = 'tx'")).rows[0]!.n).toBe(1n);
    expect(await count("tx")).toBe(0n);
    await tx.rollback();
    expect(await count("tx")).toBe(0n);

    const committed = await client.transaction("write");
    await committed.execute("insert into t (name) values ('tx')");
    await committed.commit();
    expect(await count("tx")).toBe(1n);
  });

  it("refuses a wrong token and an unknown baton", async () => {
    const wrong = createWebClient({ url: server.url, authToken: "wrong" });
    await expect(wrong.execute("select 1")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    wrong.close();
    const res = await fetch(`${server.url}/v2/pipeline`, {
      method: "POST",
      headers: { authorization: `Bearer ${dbToken}`, "content-type": "application/json" },
      body: JSON.stringify({ baton: "not-a-baton", requests: [{ type: "close" }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "STREAM_EXPIRED" });
    expect((await fetch(`${server.url}/v2`)).status).toBe(200);
  });
});
