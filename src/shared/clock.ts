/**
 * The one place in src/ that reads the wall clock. Everything else takes a `Clock` handed in by the
 * entry files (src/node/deps.ts, src/server.ts, src/workers/runtime.ts, the rate limiter's Durable
 * Object), so tests drive every timestamp, expiry, cache and time budget with a clock of their own
 * (test/platform/wall-clock.test.ts fails if another file reads the wall clock). Elapsed time is
 * measured with this clock too, never with performance.now().
 */
export interface Clock {
  /** The current instant. Elapsed durations (time budgets) are differences of two readings. */
  now(): Date;
}

/** The system's clock: for entry files only. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * Monotonic seconds with sub-millisecond resolution, for measuring (Prometheus latency and
 * database-time histograms), never for deciding: entry files only, like `systemClock`.
 */
export const systemTimer = (): number => performance.now() / 1000;
