/**
 * Where people's roles come from in production: a government identity provider's token (shaped like
 * Keycloak's: `realm_access.roles`, `resource_access.<client>.roles`, `groups`, user attributes) is read
 * through the claim mapping configured for its issuer in HEXI_TENANT_ISSUERS.
 */
import { eq } from "drizzle-orm";
import { SignJWT, type JWTPayload } from "jose";
import { divisions } from "../../src/db/tables.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, trustedIssuers } from "../../src/config.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed } from "../helpers/fixtures.js";
import { createSigningKey, testAudience, testIssuer, type SigningKey } from "../helpers/keys.js";

const countyIdp = "https://sso.suzhou.example.gov.cn/realms/suzhou";
const cityIdp = "https://sso.jiuquan.example.gov.cn/realms/jiuquan";
const dunhuangIdp = "https://idaas.dunhuang.example.gov.cn";

let ctx: TestContext;
let suzhouKey: SigningKey;
let cityKey: SigningKey;
let dunhuangKey: SigningKey;

beforeAll(async () => {
  suzhouKey = await createSigningKey("suzhou-kc", "ES256");
  cityKey = await createSigningKey("jiuquan-kc", "ES256");
  dunhuangKey = await createSigningKey("dunhuang-idaas", "EdDSA");
  // Built the way the server builds them: from the environment variable.
  const config = parseConfig({
    HEXI_JWT_ISSUER: testIssuer,
    HEXI_TENANT_ISSUERS: JSON.stringify([
      {
        // A county's own Keycloak realm: it speaks for 620902 only; roles from realm roles, the division from an attribute.
        tenant: "620902",
        issuer: countyIdp,
        jwks: { keys: [suzhouKey.publicJwk] },
        claims: {
          subject: "preferred_username",
          roles: {
            claim: ["realm_access.roles", "resource_access.hexi-api.roles"],
            map: {
              "hexi-county-admin": "county_admin",
              "hexi-community-admin": "community_admin",
              "hexi-auditor": "auditor",
            },
          },
          org: "hexi_division",
        },
      },
      {
        // One Keycloak for the whole city: groups name the tenant and the role, /hexi/<tenant>/<role>.
        issuer: cityIdp,
        jwks: { keys: [cityKey.publicJwk] },
        claims: {
          tenant: { claim: "groups", pattern: "^/hexi/(\\d{6})/" },
          roles: { claim: "groups", pattern: "^/hexi/\\d{6}/([a-z_]+)$" },
        },
      },
      {
        // An IDaaS that knows people's communities by their statistical code, not by Hexi's ids.
        tenant: "620982",
        issuer: dunhuangIdp,
        jwks: { keys: [dunhuangKey.publicJwk] },
        claims: { roles: { claim: "roles", map: { 社区管理员: "community_admin" } }, orgCode: "dept_code" },
      },
    ]),
  });
  const issuers = trustedIssuers(config, { keys: [] });
  ctx = await createTestContext({
    issuers: (key) => [
      { issuer: testIssuer, audience: testAudience, jwks: { keys: [key.publicJwk] } },
      ...issuers.slice(1).map((i) => ({ ...i, audience: testAudience })),
    ],
  });
});
afterAll(() => ctx.close());

async function keycloakToken(key: SigningKey, issuer: string, claims: JWTPayload) {
  const iat = Math.floor(ctx.clock.now().getTime() / 1000);
  return new SignJWT({
    typ: "Bearer",
    azp: "hexi-api",
    scope: "openid profile email",
    email_verified: true,
    sid: "7f3c",
    ...claims,
  })
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience([testAudience, "account"])
    .setSubject("0d5f1a3e-8c55-4e5b-9d3f-2a7a5b1c9e11")
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

async function me(token: string) {
  // English problems, as ctx.call asks for them (the default is zh-CN).
  const res = await ctx.app.request("/v1/me", {
    headers: { authorization: `Bearer ${token}`, "accept-language": "en" },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("claim mapping per identity provider", () => {
  it("reads roles from realm and client roles, the subject and the division from the county realm's token", async () => {
    const fukang = await divisionNamed(ctx, "620902", "富康社区");
    const token = await keycloakToken(suzhouKey, countyIdp, {
      preferred_username: "wang.fang",
      realm_access: { roles: ["offline_access", "uma_authorization", "hexi-community-admin"] },
      resource_access: { "hexi-api": { roles: ["hexi-auditor"] }, account: { roles: ["manage-account"] } },
      hexi_division: fukang.id,
    });
    const { status, body } = await me(token);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ tenant: "620902", subject: "wang.fang", crossTenant: false });
    expect(body.roles.sort()).toEqual(["auditor", "community_admin"]);
    expect(body.org).toBe(fukang.id);
    // The provider's OIDC `scope` ("openid profile email") does not narrow Hexi's scopes away.
    expect(body.scopes).toContain("members:write");
  });

  it("refuses a token whose roles map to nothing, and never takes Hexi claims the mapping does not name", async () => {
    const none = await keycloakToken(suzhouKey, countyIdp, {
      preferred_username: "li.na",
      realm_access: { roles: ["offline_access", "uma_authorization"] },
      // Hexi's own claim names mean nothing from a mapped issuer: only the mapping speaks.
      roles: ["county_admin"],
    });
    const refused = await me(none);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/none of its roles or groups maps to a Hexi role/);
  });

  it("keeps a county realm's tokens to its own tenant", async () => {
    const token = await keycloakToken(suzhouKey, countyIdp, {
      preferred_username: "x",
      tenant: "620982",
      realm_access: { roles: ["hexi-county-admin"] },
    });
    const { status, body } = await me(token);
    expect(status).toBe(200);
    expect(body.tenant).toBe("620902");
  });

  it("reads tenant and role from a city-wide provider's groups, the city included", async () => {
    const county = await me(await keycloakToken(cityKey, cityIdp, { groups: ["/staff", "/hexi/620982/county_admin"] }));
    expect(county.status, JSON.stringify(county.body)).toBe(200);
    expect(county.body).toMatchObject({ tenant: "620982", roles: ["county_admin"], crossTenant: false });

    const city = await me(await keycloakToken(cityKey, cityIdp, { groups: ["/hexi/620900/city_admin"] }));
    expect(city.status).toBe(200);
    expect(city.body).toMatchObject({ tenant: "620900", roles: ["city_admin"], crossTenant: true });

    // Groups naming two tenants are ambiguous: refused.
    const two = await me(
      await keycloakToken(cityKey, cityIdp, { groups: ["/hexi/620902/county_admin", "/hexi/620982/auditor"] }),
    );
    expect(two.status).toBe(401);
    expect(two.body.detail).toMatch(/more than one tenant/);
    // The role table still holds: a county role in the city is refused.
    const wrong = await me(await keycloakToken(cityKey, cityIdp, { groups: ["/hexi/620900/county_admin"] }));
    expect(wrong.status).toBe(401);
  });

  it("finds the division by its administrative code", async () => {
    const community = await divisionNamed(ctx, "620982", "东大街社区");
    await ctx.db.update(divisions).set({ code: "620982001001" }).where(eq(divisions.id, community.id));
    const token = async (dept: string) => {
      const iat = Math.floor(ctx.clock.now().getTime() / 1000);
      return new SignJWT({ roles: ["社区管理员"], dept_code: dept })
        .setProtectedHeader({ alg: "EdDSA", kid: dunhuangKey.kid })
        .setIssuer(dunhuangIdp)
        .setAudience(testAudience)
        .setSubject("zhao.min")
        .setIssuedAt(iat)
        .setExpirationTime(iat + 300)
        .sign(dunhuangKey.privateKey);
    };
    const found = await me(await token("620982001001"));
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body).toMatchObject({ tenant: "620982", roles: ["community_admin"], org: community.id });
    const unknown = await me(await token("620982009999"));
    expect(unknown.status).toBe(401);
    expect(unknown.body.detail).toMatch(/division code/);
    // Hexi's own issuer cannot smuggle a division code in: only a mapping reads one.
    const own = await me(
      await ctx.token({ tenant: "620982", roles: ["county_admin"], extra: { org_code: "620982001001" } }),
    );
    expect(own.status).toBe(200);
    expect(own.body.org).toBeNull();
  });

  it("is validated at start-up: a provider without a tenant must say where its tokens carry one", () => {
    expect(() =>
      parseConfig({
        HEXI_TENANT_ISSUERS: JSON.stringify([
          { issuer: "https://sso.example", jwks: { keys: [{ kty: "EC" }] }, claims: { roles: { claim: "groups" } } },
        ]),
      }),
    ).toThrow(/claims.tenant/);
    expect(() =>
      parseConfig({
        HEXI_TENANT_ISSUERS: JSON.stringify([
          { tenant: "620902", issuer: "https://sso.example", jwks: { keys: [{ kty: "EC" }] }, claims: { rolez: "x" } },
        ]),
      }),
    ).toThrow(/rolez/);
  });
});
