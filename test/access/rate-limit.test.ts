import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { MemoryRateLimiter, takeFromBucket } from "../../src/shared/http/rate-limit.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { testEpoch } from "../helpers/clock.js";
import type { TokenOptions } from "../helpers/keys.js";

describe("the token bucket", () => {
  const rule = { limit: 3, windowSeconds: 60 };

  it("allows the quota at once, then one unit per window/limit seconds", () => {
    let state: Parameters<typeof takeFromBucket>[0];
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      const step = takeFromBucket(state, rule, 1, 1_000_000);
      state = step.state;
      decisions.push(step.decision);
    }
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(decisions[3]).toMatchObject({ retryAfterSeconds: 20, resetSeconds: 60, limit: 3 });
    const later = takeFromBucket(state, rule, 1, 1_000_000 + 19_999);
    expect(later.decision.allowed).toBe(false);
    expect(later.decision.retryAfterSeconds).toBe(1);
    const refilled = takeFromBucket(state, rule, 1, 1_000_000 + 20_000);
    expect(refilled.decision).toMatchObject({ allowed: true, remaining: 0 });
    // Idle for longer than a window: full again, never more than the limit.
    expect(takeFromBucket(state, rule, 1, 1_000_000 + 3_600_000).decision.remaining).toBe(2);
  });

  it("reads without taking when the cost is 0", () => {
    const { state } = takeFromBucket(undefined, rule, 3, 0);
    const peek = takeFromBucket(state, rule, 0, 0);
    expect(peek.decision).toMatchObject({ allowed: true, remaining: 0, retryAfterSeconds: 20 });
    expect(peek.state.tokens).toBe(0);
  });

  it("keeps memory bounded, evicting the least recently used bucket", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now, 3);
    for (const bucket of ["a", "b", "c"]) await limiter.consume(bucket, { limit: 1, windowSeconds: 60 });
    expect((await limiter.consume("a", { limit: 1, windowSeconds: 60 })).allowed).toBe(false); // a is now the most recent
    await limiter.consume("d", { limit: 1, windowSeconds: 60 }); // evicts b
    expect(limiter.size).toBe(3);
    expect((await limiter.consume("b", { limit: 1, windowSeconds: 60 })).allowed).toBe(true); // b restarted full, evicting c
    expect((await limiter.consume("a", { limit: 1, windowSeconds: 60 })).allowed).toBe(false);
    now += 60_000;
    expect((await limiter.consume("a", { limit: 1, windowSeconds: 60 })).allowed).toBe(true);
  });
});

describe("a hot bucket", () => {
  it("is never evicted, though it is not moved on every take", () => {
    const limiter = new MemoryRateLimiter(() => 0, 4);
    const rule = { limit: 1000, windowSeconds: 60 };
    for (let i = 0; i < 50; i++) {
      expect(limiter.take("hot", rule).remaining).toBe(999 - i); // never restarted full
      limiter.take(`cold-${i}`, rule);
      expect(limiter.size).toBeLessThanOrEqual(4);
    }
  });
});

describe("rate limits over HTTP", () => {
  let ctx: TestContext;
  let nowMs = Date.parse(testEpoch);
  const clock = { now: () => new Date(nowMs) };
  const county: TokenOptions = { tenant: "620902", roles: ["county_admin"] };

  beforeAll(async () => {
    ctx = await createTestContext({ clock });
  });
  afterAll(() => ctx.close());

  const newKey = async (rateLimitPerMinute: number, who = county) => {
    const res = await ctx.call(who, "POST", "/v1/api-keys", {
      name: "限流",
      scopes: ["divisions:read"],
      rateLimitPerMinute,
    });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };
  const get = (key: string, app = ctx.app) =>
    app.request("/v1/divisions?limit=1", { headers: { "x-api-key": key, "accept-language": "en" } });

  it("holds an API key to its quota with RateLimit headers, then 429 with Retry-After", async () => {
    const key = await newKey(3);
    const first = await get(key);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"key";q=3;w=60, "tenant";q=6000;w=60');
    expect(first.headers.get("ratelimit")).toMatch(/^"key";r=2;t=20, "tenant";r=\d+;t=\d+$/);
    expect((await get(key)).headers.get("ratelimit")).toMatch(/^"key";r=1;t=40,/);
    expect((await get(key)).status).toBe(200);

    const limited = await get(key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(limited.headers.get("retry-after")).toBe("20");
    expect(limited.headers.get("ratelimit")).toBe('"key";r=0;t=60');
    expect(limited.headers.get("ratelimit-policy")).toBe('"key";q=3;w=60');
    expect(await limited.json()).toMatchObject({ status: 429, code: "rate_limited" });

    nowMs += 20_000;
    expect((await get(key)).status).toBe(200);
  });

  it("rate-limits failed requests too, but not people signed in with a JWT", async () => {
    const key = await newKey(1);
    const forbidden = await ctx.app.request("/v1/me", { headers: { "x-api-key": key } }); // no tenants:read
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("ratelimit")).toMatch(/^"key";r=0/);
    expect((await get(key)).status).toBe(429);

    const person = await ctx.as(county)("/v1/divisions?limit=1");
    expect(person.status).toBe(200);
    expect(person.headers.get("ratelimit")).toBeNull();
    expect(person.headers.get("ratelimit-policy")).toBeNull();
  });

  it("shares one quota among all machine credentials of a tenant, and only that tenant", async () => {
    const app = createApp({
      ...ctx.deps,
      rateLimiter: new MemoryRateLimiter(() => nowMs),
      tenantRateLimitPerMinute: 4,
    });
    const a = await newKey(600);
    const b = await newKey(600);
    const elsewhere = await newKey(600, { tenant: "620981", roles: ["county_admin"] });
    for (const key of [a, b, a, b]) expect((await get(key, app)).status).toBe(200);
    const limited = await get(a, app);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { detail: string }).detail).toMatch(/tenant/);
    expect(limited.headers.get("ratelimit-policy")).toBe('"key";q=600;w=60, "tenant";q=4;w=60');
    expect((await get(b, app)).status).toBe(429);
    expect((await get(elsewhere, app)).status).toBe(200);
  });
});
