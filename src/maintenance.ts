import type { Db } from "./db/client.js";
import { markMobilityDue } from "./domains/governance/mobility-job.js";
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
): Promise<{
  overdue: number;
  idempotencyKeysPurged: number;
  mobilityLostContact: number;
  mobilityCheckOverdue: number;
}> {
  const result = { overdue: 0, idempotencyKeysPurged: 0, mobilityLostContact: 0, mobilityCheckOverdue: 0 };
  try {
    result.overdue = await markOverdueReports(db, now);
    result.idempotencyKeysPurged = await purgeExpiredIdempotencyKeys(db, now);
    const mobility = await markMobilityDue(db, now);
    result.mobilityLostContact = mobility.lostContact;
    result.mobilityCheckOverdue = mobility.checkOverdue;
  } catch (error) {
    log.error("maintenance failed", { error });
  }
  return result;
}
