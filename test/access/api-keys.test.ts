import { createHash } from "node:crypto";
import type { Client } from "@libsql/client";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createDb } from "../../src/db/client.js";
import { divisions, idempotencyKeys } from "../../src/db/tables.js";
import { isWellFormedApiKey, newApiKey } from "../../src/domains/access/secrets.js";
import { apiKeys } from "../../src/domains/access/tables.js";
import { nodeClientIp } from "../../src/node/client-ip.js";
import { inRange, parseCidr, parseIp } from "../../src/shared/net/ip.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { testEpoch } from "../helpers/clock.js";
import { divisionNamed, insertMember } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let nowMs = Date.parse(testEpoch);
const clock = { now: () => new Date(nowMs) };
const advance = (ms: number) => (nowMs += ms);

const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const yumen: TokenOptions = { tenant: "620981", roles: ["county_admin"], sub: "yumen-1" };

beforeAll(async () => {
  ctx = await createTestContext({ clock });
});
afterAll(() => ctx.close());

type App = TestContext["app"];
type KeyRequest = { via?: "bearer" | "header"; ip?: string; method?: string; body?: unknown; app?: App };

/** A request authenticated with an API key only. */
async function withKey(key: string, path: string, options: KeyRequest = {}) {
  const headers: Record<string, string> =
    options.via === "header" ? { "x-api-key": key } : { authorization: `Bearer ${key}` };
  if (options.ip) headers["x-test-client-ip"] = options.ip;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await (options.app ?? ctx.app).request(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, text };
}

async function createKey(body: Record<string, unknown>, who = county) {
  const res = await ctx.call(who, "POST", "/v1/api-keys", {
    name: "社区服务小程序",
    scopes: ["tenants:read", "divisions:read"],
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string; start: string; status: string; version: number };
}

/** Same problem, ignoring the per-request id. */
const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

describe("API key format", () => {
  it("is hx_live_ + base62 + a checksum that rejects every single-character typo", () => {
    const key = newApiKey();
    expect(key).toMatch(/^hx_live_[0-9A-Za-z]{30}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    for (let i = "hx_live_".length; i < key.length; i++) {
      const swapped = key[i] === "a" ? "b" : "a";
      expect(isWellFormedApiKey(key.slice(0, i) + swapped + key.slice(i + 1)), `position ${i}`).toBe(false);
    }
    expect(isWellFormedApiKey(`${key}x`)).toBe(false);
    expect(new Set(Array.from({ length: 50 }, newApiKey)).size).toBe(50);
  });
});

describe("IP allow-list parsing", () => {
  it("parses IPv4, IPv6, mapped addresses and CIDRs exactly", () => {
    expect(parseIp("203.0.113.7")).toEqual(new Uint8Array([203, 0, 113, 7]));
    expect(parseIp("::ffff:203.0.113.7")).toEqual(new Uint8Array([203, 0, 113, 7]));
    expect(parseIp("2001:db8::1")?.length).toBe(16);
    for (const bad of [
      "01.2.3.4",
      "256.0.0.1",
      "1.2.3",
      "1::2::3",
      "fe80::1%eth0",
      "1:2:3:4:5:6:7:8:9",
      "",
      "example.org",
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
    for (const bad of ["203.0.113.1/24", "10.0.0.0/33", "2001:db8::/129", "1.2.3.4/", "a/b"])
      expect(parseCidr(bad), bad).toBeUndefined();
    const net = parseCidr("203.0.113.0/24")!;
    expect(inRange(parseIp("203.0.113.255")!, net)).toBe(true);
    expect(inRange(parseIp("203.0.114.0")!, net)).toBe(false);
    expect(inRange(parseIp("2001:db8:ffff::1")!, parseCidr("2001:db8::/32")!)).toBe(true);
    expect(inRange(parseIp("2001:db9::1")!, parseCidr("2001:db8::/32")!)).toBe(false);
    expect(inRange(parseIp("::ffff:10.1.2.3")!, parseCidr("10.0.0.0/8")!)).toBe(true);
    expect(inRange(parseIp("10.1.2.3")!, parseCidr("::/0")!)).toBe(false); // families never mix
  });
});

describe("the client address on Node", () => {
  /** What nodeClientIp answers for a request from `peer` carrying `forwarded` (as @hono/node-server passes the socket). */
  async function seen(trustedHops: number, peer: string, forwarded?: string) {
    const app = new Hono().get("/", (c) => c.text(nodeClientIp(trustedHops)(c) ?? "(unknown)"));
    const res = await app.request(
      "/",
      { headers: forwarded ? { "x-forwarded-for": forwarded } : {} },
      { incoming: { socket: { remoteAddress: peer } } },
    );
    return res.text();
  }

  it("is the TCP peer unless proxies are configured, and then never an address the client wrote", async () => {
    expect(await seen(0, "::ffff:203.0.113.9", "198.51.100.1")).toBe("::ffff:203.0.113.9"); // a client-sent header means nothing
    expect(await seen(1, "10.0.0.2", "198.51.100.1, 203.0.113.9")).toBe("203.0.113.9"); // what the one proxy appended
    expect(await seen(2, "10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.1")).toBe("203.0.113.9");
    expect(await seen(2, "10.0.0.2", "203.0.113.9")).toBe("(unknown)"); // fewer hops than configured: fail closed
  });
});

describe("managing API keys", () => {
  it("creates a key shown once and keeps only its SHA-256 and a display prefix", async () => {
    const created = await createKey({ name: "数据大屏" });
    expect(created).toMatchObject({
      status: "active",
      rateLimitPerMinute: 600,
      scopes: ["tenants:read", "divisions:read"],
      tenant: "620902",
      createdBy: "jwt:620902:county-1",
    });
    expect(created.key).toMatch(/^hx_live_/);
    expect(created.start).toBe(created.key.slice(0, 12));

    const [row] = await ctx.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row!.keyHash).toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const got = await ctx.call(county, "GET", `/v1/api-keys/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty("key");
    expect(got.headers.get("etag")).toBe('"v1"');
    const list = await ctx.call(county, "GET", "/v1/api-keys?limit=100");
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(created.id);
    expect(JSON.stringify(list.body)).not.toContain(created.key);

    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${created.id}`);
    expect(audit.body.data[0]).toMatchObject({ action: "api_key.create", actor: "jwt:620902:county-1" });
  });

  it("replays an idempotent create without ever storing the key", async () => {
    const headers = { "idempotency-key": "api-key-create-0001" };
    const body = { name: "幂等", scopes: ["divisions:read"] };
    const first = await ctx.call(county, "POST", "/v1/api-keys", body, headers);
    expect(first.status).toBe(201);
    const replay = await ctx.call(county, "POST", "/v1/api-keys", body, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual({ ...first.body, key: null });
    const stored = await ctx.db.select().from(idempotencyKeys);
    expect(JSON.stringify(stored)).not.toContain(first.body.key);
  });

  it("grants only a subset of the creator's scopes, never pii:read or access:manage", async () => {
    const res = await ctx.call(county, "POST", "/v1/api-keys", {
      name: "越权",
      scopes: ["divisions:read", "hours:verify", "pii:read", "access:manage", "orgs:read"],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(["/scopes/1", "/scopes/2", "/scopes/3"]);
    expect(res.body.errors[1].detail).toMatch(/never granted/);
    const unknown = await ctx.call(county, "POST", "/v1/api-keys", { name: "x", scopes: ["root"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].pointer).toBe("/scopes/0");
  });

  it("validates the allow-list, expiry, quota and unknown fields with pointers", async () => {
    for (const [body, pointer] of [
      [{ ipAllowList: ["10.0.0.1/8"] }, "/ipAllowList/0"],
      [{ ipAllowList: ["192.0.2.1", "intranet"] }, "/ipAllowList/1"],
      [{ ipAllowList: [] }, "/ipAllowList"],
      [{ expiresAt: new Date(nowMs - 1000).toISOString() }, "/expiresAt"],
      [{ expiresAt: "tomorrow" }, "/expiresAt"],
      [{ rateLimitPerMinute: 0 }, "/rateLimitPerMinute"],
      [{ rateLimitPerMinute: 600_001 }, "/rateLimitPerMinute"],
      [{ tenantId: "620981" }, "/tenantId"],
      [{ keyHash: "x" }, "/keyHash"],
      [{ scopes: [] }, "/scopes"],
    ] as const) {
      const res = await ctx.call(county, "POST", "/v1/api-keys", { name: "校验", scopes: ["divisions:read"], ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        JSON.stringify(body),
      ).toContain(pointer);
    }
  });

  it("is for tenant-wide administrators only", async () => {
    const dongbei = await divisionNamed(ctx, "620902", "东北街街道");
    const body = { name: "x", scopes: ["divisions:read"] };
    for (const who of [
      { tenant: "620902", roles: ["street_admin"], org: dongbei.id },
      { tenant: "620900", roles: ["city_admin"] },
      { tenant: "620902", roles: ["auditor"] },
    ] satisfies TokenOptions[]) {
      expect((await ctx.call(who, "POST", "/v1/api-keys", body)).status, who.roles[0]).toBe(403);
      expect((await ctx.call(who, "GET", "/v1/api-keys")).status, who.roles[0]).toBe(403);
    }
    const narrowed = await ctx.call({ ...county, org: dongbei.id }, "POST", "/v1/api-keys", body);
    expect(narrowed.status).toBe(403);
    expect(narrowed.body.detail).toMatch(/tenant-wide/);
    // An API key never manages keys: access:manage is not grantable, so its scope check fails first.
    const { key } = await createKey({});
    expect((await withKey(key, "/v1/api-keys")).status).toBe(403);
  });

  it("hides another tenant's keys behind 404", async () => {
    const { id } = await createKey({});
    expect((await ctx.call(yumen, "GET", `/v1/api-keys/${id}`)).status).toBe(404);
    expect((await ctx.call(yumen, "POST", `/v1/api-keys/${id}/revoke`)).status).toBe(404);
    expect((await ctx.call(yumen, "POST", `/v1/api-keys/${id}/rotate`)).status).toBe(404);
    const theirs = await ctx.call(yumen, "GET", "/v1/api-keys?limit=100");
    expect(theirs.body.data.some((k: { id: string }) => k.id === id)).toBe(false);
    expect((await ctx.call(county, "GET", "/v1/api-keys/key_01KDVDNA011AKWK3RC504FTYF8")).status).toBe(404);
  });
});

describe("authenticating with an API key", () => {
  it("gives the same principal through Bearer and X-API-Key", async () => {
    const { id, key } = await createKey({ scopes: ["tenants:read", "divisions:read"] });
    const bearer = await withKey(key, "/v1/me");
    const header = await withKey(key, "/v1/me", { via: "header" });
    expect(bearer.status).toBe(200);
    expect(bearer.body).toEqual({
      tenant: "620902",
      subject: id,
      roles: [],
      scopes: ["tenants:read", "divisions:read"],
      org: null,
      credential: "api_key",
      crossTenant: false,
    });
    expect(header.body).toEqual(bearer.body);

    const both = await ctx.app.request("/v1/me", {
      headers: { "x-api-key": key, authorization: `Bearer ${await ctx.token(county)}` },
    });
    expect(both.status).toBe(401);
  });

  it("enforces the key's scopes per route", async () => {
    const { key } = await createKey({ scopes: ["divisions:read"] });
    expect((await withKey(key, "/v1/divisions?limit=1")).status).toBe(200);
    const me = await withKey(key, "/v1/me");
    expect(me.status).toBe(403);
    expect(me.body.code).toBe("forbidden");
  });

  it("answers a wrong, unknown, revoked or expired key with the very same 401", async () => {
    const { key: good } = await createKey({});
    const typo = good.slice(0, 10) + (good[10] === "x" ? "y" : "x") + good.slice(11);
    const unknown = newApiKey();
    const revoked = await createKey({});
    expect((await ctx.call(county, "POST", `/v1/api-keys/${revoked.id}/revoke`)).status).toBe(200);
    const expiring = await createKey({ expiresAt: new Date(nowMs + 60_000).toISOString() });
    expect((await withKey(expiring.key, "/v1/me")).status).toBe(200);
    advance(61_000);

    const answers = await Promise.all(
      [typo, unknown, revoked.key, expiring.key, "hx_live_short", "hx_"].map((k) => withKey(k, "/v1/me")),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(withoutRequestId(answer.body)).toEqual(withoutRequestId(answers[0]!.body));
    }
    // Without Accept-Language the problem is in zh-CN, the default; the code is the same in every language.
    expect(answers[0]!.body).toMatchObject({ code: "unauthenticated", detail: "API 密钥被拒绝。" });
    expect((await withKey(good, "/v1/me")).status).toBe(200);
    expect((await ctx.call(county, "GET", `/v1/api-keys/${expiring.id}`)).body.status).toBe("expired");
  });

  it("refuses a typo by its checksum without touching the database", async () => {
    const { key } = await createKey({});
    const client = (ctx.db as unknown as { $client: Client }).$client;
    let queries = 0;
    const counting = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (["execute", "batch", "transaction", "executeMultiple"].includes(String(prop))) queries++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const app = createApp({ ...ctx.deps, database: () => createDb(counting) });
    const typo = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
    expect((await withKey(typo, "/v1/divisions", { app })).status).toBe(401);
    expect(queries).toBe(0);
    expect((await withKey(newApiKey(), "/v1/divisions", { app })).status).toBe(401);
    expect(queries).toBeGreaterThan(0);
  });

  it("stops a revoked key at once where it was revoked, and everywhere within the 30 s cache bound", async () => {
    const { id, key } = await createKey({});
    const otherIsolate = createApp(ctx.deps); // same database and clock, its own key cache
    expect((await withKey(key, "/v1/me", { app: otherIsolate })).status).toBe(200);
    expect((await withKey(key, "/v1/me")).status).toBe(200);

    expect((await ctx.call(county, "POST", `/v1/api-keys/${id}/revoke`)).body.status).toBe("revoked");
    expect((await withKey(key, "/v1/me")).status).toBe(401);
    advance(29_000);
    expect((await withKey(key, "/v1/me", { app: otherIsolate })).status).toBe(200);
    advance(2_000);
    expect((await withKey(key, "/v1/me", { app: otherIsolate })).status).toBe(401);

    const again = await ctx.call(county, "POST", `/v1/api-keys/${id}/revoke`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "invalid_transition", currentState: "revoked" });
  });

  it("honours the IP allow-list (IPv4, IPv6, IPv4-mapped) with a 403", async () => {
    const { key } = await createKey({ ipAllowList: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"] });
    for (const ip of ["203.0.113.7", "::ffff:203.0.113.200", "2001:db8:5::1", "198.51.100.7"]) {
      expect((await withKey(key, "/v1/me", { ip })).status, ip).toBe(200);
    }
    for (const ip of ["203.0.114.1", "198.51.100.8", "2001:db9::1", "not-an-ip"]) {
      const res = await withKey(key, "/v1/me", { ip });
      expect(res.status, ip).toBe(403);
      // The 403 names the address the server saw, so a caller behind NAT or a proxy knows what to allow.
      expect(res.body).toMatchObject({ code: "forbidden", clientAddress: ip });
      expect(res.body.detail).toContain(`（${ip}）`);
    }
  });

  it("records last use at most once a minute, in the round trip that looks the key up", async () => {
    const { id, key } = await createKey({});
    const lastUsed = async () =>
      (await ctx.db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, id)))[0]!.at;
    const first = new Date(nowMs).toISOString();
    await withKey(key, "/v1/me");
    await ctx.settle();
    expect(await lastUsed()).toBe(first);
    advance(30_000);
    await withKey(key, "/v1/me");
    await ctx.settle();
    expect(await lastUsed()).toBe(first);
    advance(31_000);
    await withKey(key, "/v1/me");
    await ctx.settle();
    expect(await lastUsed()).toBe(new Date(nowMs).toISOString());
  });

  it("rotates a key: the new one works at once, the old one for 24 hours more", async () => {
    const old = await createKey({
      name: "轮换",
      scopes: ["tenants:read"],
      ipAllowList: ["192.0.2.0/24"],
      rateLimitPerMinute: 900,
    });
    const stale = await ctx.call(county, "POST", `/v1/api-keys/${old.id}/rotate`, undefined, { "if-match": '"v9"' });
    expect(stale.status).toBe(412);

    const rotated = await ctx.call(county, "POST", `/v1/api-keys/${old.id}/rotate`, undefined, { "if-match": '"v1"' });
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get("location")).toBe(`/v1/api-keys/${rotated.body.id}`);
    expect(rotated.body).toMatchObject({
      name: "轮换",
      scopes: ["tenants:read"],
      ipAllowList: ["192.0.2.0/24"],
      rateLimitPerMinute: 900,
      status: "active",
    });
    expect(rotated.body.key).not.toBe(old.key);

    const before = await ctx.call(county, "GET", `/v1/api-keys/${old.id}`);
    expect(before.body).toMatchObject({
      status: "replaced",
      replacedBy: rotated.body.id,
      expiresAt: new Date(nowMs + 24 * 3600_000).toISOString(),
      version: 2,
    });
    expect((await withKey(rotated.body.key, "/v1/me")).status).toBe(200);
    expect((await withKey(old.key, "/v1/me")).status).toBe(200);

    const again = await ctx.call(county, "POST", `/v1/api-keys/${old.id}/rotate`);
    expect(again.status).toBe(409);
    expect(again.body.currentState).toBe("replaced");

    advance(24 * 3600_000 - 1000);
    expect((await withKey(old.key, "/v1/me")).status).toBe(200);
    advance(2000);
    expect((await withKey(old.key, "/v1/me")).status).toBe(401);
    expect((await withKey(rotated.body.key, "/v1/me")).status).toBe(200);
    expect((await ctx.call(county, "GET", `/v1/api-keys/${old.id}`)).body.status).toBe("expired");
  });
});

describe("API key lifecycle", () => {
  it("allows exactly: rotate from active; revoke from active, replaced and expired", async () => {
    const past = () => new Date(nowMs - 1000).toISOString();
    const future = () => new Date(nowMs + 3600_000).toISOString();
    const into: Record<string, Partial<typeof apiKeys.$inferInsert>> = {
      active: {},
      replaced: { replacedBy: "key_01KDVDNA011AKWK3RC504FTYF8", expiresAt: future() },
      expired: { expiresAt: past() },
      revoked: { revokedAt: past() },
    };
    const expected: Record<string, Record<"rotate" | "revoke", number>> = {
      active: { rotate: 201, revoke: 200 },
      replaced: { rotate: 409, revoke: 200 },
      expired: { rotate: 409, revoke: 200 },
      revoked: { rotate: 409, revoke: 409 },
    };
    for (const [state, set] of Object.entries(into)) {
      for (const action of ["rotate", "revoke"] as const) {
        const { id } = await createKey({ name: `${state}-${action}` });
        if (Object.keys(set).length) await ctx.db.update(apiKeys).set(set).where(eq(apiKeys.id, id));
        expect((await ctx.call(county, "GET", `/v1/api-keys/${id}`)).body.status).toBe(state);
        const res = await ctx.call(county, "POST", `/v1/api-keys/${id}/${action}`);
        expect(res.status, `${action} ${state}`).toBe(expected[state]![action]);
        if (res.status === 409) expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
        if (action === "revoke" && res.status === 200) expect(res.body.status).toBe("revoked");
      }
    }
  });
});

describe("what an API key may see", () => {
  it("stays inside its tenant: another tenant's record is a 404", async () => {
    const { key } = await createKey({ scopes: ["divisions:read"] });
    const [foreign] = await ctx.db
      .select({ id: divisions.id })
      .from(divisions)
      .where(eq(divisions.tenantId, "620921"))
      .limit(1);
    expect((await withKey(key, `/v1/divisions/${foreign!.id}`)).status).toBe(404);
    const page = await withKey(key, "/v1/divisions?limit=100");
    expect(page.body.data.length).toBeGreaterThan(0);
    expect(page.body.data.every((d: { tenant: string }) => d.tenant === "620902")).toBe(true);
  });

  it("never receives clear personal data, even if its row were tampered to hold pii:read", async () => {
    const fukang = await divisionNamed(ctx, "620902", "富康社区");
    const member = await insertMember(ctx, fukang);
    const { id, key } = await createKey({ scopes: ["tenants:read", "members:read"] });
    await ctx.db
      .update(apiKeys)
      .set({ scopes: ["tenants:read", "members:read", "pii:read"] })
      .where(eq(apiKeys.id, id));

    const me = await withKey(key, "/v1/me");
    expect(me.body.scopes).toEqual(["tenants:read", "members:read"]);
    const masked = await withKey(key, `/v1/members/${member.id}`);
    expect(masked.status).toBe(200);
    expect(masked.text).not.toContain(member.idCard);
    expect(masked.text).not.toContain(member.phone);
    expect(masked.body.idCard).toBe(member.idCardMasked);
    const reveal = await withKey(key, `/v1/members/${member.id}?reveal=pii`);
    expect(reveal.status).toBe(403);
    expect(reveal.text).not.toContain(member.idCard);
  });

  it("writes under its own name in the audit trail", async () => {
    const dongbei = await divisionNamed(ctx, "620902", "东北街街道");
    const { id, key } = await createKey({ scopes: ["orgs:write"] });
    const created = await withKey(key, "/v1/units", {
      method: "POST",
      body: { name: "第三方登记的单位", kind: "enterprise", divisionId: dongbei.id },
    });
    expect(created.status, created.text).toBe(201);
    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${created.body.id}`);
    expect(audit.body.data[0]).toMatchObject({ action: "unit.create", actor: `api_key:620902:${id}` });
  });
});
