/**
 * Black-box test: the real server process (`src/server.ts`) on a fresh database, a token minted by
 * the real `scripts/token.ts`, and a client typed from the committed openapi.json. Nothing here
 * imports the app; everything goes over HTTP on 127.0.0.1.
 */
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { generateClientTypes } from "../scripts/client-types.js";
import { mintToken, startServer, type ServerProcess } from "./helpers/server-process.js";
// Generated below from openapi.json (gitignored, beside the example integration); the import is type-only, so it is erased at run time.
import type { paths } from "../examples/third-party/api.js";

const specUrl = new URL("../openapi.json", import.meta.url);

type Division = paths["/v1/divisions/{id}"]["get"]["responses"][200]["content"]["application/json"];

const countyTenant = "620902";
const cityTenant = "620900";

let server: ServerProcess;
let countyToken: string;
let cityToken: string;

const clientFor = (token?: string) =>
  createClient<paths>({ baseUrl: server.baseUrl, headers: token ? { authorization: `Bearer ${token}` } : {} });

/** Follows nextCursor from the first page to the last, asserting the cursor always moves on. */
async function allDivisions(token: string, limit: number): Promise<{ rows: Division[]; pages: number }> {
  const client = clientFor(token);
  const rows: Division[] = [];
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data, error, response } = await client.GET("/v1/divisions", {
      params: { query: { limit, ...(cursor ? { cursor } : {}) } },
    });
    expect(error, `page ${pages + 1}: ${JSON.stringify(error)}`).toBeUndefined();
    expect(response.status).toBe(200);
    pages++;
    expect(data!.data.length).toBeLessThanOrEqual(limit);
    if (data!.nextCursor !== null) {
      expect(data!.data.length).toBe(limit);
      expect(seenCursors.has(data!.nextCursor)).toBe(false);
      seenCursors.add(data!.nextCursor);
    }
    rows.push(...data!.data);
    cursor = data!.nextCursor ?? undefined;
    expect(pages, "pagination does not end").toBeLessThan(1000);
  } while (cursor);
  return { rows, pages };
}

beforeAll(async () => {
  await generateClientTypes();
  server = await startServer();
  // One run of the real `npm run token` script per role: it proves the command works with the
  // dev key the server created beside its database.
  [countyToken, cityToken] = await Promise.all([
    mintToken(server, { tenant: countyTenant, roles: ["county_admin"] }),
    mintToken(server, { tenant: cityTenant, roles: ["city_admin"] }),
  ]);
});

afterAll(async () => {
  await server?.stop();
});

describe("the server process, over HTTP", () => {
  it("serves every operation of the committed openapi.json (the document the client types come from)", async () => {
    // Exact equality with the committed file is checked in-process by test/platform/http.test.ts.
    const res = await fetch(`${server.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const served = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const committed = JSON.parse(readFileSync(specUrl, "utf8")) as typeof served;
    expect(served.openapi).toBe(committed.openapi);
    const operations = (doc: typeof served) =>
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]) => `${method} ${path} ${op.operationId}`),
      );
    expect(operations(served)).toEqual(expect.arrayContaining(operations(committed)));
  });

  it("GET /healthz answers ok without a token", async () => {
    const { data, response } = await clientFor().GET("/healthz");
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ status: "ok", database: "ok" });
  });

  it("a newcomer's first start: GET / links the docs, GET /v1/members shows the demo members", async () => {
    expect(server.output()).toMatch(/\(development, .*demo data seeded \(\d+ members/);
    const root = await fetch(`${server.baseUrl}/`);
    expect(root.status).toBe(200);
    expect(await root.json()).toMatchObject({ links: { docs: "/docs", openapi: "/openapi.json" } });
    const { data, error } = await clientFor(countyToken).GET("/v1/members", { params: { query: { limit: 5 } } });
    expect(error).toBeUndefined();
    expect(data!.data).toHaveLength(5);
    expect(data!.data.every((m) => m.tenant === countyTenant && /\*/.test(m.idCard))).toBe(true);
  });

  it("GET /v1/me names the token's tenant and roles", async () => {
    const { data, error } = await clientFor(countyToken).GET("/v1/me");
    expect(error).toBeUndefined();
    expect(data).toMatchObject({
      tenant: countyTenant,
      roles: ["county_admin"],
      credential: "jwt",
      crossTenant: false,
    });
  });

  it("pages through GET /v1/divisions to the end without duplicates, all in the token's tenant", async () => {
    const { rows, pages } = await allDivisions(countyToken, 3);
    expect(pages).toBeGreaterThan(1);
    const ids = rows.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    for (const row of rows) expect(row.tenant).toBe(countyTenant);

    // The same set in one page: paging neither skipped nor invented rows.
    const { rows: whole } = await allDivisions(countyToken, 100);
    expect(whole.map((d) => d.id)).toEqual(ids);

    const sample = rows[Math.floor(rows.length / 2)]!;
    const { data, error } = await clientFor(countyToken).GET("/v1/divisions/{id}", {
      params: { path: { id: sample.id } },
    });
    expect(error).toBeUndefined();
    expect(data).toEqual(sample);
  });

  it("a city token sees several tenants' divisions; a county token gets a 404 problem for another tenant's", async () => {
    const { rows } = await allDivisions(cityToken, 100);
    const tenants = new Set(rows.map((d) => d.tenant));
    expect(tenants.has(countyTenant)).toBe(true);
    expect(tenants.size).toBeGreaterThan(1);

    const foreign = rows.find((d) => d.tenant !== countyTenant)!;
    const { data, error, response } = await clientFor(countyToken).GET("/v1/divisions/{id}", {
      params: { path: { id: foreign.id } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect(error!.requestId).toBeTruthy();

    // The city itself may read it.
    const asCity = await clientFor(cityToken).GET("/v1/divisions/{id}", { params: { path: { id: foreign.id } } });
    expect(asCity.data).toEqual(foreign);
  });

  it("GET /v1/tenants: a county sees only itself, the city sees all eight", async () => {
    const county = await clientFor(countyToken).GET("/v1/tenants");
    expect(county.error).toBeUndefined();
    expect(county.data!.data.map((t) => t.code)).toEqual([countyTenant]);

    const city = await clientFor(cityToken).GET("/v1/tenants", { params: { query: { limit: 100 } } });
    expect(city.error).toBeUndefined();
    const codes = city.data!.data.map((t) => t.code);
    expect(codes).toContain(cityTenant);
    expect(codes).toContain(countyTenant);
    expect(codes).toHaveLength(8);
    expect(city.data!.nextCursor).toBeNull();
  });

  it("a garbage token gets a 401 problem carrying the request id", async () => {
    const { data, error, response } = await clientFor("not-a-jwt").GET("/v1/me");
    expect(data).toBeUndefined();
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(error).toMatchObject({ status: 401, code: "unauthenticated" });
    expect(error!.requestId).toMatch(/\S/);
  });

  it("echoes a well-formed X-Request-Id the caller sends, on success and in problems", async () => {
    const requestId = `blackbox-${Date.now()}`;
    const ok = await clientFor(countyToken).GET("/v1/me", { headers: { "x-request-id": requestId } });
    expect(ok.response.status).toBe(200);
    expect(ok.response.headers.get("x-request-id")).toBe(requestId);

    const bad = await clientFor("not-a-jwt").GET("/v1/me", { headers: { "x-request-id": requestId } });
    expect(bad.response.status).toBe(401);
    expect(bad.error!.requestId).toBe(requestId);
    expect(bad.response.headers.get("x-request-id")).toBe(requestId);
  });

  it("GET /docs is HTML whose scripts and styles are all served by this server (no internet needed)", async () => {
    const res = await fetch(`${server.baseUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();

    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc=["']([^"']+)["']/gi)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link\b[^>]*\brel=["']stylesheet["'][^>]*>/gi)].map(
      (m) => /\bhref=["']([^"']+)["']/i.exec(m[0])![1]!,
    );
    expect(scripts.length).toBeGreaterThan(0);
    expect(styles.length).toBeGreaterThan(0);

    for (const [ref, kind] of [
      ...scripts.map((s) => [s, /javascript/] as const),
      ...styles.map((s) => [s, /text\/css/] as const),
    ]) {
      const url = new URL(ref, `${server.baseUrl}/docs`);
      expect(url.origin, `${ref} is not served by this server`).toBe(server.baseUrl);
      const asset = await fetch(url);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get("content-type"), ref).toMatch(kind);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(1000);
    }
  });
});
