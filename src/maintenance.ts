import type { Db } from "./db/client.js";
import { deliverQueued } from "./domains/emergency/delivery.js";
import { runEscalations } from "./domains/emergency/escalation.js";
import { applyRetention } from "./domains/emergency/retention.js";
import { runAdmissionPeriods } from "./domains/governance/admission-job.js";
import { markMobilityDue } from "./domains/governance/mobility-job.js";
import { escalateOverdueQuickReports } from "./domains/newemployment/escalation.js";
import { escalateOverdueComplaints, eraseExpiredReporters } from "./domains/property/escalation.js";
import { markOverdueReports } from "./domains/reports/recheck.js";
import { purgeExpiredIdempotencyKeys } from "./shared/api/idempotency.js";
import type { PiiVault } from "./shared/crypto/pii.js";
import type { Logger } from "./shared/log.js";
import type { PagingSettings } from "./shared/messaging.js";

/** What sending stranded emergency pages needs: the channel and the vault that opens phones for it. */
export interface PagingDeps {
  paging: PagingSettings;
  pii: PiiVault;
}

/**
 * Emergency pages still queued (the process stopped between an incident's commit and its deferred
 * delivery, or a send failed for now) go out through the channel; a page marked sent is never resent.
 */
export async function deliverStrandedPages(db: Db, deps: PagingDeps, now: Date): Promise<number> {
  const result = await deliverQueued(db, { channel: deps.paging.channel, pii: deps.pii, now: () => now }, undefined);
  return result.sent;
}

/**
 * The emergency tick: due escalation timers are settled (teams below quorum at their deadline page
 * the county's mobile teams), then queued pages go out. Node runs it every 30 s, the Worker cron
 * every minute: within 60 s of a deadline.
 */
export async function runPagingTick(db: Db, deps: PagingDeps, now: Date) {
  const escalations = await runEscalations(db, now, deps.paging.channel);
  return { ...escalations, pagesSent: await deliverStrandedPages(db, deps, now) };
}

/**
 * Housekeeping that no request triggers: member reports whose half-yearly recheck has lapsed
 * become overdue, admitted community work starts and expires with its period, idempotency keys past their 24 hours are forgotten, stranded emergency pages are sent,
 * volunteers' personal data past its retention period is anonymised (PIPL), overdue property complaints
 * are escalated a level, overdue quick reports go to the street, and reporters' contacts are erased past their retention. The same function runs
 * from the Node background loop (`npm start`) and the Worker's Cron Trigger.
 */
export async function runMaintenance(
  db: Db,
  now: Date,
  log: Logger,
  paging?: PagingDeps,
): Promise<{
  overdue: number;
  idempotencyKeysPurged: number;
  mobilityLostContact: number;
  mobilityCheckOverdue: number;
  admissionsActivated: number;
  admissionsExpired: number;
  pagesSent: number;
  complaintsEscalated: number;
  quickReportsEscalated: number;
  reportersErased: number;
}> {
  const result = {
    overdue: 0,
    idempotencyKeysPurged: 0,
    mobilityLostContact: 0,
    mobilityCheckOverdue: 0,
    admissionsActivated: 0,
    admissionsExpired: 0,
    pagesSent: 0,
    complaintsEscalated: 0,
    quickReportsEscalated: 0,
    reportersErased: 0,
  };
  try {
    result.overdue = await markOverdueReports(db, now);
    result.complaintsEscalated = await escalateOverdueComplaints(db, now);
    result.quickReportsEscalated = await escalateOverdueQuickReports(db, now);
    result.reportersErased = await eraseExpiredReporters(db, now);
    result.idempotencyKeysPurged = await purgeExpiredIdempotencyKeys(db, now);
    const mobility = await markMobilityDue(db, now);
    result.mobilityLostContact = mobility.lostContact;
    result.mobilityCheckOverdue = mobility.checkOverdue;
    const admission = await runAdmissionPeriods(db, now);
    result.admissionsActivated = admission.activated;
    result.admissionsExpired = admission.expired;
    if (paging) {
      result.pagesSent = (await runPagingTick(db, paging, now)).pagesSent;
      await applyRetention(db, now, paging.paging.retentionDays ?? 730);
    }
  } catch (error) {
    log.error("maintenance failed", { error });
  }
  return result;
}
