import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { parseConfig, platformVerificationJwks, signingKeys, trustedIssuers } from "../../src/config.js";
import { apiClients } from "../../src/domains/access/tables.js";
import { openApiDocument } from "../../src/routes.js";
import { createTokenVerifier } from "../../src/shared/auth/jwt.js";
import { createTokenSigner } from "../../src/shared/auth/signer.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { testEpoch } from "../helpers/clock.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import { createSigningKey, testAudience, testIssuer, type TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let nowMs = Date.parse(testEpoch);
const clock = { now: () => new Date(nowMs) };
let dongbei: DivisionRef;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };

beforeAll(async () => {
  ctx = await createTestContext({ clock });
  dongbei = await divisionNamed(ctx, "620902", "东北街街道");
});
afterAll(() => ctx.close());

type Client = {
  id: string;
  clientId: string;
  clientSecret: string;
  roles: string[];
  orgId: string | null;
  status: string;
};

async function createClient(body: Record<string, unknown> = {}): Promise<Client> {
  const res = await ctx.call(county, "POST", "/v1/api-clients", {
    name: "肃州区网格化管理平台",
    roles: ["street_admin"],
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

interface TokenCall {
  form?: Record<string, string>;
  json?: unknown;
  raw?: { body: string; type?: string };
  authorization?: string;
  ip?: string;
  app?: TestContext["app"];
}

/** POST /v1/oauth/token as an OAuth client library would. */
async function token(call: TokenCall) {
  const headers: Record<string, string> = { "x-test-client-ip": call.ip ?? "198.51.100.1" };
  if (call.authorization) headers.authorization = call.authorization;
  let body: string | undefined;
  if (call.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(call.form).toString();
  } else if (call.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(call.json);
  } else if (call.raw) {
    if (call.raw.type) headers["content-type"] = call.raw.type;
    body = call.raw.body;
  }
  const res = await (call.app ?? ctx.app).request("/v1/oauth/token", { method: "POST", headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

const bearer =
  (accessToken: string, app = ctx.app) =>
  (path: string) =>
    app.request(path, { headers: { authorization: `Bearer ${accessToken}`, "accept-language": "en" } });

describe("managing API clients", () => {
  it("registers a client whose secret is shown once and stored as SHA-256", async () => {
    const client = await createClient({ orgId: dongbei.id, rateLimitPerMinute: 120 });
    expect(client).toMatchObject({
      roles: ["street_admin"],
      orgId: dongbei.id,
      status: "active",
      rateLimitPerMinute: 120,
    });
    expect(client.clientId).toMatch(/^hxc_[0-9A-Za-z]{20}$/);
    expect(client.clientSecret).toMatch(/^hxs_[0-9A-Za-z]{43}$/);
    const [row] = await ctx.db.select().from(apiClients).where(eq(apiClients.id, client.id));
    expect(row!.secretHash).toBe(createHash("sha256").update(client.clientSecret).digest("hex"));

    const got = await ctx.call(county, "GET", `/v1/api-clients/${client.id}`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty("clientSecret");
    const list = await ctx.call(county, "GET", "/v1/api-clients");
    expect(list.body.data.map((c: Client) => c.id)).toContain(client.id);
    expect(JSON.stringify(list.body)).not.toContain(client.clientSecret);
    expect(
      (await ctx.call({ tenant: "620981", roles: ["county_admin"] }, "GET", `/v1/api-clients/${client.id}`)).status,
    ).toBe(404);
  });

  it("grants only roles at or below county_admin that a machine can hold, and divisions of the tenant", async () => {
    const res = await ctx.call(county, "POST", "/v1/api-clients", {
      name: "x",
      roles: ["auditor", "city_admin", "member", "unit_admin"],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(["/roles/1", "/roles/2", "/roles/3"]);
    const dunhuang = await divisionNamed(ctx, "620982", "沙州镇");
    const foreign = await ctx.call(county, "POST", "/v1/api-clients", {
      name: "x",
      roles: ["street_admin"],
      orgId: dunhuang.id,
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].pointer).toBe("/orgId");
    const street = await ctx.call({ tenant: "620902", roles: ["street_admin"] }, "POST", "/v1/api-clients", {
      name: "x",
      roles: ["street_admin"],
    });
    expect(street.status).toBe(403);
  });
});

describe("POST /v1/oauth/token", () => {
  it("issues an ES256 access token to a client authenticating with HTTP Basic", async () => {
    const client = await createClient({ orgId: dongbei.id });
    const res = await token({
      form: { grant_type: "client_credentials" },
      authorization: basic(client.clientId, client.clientSecret),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(res.body.scope.split(" ")).toContain("divisions:read");

    const header = decodeProtectedHeader(res.body.access_token);
    expect(header).toMatchObject({ alg: "ES256", kid: ctx.key.kid, typ: "at+jwt" });
    const claims = decodeJwt(res.body.access_token);
    expect(claims).toMatchObject({
      iss: testIssuer,
      aud: testAudience,
      sub: client.clientId,
      client_id: client.clientId,
      tenant: "620902",
      roles: ["street_admin"],
      org: dongbei.id,
    });
    expect(claims.exp! - claims.iat!).toBe(900);

    const me = await bearer(res.body.access_token)("/v1/me");
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      tenant: "620902",
      subject: client.clientId,
      roles: ["street_admin"],
      org: dongbei.id,
      credential: "jwt",
    });
    expect(me.headers.get("ratelimit-policy")).toBe('"client";q=600;w=60, "tenant";q=6000;w=60');
    const divisionsSeen = (await (await bearer(res.body.access_token)("/v1/divisions?limit=100")).json()) as {
      data: { id: string }[];
    };
    expect(divisionsSeen.data.map((d) => d.id)).toContain(dongbei.id);
    expect(divisionsSeen.data.length).toBeLessThan(20); // the street's subtree, not the county
  });

  it("accepts client_id and client_secret in a form or JSON body, and a narrowed scope", async () => {
    const client = await createClient();
    const form = await token({
      form: { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret },
    });
    expect(form.status).toBe(200);
    const json = await token({
      json: {
        grant_type: "client_credentials",
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scope: "divisions:read",
      },
    });
    expect(json.status).toBe(200);
    expect(json.body.scope).toBe("divisions:read");
    expect((await bearer(json.body.access_token)("/v1/divisions")).status).toBe(200);
    expect((await bearer(json.body.access_token)("/v1/units")).status).toBe(403);
    // Basic with the client_id repeated (unchanged) in the body is still one method.
    const repeated = await token({
      form: { grant_type: "client_credentials", client_id: client.clientId },
      authorization: basic(client.clientId, client.clientSecret),
    });
    expect(repeated.status).toBe(200);
  });

  it("answers every error as RFC 6749 §5.2, never as a problem document", async () => {
    const client = await createClient();
    const revoked = await createClient();
    expect((await ctx.call(county, "POST", `/v1/api-clients/${revoked.id}/revoke`)).status).toBe(200);
    const good = { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret };
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const cases: [string, TokenCall, number, string][] = [
      [
        "missing grant_type",
        { form: { client_id: client.clientId, client_secret: client.clientSecret } },
        400,
        "invalid_request",
      ],
      ["empty grant_type", { form: { ...good, grant_type: "" } }, 400, "invalid_request"],
      ["password grant", { form: { ...good, grant_type: "password" } }, 400, "unsupported_grant_type"],
      [
        "authorization_code grant",
        { json: { ...good, grant_type: "authorization_code" } },
        400,
        "unsupported_grant_type",
      ],
      [
        "plain text body",
        { raw: { body: "grant_type=client_credentials", type: "text/plain" } },
        400,
        "invalid_request",
      ],
      ["no content type", { raw: { body: "grant_type=client_credentials" } }, 400, "invalid_request"],
      ["broken JSON", { raw: { body: "{grant_type", type: "application/json" } }, 400, "invalid_request"],
      ["JSON array", { json: [good] }, 400, "invalid_request"],
      ["non-string JSON value", { json: { ...good, client_secret: 42 } }, 400, "invalid_request"],
      [
        "repeated parameter",
        {
          raw: {
            body: `grant_type=client_credentials&grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.clientSecret}`,
            type: "application/x-www-form-urlencoded",
          },
        },
        400,
        "invalid_request",
      ],
      [
        "Basic and body secret",
        { form: good, authorization: basic(client.clientId, client.clientSecret) },
        400,
        "invalid_request",
      ],
      [
        "Basic and another body client_id",
        {
          form: { grant_type: "client_credentials", client_id: revoked.clientId },
          authorization: basic(client.clientId, client.clientSecret),
        },
        400,
        "invalid_request",
      ],
      ["scope beyond the roles", { form: { ...good, scope: "divisions:read access:manage" } }, 400, "invalid_scope"],
      ["no client authentication", { form: { grant_type: "client_credentials" } }, 401, "invalid_client"],
      [
        "client_id without a secret",
        { form: { grant_type: "client_credentials", client_id: client.clientId } },
        401,
        "invalid_client",
      ],
      ["wrong secret in the body", { form: { ...good, client_secret: "hxs_wrong" } }, 401, "invalid_client"],
      [
        "wrong secret by Basic",
        { form: { grant_type: "client_credentials" }, authorization: basic(client.clientId, "hxs_wrong") },
        401,
        "invalid_client",
      ],
      ["unknown client", { form: { ...good, client_id: "hxc_00000000000000000000" } }, 401, "invalid_client"],
      [
        "revoked client",
        { form: { ...good, client_id: revoked.clientId, client_secret: revoked.clientSecret } },
        401,
        "invalid_client",
      ],
      [
        "malformed Basic: not base64",
        { form: { grant_type: "client_credentials" }, authorization: "Basic ***" },
        401,
        "invalid_client",
      ],
      [
        "malformed Basic: no colon",
        { form: { grant_type: "client_credentials" }, authorization: `Basic ${b64(client.clientId)}` },
        401,
        "invalid_client",
      ],
      [
        "malformed Basic: bad escape",
        { form: { grant_type: "client_credentials" }, authorization: `Basic ${b64(`${client.clientId}:%zz`)}` },
        401,
        "invalid_client",
      ],
      [
        "Bearer instead of Basic",
        { form: { grant_type: "client_credentials" }, authorization: "Bearer abc" },
        401,
        "invalid_client",
      ],
    ];
    let ip = 1;
    for (const [name, call, status, error] of cases) {
      const res = await token({ ...call, ip: `198.51.100.${100 + ip++}` }); // one address each: the lock-out is tested below
      expect(res.status, name).toBe(status);
      expect(res.body.error, name).toBe(error);
      expect(typeof res.body.error_description, name).toBe("string");
      expect(res.headers.get("content-type"), name).toMatch(/^application\/json/);
      expect(res.headers.get("cache-control"), name).toBe("no-store");
      if (status === 401) expect(res.headers.get("www-authenticate"), name).toMatch(/^Basic realm="hexi"/);
    }
    // Unknown, wrong secret and revoked are indistinguishable.
    const answers = await Promise.all(
      [
        { ...good, client_secret: "hxs_wrong" },
        { ...good, client_id: "hxc_00000000000000000000" },
        { ...good, client_id: revoked.clientId, client_secret: revoked.clientSecret },
      ].map((form, i) => token({ form, ip: `198.51.100.${200 + i}` })),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
  });

  it("limits failures per client_id and address: guesses from one address never lock the client out of another", async () => {
    const client = await createClient();
    const asClient = (secret: string, ip: string) =>
      token({ form: { grant_type: "client_credentials" }, authorization: basic(client.clientId, secret), ip });
    // Address A guesses until it is stopped.
    for (let i = 0; i < 10; i++) expect((await asClient(`hxs_guess${i}`, "203.0.113.7")).status).toBe(401);
    const lockedA = await asClient(client.clientSecret, "203.0.113.7");
    expect(lockedA.status).toBe(429);
    expect(lockedA.body.error).toBe("temporarily_unavailable");
    expect(Number(lockedA.headers.get("retry-after"))).toBe(6); // one failure drains away every 6 s
    // Address B, which has not failed, gets its token at once; so do others, while A stays limited.
    expect((await asClient(client.clientSecret, "203.0.113.8")).status).toBe(200);
    // Guesses spread over many addresses do not lock the client out either.
    for (let i = 0; i < 20; i++) expect((await asClient(`hxs_spread${i}`, `198.18.0.${i}`)).status).toBe(401);
    expect((await asClient(client.clientSecret, "203.0.113.9")).status).toBe(200);
    expect((await asClient(client.clientSecret, "203.0.113.7")).status).toBe(429);
    nowMs += 6000;
    expect((await asClient(client.clientSecret, "203.0.113.7")).status).toBe(200);
  });

  it("locks out an address after 30 failures a minute, whatever the client_id", async () => {
    const client = await createClient();
    for (let i = 0; i < 30; i++) {
      const res = await token({
        form: { grant_type: "client_credentials", client_id: `hxc_unknown${i}`, client_secret: "x" },
        ip: "192.0.2.77",
      });
      expect(res.status).toBe(401);
    }
    const good = { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret };
    const locked = await token({ form: good, ip: "192.0.2.77" });
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBeTruthy();
    expect((await token({ form: good, ip: "192.0.2.78" })).status).toBe(200);
  });

  it("stops a revoked client's tokens at once where revoked, and everywhere within the 30 s cache bound", async () => {
    const client = await createClient();
    const { body } = await token({
      form: { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret },
    });
    const otherIsolate = createApp(ctx.deps);
    expect((await bearer(body.access_token, otherIsolate)("/v1/me")).status).toBe(200);
    const revoked = await ctx.call(county, "POST", `/v1/api-clients/${client.id}/revoke`);
    expect(revoked.body.status).toBe("revoked");
    expect((await bearer(body.access_token)("/v1/me")).status).toBe(401);
    nowMs += 29_000;
    expect((await bearer(body.access_token, otherIsolate)("/v1/me")).status).toBe(200);
    nowMs += 2_000;
    expect((await bearer(body.access_token, otherIsolate)("/v1/me")).status).toBe(401);
    expect((await ctx.call(county, "POST", `/v1/api-clients/${client.id}/revoke`)).status).toBe(409);
  });

  it("holds a client to its own quota", async () => {
    const client = await createClient({ rateLimitPerMinute: 2 });
    const { body } = await token({
      form: { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret },
    });
    const as = bearer(body.access_token);
    expect((await as("/v1/me")).status).toBe(200);
    const second = await as("/v1/me");
    expect(second.headers.get("ratelimit")).toMatch(/^"client";r=0;t=60, "tenant";r=\d+;t=\d+$/);
    const third = await as("/v1/me");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("30");
    expect(((await third.json()) as { code: string }).code).toBe("rate_limited");
  });

  it("is documented with its OAuth errors, form body and Basic authentication", () => {
    const doc = openApiDocument() as any;
    const op = doc.paths["/v1/oauth/token"].post;
    expect(op.operationId).toBe("issueAccessToken");
    expect(Object.keys(op.requestBody.content)).toEqual(["application/x-www-form-urlencoded", "application/json"]);
    for (const status of ["400", "401", "429"])
      expect(op.responses[status].content["application/json"].schema.$ref).toBe("#/components/schemas/OAuthError");
    expect(op.security).toEqual([{ clientBasic: [] }, {}]);
    expect(doc.components.securitySchemes.clientBasic).toMatchObject({ type: "http", scheme: "basic" });
    expect(doc.paths["/.well-known/jwks.json"].get.security).toEqual([]);
  });
});

describe("signing keys", () => {
  it("publishes the public keys only", async () => {
    const res = await ctx.app.request("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", kid: ctx.key.kid, alg: "ES256", use: "sig" });
    for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(jwks.keys[0]).not.toHaveProperty(member);
  });

  it("rotate: old tokens verify while the old key is in the set, fail after its removal; new tokens carry the new kid", async () => {
    const client = await createClient();
    const oldKey = await createSigningKey("2026-10");
    const newKey = await createSigningKey("2026-11");
    /** An app whose platform keys come from HEXI_SIGNING_JWKS, as in production. */
    const appWith = async (keys: object[]) => {
      const config = parseConfig({
        HEXI_JWT_ISSUER: testIssuer,
        HEXI_JWT_AUDIENCE: testAudience,
        HEXI_SIGNING_JWKS: JSON.stringify({ keys }),
      });
      const signing = signingKeys(config)!;
      return createApp({
        ...ctx.deps,
        signer: await createTokenSigner(signing, {
          issuer: config.HEXI_JWT_ISSUER,
          audience: config.HEXI_JWT_AUDIENCE,
          now: clock.now,
        }),
        verifier: createTokenVerifier(trustedIssuers(config, platformVerificationJwks(config, signing)), {
          now: clock.now,
          clockToleranceSeconds: 5,
        }),
      });
    };
    const issue = async (app: TestContext["app"]) =>
      (
        await token({
          app,
          form: { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret },
        })
      ).body.access_token as string;

    const before = await appWith([oldKey.privateJwk]);
    const oldToken = await issue(before);
    expect(decodeProtectedHeader(oldToken).kid).toBe("2026-10");

    const during = await appWith([newKey.privateJwk, oldKey.privateJwk]);
    const newToken = await issue(during);
    expect(decodeProtectedHeader(newToken).kid).toBe("2026-11");
    expect((await bearer(oldToken, during)("/v1/me")).status).toBe(200);
    expect((await bearer(newToken, during)("/v1/me")).status).toBe(200);
    const published = (await (await during.request("/.well-known/jwks.json")).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(published.keys.map((k) => k.kid)).toEqual(["2026-11", "2026-10"]);
    expect(published.keys.some((k) => "d" in k)).toBe(false);

    const after = await appWith([newKey.privateJwk]);
    const rejected = await bearer(oldToken, after)("/v1/me");
    expect(rejected.status).toBe(401);
    expect(((await rejected.json()) as { detail: string }).detail).toMatch(/no trusted key/);
    expect((await bearer(newToken, after)("/v1/me")).status).toBe(200);
  });

  it("refuses a signing key set without private keys or with duplicate kids", async () => {
    const key = await createSigningKey("k1");
    expect(() => parseConfig({ HEXI_SIGNING_JWKS: JSON.stringify({ keys: [key.publicJwk] }) })).toThrow(
      /HEXI_SIGNING_JWKS/,
    );
    expect(() =>
      parseConfig({ HEXI_SIGNING_JWKS: JSON.stringify({ keys: [key.privateJwk, key.privateJwk] }) }),
    ).toThrow(/distinct/);
    const rsa = { kty: "RSA", kid: "r", d: "x", n: "y", e: "AQAB" };
    expect(() => parseConfig({ HEXI_SIGNING_JWKS: JSON.stringify({ keys: [rsa] }) })).toThrow(/ES256/);
  });
});
