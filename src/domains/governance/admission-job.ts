import { and, eq, lt, lte } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { localDate } from "../../shared/calendar.js";
import { admissionEventPayload } from "./admission.js";
import { passesOf, runPass } from "./job-pass.js";
import { admissionRequests } from "./tables.js";

type AdmissionRow = typeof admissionRequests.$inferSelect;

const admissionPass = passesOf<AdmissionRow>({
  table: admissionRequests,
  targetType: "admission_request",
  job: "job:admission",
  payload: admissionEventPayload,
  changes: (row, updated) => ({ status: [row.status, updated.status], periodEnd: row.periodEnd }),
});

/**
 * 社区事务准入 housekeeping: admitted work whose period has begun (China date) starts (approved →
 * active), and active work whose period has ended expires (active → expired); work approved after its
 * period already ended goes through both in the same run. Each row is its own guarded step with its
 * audit entry (`system:scheduler`) and outbox event (`admission_request.activated` / `.expired`),
 * written only if the update changed it, so a second run the same day writes nothing. The stats'
 * totals do not move: approved, active and expired all count as admitted. At most `limit` rows per
 * pass and run; the next run takes the rest.
 */
export async function runAdmissionPeriods(
  db: Db,
  now: Date,
  limit = 200,
): Promise<{ activated: number; expired: number }> {
  const today = localDate(now);
  const activated = await runPass(
    db,
    now,
    limit,
    admissionPass({
      due: and(eq(admissionRequests.status, "approved"), lte(admissionRequests.periodStart, today))!,
      set: { status: "active" },
      action: "admission_request.activate",
      event: "admission_request.activated",
    }),
  );
  const expired = await runPass(
    db,
    now,
    limit,
    admissionPass({
      due: and(eq(admissionRequests.status, "active"), lt(admissionRequests.periodEnd, today))!,
      set: { status: "expired" },
      action: "admission_request.expire",
      event: "admission_request.expired",
    }),
  );
  return { activated, expired };
}
