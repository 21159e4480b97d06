import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/routes.js";
import { ownAuthentication } from "../../src/shared/auth/exceptions.js";
import { webhookHeaders } from "../../src/shared/crypto/standard-webhooks.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { rolesHolding, type Scope } from "../../src/shared/auth/principal.js";

/**
 * The same security and robustness sweep over every operation in the OpenAPI document, so a new
 * route cannot skip it: no credential is a 401, a credential without the route's scope is a 403,
 * and hostile input is a 4xx problem — never a 500.
 */

type Operation = {
  method: string;
  path: string;
  operationId: string;
  security?: Record<string, unknown>[];
  scopes: string[];
  requestBody?: unknown;
};
type DocOperation = {
  operationId: string;
  security?: Record<string, unknown>[];
  requestBody?: unknown;
  "x-hexi-scopes"?: string[];
};

const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, DocOperation>> };
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    operationId: op.operationId,
    security: op.security,
    scopes: op["x-hexi-scopes"] ?? [],
    requestBody: op.requestBody,
  })),
);
/** Every operation but the declared exceptions (public, or authenticating their caller themselves). */
const protectedOperations = operations.filter((o) => !ownAuthentication[o.operationId]);

/** Path parameters filled with a value of the right shape that names nothing. */
const concrete = (path: string, value: (name: string) => string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
const wellFormed = (name: string) =>
  name === "code" ? "999999" : name === "year" ? "2026" : "x_01KDVDNA011AKWK3RC504FTYF8";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function send(op: Operation, path: string, init: { token?: string; body?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = init.contentType ?? "application/json";
  return ctx.app.request(path, { method: op.method, headers, body: init.body });
}

describe("every operation", () => {
  it("is documented with at least one protected operation per area", () => {
    expect(protectedOperations.length).toBeGreaterThan(80);
  });

  it("takes the platform's credentials everywhere but the declared exceptions", () => {
    const withoutPlatformCredential = operations
      .filter((o) => !o.security?.some((requirement) => "bearerAuth" in requirement))
      .map((o) => o.operationId);
    expect(withoutPlatformCredential.sort()).toEqual(Object.keys(ownAuthentication).sort());
    for (const op of protectedOperations) expect(op.scopes.length, `${op.method} ${op.path}`).toBeGreaterThan(0);
  });

  it("answers 401 problem+json without a credential", async () => {
    const failures: string[] = [];
    for (const op of protectedOperations) {
      const res = await send(op, concrete(op.path, wellFormed), { body: op.requestBody ? "{}" : undefined });
      if (res.status !== 401 || !res.headers.get("content-type")?.startsWith("application/problem+json"))
        failures.push(`${op.method} ${op.path} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("answers 403 to a credential that holds none of the route's scopes", async () => {
    // A county admin's token narrowed to one harmless scope the route does not take: the route must refuse it.
    const narrowed = async (scope: string) =>
      ctx.token({ tenant: "620902", roles: ["county_admin", "community_admin"], scope });
    const tokens = { "tenants:read": await narrowed("tenants:read"), "audit:read": await narrowed("audit:read") };
    const failures: string[] = [];
    for (const op of protectedOperations) {
      const scope = op.scopes.includes("tenants:read") ? "audit:read" : "tenants:read";
      expect(op.scopes).not.toContain(scope);
      const res = await send(op, concrete(op.path, wellFormed), {
        token: tokens[scope],
        body: op.requestBody ? "{}" : undefined,
      });
      if (res.status !== 403) {
        failures.push(`${op.method} ${op.path} → ${res.status}`);
        continue;
      }
      // The 403 names the scopes the route takes (as documented) and the roles that hold them.
      const problem = (await res.json()) as { code: string; requiredScopes?: string[]; rolesWithScope?: string[] };
      if (problem.code !== "forbidden" || JSON.stringify(problem.requiredScopes) !== JSON.stringify(op.scopes))
        failures.push(`${op.method} ${op.path} → ${JSON.stringify(problem.requiredScopes)}, not ${op.scopes}`);
      else if (!problem.rolesWithScope?.length) failures.push(`${op.method} ${op.path} names no role`);
    }
    expect(failures).toEqual([]);
  });

  it("refuses an unknown query parameter with a 400 naming it, before anything else about the request", async () => {
    // A token of a role that holds the route's scope (the city's own for city-only scopes), so the request gets past the guards.
    const tokenFor = (op: Operation) => {
      const role = rolesHolding(op.scopes as Scope[]).find((r) => r !== "city_admin") ?? "city_admin";
      return ctx.token({ tenant: role === "city_admin" ? "620900" : "620902", roles: [role] });
    };
    const failures: string[] = [];
    for (const op of protectedOperations) {
      const res = await send(op, `${concrete(op.path, wellFormed)}?zzUnknown=1`, { token: await tokenFor(op) });
      const problem = (await res.json()) as { code?: string; errors?: { in: string; pointer: string }[] };
      const named = problem.errors?.some((e) => e.in === "query" && e.pointer === "/zzUnknown");
      if (res.status !== 400 || problem.code !== "validation_failed" || !named)
        failures.push(`${op.method} ${op.path} → ${res.status} ${problem.code}`);
    }
    expect(failures).toEqual([]);
  });

  it("never answers 500 to malformed ids, bodies or content types", async () => {
    const token = await ctx.token({ tenant: "620902", roles: ["county_admin", "community_admin", "auditor"] });
    const failures: string[] = [];
    const hostile = ["..%2F..%2Fetc", "%00", "'%20or%201=1--", "x".repeat(300)];
    for (const op of operations) {
      for (const value of hostile) {
        const res = await send(
          op,
          concrete(op.path, () => value),
          { token, body: op.requestBody ? "{}" : undefined },
        );
        if (res.status >= 500) failures.push(`${op.method} ${op.path} [${value.slice(0, 12)}] → ${res.status}`);
      }
      if (op.requestBody) {
        for (const [body, contentType] of [
          ["{not json", "application/json"],
          ["[]", "application/json"],
          ["null", "application/json"],
          ["<x/>", "application/xml"],
        ] as const) {
          const res = await send(op, concrete(op.path, wellFormed), { token, body, contentType });
          if (res.status >= 500) failures.push(`${op.method} ${op.path} body ${body} → ${res.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

/** A well-formed follow-up token that names nothing. */
const forgedToken = "AAAAAAAAAAAA";
const postJson = (path: string, body: unknown) =>
  ctx.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** A test of its own for each operation that does not take the platform's credentials; the sweeps skip exactly these. */
const ownAuthenticationTests: Record<string, () => Promise<void>> = {
  async getHealth() {
    const res = await ctx.app.request("/healthz");
    expect(res.status).toBe(200);
  },
  async getSigningKeys() {
    const res = await ctx.app.request("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).not.toHaveProperty("d"); // public halves only
  },
  async issueAccessToken() {
    // Without client authentication: an RFC 6749 error, and a platform bearer token is no client authentication.
    const res = await ctx.app.request("/v1/oauth/token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Bearer ${await ctx.token({ tenant: "620902", roles: ["county_admin"] })}`,
      },
      body: "grant_type=client_credentials",
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  },
  async listPublicDutyLists() {
    // Without a credential: only published lists, and nothing but the list's own fields.
    const res = await ctx.app.request("/v1/public/duty-lists?tenant=620902");
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown>[] };
    for (const list of data) expect(list.status).toBe("published");
    expect((await ctx.app.request("/v1/public/duty-lists?tenant=62090")).status).toBe(400);
  },
  async showAnswerPage() {
    // A forged token is the same 404 as an expired one, and says nothing.
    const res = await ctx.app.request("/a/AAAAAAAAAAAA");
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/mem_|vol_|1[3-9]\d{9}/);
  },
  async answerPage() {
    const res = await ctx.app.request("/a/AAAAAAAAAAAA", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "answer", answer: "available", etaMinutes: 20 }),
    });
    expect(res.status).toBe(404);
  },
  async acceptTaskByLink() {
    // A forged token is the same 404 as an expired one: no task is read, none moves.
    const res = await ctx.app.request("/a/AAAAAAAAAAAA/tasks/task_01KDVDNA011AKWK3RC504FTYF8/accept", {
      method: "POST",
    });
    expect(res.status).toBe(404);
  },
  async completeTaskByLink() {
    const res = await ctx.app.request("/a/AAAAAAAAAAAA/tasks/task_01KDVDNA011AKWK3RC504FTYF8/complete", {
      method: "POST",
    });
    expect(res.status).toBe(404);
  },
  async receiveGatewayEvents() {
    // Unsigned, or signed by a secret no gateway holds: a 401 problem, and nothing is read from the body.
    const body = JSON.stringify({ events: [{ type: "reply", from: "13900000001", text: "1" }] });
    const unsigned = await postJson("/v1/public/paging-gateway/events", JSON.parse(body));
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const forged = await ctx.app.request("/v1/public/paging-gateway/events", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(await webhookHeaders(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, "pgev_1", ctx.clock.now(), body)),
      },
      body,
    });
    expect(forged.status).toBe(401);
  },
  async filePublicComplaint() {
    // Without a credential, a body that files nothing is a 400 problem that names the fields.
    const res = await ctx.app.request("/v1/public/complaints", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  },
  async followPublicComplaint() {
    expect((await ctx.app.request(`/v1/public/complaints/${forgedToken}`)).status).toBe(404);
  },
  async addPublicComplaintInformation() {
    expect((await postJson(`/v1/public/complaints/${forgedToken}/information`, { text: "补充" })).status).toBe(404);
  },
  async reopenPublicComplaint() {
    expect((await postJson(`/v1/public/complaints/${forgedToken}/reopen`, { reason: "没修好" })).status).toBe(404);
  },
  async ratePublicComplaint() {
    expect((await postJson(`/v1/public/complaints/${forgedToken}/rating`, { rating: 5 })).status).toBe(404);
  },
  async addPublicComplaintPhoto() {
    const res = await ctx.app.request(`/v1/public/complaints/${forgedToken}/photos`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    });
    expect([404, 415, 503]).toContain(res.status);
  },
  async createPublicComplaintPhotoUpload() {
    const res = await ctx.app.request(`/v1/public/complaints/${forgedToken}/photo-uploads`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contentType: "image/jpeg", bytes: 10 }),
    });
    expect(res.status).toBe(404);
  },
  async attachPublicComplaintPhotoUpload() {
    const res = await ctx.app.request(
      `/v1/public/complaints/${forgedToken}/photo-uploads/cpu_01KDVDNA011AKWK3RC504FTYF8/attach`,
      { method: "POST" },
    );
    expect(res.status).toBe(404);
  },
  async getPublicComplaintPhoto() {
    const res = await ctx.app.request(`/v1/public/complaints/${forgedToken}/photos/cph_01KDVDNA011AKWK3RC504FTYF8`);
    expect(res.status).toBe(404);
  },
  async open311Discovery() {
    const res = await ctx.app.request("/open311/discovery.json");
    expect(res.status).toBe(200);
  },
  async open311ListServices() {
    const res = await ctx.app.request("/open311/v2/services.json?jurisdiction_id=620902");
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
  },
  async open311GetServiceDefinition() {
    const res = await ctx.app.request("/open311/v2/services/nonexistent.json?jurisdiction_id=620902");
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  },
  async open311CreateRequest() {
    // Without an api_key nothing is filed.
    const res = await ctx.app.request("/open311/v2/requests.json", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "jurisdiction_id=620902&service_code=parking&description=x",
    });
    expect([400, 401, 403]).toContain(res.status);
  },
  async open311SearchRequests() {
    const res = await ctx.app.request("/open311/v2/requests.json?jurisdiction_id=620902");
    expect([400, 401, 403]).toContain(res.status);
  },
  async open311GetRequest() {
    const res = await ctx.app.request(
      "/open311/v2/requests/cmp_01KDVDNA011AKWK3RC504FTYF8.json?jurisdiction_id=620902",
    );
    expect([400, 401, 403, 404]).toContain(res.status);
  },
  async open311GetRequestIdFromToken() {
    const res = await ctx.app.request(`/open311/v2/tokens/${forgedToken}.json?jurisdiction_id=620902`);
    expect(res.status).toBe(404);
  },
  async verifyCertificate() {
    // A forged certificate is a 200 verdict of invalid, with nothing about anyone.
    const res = await ctx.app.request("/v1/public/certificates/eyJhbGciOiJFUzI1NiJ9.e30.AAAA");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ valid: false, reason: "not_a_certificate" });
  },
  async showCertificatePage() {
    const res = await ctx.app.request("/c/not-a-certificate");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("无效");
  },
  async listCertificateRevocations() {
    // Public and cacheable: ids, tenants, dates and reasons only; a forged cursor is a 400 problem.
    const res = await ctx.app.request("/v1/public/certificate-revocations");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/^public/);
    expect(res.headers.get("etag")).toBeTruthy();
    const forged = await ctx.app.request("/v1/public/certificate-revocations?cursor=eyJrIjoieCIsIm8iOiJvbGRlc3QifQ");
    expect(forged.status).toBe(400);
  },
  async getCertificateKeys() {
    const res = await ctx.app.request("/.well-known/certificate-jwks.json");
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).not.toHaveProperty("d");
    // Never the API token keys.
    expect(keys.map((k) => k.kid)).not.toContain(ctx.key.kid);
  },
  async listPublicDutyItems() {
    const res = await ctx.app.request("/v1/public/duty-lists/dlist_01KDVDNA011AKWK3RC504FTYF8/items");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  },
};

describe("operations that take no platform credential", () => {
  it("each have a test of their own", () => {
    expect(Object.keys(ownAuthenticationTests).sort()).toEqual(Object.keys(ownAuthentication).sort());
  });
  for (const [operationId, test] of Object.entries(ownAuthenticationTests)) it(operationId, test);
});
