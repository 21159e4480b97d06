import type { ExecutionContext } from "hono";
import type { Env } from "./workers/runtime.js";

/** The rate limiter's Durable Object class, bound as RATE_LIMITER in wrangler.toml. */
export { RateLimiterObject } from "./workers/rate-limiter.js";
export type { Env };

/**
 * The Workers entry. Everything heavy (the app's routes and schemas, zod, drizzle, jose) sits
 * behind one dynamic import, evaluated on the first request rather than at isolate start-up,
 * whose CPU budget is small; the bundle is still one file.
 */
let runtime: Promise<typeof import("./workers/runtime.js")> | undefined;
const load = () => (runtime ??= import("./workers/runtime.js"));

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return (await load()).handlers.fetch(request, env, ctx);
  },
  async scheduled(controller: { cron: string; scheduledTime: number }, env: Env, ctx: ExecutionContext): Promise<void> {
    return (await load()).handlers.scheduled(controller, env, ctx);
  },
};
