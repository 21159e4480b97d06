import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/routes.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { type Role, roleScopes, roles, scopes } from "../../src/shared/auth/principal.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { in: string; pointer: string; detail: string }[];
};

describe("problem responses", () => {
  it("unknown routes are 404 problems", async () => {
    const res = await ctx.app.request("/nope");
    expect(res.status).toBe(404);
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({ status: 404, code: "not_found", type: "https://hexi.dev/problems/not-found" });
  });

  it("malformed query parameters are 400 with field pointers, never 500", async () => {
    const as = ctx.as({});
    for (const query of [
      "limit=0",
      "limit=101",
      "limit=abc",
      "level=planet",
      "parentId=../../etc",
      "cursor=%%%",
      "cursor=bm90LWpzb24",
    ]) {
      const res = await as(`/v1/divisions?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as Problem;
      expect(body.errors?.[0]?.in, query).toBe("query");
      expect(body.requestId).toMatch(/^req_/);
    }
  });

  it("reports every invalid field with its pointer", async () => {
    const res = await ctx.as({})("/v1/divisions?limit=0&level=planet");
    const body = (await res.json()) as Problem;
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.pointer).sort()).toEqual(["/level", "/limit"]);
  });

  it("malformed path parameters are 400", async () => {
    const res = await ctx.as({})("/v1/tenants/abc");
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.[0]).toMatchObject({ in: "path", pointer: "/code" });
  });

  it("echoes a well-formed caller request id and replaces a malformed one", async () => {
    const mine = await ctx.app.request("/healthz", { headers: { "x-request-id": "caller-123" } });
    expect(mine.headers.get("x-request-id")).toBe("caller-123");
    const bad = await ctx.app.request("/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^req_[0-9A-Z]{26}$/);
  });

  it("rejects a non-JSON body with 415", async () => {
    const res = await ctx.as({})("/v1/divisions", {
      method: "POST",
      body: "a=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as Problem).code).toBe("unsupported_media_type");
  });

  it("rejects an oversized body with 413", async () => {
    const res = await ctx.as({})("/v1/divisions", {
      method: "POST",
      body: JSON.stringify({ pad: "x".repeat(70 * 1024) }),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Problem).code).toBe("payload_too_large");
  });

  it("hides internals of unexpected errors behind a 500 problem and logs them with the request id", async () => {
    const logged: Record<string, unknown>[] = [];
    const broken = await createTestContext({
      database: () => {
        throw new Error("secret connection string leaked?");
      },
      log: { error: (_m, fields) => logged.push(fields) },
    });
    try {
      const res = await broken.app.request("/v1/tenants", {
        headers: { authorization: `Bearer ${await broken.token()}` },
      });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain("secret");
      const body = JSON.parse(text) as Problem;
      expect(body.code).toBe("internal");
      expect(logged).toHaveLength(1);
      expect(logged[0]!.requestId).toBe(body.requestId);
    } finally {
      broken.close();
    }
  });
});

describe("health", () => {
  it("checks the database", async () => {
    const res = await ctx.app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "ok" });
  });
});

describe("OpenAPI document", () => {
  interface Example {
    $ref?: string;
    value?: Record<string, unknown>;
  }
  interface Parameter {
    name: string;
    in: string;
    required?: boolean;
    example?: unknown;
    examples?: unknown;
    schema?: { example?: unknown; examples?: unknown };
  }
  const doc = openApiDocument() as unknown as {
    openapi: string;
    info: { description: string };
    paths: Record<
      string,
      Record<
        string,
        {
          operationId?: string;
          tags?: string[];
          description?: string;
          "x-hexi-scopes": string[];
          parameters?: Parameter[];
          responses: Record<string, { content?: Record<string, { examples: Record<string, Example> }> }>;
          security?: unknown[];
        }
      >
    >;
    components: { securitySchemes: Record<string, unknown>; examples: Record<string, Example> };
  };
  const exampleValue = (example: Example) =>
    example.$ref ? doc.components.examples[example.$ref.split("/").pop()!]!.value : example.value;
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

  it("is OpenAPI 3.1 with a unique operationId and tags on every operation", () => {
    expect(doc.openapi).toBe("3.1.0");
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations.every((o) => (o.op.tags?.length ?? 0) > 0)).toBe(true);
  });

  it("declares the bearer scheme and typed errors on every protected operation", () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
    // The OAuth token endpoint authenticates clients itself (and is tested in test/access/oauth.test.ts).
    // Public by design (security: []): the OAuth token endpoint, and the red-property reporter's follow-up
    // link under /v1/public/ (test/property/complaints.test.ts), whose token is the credential.
    const isPublic = (path: string) => path === "/v1/oauth/token" || path.startsWith("/v1/public/");
    for (const { path, op } of operations.filter((o) => o.path.startsWith("/v1/") && isPublic(o.path))) {
      if (path !== "/v1/oauth/token") expect(op.security, path).toEqual([]);
    }
    for (const { path, op } of operations.filter((o) => o.path.startsWith("/v1/") && !isPublic(o.path))) {
      // Each scope is an alternative requirement for each scheme: any one scope suffices.
      const scopes: string[] = op["x-hexi-scopes"];
      expect(scopes.length, path).toBeGreaterThan(0);
      expect(op.security, path).toEqual([
        ...scopes.map((s) => ({ bearerAuth: [s] })),
        ...scopes.map((s) => ({ apiKey: [s] })),
      ]);
      expect(op.description, path).toContain(`\`${scopes[0]}\``);
      expect(op.description, path).toMatch(/roles that hold it/);
      for (const status of ["400", "401", "403", "500"]) {
        const content = op.responses[status]?.content?.["application/problem+json"];
        expect(content, `${path} ${status}`).toBeDefined();
        // Every error status shows an example of that status, in both languages.
        for (const language of ["zh-CN", "en"]) {
          expect(exampleValue(content!.examples[language]!), `${path} ${status} ${language}`).toMatchObject({
            status: Number(status),
          });
        }
      }
      // The 403 example names the operation's own scope and the roles that hold it.
      const forbidden = op.responses["403"]!.content!["application/problem+json"]!.examples;
      expect(exampleValue(forbidden.en!)).toMatchObject({ code: "forbidden", requiredScopes: scopes });
      expect(exampleValue(forbidden["zh-CN"]!)?.detail).toMatch(/此操作需要.*角色/);
    }
  });

  it("pre-fills no optional parameter in Try it out: examples only on required ones", () => {
    let optional = 0;
    for (const { path, op } of operations) {
      for (const p of op.parameters ?? []) {
        if (p.required) continue;
        optional++;
        const where = `${path} ${p.in} ${p.name}`;
        expect(p.example, where).toBeUndefined();
        expect(p.examples, where).toBeUndefined();
        expect(p.schema?.example, where).toBeUndefined();
        expect(p.schema?.examples, where).toBeUndefined();
      }
    }
    expect(optional).toBeGreaterThan(50);
    // In particular, actions carry no stale If-Match example.
    const confirm = operations.find((o) => o.op.operationId === "confirmMemberReport")!;
    expect(confirm.op.parameters?.find((p) => p.name === "if-match")).not.toHaveProperty("example");
  });

  it("carries the role → scope matrix generated from the role table", () => {
    const description: string = doc.info.description;
    expect(description).toContain("| Scope / 权限范围 | `city_admin` | `county_admin`");
    for (const [role, granted] of Object.entries(roleScopes)) {
      const column = roles.indexOf(role as Role) + 1;
      for (const scope of scopes) {
        const row = description.split("\n").find((l) => l.startsWith(`| \`${scope}\` |`))!;
        expect(row.split("|").slice(1, -1)[column]!.trim(), `${role} ${scope}`).toBe(
          granted.includes(scope) ? "✓" : "",
        );
      }
    }
  });

  it("is built once and served as built", async () => {
    expect(openApiDocument()).toBe(doc);
    const res = await ctx.app.request("/openapi.json");
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it("matches the committed openapi.json (run `npm run openapi` after changing routes)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../openapi.json", import.meta.url), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});

describe("docs page", () => {
  it("serves the reference UI and its assets from the app itself", async () => {
    const html = await (await ctx.app.request("/docs")).text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset.startsWith("/"), asset).toBe(true);
      const res = await ctx.app.request(asset);
      expect(res.status, asset).toBe(200);
      expect(Number((await res.arrayBuffer()).byteLength)).toBeGreaterThan(100);
    }
    expect((await ctx.app.request("/docs/assets/package.json")).status).toBe(404);
  });
});
