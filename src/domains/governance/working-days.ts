import type { CalendarDay } from "./tables.js";

// The working-day arithmetic is shared (complaints and quick reports count deadlines on it too).
export { addWorkingDays, calendarOf, isWorkingDay, yearsFrom, type WorkingCalendar } from "../../shared/calendar.js";

const dayMs = 24 * 60 * 60 * 1000;
const toDate = (iso: string) => new Date(`${iso}T00:00:00Z`);
const toIso = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The official arrangements the seed loads (国务院办公厅 notices on holiday arrangements for 2025 and
 * 2026). Only exceptions to Monday–Friday matter, but every holiday day is listed as the notice names it.
 * See docs/working-day-calendar.md for sources and what to verify.
 */
export const officialCalendars: { year: number; source: string; days: CalendarDay[] }[] = [
  {
    year: 2025,
    source: "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
    days: [
      ...span("2025-01-01", 1, "元旦"),
      { date: "2025-01-26", kind: "workday", name: "春节调休上班" },
      ...span("2025-01-28", 8, "春节"),
      { date: "2025-02-08", kind: "workday", name: "春节调休上班" },
      ...span("2025-04-04", 3, "清明节"),
      { date: "2025-04-27", kind: "workday", name: "劳动节调休上班" },
      ...span("2025-05-01", 5, "劳动节"),
      ...span("2025-05-31", 3, "端午节"),
      { date: "2025-09-28", kind: "workday", name: "国庆节调休上班" },
      ...span("2025-10-01", 8, "国庆节、中秋节"),
      { date: "2025-10-11", kind: "workday", name: "国庆节调休上班" },
    ],
  },
  {
    year: 2026,
    source: "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）",
    days: [
      ...span("2026-01-01", 3, "元旦"),
      { date: "2026-01-04", kind: "workday", name: "元旦调休上班" },
      { date: "2026-02-14", kind: "workday", name: "春节调休上班" },
      ...span("2026-02-15", 9, "春节"),
      { date: "2026-02-28", kind: "workday", name: "春节调休上班" },
      ...span("2026-04-04", 3, "清明节"),
      ...span("2026-05-01", 5, "劳动节"),
      { date: "2026-05-09", kind: "workday", name: "劳动节调休上班" },
      ...span("2026-06-19", 3, "端午节"),
      { date: "2026-09-20", kind: "workday", name: "国庆节调休上班" },
      ...span("2026-09-25", 3, "中秋节"),
      ...span("2026-10-01", 7, "国庆节"),
      { date: "2026-10-10", kind: "workday", name: "国庆节调休上班" },
    ],
  },
];

function span(first: string, days: number, name: string): CalendarDay[] {
  return Array.from({ length: days }, (_, i) => ({
    date: toIso(new Date(toDate(first).getTime() + i * dayMs)),
    kind: "holiday" as const,
    name,
  }));
}
