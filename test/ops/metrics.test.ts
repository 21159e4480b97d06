import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createDb } from "../../src/db/client.js";
import { createNodeMetrics, metricsEndpoint, type NodeMetrics } from "../../src/node/metrics.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";

let ctx: TestContext;
let metrics: NodeMetrics;
let app: ReturnType<typeof createApp>;
/** A fake monotonic timer: every reading is 3 ms after the previous one. */
let ticks = 0;
const seconds = () => ++ticks * 0.003;

beforeAll(async () => {
  ctx = await createTestContext();
  metrics = createNodeMetrics({ database: () => timedDb, clock: ctx.clock, seconds });
  const timedDb = createDb(metrics.timeDatabase((ctx.db as unknown as { $client: Client }).$client));
  app = createApp({ ...ctx.deps, database: () => timedDb, middleware: [metrics.middleware] });
});
afterAll(() => ctx.close());

const county = { tenant: "620902", roles: ["county_admin" as const] };
const send = async (path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has("x-api-key")) headers.set("authorization", `Bearer ${await ctx.token(county)}`);
  return app.request(path, { ...init, headers });
};
const line = (body: string, prefix: string) => body.split("\n").find((l) => l.startsWith(prefix));

describe("GET /metrics", () => {
  it("needs its bearer token", async () => {
    const endpoint = metricsEndpoint(metrics, "metrics-token-0123456789");
    expect((await endpoint(new Request("http://x/metrics"))).status).toBe(401);
    const wrong = new Request("http://x/metrics", { headers: { authorization: "Bearer metrics-token-01234567890" } });
    expect((await endpoint(wrong)).status).toBe(401);
  });

  it("counts requests by route template and status, times them and the database, and counts 429s", async () => {
    const [division] = ((await (await send("/v1/divisions?limit=1")).json()) as { data: { id: string }[] }).data;
    expect((await send(`/v1/divisions/${division!.id}`)).status).toBe(200);
    expect((await send("/v1/divisions/div_00000000000000000000000000")).status).toBe(404);
    expect((await send("/v1/nothing-here")).status).toBe(404);
    const created = await send("/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "指标", scopes: ["divisions:read"], rateLimitPerMinute: 1 }),
    });
    const { key } = (await created.json()) as { key: string };
    const withKey = () => send("/v1/divisions?limit=1", { headers: { "x-api-key": key } });
    expect((await withKey()).status).toBe(200);
    expect((await withKey()).status).toBe(429);

    const res = await metricsEndpoint(
      metrics,
      "metrics-token-0123456789",
    )(new Request("http://x/metrics", { headers: { authorization: "Bearer metrics-token-0123456789" } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const body = await res.text();
    expect(line(body, 'hexi_http_requests_total{method="GET",route="/v1/divisions/:id",status="200"}')).toMatch(/ 1$/);
    expect(line(body, 'hexi_http_requests_total{method="GET",route="/v1/divisions/:id",status="404"}')).toMatch(/ 1$/);
    expect(line(body, 'hexi_http_requests_total{method="GET",route="unmatched",status="404"}')).toMatch(/ 1$/);
    expect(line(body, 'hexi_http_requests_total{method="POST",route="/v1/api-keys",status="201"}')).toMatch(/ 1$/);
    expect(line(body, 'hexi_rate_limit_refusals_total{route="/v1/divisions"}')).toMatch(/ 1$/);
    expect(line(body, 'hexi_http_request_duration_seconds_count{method="GET",route="/v1/divisions/:id"}')).toMatch(
      / 2$/,
    );
    expect(
      line(body, 'hexi_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/divisions/:id"}'),
    ).toMatch(/ 0$/);
    expect(Number(line(body, 'hexi_db_duration_seconds_count{operation="execute"}')?.split(" ")[1])).toBeGreaterThan(3);
    expect(
      Number(line(body, 'hexi_db_duration_seconds_count{operation="batch"}')?.split(" ")[1]),
    ).toBeGreaterThanOrEqual(1);
    // The API key's creation put an event in the outbox; nothing has dispatched it yet.
    expect(Number(line(body, "hexi_outbox_backlog ")?.split(" ")[1])).toBeGreaterThanOrEqual(1);
    expect(line(body, "hexi_outbox_oldest_age_seconds ")).toBeDefined();
    expect(line(body, 'hexi_webhook_deliveries{status="dead"}')).toBe('hexi_webhook_deliveries{status="dead"} 0');
  });
});

describe("the Node server", () => {
  let server: ServerProcess;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    server = await startServer({
      env: { HEXI_METRICS_TOKEN: "metrics-token-0123456789", HEXI_METRICS_PORT: String(metricsPort) },
    });
  }, 60_000);
  afterAll(() => server?.stop());

  it("serves /metrics to its token only, with process metrics", async () => {
    await fetch(`${server.baseUrl}/v1/tenants`);
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.baseUrl}/metrics`, {
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('hexi_http_requests_total{method="GET",route="/v1/tenants",status="401"} 1');
    expect(body).toContain("hexi_process_resident_memory_bytes");
    expect(body).toContain("hexi_outbox_backlog");
  });

  it("serves /metrics on HEXI_METRICS_PORT too, and nothing else there", async () => {
    const auth = { authorization: "Bearer metrics-token-0123456789" };
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("hexi_http_requests_total");
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/tenants`, { headers: auth })).status).toBe(404);
  });
});

/** A port nothing listens on right now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
