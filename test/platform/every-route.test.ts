import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/routes.js";
import { createTestContext, type TestContext } from "../helpers/app.js";

/**
 * The same security and robustness sweep over every operation in the OpenAPI document, so a new
 * route cannot skip it: no credential is a 401, a credential without the route's scope is a 403,
 * and hostile input is a 4xx problem — never a 500.
 */

type Operation = { method: string; path: string; security?: unknown[]; requestBody?: unknown; publicRoute: boolean };

const doc = openApiDocument() as unknown as {
  paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
};
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    security: op.security,
    requestBody: op.requestBody,
    publicRoute: Array.isArray(op.security) && op.security.length === 0,
  })),
);
const protectedOperations = operations.filter((o) => !o.publicRoute);

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

  it("answers 401 problem+json without a credential", async () => {
    const failures: string[] = [];
    for (const op of protectedOperations) {
      if (op.path === "/v1/oauth/token") continue; // authenticates the client itself (RFC 6749)
      const res = await send(op, concrete(op.path, wellFormed), { body: op.requestBody ? "{}" : undefined });
      if (res.status !== 401 || !res.headers.get("content-type")?.startsWith("application/problem+json"))
        failures.push(`${op.method} ${op.path} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("answers 403 to a credential that holds none of the route's scopes", async () => {
    // A county admin's token narrowed to one harmless scope: every other route must refuse it.
    const token = await ctx.token({ tenant: "620902", roles: ["county_admin"], scope: "tenants:read" });
    const failures: string[] = [];
    for (const op of protectedOperations) {
      if (
        op.path === "/v1/oauth/token" ||
        op.path.startsWith("/v1/tenants") ||
        op.path === "/v1/me" ||
        op.path.startsWith("/v1/five-links") ||
        (op.path.startsWith("/v1/working-calendars") && op.method === "GET")
      )
        continue;
      const res = await send(op, concrete(op.path, wellFormed), { token, body: op.requestBody ? "{}" : undefined });
      if (res.status !== 403) failures.push(`${op.method} ${op.path} → ${res.status}`);
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
