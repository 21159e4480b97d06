import type { Clock } from "../../src/shared/clock.js";

/**
 * The instant every test context starts at unless a test sets its own: fixed, so no test depends on
 * the day it runs (the CI runs the suite again under faketime on dates years apart to prove it).
 */
export const testEpoch = "2026-11-20T02:00:00.000Z";

/**
 * A clock the test moves by hand: it stands still until `set` or `advance` moves it, or, with
 * `stepMs`, moves that much after each reading (so ids made one after another keep their order:
 * a ULID's random part orders ids minted in the same millisecond at random).
 */
export class TestClock implements Clock {
  private at: number;
  private readonly stepMs: number;

  constructor(start: string | number | Date = testEpoch, options: { stepMs?: number } = {}) {
    this.at = new Date(start).getTime();
    this.stepMs = options.stepMs ?? 0;
  }

  now = (): Date => {
    const at = new Date(this.at);
    this.at += this.stepMs;
    return at;
  };

  /** Milliseconds since the epoch. */
  get ms(): number {
    return this.at;
  }

  set(instant: string | number | Date): void {
    this.at = new Date(instant).getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
