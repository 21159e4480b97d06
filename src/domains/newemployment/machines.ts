import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { deadlineOn, type Deadline } from "../../shared/calendar.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { workingCalendars } from "../governance/tables.js";
import { quickReportStatuses, type QuickReportCategory } from "./tables.js";

/**
 * 随手拍, handled like a complaint by the community it was routed to: reported → accepted (the
 * worker earns points) → processing → resolved → closed; a resolution found not done is sent back;
 * a report that is not a matter for the community (or a duplicate, or not true) is rejected. One not
 * resolved by its deadline goes to the street (`level`), by the background job (escalation.ts).
 */
export const quickReportMachine = defineMachine("quick report", quickReportStatuses, {
  accept: { from: ["reported"], to: "accepted" },
  start: { from: ["accepted"], to: "processing" },
  resolve: { from: ["accepted", "processing"], to: "resolved" },
  send_back: { from: ["resolved"], to: "processing" },
  close: { from: ["resolved"], to: "closed" },
  reject: { from: ["reported", "accepted"], to: "rejected" },
});

/** States in which the deadline runs (the escalation job looks only at these). */
export const runningReportStatuses = ["reported", "accepted", "processing"] as const;

/**
 * [D] Time to resolve, per category: an elderly person needing help and a hazard run around the
 * clock; the rest count working days on the working calendar.
 */
export const quickReportDeadlines: Record<QuickReportCategory, Deadline> = {
  elderly_needs_help: { hours: 2 },
  hazard: { hours: 4 },
  blocked_fire_lane: { hours: 4 },
  broken_facility: { workingDays: 3 },
  other: { workingDays: 5 },
};

/** [D] Points an accepted report earns its worker, per category. */
export const pointsFor: Record<QuickReportCategory, number> = {
  elderly_needs_help: 10,
  hazard: 10,
  blocked_fire_lane: 8,
  broken_facility: 5,
  other: 3,
};

export function quickReportDueAt(db: Db, now: Date, category: QuickReportCategory): Promise<string> {
  return deadlineOn(now, quickReportDeadlines[category], (years) =>
    db.select({ days: workingCalendars.days }).from(workingCalendars).where(inArray(workingCalendars.year, years)),
  );
}
