/** Jiuquan keeps China Standard Time (UTC+8, no daylight saving): dates and quarters are local ones. */
const offsetMs = 8 * 60 * 60 * 1000;

/** The local calendar date, "YYYY-MM-DD". */
export function localDate(now: Date): string {
  return new Date(now.getTime() + offsetMs).toISOString().slice(0, 10);
}

/** The local quarter, "2026-Q4", as the ledger and the quarterly feedback name it. */
export function localQuarter(now: Date): string {
  const [year, month] = localDate(now).split("-").map(Number) as [number, number];
  return `${year}-Q${Math.ceil(month / 3)}`;
}

/** A date `months` later, clamped to the end of the month (2026-08-31 + 6 → 2027-02-28). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, lastDay));
  return first.toISOString().slice(0, 10);
}

/** The instant a quarter ("2026-Q3") ends, exclusive: local midnight starting the next quarter. */
export function quarterEnd(quarter: string): Date {
  const year = Number(quarter.slice(0, 4));
  const q = Number(quarter.slice(-1));
  return new Date(Date.UTC(year, q * 3, 1) - offsetMs);
}
