import type { Context, MiddlewareHandler, Next } from "hono";
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
  /**
   * The same, synchronously, for a limiter whose buckets are in this process (Node): the per-request
   * machine quota takes it when present and spares two promises per request.
   */
  take?(bucket: string, rule: RateRule, cost?: number): RateDecision;
}

export interface BucketState {
  tokens: number;
  updatedMs: number;
}

/** A bucket in process memory: its state, and when (in takes) it was last moved to the recent end. */
interface HeldBucket {
  state: BucketState;
  movedAt: number;
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
  private readonly buckets = new Map<string, HeldBucket>();
  private takes = 0;

  constructor(
    /** Milliseconds from the injected clock (`() => clock.now().getTime()`). */
    private readonly nowMs: () => number,
    private readonly maxBuckets = 50_000,
  ) {}

  async consume(bucket: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    return this.take(bucket, rule, cost);
  }

  /**
   * Map order is recency order: a bucket is moved to the end (deleted and re-inserted) unless it was
   * moved within the last `maxBuckets / 2` takes. Such a bucket has at least half the map before it,
   * so it is never the one evicted; a hot bucket is not re-inserted on every request (measured: the
   * delete + set was most of a take).
   */
  take(bucket: string, rule: RateRule, cost = 1): RateDecision {
    const held = this.buckets.get(bucket);
    const { state, decision } = takeFromBucket(held?.state, rule, cost, this.nowMs());
    const now = ++this.takes;
    if (held && now - held.movedAt <= this.maxBuckets >> 1) {
      held.state = state;
      return decision;
    }
    this.buckets.delete(bucket);
    this.buckets.set(bucket, { state, movedAt: now });
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
    /** The RateLimit headers of this request, for a problem response built afresh. */
    rateLimitHeaders?: Record<string, string>;
  }
}

const window = 60;

interface Taken {
  name: "key" | "client" | "tenant";
  decision: RateDecision;
}

/** `"key";q=600;w=60` and `"key";r=599;t=1`: draft-ietf-httpapi-ratelimit-headers (structured-field lists). */
function headersFor(own: Taken, tenant: Taken | undefined): Record<string, string> {
  const policy = `"${own.name}";q=${own.decision.limit};w=${window}`;
  const state = `"${own.name}";r=${own.decision.remaining};t=${own.decision.resetSeconds}`;
  return tenant
    ? {
        "ratelimit-policy": `${policy}, "tenant";q=${tenant.decision.limit};w=${window}`,
        ratelimit: `${state}, "tenant";r=${tenant.decision.remaining};t=${tenant.decision.resetSeconds}`,
      }
    : { "ratelimit-policy": policy, ratelimit: state };
}

/**
 * Holds machine credentials (API keys, API clients) to their own quota and their tenant's shared
 * quota; people signed in through an identity provider are not rate-limited here. The credential's
 * bucket is taken first, so a credential over its own quota does not drain its tenant's.
 * An in-process limiter (`take`) is used synchronously, and the middleware adds no promise of its
 * own: it runs on every machine request. Problem responses get the headers from `problemResponse`.
 */
export function rateLimitMachines(limiter: RateLimiter, tenantLimitPerMinute: number): MiddlewareHandler {
  const tenantRule: RateRule = { limit: tenantLimitPerMinute, windowSeconds: window };
  // Rules and bucket names per subject: a cached API key hands over the same subject on every request.
  const prepared = new WeakMap<RateLimitSubject, { own: string; tenant: string; rule: RateRule }>();
  const take = limiter.take?.bind(limiter);
  const namesOf = (subject: RateLimitSubject) => {
    let names = prepared.get(subject);
    if (!names) {
      names = {
        own: `${subject.policy}:${subject.id}`,
        tenant: `tenant:${subject.tenant}`,
        rule: { limit: subject.limitPerMinute, windowSeconds: window },
      };
      prepared.set(subject, names);
    }
    return names;
  };
  return (c, next) => {
    const subject = c.get("rateLimit");
    if (!subject) return next();
    const names = namesOf(subject);
    if (take) {
      const own = take(names.own, names.rule);
      return admit(c, next, subject, own, own.allowed ? take(names.tenant, tenantRule) : undefined);
    }
    return (async () => {
      const own = await limiter.consume(names.own, names.rule);
      return admit(c, next, subject, own, own.allowed ? await limiter.consume(names.tenant, tenantRule) : undefined);
    })();
  };
}

/** Lets the request through with its RateLimit headers, or answers 429 naming the quota it is over. */
function admit(
  c: Context,
  next: Next,
  subject: RateLimitSubject,
  own: RateDecision,
  tenant: RateDecision | undefined,
): Promise<void> {
  const headers = headersFor({ name: subject.policy, decision: own }, tenant && { name: "tenant", decision: tenant });
  const denied = !own.allowed ? own : tenant && !tenant.allowed ? tenant : undefined;
  if (denied) {
    const retryAfter = Math.max(1, denied.retryAfterSeconds);
    throw new ApiError(
      "rate_limited",
      msg(
        denied === tenant
          ? "http.rate_limited_tenant"
          : subject.policy === "key"
            ? "http.rate_limited_key"
            : "http.rate_limited_client",
        { limit: denied.limit, seconds: retryAfter },
      ),
      { headers: { ...headers, "retry-after": String(retryAfter) } },
    );
  }
  // Set before the handler builds its response: touching c.res.headers afterwards costs a header copy per request.
  c.header("ratelimit-policy", headers["ratelimit-policy"]);
  c.header("ratelimit", headers.ratelimit);
  // A problem response is built afresh (onError, notFound): problemResponse adds these.
  c.set("rateLimitHeaders", headers);
  return next();
}
