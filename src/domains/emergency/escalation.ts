import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { guardChanged, classifyWriteError, GuardFailed } from "../../shared/store/commit.js";
import type { MessageChannel } from "../../shared/messaging.js";
import { activationWrites } from "./activation.js";
import {
  availableIn,
  dueActivationColumns,
  escalationAudit,
  liveActivation,
  runStreetAlerts,
  streetAlertAt,
} from "./street-alerts.js";
import { teamActivations } from "./tables.js";

/**
 * The escalation timers: every team activation is a durable row with its deadline. At each tick
 * (the Node loop every 30 s, the Worker cron every minute — so within 60 s of a deadline) the due
 * ones of live incidents are settled: quorum reached → `met`; below quorum → `escalated`, and the
 * county's own mobile teams are paged for that incident (the same set-based activation), with an
 * `incident.escalated` event for the street and county admins' subscriptions. Each row moves out of
 * `pending` by a conditional update inside the same batch as its pages, so a tick that runs twice,
 * or two ticks at once, escalate once. Timers survive restarts: they are rows. Step 2 (the street
 * party working committee's admins) follows in `runStreetAlerts`.
 */
export async function runEscalations(
  db: Db,
  now: Date,
  channel: MessageChannel | string,
  limit = 100,
): Promise<{ met: number; escalated: number; streetAlerted: number }> {
  const at = now.toISOString();
  const due = and(eq(teamActivations.escalation, "pending"), lte(teamActivations.deadlineAt, at), liveActivation);
  const met = await db
    .update(teamActivations)
    .set({ escalation: "met" })
    .where(and(due, sql`${availableIn} >= ${teamActivations.quorum}`))
    .returning({ id: teamActivations.id });
  const short = await db
    .select({
      ...dueActivationColumns,
      createdAt: teamActivations.createdAt,
      deadlineAt: teamActivations.deadlineAt,
    })
    .from(teamActivations)
    .where(due)
    .orderBy(asc(teamActivations.deadlineAt))
    .limit(limit);
  let escalated = 0;
  for (const ta of short) {
    const claim = db
      .update(teamActivations)
      .set({ escalation: "escalated", streetAlertAt: streetAlertAt(ta, now) })
      .where(and(eq(teamActivations.id, ta.id), eq(teamActivations.escalation, "pending")));
    const batch: BatchItem<"sqlite">[] = [
      claim,
      // Nothing else in the batch happens unless this tick claimed the row.
      guardChanged(),
      ...activationWrites(
        db,
        { id: ta.incidentId, tenantId: ta.tenantId },
        { iso: at, ms: now.getTime() },
        channel,
        "county_reserve",
      ),
      escalationAudit(db, now, {
        tenantId: ta.tenantId,
        incidentId: ta.incidentId,
        divisionPath: ta.divisionPath,
        action: "incident.escalate",
        changes: { teamActivationId: ta.id, teamId: ta.teamId, quorum: ta.quorum, to: "county_mobile_teams" },
      }),
    ];
    try {
      await db.batch(batch as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      escalated++;
    } catch (error) {
      // A GuardFailed: another tick claimed it first.
      if (!(classifyWriteError(error) instanceof GuardFailed)) throw error;
    }
  }
  return { met: met.length, escalated, streetAlerted: await runStreetAlerts(db, now, limit) };
}
