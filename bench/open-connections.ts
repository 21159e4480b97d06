import { Agent, request as httpRequest } from "node:http";
import type { Socket } from "node:net";
import type { AutocannonRequest } from "./autocannon.js";

/**
 * A fixed-count load on keep-alive connections that are open, and accepted by the server, before
 * the clock starts: the write scenarios' measure (bench/README.md, "Round five").
 *
 * autocannon opens its connections when a run starts and sends the first request on each at once.
 * Node's libuv accepts one connection per event-loop turn (libuv PR #3696, in Node ≥ 20), and a
 * write turn is long (the group commit of everything in flight), so on a busy server the 50th
 * connection's first request waited up to ~800 ms: in a 1,000-request write round that ramp, not
 * the write path, made the p99. Clients of the API keep pooled connections; this measures them.
 */
export interface OpenConnectionsResult {
  seconds: number;
  latenciesMs: number[];
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
}

const timeoutMs = 10_000;

export async function loadOnOpenConnections(options: {
  baseUrl: string;
  connections: number;
  amount: number;
  headers?: Record<string, string>;
  requests: AutocannonRequest[];
}): Promise<OpenConnectionsResult> {
  const url = new URL(options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  const sockets = new Set<Socket>();
  agent.on("free", (socket: Socket) => sockets.add(socket));
  try {
    // Open every connection while the server is idle, then use only those.
    await Promise.all(
      Array.from({ length: options.connections }, () => send(agent, url, { method: "GET", path: "/healthz" })),
    );
    if (sockets.size !== options.connections)
      throw new Error(`opened ${sockets.size} connections, wanted ${options.connections}`);

    const latenciesMs: number[] = [];
    const statusCodes: Record<string, number> = {};
    let errors = 0;
    let timeouts = 0;
    let sent = 0;
    const worker = async () => {
      while (sent < options.amount) {
        const base = options.requests[sent % options.requests.length]!;
        sent += 1;
        const prepared = base.setupRequest ? base.setupRequest({ ...base }) : base;
        const started = performance.now();
        try {
          const status = await send(agent, url, {
            method: prepared.method ?? "GET",
            path: prepared.path ?? "/",
            headers: { ...options.headers, ...prepared.headers },
            body: prepared.body,
          });
          latenciesMs.push(performance.now() - started);
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          base.onResponse?.(status);
        } catch (error) {
          if ((error as Error).message === "timeout") timeouts += 1;
          else errors += 1;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: options.connections }, worker));
    const seconds = (performance.now() - started) / 1000;
    if (sockets.size !== options.connections)
      throw new Error(`the run opened ${sockets.size - options.connections} more connections than it measured on`);
    return { seconds, latenciesMs, statusCodes, errors, timeouts };
  } finally {
    agent.destroy();
  }
}

function send(
  agent: Agent,
  url: URL,
  r: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { agent, host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers },
      (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
        res.once("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.once("error", reject);
    req.end(r.body);
  });
}

/** The latency at quantile q (0–1) of unsorted samples, in whole milliseconds like autocannon's. */
export function quantileMs(samples: number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
}
