import { and, eq, inArray, lt } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { localDate } from "../../shared/calendar.js";
import { passesOf, runPass } from "./job-pass.js";
import { mobilityEventPayload } from "./mobility.js";
import { mobilityRecords } from "./tables.js";

type MobilityRow = typeof mobilityRecords.$inferSelect;

const mobilityPass = passesOf<MobilityRow>({
  table: mobilityRecords,
  targetType: "mobility_record",
  job: "job:mobility",
  payload: mobilityEventPayload,
  changes: (row, updated) => ({
    status: [row.status, updated.status],
    nextCheckDue: row.nextCheckDue,
    lostContactDueOn: row.lostContactDueOn,
  }),
});

/**
 * 流动党员 housekeeping, like the half-yearly report recheck: an away member whose last recorded
 * contact is older than the record's `lostContactMonths` becomes lost contact; an away member whose
 * quarterly check is past due is flagged `checkOverdue`. Each row is its own guarded step with its
 * audit (`system:scheduler`) and outbox event inserted only if the update changed it; running again
 * writes nothing twice. At most `limit` rows per pass and run.
 */
export async function markMobilityDue(
  db: Db,
  now: Date,
  limit = 200,
): Promise<{ lostContact: number; checkOverdue: number }> {
  const today = localDate(now);
  const lostContact = await runPass(
    db,
    now,
    limit,
    mobilityPass({
      due: and(inArray(mobilityRecords.status, ["outflow", "located"]), lt(mobilityRecords.lostContactDueOn, today))!,
      set: { status: "lost_contact", checkOverdue: true },
      action: "mobility_record.mark_lost_contact",
      event: "mobility_record.lost_contact",
    }),
  );
  const checkOverdue = await runPass(
    db,
    now,
    limit,
    mobilityPass({
      due: and(
        inArray(mobilityRecords.status, ["outflow", "lost_contact", "located"]),
        eq(mobilityRecords.checkOverdue, false),
        lt(mobilityRecords.nextCheckDue, today),
      )!,
      set: { checkOverdue: true },
      action: "mobility_record.mark_check_overdue",
      event: "mobility_record.check_overdue",
    }),
  );
  return { lostContact, checkOverdue };
}
