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

/** A day that is an exception to Monday–Friday: a holiday (day off) or a make-up working day (调休上班). */
export type DayKind = "holiday" | "workday";
/** The exceptions to Monday–Friday, by date, for the years loaded. */
export type WorkingCalendar = ReadonlyMap<string, DayKind>;

export function calendarOf(years: readonly { days: readonly { date: string; kind: DayKind }[] }[]): WorkingCalendar {
  return new Map(years.flatMap((y) => y.days.map((d) => [d.date, d.kind] as const)));
}

const dayMs = 24 * 60 * 60 * 1000;
const hourMs = 60 * 60 * 1000;
const toDate = (iso: string) => new Date(`${iso}T00:00:00Z`);
const toIso = (d: Date) => d.toISOString().slice(0, 10);

/**
 * A working day is a make-up working day (调休, even on a weekend), or a Monday–Friday that is not
 * a holiday. A year with no calendar loaded falls back to plain Monday–Friday.
 */
export function isWorkingDay(date: string, calendar: WorkingCalendar): boolean {
  const exception = calendar.get(date);
  if (exception) return exception === "workday";
  const weekday = toDate(date).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The date `n` working days after `from` (not counting `from` itself): a deadline of "n working days". */
export function addWorkingDays(from: string, n: number, calendar: WorkingCalendar): string {
  let day = toDate(from);
  let left = n;
  while (left > 0) {
    day = new Date(day.getTime() + dayMs);
    if (isWorkingDay(toIso(day), calendar)) left--;
  }
  return toIso(day);
}

/** Years a computation starting at `from` may touch within `n` working days (holidays never last a year). */
export function yearsFrom(from: string, n: number): number[] {
  const year = Number(from.slice(0, 4));
  return n > 100 ? [year, year + 1, year + 2] : [year, year + 1];
}

/**
 * [D] Office hours of a working day, local time (09:00–17:00, eight working hours a day). Working-hour
 * deadlines count only these; working-day deadlines fall at their end.
 */
export const officeHours = { start: 9, end: 17 } as const;

/**
 * A deadline: clock `hours` (around the clock, for safety matters), `workingHours` (office hours of
 * working days only) or `workingDays` (the end of office hours on the n-th working day after the
 * local date it starts on, that day not counted).
 */
export type Deadline = { hours: number } | { workingHours: number } | { workingDays: number };

/** The working days a deadline may span, to know which calendar years to load. */
export function deadlineSpanDays(rule: Deadline): number {
  if ("hours" in rule) return 0;
  if ("workingDays" in rule) return rule.workingDays;
  return Math.ceil(rule.workingHours / (officeHours.end - officeHours.start)) + 1;
}

/** When a deadline of `rule` starting at `now` falls, on the working calendar. */
export function deadlineAfter(now: Date, rule: Deadline, calendar: WorkingCalendar): Date {
  if ("hours" in rule) return new Date(now.getTime() + rule.hours * hourMs);
  if ("workingDays" in rule) {
    const date = addWorkingDays(localDate(now), rule.workingDays, calendar);
    return new Date(toDate(date).getTime() + officeHours.end * hourMs - offsetMs);
  }
  // Walk local time forward through office hours until the working hours are used up.
  let local = now.getTime() + offsetMs;
  let left = rule.workingHours * hourMs;
  for (;;) {
    const midnight = Math.floor(local / dayMs) * dayMs;
    const open = midnight + officeHours.start * hourMs;
    const close = midnight + officeHours.end * hourMs;
    if (isWorkingDay(toIso(new Date(midnight)), calendar) && local < close) {
      const from = Math.max(local, open);
      if (from + left <= close) return new Date(from + left - offsetMs);
      left -= close - from;
    }
    local = midnight + dayMs;
  }
}

/** A deadline in words, for descriptions ("4 hours", "8 working hours", "2 working days"). */
export function deadlineInWords(rule: Deadline): string {
  if ("hours" in rule) return `${rule.hours} hours`;
  if ("workingHours" in rule) return `${rule.workingHours} working hours`;
  return `${rule.workingDays} working days`;
}

/**
 * A deadline as an ISO instant, with the calendar years it may touch read through `years` (the
 * governance area's `working_calendars`, which shared code cannot name).
 */
export async function deadlineOn(
  now: Date,
  rule: Deadline,
  years: (list: number[]) => Promise<readonly { days: readonly { date: string; kind: DayKind }[] }[]>,
): Promise<string> {
  const loaded = await years(yearsFrom(localDate(now), deadlineSpanDays(rule)));
  return deadlineAfter(now, rule, calendarOf(loaded)).toISOString();
}
