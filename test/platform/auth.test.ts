import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { base64url, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { createTokenVerifier } from "../../src/shared/auth/jwt.js";
import { TestClock } from "../helpers/clock.js";
import { createSigningKey, signToken, testAudience, testIssuer } from "../helpers/keys.js";
import { repoRoot } from "../helpers/server-process.js";
import { ConfigError, parseConfig } from "../../src/config.js";

const execFileAsync = promisify(execFile);

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function me(authorization?: string) {
  // English problems: the details asserted below are the English ones (the default is zh-CN).
  const res = await ctx.app.request("/v1/me", {
    headers: { "accept-language": "en", ...(authorization ? { authorization } : {}) },
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

async function expect401(authorization: string | undefined, detail: RegExp) {
  const { res, body } = await me(authorization);
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect(body.code).toBe("unauthenticated");
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  expect(String(body.detail)).toMatch(detail);
}

describe("authentication", () => {
  it("accepts a valid platform token and exposes the principal", async () => {
    const { res, body } = await me(
      `Bearer ${await ctx.token({ tenant: "620921", roles: ["county_admin", "auditor"], sub: "u-9" })}`,
    );
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      tenant: "620921",
      subject: "u-9",
      roles: ["county_admin", "auditor"],
      credential: "jwt",
      crossTenant: false,
      org: null,
    });
    expect(body.scopes).toContain("divisions:read");
  });

  it("rejects a missing token", () => expect401(undefined, /bearer token/i));
  it("rejects a non-bearer scheme", () => expect401("Basic dXNlcjpwYXNz", /Bearer <token>/));
  it("rejects a garbled token", () => expect401("Bearer not.a.jwt", /well-formed/));

  it("rejects alg none", async () => {
    const token = new UnsecuredJWT({ tenant: "620902", roles: ["county_admin"] })
      .setIssuer(testIssuer)
      .setAudience(testAudience)
      .setSubject("x")
      .setIssuedAt()
      .setExpirationTime("10m")
      .encode();
    await expect401(`Bearer ${token}`, /algorithm|verified/);
  });

  it("rejects a token signed with another key carrying the trusted kid", async () => {
    const other = await createSigningKey(ctx.key.kid);
    await expect401(`Bearer ${await signToken(other, {}, ctx.clock.now())}`, /signature|no trusted key/);
  });

  it("rejects HS256 signed with the public key as the secret", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(ctx.key.publicJwk));
    const token = await new SignJWT({ tenant: "620902", roles: ["county_admin"] })
      .setProtectedHeader({ alg: "HS256", kid: ctx.key.kid })
      .setIssuer(testIssuer)
      .setAudience(testAudience)
      .setSubject("x")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(secret);
    await expect401(`Bearer ${token}`, /algorithm/);
  });

  it("rejects a tampered payload", async () => {
    const [h, , s] = (await ctx.token()).split(".");
    const forged = base64url.encode(
      JSON.stringify({
        tenant: "620900",
        roles: ["city_admin"],
        iss: testIssuer,
        aud: testAudience,
        sub: "x",
        iat: 1,
        exp: 9999999999,
      }),
    );
    await expect401(`Bearer ${h}.${forged}.${s}`, /signature/);
  });

  it("rejects an expired token", async () => expect401(`Bearer ${await ctx.token({ expiresIn: -60 })}`, /expired/));
  it("rejects a token that is not yet valid", async () =>
    expect401(`Bearer ${await ctx.token({ notBefore: 600 })}`, /nbf/));
  it("rejects the wrong issuer", async () =>
    expect401(`Bearer ${await ctx.token({ issuer: "someone-else" })}`, /issuer is not trusted/));
  it("rejects the wrong audience", async () =>
    expect401(`Bearer ${await ctx.token({ audience: "other-api" })}`, /aud/));
  it("rejects a token without a tenant", async () => expect401(`Bearer ${await ctx.token({ tenant: "" })}`, /tenant/));
  it("rejects an unknown tenant", async () =>
    expect401(`Bearer ${await ctx.token({ tenant: "110101" })}`, /tenant is unknown/));
  it("rejects an unknown role", async () =>
    expect401(`Bearer ${await ctx.token({ extra: { roles: ["superuser"] } })}`, /roles/));
  it("rejects a city role claimed by a county tenant", async () =>
    expect401(`Bearer ${await ctx.token({ tenant: "620902", roles: ["city_admin"] })}`, /city roles/));
  it("rejects an org that is not a division of the token's tenant", async () => {
    const [foreign] = await listDivisionIds("620921");
    await expect401(`Bearer ${await ctx.token({ tenant: "620902", org: foreign })}`, /org/);
  });

  it("rejects a token whose lifetime (exp − iat) is longer than 24 hours", async () => {
    await expect401(`Bearer ${await ctx.token({ expiresIn: 10 * 365 * 86400 })}`, /lifetime/);
    await expect401(`Bearer ${await ctx.token({ expiresIn: 86400 + 1 })}`, /lifetime/);
    expect((await me(`Bearer ${await ctx.token({ expiresIn: 86400 })}`)).res.status).toBe(200);
  });

  it("rejects a token without iat (its lifetime cannot be bounded)", async () => {
    const token = await new SignJWT({ tenant: "620902", roles: ["county_admin"] })
      .setProtectedHeader({ alg: ctx.key.alg, kid: ctx.key.kid })
      .setIssuer(testIssuer)
      .setAudience(testAudience)
      .setSubject("x")
      .setExpirationTime("10m")
      .sign(ctx.key.privateKey);
    await expect401(`Bearer ${token}`, /iat/);
  });

  it("narrows scopes with the scope claim and never widens them", async () => {
    const { body } = await me(`Bearer ${await ctx.token({ roles: ["member"], scope: "tenants:read audit:read" })}`);
    expect(body.scopes).toEqual(["tenants:read"]);
  });

  it("answers 403 when the principal lacks the route's scope", async () => {
    const res = await ctx.as({ roles: ["member"], scope: "tenants:read" })("/v1/divisions");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("forbidden");
  });
});

describe("a principal remembered for its token", () => {
  it("is dropped when the token expires, even between two requests of the same token", async () => {
    const clock = new TestClock();
    const key = await createSigningKey("timed");
    const issuers = [{ issuer: testIssuer, audience: testAudience, jwks: { keys: [key.publicJwk] } }];
    const timed = await createTestContext({
      clock,
      verifier: createTokenVerifier(issuers, { now: clock.now, clockToleranceSeconds: 5 }),
    });
    try {
      const token = await signToken(key, { expiresIn: 30 }, clock.now());
      const me = () =>
        timed.app.request("/v1/me", { headers: { authorization: `Bearer ${token}`, "accept-language": "en" } });
      expect((await me()).status).toBe(200);
      expect((await me()).status).toBe(200);
      clock.advance(45_000); // past the expiry (and its 5 s tolerance), within the cache's minute
      const expired = await me();
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { detail: string }).detail).toMatch(/expired/);
    } finally {
      timed.close();
    }
  });
});

describe("the maximum token lifetime", () => {
  it("is HEXI_MAX_TOKEN_LIFETIME_SECONDS, 24 hours unless set", () => {
    expect(parseConfig({}).HEXI_MAX_TOKEN_LIFETIME_SECONDS).toBe(86400);
    expect(parseConfig({ HEXI_MAX_TOKEN_LIFETIME_SECONDS: "3600" }).HEXI_MAX_TOKEN_LIFETIME_SECONDS).toBe(3600);
    expect(() => parseConfig({ HEXI_MAX_TOKEN_LIFETIME_SECONDS: "0" })).toThrow(ConfigError);
    expect(() => parseConfig({ HEXI_MAX_TOKEN_LIFETIME_SECONDS: "abc" })).toThrow(ConfigError);
  });

  it("bounds exp − iat as configured", async () => {
    const key = await createSigningKey("short-lived");
    const clock = new TestClock();
    const issuers = [{ issuer: testIssuer, audience: testAudience, jwks: { keys: [key.publicJwk] } }];
    const verifier = createTokenVerifier(issuers, {
      now: clock.now,
      clockToleranceSeconds: 5,
      maxLifetimeSeconds: 600,
    });
    await expect(verifier.verify(await signToken(key, { expiresIn: 600 }, clock.now()))).resolves.toMatchObject({
      sub: "user-1",
    });
    await expect(verifier.verify(await signToken(key, { expiresIn: 601 }, clock.now()))).rejects.toThrow(/lifetime/);
  });

  it("is enforced by npm run token, which refuses a longer --ttl", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hexi-token-"));
    try {
      const run = (ttl: string, env: Record<string, string> = {}) =>
        execFileAsync(
          process.execPath,
          ["--import", "tsx", "scripts/token.ts", "--tenant", "620902", "--roles", "county_admin", "--ttl", ttl],
          {
            cwd: repoRoot,
            env: { ...process.env, DATABASE_URL: `file:${join(dir, "hexi.db")}`, ...env },
          },
        );
      await expect(run(String(10 * 365 * 86400))).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--ttl.*86400/),
      });
      await expect(run("7200", { HEXI_MAX_TOKEN_LIFETIME_SECONDS: "3600" })).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--ttl.*3600/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a tenant's own identity provider", () => {
  let tenantIdp: Awaited<ReturnType<typeof createSigningKey>>;
  let ctx2: TestContext;
  beforeAll(async () => {
    tenantIdp = await createSigningKey("dunhuang-idp", "EdDSA");
    ctx2 = await createTestContext({
      issuers: (key) => [
        { issuer: testIssuer, audience: testAudience, jwks: { keys: [key.publicJwk] } },
        {
          issuer: "https://idp.dunhuang.example",
          audience: testAudience,
          tenant: "620982",
          jwks: { keys: [tenantIdp.publicJwk] },
        },
      ],
    });
  });
  afterAll(() => ctx2.close());

  it("is accepted for its own tenant", async () => {
    const token = await signToken(
      tenantIdp,
      { tenant: "620982", issuer: "https://idp.dunhuang.example" },
      ctx2.clock.now(),
    );
    const res = await ctx2.app.request("/v1/me", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tenant: string }).tenant).toBe("620982");
  });

  it("can never speak for another tenant or the city", async () => {
    for (const tenant of ["620902", "620900"]) {
      const token = await signToken(
        tenantIdp,
        {
          tenant,
          issuer: "https://idp.dunhuang.example",
          roles: tenant === "620900" ? ["city_admin"] : ["county_admin"],
        },
        ctx2.clock.now(),
      );
      const res = await ctx2.app.request("/v1/me", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    }
  });
});

async function listDivisionIds(tenant: string): Promise<string[]> {
  const res = await ctx.as({ tenant, roles: ["county_admin"] })("/v1/divisions?limit=100");
  const body = (await res.json()) as { data: { id: string }[] };
  return body.data.map((d) => d.id);
}
