import type { Db } from "./db/client.js";
import { escalateOverdueComplaints, eraseExpiredReporters } from "./domains/property/escalation.js";
import { markOverdueReports } from "./domains/reports/recheck.js";
import { purgeExpiredIdempotencyKeys } from "./shared/http/idempotency.js";
import type { Logger } from "./shared/log.js";

/**
 * Housekeeping that no request triggers: member reports whose half-yearly recheck has lapsed
 * become overdue, overdue property complaints are escalated a level, reporters' contacts are erased
 * past their retention, and idempotency keys past their 24 hours are forgotten. The same function runs
 * from the Node background loop (`npm start`) and the Worker's Cron Trigger.
 */
export async function runMaintenance(
  db: Db,
  now: Date,
  log: Logger,
): Promise<{ overdue: number; complaintsEscalated: number; reportersErased: number; idempotencyKeysPurged: number }> {
  const result = { overdue: 0, complaintsEscalated: 0, reportersErased: 0, idempotencyKeysPurged: 0 };
  try {
    result.overdue = await markOverdueReports(db, now);
    result.complaintsEscalated = await escalateOverdueComplaints(db, now);
    result.reportersErased = await eraseExpiredReporters(db, now);
    result.idempotencyKeysPurged = await purgeExpiredIdempotencyKeys(db, now);
  } catch (error) {
    log.error("maintenance failed", { error });
  }
  return result;
}
