/**
 * Results that may be a little old: each key is computed at most once per `maxAgeMs`, and
 * concurrent callers of a key share one computation. A failed computation is not remembered.
 * One instance per app, so separate apps (and tests) never see each other's results.
 */
export class RecentResults {
  private entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly limit = 1_000) {}

  get<T>(key: string, nowMs: number, maxAgeMs: number, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && nowMs - hit.at < maxAgeMs) return hit.value as Promise<T>;
    if (this.entries.size >= this.limit) this.entries.clear();
    const value = compute();
    this.entries.set(key, { at: nowMs, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}
