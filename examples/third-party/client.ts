/**
 * A typed Hexi API client for a third-party integration, authenticated with an API key.
 *
 * The types come from Hexi's OpenAPI document: `api.d.ts` beside this file is generated from it
 * (in this repository by `npm run typecheck`; in your own project with
 * `npx openapi-typescript https://<hexi>/openapi.json -o api.d.ts`). The import is type-only.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./api.js";

export type HexiClient = Client<paths>;
/** Every error response is an RFC 9457 problem (`application/problem+json`). */
export type Problem = components["schemas"]["Problem"];

export interface ClientOptions {
  /** e.g. https://hexi.example.gov.cn or http://127.0.0.1:8787 */
  baseUrl: string;
  /** An API key, `hx_live_…`, created by a county administrator with the scopes you need. */
  apiKey: string;
  /** How often a request answered 429 is retried after waiting `Retry-After` (default 5). */
  maxRetries?: number;
  /** Called before each wait; by default a line on stderr. */
  onRateLimited?: (waitMs: number, attempt: number) => void;
  /** Test seam: how to wait (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /** Test seam: the underlying fetch (default globalThis.fetch). */
  fetch?: (request: Request) => Promise<Response>;
}

export function hexiClient(options: ClientOptions): HexiClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { "x-api-key": options.apiKey },
    fetch: retryingOn429(options),
  });
}

/** The client from the environment: HEXI_URL (default http://127.0.0.1:8787) and HEXI_API_KEY. */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env, extra: Partial<ClientOptions> = {}): HexiClient {
  const apiKey = env.HEXI_API_KEY;
  if (!apiKey) throw new Error("Set HEXI_API_KEY to an API key (hx_live_…).");
  return hexiClient({ baseUrl: env.HEXI_URL ?? "http://127.0.0.1:8787", apiKey, ...extra });
}

const maxWaitMs = 60_000;

/**
 * A fetch that, on 429 `rate_limited`, waits as long as `Retry-After` says (seconds or an HTTP
 * date; 1 s when absent, at most 60 s) and sends the request again. Any other answer is returned
 * as it is. The request is cloned before each attempt, so requests with bodies can be re-sent too.
 */
function retryingOn429(options: ClientOptions) {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxRetries = options.maxRetries ?? 5;
  const onRateLimited =
    options.onRateLimited ?? ((ms, attempt) => console.error(`Rate limited; retry ${attempt} in ${ms / 1000} s`));
  return async (request: Request): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      const response = await send(request.clone());
      if (response.status !== 429 || attempt > maxRetries) return response;
      const waitMs = retryAfterMs(response.headers.get("retry-after"));
      await response.body?.cancel();
      onRateLimited(waitMs, attempt);
      await sleep(waitMs);
    }
  };
}

export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === "") return 1000;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), maxWaitMs) : 1000;
}

/** An error answer of the API: the status, and the problem document when the body was one. */
export class HexiApiError extends Error {
  override name = "HexiApiError";
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(
      problem
        ? `HTTP ${status} ${problem.code} (requestId ${problem.requestId}): ${problem.detail}`
        : `HTTP ${status} without a problem document`,
    );
  }
}

/** openapi-fetch's `{ data, error, response }` → the data, or a HexiApiError carrying `code` and `requestId`. */
export function dataOrThrow<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const error = result.error as Partial<Problem> | undefined;
  const isProblem = typeof error === "object" && error !== null && typeof error.code === "string";
  throw new HexiApiError(result.response.status, isProblem ? (error as Problem) : undefined);
}
