import type { Db } from "./db/client.js";
import { markOverdueReports } from "./domains/reports/recheck.js";
import { purgeExpiredIdempotencyKeys } from "./shared/api/idempotency.js";
import type { Logger } from "./shared/log.js";

/**
 * Housekeeping that no request triggers: member reports whose half-yearly recheck has lapsed
 * become overdue, and idempotency keys past their 24 hours are forgotten. The same function runs
 * from the Node background loop (`npm start`) and the Worker's Cron Trigger.
 */
export async function runMaintenance(
  db: Db,
  now: Date,
  log: Logger,
): Promise<{ overdue: number; idempotencyKeysPurged: number }> {
  const result = { overdue: 0, idempotencyKeysPurged: 0 };
  try {
    result.overdue = await markOverdueReports(db, now);
    result.idempotencyKeysPurged = await purgeExpiredIdempotencyKeys(db, now);
  } catch (error) {
    log.error("maintenance failed", { error });
  }
  return result;
}
