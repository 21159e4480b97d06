import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.js";
import { msg } from "./messages.js";

/** A quota: `limit` units per `windowSeconds`, refilled continuously (token bucket). */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Whole units left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again (the draft's `t`). */
  resetSeconds: number;
  /** Seconds until one unit is available; 0 when one is available now. */
  retryAfterSeconds: number;
}

/**
 * Where buckets live: in process on Node, in a Durable Object per bucket on Workers. `cost` 0 reads
 * a bucket without taking from it (to check a lockout before doing work).
 */
export interface RateLimiter {
  consume(bucket: string, rule: RateRule, cost?: number): Promise<RateDecision>;
}

export interface BucketState {
  tokens: number;
  updatedMs: number;
}

/**
 * The token bucket both implementations share: capacity `limit`, refilled at `limit / window` per
 * second. Unlike fixed windows it has no boundary where two full quotas fit in a moment.
 */
export function takeFromBucket(
  state: BucketState | undefined,
  rule: RateRule,
  cost: number,
  nowMs: number,
): { state: BucketState; decision: RateDecision } {
  const perMs = rule.limit / (rule.windowSeconds * 1000);
  const elapsed = state ? Math.max(0, nowMs - state.updatedMs) : 0;
  const available = state ? Math.min(rule.limit, state.tokens + elapsed * perMs) : rule.limit;
  const allowed = available >= cost;
  const tokens = allowed ? available - cost : available;
  const msUntil = (target: number) => Math.max(0, Math.ceil((target - tokens) / perMs));
  return {
    state: { tokens, updatedMs: nowMs },
    decision: {
      allowed,
      limit: rule.limit,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil(msUntil(rule.limit) / 1000),
      retryAfterSeconds: Math.ceil(msUntil(Math.max(1, cost)) / 1000),
    },
  };
}

/**
 * Buckets in process memory, bounded: at most `maxBuckets`, least recently used evicted first. An
 * evicted bucket restarts full; buckets left alone long enough to refill are the ones evicted first.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  constructor(
    /** Milliseconds from the injected clock (`() => clock.now().getTime()`). */
    private readonly nowMs: () => number,
    private readonly maxBuckets = 50_000,
  ) {}

  async consume(bucket: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const previous = this.buckets.get(bucket);
    const { state, decision } = takeFromBucket(previous, rule, cost, this.nowMs());
    this.buckets.delete(bucket); // re-inserted last: Map order is recency order
    this.buckets.set(bucket, state);
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
    return decision;
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** The quota a machine credential is held to, set by authentication for API keys and API clients. */
export interface RateLimitSubject {
  /** The policy name in the RateLimit headers: "key" or "client". */
  policy: "key" | "client";
  id: string;
  tenant: string;
  limitPerMinute: number;
}

declare module "hono" {
  interface ContextVariableMap {
    rateLimit?: RateLimitSubject;
  }
}

const window = 60;

/** `"key";q=600;w=60` and `"key";r=599;t=1`: draft-ietf-httpapi-ratelimit-headers (structured-field lists). */
function headersFor(results: { name: string; decision: RateDecision }[]): Record<string, string> {
  return {
    "ratelimit-policy": results.map(({ name, decision }) => `"${name}";q=${decision.limit};w=${window}`).join(", "),
    ratelimit: results
      .map(({ name, decision }) => `"${name}";r=${decision.remaining};t=${decision.resetSeconds}`)
      .join(", "),
  };
}

/**
 * Holds machine credentials (API keys, API clients) to their own quota and their tenant's shared
 * quota; people signed in through an identity provider are not rate-limited here. The credential's
 * bucket is taken first, so a credential over its own quota does not drain its tenant's.
 */
export function rateLimitMachines(limiter: RateLimiter, tenantLimitPerMinute: number): MiddlewareHandler {
  return async (c, next) => {
    const subject = c.get("rateLimit");
    if (!subject) return next();
    const own: { name: string; decision: RateDecision } = {
      name: subject.policy,
      decision: await limiter.consume(`${subject.policy}:${subject.id}`, {
        limit: subject.limitPerMinute,
        windowSeconds: window,
      }),
    };
    const results = [own];
    if (own.decision.allowed) {
      results.push({
        name: "tenant",
        decision: await limiter.consume(`tenant:${subject.tenant}`, {
          limit: tenantLimitPerMinute,
          windowSeconds: window,
        }),
      });
    }
    const headers = headersFor(results);
    const denied = results.find((r) => !r.decision.allowed);
    if (denied) {
      const retryAfter = Math.max(1, denied.decision.retryAfterSeconds);
      throw new ApiError(
        "rate_limited",
        msg(
          denied.name === "tenant"
            ? "http.rate_limited_tenant"
            : subject.policy === "key"
              ? "http.rate_limited_key"
              : "http.rate_limited_client",
          { limit: denied.decision.limit, seconds: retryAfter },
        ),
        { headers: { ...headers, "retry-after": String(retryAfter) } },
      );
    }
    // Set before the handler builds its response: touching c.res.headers afterwards costs a header copy per request.
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
    // A problem response is built afresh by onError, without the headers set above.
    if (c.error) for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
