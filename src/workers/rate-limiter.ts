import { systemClock, type Clock } from "../shared/clock.js";
import { ApiError } from "../shared/http/errors.js";
import {
  takeFromBucket,
  type BucketState,
  type RateDecision,
  type RateLimiter,
  type RateRule,
} from "../shared/http/rate-limit.js";
import { msg } from "../shared/http/messages.js";

/**
 * Rate limits on Workers: one Durable Object per bucket (an API key, an API client, a tenant, a
 * failed-login counter), so every isolate in every location sees the same count. The types below
 * are the few parts of the Durable Object API this file uses (the project does not load
 * @cloudflare/workers-types globally).
 */
interface DurableObjectStorageLike {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  deleteAll(): Promise<void>;
  setAlarm(scheduledTimeMs: number): Promise<void>;
}

export interface DurableObjectStateLike {
  storage: DurableObjectStorageLike;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(url: string, init?: RequestInit): Promise<Response> };
}

interface ConsumeRequest {
  rule: RateRule;
  cost: number;
}

function isConsumeRequest(value: unknown): value is ConsumeRequest {
  const v = value as ConsumeRequest;
  return (
    !!v &&
    Number.isInteger(v.rule?.limit) &&
    v.rule.limit > 0 &&
    Number.isInteger(v.rule?.windowSeconds) &&
    v.rule.windowSeconds > 0 &&
    Number.isInteger(v.cost) &&
    v.cost >= 0
  );
}

/**
 * One token bucket, kept in the object's storage (SQLite-backed) and memory. A Durable Object
 * handles one event at a time and its input gate holds others while storage is read, so the
 * read-modify-write below cannot interleave. An alarm clears the bucket once it has had a full
 * window to refill: a full bucket and no bucket are the same thing, and storage stays bounded.
 */
export class RateLimiterObject {
  private bucket: BucketState | undefined;
  private loaded = false;

  constructor(
    private readonly state: DurableObjectStateLike,
    _env?: unknown,
    /** workerd constructs the object with (state, env): the system clock; tests hand in their own. */
    private readonly clock: Clock = systemClock,
  ) {}

  async fetch(request: Request): Promise<Response> {
    const body: unknown = await request.json().catch(() => undefined);
    if (!isConsumeRequest(body)) return new Response("Expected {rule: {limit, windowSeconds}, cost}", { status: 400 });
    if (!this.loaded) {
      this.bucket = await this.state.storage.get<BucketState>("bucket");
      this.loaded = true;
    }
    const now = this.clock.now().getTime();
    const { state, decision } = takeFromBucket(this.bucket, body.rule, body.cost, now);
    if (body.cost > 0) {
      this.bucket = state;
      await this.state.storage.put("bucket", state);
      await this.state.storage.setAlarm(now + body.rule.windowSeconds * 1000);
    }
    return Response.json(decision);
  }

  async alarm(): Promise<void> {
    this.bucket = undefined;
    await this.state.storage.deleteAll();
  }
}

/** The app's `RateLimiter` backed by the RATE_LIMITER namespace. If it does not answer, requests fail (503) rather than go unlimited. */
export function durableObjectRateLimiter(namespace: DurableObjectNamespaceLike): RateLimiter {
  return {
    async consume(bucket, rule, cost = 1): Promise<RateDecision> {
      const stub = namespace.get(namespace.idFromName(bucket));
      let response: Response;
      try {
        response = await stub.fetch("https://rate-limiter.internal/consume", {
          method: "POST",
          body: JSON.stringify({ rule, cost }),
        });
      } catch {
        throw new ApiError("unavailable", msg("generic.unavailable_rate_limiter"));
      }
      if (!response.ok)
        throw new ApiError("unavailable", msg("generic.rate_limiter_status", { status: response.status }));
      return (await response.json()) as RateDecision;
    },
  };
}
