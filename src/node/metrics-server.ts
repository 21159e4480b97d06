import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Config } from "../config.js";
import { metricsEndpoint, type NodeMetrics } from "./metrics.js";

type Fetch = Parameters<typeof getRequestListener>[0];

/**
 * The main listener's fetch with `GET /metrics` in front of the app, when HEXI_METRICS_TOKEN is set
 * (and the bearer token is then required). Without a token the path is the app's, i.e. a 404:
 * metrics are never public by default. Scrapes are not counted as requests.
 */
export function withMetrics(fetch: Fetch, metrics: NodeMetrics, config: Config): Fetch {
  if (!config.HEXI_METRICS_TOKEN) return fetch;
  const endpoint = metricsEndpoint(metrics, config.HEXI_METRICS_TOKEN);
  return (request, ...rest) =>
    new URL(request.url).pathname === "/metrics" ? endpoint(request) : fetch(request, ...rest);
}

/** A listener of its own for `GET /metrics` (HEXI_METRICS_HOST:HEXI_METRICS_PORT, loopback by default): answers nothing else. */
export function serveMetrics(metrics: NodeMetrics, config: Config): Server {
  const endpoint = metricsEndpoint(metrics, config.HEXI_METRICS_TOKEN);
  const server = createServer(
    getRequestListener((request) =>
      new URL(request.url).pathname === "/metrics"
        ? endpoint(request)
        : new Response("Only /metrics here.\n", { status: 404 }),
    ),
  );
  server.listen(config.HEXI_METRICS_PORT, config.HEXI_METRICS_HOST);
  return server;
}
