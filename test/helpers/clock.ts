import type { Clock } from "../../src/shared/clock.js";

/**
 * The instant every test context starts at unless a test sets its own: fixed, so no test depends on
 * the day it runs (the CI runs the suite again under faketime on dates years apart to prove it).
 */
export const testEpoch = "2026-11-20T02:00:00.000Z";

/** A clock the test moves by hand: it stands still until `set` or `advance` moves it. */
export class TestClock implements Clock {
  private at: number;

  constructor(start: string | number | Date = testEpoch) {
    this.at = new Date(start).getTime();
  }

  now = (): Date => new Date(this.at);

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
