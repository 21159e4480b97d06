import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { deadlineOn, type Deadline } from "../../shared/calendar.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { workingCalendars } from "../governance/tables.js";
import { complaintStatuses, type ComplaintCategory } from "./tables.js";

export type ComplaintStatus = (typeof complaintStatuses)[number];

/**
 * 红色物业 complaint: reported → accepted → assigned (property company, owners' committee or a
 * department) → processing → resolved → verified (by the community) → closed. Overdue ones are
 * escalated (community → street → county) by the background job or by hand, then assigned again;
 * the reporter may reopen a resolved one within the window (through the follow-up link); the
 * community may close one as a duplicate or as not its responsibility (naming the body referred to).
 * `reopen` is the reporter's and `escalate` also the job's: neither is a plain staff route
 * (`escalate` is, for a manual escalation).
 */
export const complaintMachine = defineMachine("complaint", complaintStatuses, {
  accept: { from: ["reported"], to: "accepted" },
  assign: { from: ["accepted", "assigned", "processing", "escalated", "reopened"], to: "assigned" },
  start: { from: ["assigned"], to: "processing" },
  resolve: { from: ["assigned", "processing"], to: "resolved" },
  send_back: { from: ["resolved"], to: "processing" },
  verify: { from: ["resolved"], to: "verified" },
  close: { from: ["verified"], to: "closed" },
  escalate: { from: ["reported", "accepted", "assigned", "processing", "reopened"], to: "escalated" },
  reopen: { from: ["resolved", "verified", "closed"], to: "reopened" },
  close_duplicate: { from: ["reported", "accepted", "escalated", "reopened"], to: "closed" },
  close_not_responsible: { from: ["reported", "accepted", "escalated", "reopened"], to: "closed" },
});

/** States in which the deadline runs (the escalation job looks only at these). */
export const runningStatuses = [
  "reported",
  "accepted",
  "assigned",
  "processing",
  "reopened",
] as const satisfies readonly ComplaintStatus[];

/**
 * [D] Time to resolve, per category, at every level (a new deadline starts at each escalation and
 * reopening), on the working calendar (`src/shared/calendar.ts`, years loaded from the governance
 * area's `working_calendars`): a blocked fire lane is a safety matter and runs around the clock;
 * the rest count office hours of working days, or whole working days (docs/domain.md#complaint-deadlines).
 */
export const deadlines: Record<ComplaintCategory, Deadline> = {
  blocked_fire_lane: { hours: 4 },
  flying_wire_charging: { workingHours: 8 },
  noise: { workingHours: 8 },
  parking: { workingDays: 2 },
  pets: { workingDays: 2 },
  repairs: { workingDays: 3 },
  property_fee: { workingDays: 5 },
  other: { workingDays: 3 },
};

/** How long after a resolution the reporter may reopen it through the link. */
export const reopenWindowHours = 7 * 24;

/** [D] PIPL retention: the reporter's sealed contact is erased this many days after the complaint closes. */
export const reporterRetentionDays = 180;

export const nextLevel = { community: "street", street: "county", county: "county" } as const;

/** The deadline of a complaint of `category` whose clock starts `now`, on the loaded working calendar. */
export function dueAfter(db: Db, now: Date, category: ComplaintCategory): Promise<string> {
  return deadlineOn(now, deadlines[category], (years) =>
    db.select({ days: workingCalendars.days }).from(workingCalendars).where(inArray(workingCalendars.year, years)),
  );
}
