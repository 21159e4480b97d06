import type { Client } from "@libsql/client";
import { sql } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "../db/client.js";
import { outboxEvents } from "../db/tables.js";
import { webhookDeliveries } from "../domains/webhooks/tables.js";
import type { Clock } from "../shared/clock.js";

/**
 * Prometheus metrics of the Node server (prom-client; Node only, never in the Worker bundle).
 * Requests are labelled by route template (`/v1/divisions/:id`), never by raw path, so the label
 * set is bounded by the routes; the outbox and webhook figures are read from the database at scrape.
 */
export interface NodeMetrics {
  /** Runs first on every request: counts it and times it by route template, method and status. */
  middleware: MiddlewareHandler;
  /** Wraps the database client so every statement and batch is timed. */
  timeDatabase(client: Client): Client;
  /** The exposition, text format 0.0.4. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createNodeMetrics(options: {
  /** The database the outbox and delivery gauges read at scrape (a function: the client is wrapped by `timeDatabase` first). */
  database: () => Db;
  clock: Clock;
  /** Monotonic seconds for durations (`systemTimer` in production, a fake in tests). */
  seconds: () => number;
  /** Process metrics (CPU, memory, event loop lag): on in the server, off in tests. */
  processMetrics?: boolean;
}): NodeMetrics {
  const { clock, seconds } = options;
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: "hexi_" });

  const requests = new Counter({
    name: "hexi_http_requests_total",
    help: "HTTP requests answered, by method, route template and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "hexi_http_request_duration_seconds",
    help: "Time from the request reaching the app to its response, by method and route template.",
    labelNames: ["method", "route"] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });
  const refusals = new Counter({
    name: "hexi_rate_limit_refusals_total",
    help: "Requests refused with 429 (machine credential quotas, OAuth client authentication failures), by route template.",
    labelNames: ["route"] as const,
    registers: [registry],
  });
  const database = new Histogram({
    name: "hexi_db_duration_seconds",
    help: "Database time per call (a statement, or a batch as one transaction), by operation.",
    labelNames: ["operation"] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });
  new Gauge({
    name: "hexi_outbox_backlog",
    help: "Outbox events not yet fanned out to webhook deliveries.",
    registers: [registry],
    async collect() {
      const [row] = await options
        .database()
        .all<{ n: number; oldest: string | null }>(
          sql`select count(*) as n, min(${outboxEvents.createdAt}) as oldest from ${outboxEvents} where ${outboxEvents.dispatchedAt} is null`,
        );
      this.set(row?.n ?? 0);
      oldestAge = row?.oldest ? Math.max(0, (clock.now().getTime() - Date.parse(row.oldest)) / 1000) : 0;
    },
  });
  let oldestAge = 0;
  new Gauge({
    name: "hexi_outbox_oldest_age_seconds",
    help: "Age of the oldest outbox event not yet fanned out (0 when there is none).",
    registers: [registry],
    collect() {
      this.set(oldestAge);
    },
  });
  new Gauge({
    name: "hexi_webhook_deliveries",
    help: "Webhook deliveries by outcome: pending (due or retrying), succeeded, failed (awaiting a retry), dead.",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const rows = await options
        .database()
        .all<{ status: string; n: number }>(
          sql`select ${webhookDeliveries.status} as status, count(*) as n from ${webhookDeliveries} group by ${webhookDeliveries.status}`,
        );
      this.reset();
      for (const status of ["pending", "succeeded", "failed", "dead"]) this.set({ status }, 0);
      for (const row of rows) this.set({ status: row.status }, row.n);
    },
  });

  const timed =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const start = seconds();
      try {
        return await call(...args);
      } finally {
        database.observe({ operation }, seconds() - start);
      }
    };

  return {
    middleware: async (c: Context, next) => {
      const start = seconds();
      await next();
      const route = routeTemplate(c);
      const status = c.res.status;
      requests.inc({ method: c.req.method, route, status: String(status) });
      latency.observe({ method: c.req.method, route }, seconds() - start);
      if (status === 429) refusals.inc({ route });
    },
    timeDatabase: (client) => {
      const execute = timed("execute", client.execute.bind(client));
      const batch = timed("batch", client.batch.bind(client));
      return new Proxy(client, {
        get: (target, property) => {
          if (property === "execute") return execute;
          if (property === "batch") return batch;
          // The HTTP client's methods use private fields: call them on the client itself, not the proxy.
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** The route that answered, as registered (`/v1/divisions/:id`); a 404 that only middleware matched is one label. */
function routeTemplate(c: Context): string {
  const path = routePath(c, -1);
  return !path || (path.endsWith("*") && c.res.status === 404) ? "unmatched" : path;
}

/**
 * `GET /metrics` for the main listener (only when HEXI_METRICS_TOKEN is set, with that bearer token)
 * or a listener of its own (HEXI_METRICS_PORT; the token too when set). Anything else: `undefined`,
 * so the caller answers as for any other path.
 */
export function metricsEndpoint(metrics: NodeMetrics, token: string | undefined) {
  const expected = token ? new TextEncoder().encode(`Bearer ${token}`) : undefined;
  return async (request: Request): Promise<Response> => {
    if (expected) {
      const given = new TextEncoder().encode(request.headers.get("authorization") ?? "");
      if (!sameBytes(given, expected)) {
        return new Response("Send Authorization: Bearer <HEXI_METRICS_TOKEN>.\n", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="hexi-metrics"', "content-type": "text/plain; charset=utf-8" },
        });
      }
    }
    if (request.method !== "GET" && request.method !== "HEAD")
      return new Response(null, { status: 405, headers: { allow: "GET" } });
    const { contentType, body } = await metrics.scrape();
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "content-type": contentType, "cache-control": "no-store" },
    });
  };
}

/** Compares in time independent of where the inputs differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
