import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { auditEvents, divisions, outboxEvents } from "../../db/tables.js";
import { guardChanged, classifyWriteError, GuardFailed } from "../../shared/store/commit.js";
import { incidentAlerts, incidents, notifications, rosterEntries, teamActivations } from "./tables.js";

/** Answers `available` among a team activation's roster. */
export const availableIn = sql`(select count(*) from ${rosterEntries} r
    join ${notifications} n on n.tenant_id = r.tenant_id and n.incident_id = r.incident_id and n.volunteer_id = r.volunteer_id
    where r.tenant_id = ${teamActivations.tenantId} and r.team_activation_id = ${teamActivations.id} and n.answer = 'available')`;

/** The incident is still live for timers: active. */
export const liveActivation = sql`exists (select 1 from ${incidents} i where i.tenant_id = ${teamActivations.tenantId}
    and i.id = ${teamActivations.incidentId} and i.status = 'active')`;

/** What a timer sweep reads of each due team activation. */
export const dueActivationColumns = {
  id: teamActivations.id,
  tenantId: teamActivations.tenantId,
  incidentId: teamActivations.incidentId,
  teamId: teamActivations.teamId,
  quorum: teamActivations.quorum,
  divisionPath: teamActivations.divisionPath,
};

/** The audit entry of an escalation step, by the system in the incident's tenant. */
export function escalationAudit(
  db: Db,
  now: Date,
  entry: {
    tenantId: string;
    incidentId: string;
    divisionPath: string;
    action: string;
    changes: Record<string, unknown>;
  },
) {
  return db.insert(auditEvents).values({
    id: newId("aud", now.getTime()),
    tenantId: entry.tenantId,
    actor: "system:escalation",
    actorKind: "system",
    action: entry.action,
    targetType: "incident",
    targetId: entry.incidentId,
    divisionPath: entry.divisionPath,
    requestId: newId("req", now.getTime()),
    changes: entry.changes,
    at: now.toISOString(),
  });
}

/**
 * When step 2 is due: as long after the escalation as the team had to answer in the first place
 * (its response window), so the county's mobile teams get the same time to make up the quorum.
 */
export function streetAlertAt(activation: { createdAt: string; deadlineAt: string }, now: Date): string {
  const window = Date.parse(activation.deadlineAt) - Date.parse(activation.createdAt);
  return new Date(now.getTime() + Math.max(window, 0)).toISOString();
}

/**
 * Escalation step 2: a team escalated to the county's mobile teams and still below its quorum at
 * `streetAlertAt` alerts the party working committee of its street (街道党工委) — the street or town
 * above the team's division, else above the incident's. Concretely, in one batch per team: the
 * activation moves `escalated` → `street_alerted` (a conditional update and its guard, so a tick
 * that runs twice, or two at once, alert once), an `incident_alerts` row addressed to the street
 * (read by its admins at `GET /v1/incidents/{id}/alerts`, unique per activation and step), an
 * `incident.street_alerted` outbox event naming the street (for the webhook subscriptions the street's
 * admins are reached through: SMS gateway, duty phone, work chat) and the audit entry. A team whose
 * quorum was met meanwhile has its timer cleared instead. No street above (a county-wide incident of
 * a county team): the step is recorded as done without an alert.
 */
export async function runStreetAlerts(db: Db, now: Date, limit = 100): Promise<number> {
  const at = now.toISOString();
  const due = and(
    eq(teamActivations.escalation, "escalated"),
    isNotNull(teamActivations.streetAlertAt),
    lte(teamActivations.streetAlertAt, at),
    liveActivation,
  );
  await db
    .update(teamActivations)
    .set({ streetAlertAt: null })
    .where(and(due, sql`${availableIn} >= ${teamActivations.quorum}`));
  const short = await db
    .select({
      ...dueActivationColumns,
      available: sql<number>`${availableIn}`.mapWith(Number),
      incidentPath: sql<string>`(select i.division_path from ${incidents} i
        where i.tenant_id = ${teamActivations.tenantId} and i.id = ${teamActivations.incidentId})`,
    })
    .from(teamActivations)
    .where(due)
    .orderBy(asc(teamActivations.streetAlertAt))
    .limit(limit);
  let alerted = 0;
  for (const ta of short) {
    const street =
      (await streetAbove(db, ta.tenantId, ta.divisionPath)) ?? (await streetAbove(db, ta.tenantId, ta.incidentPath));
    const batch: BatchItem<"sqlite">[] = [
      db
        .update(teamActivations)
        .set({ escalation: "street_alerted" })
        .where(and(eq(teamActivations.id, ta.id), eq(teamActivations.escalation, "escalated"))),
      guardChanged(),
    ];
    const changes: Record<string, unknown> = { teamActivationId: ta.id, teamId: ta.teamId, quorum: ta.quorum };
    if (street) {
      const alert = {
        id: newId("alrt", now.getTime()),
        tenantId: ta.tenantId,
        incidentId: ta.incidentId,
        teamActivationId: ta.id,
        teamId: ta.teamId,
        step: "street_committee" as const,
        divisionId: street.id,
        divisionPath: street.path,
        quorum: ta.quorum,
        available: ta.available,
        createdAt: at,
      };
      batch.push(
        db.insert(incidentAlerts).values(alert).onConflictDoNothing(),
        db.insert(outboxEvents).values({
          id: newId("evt", now.getTime()),
          tenantId: ta.tenantId,
          type: "incident.street_alerted",
          subjectType: "incident",
          subjectId: ta.incidentId,
          payload: {
            incidentId: ta.incidentId,
            alertId: alert.id,
            streetDivisionId: street.id,
            teamId: ta.teamId,
            quorum: ta.quorum,
            available: ta.available,
          },
          createdAt: at,
        }),
      );
      Object.assign(changes, { alertId: alert.id, to: "street_party_committee", streetDivisionId: street.id });
    }
    batch.push(
      escalationAudit(db, now, {
        tenantId: ta.tenantId,
        incidentId: ta.incidentId,
        divisionPath: ta.incidentPath,
        action: "incident.street_alert",
        changes,
      }),
    );
    try {
      await db.batch(batch as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      if (street) alerted++;
    } catch (error) {
      if (!(classifyWriteError(error) instanceof GuardFailed)) throw error;
    }
  }
  return alerted;
}

/** The street or town whose subtree holds `path`, if any. */
async function streetAbove(db: Db, tenantId: string, path: string) {
  const [street] = await db
    .select({ id: divisions.id, path: divisions.path })
    .from(divisions)
    .where(
      and(
        eq(divisions.tenantId, tenantId),
        sql`${divisions.level} in ('street', 'town')`,
        sql`substr(${path}, 1, length(${divisions.path})) = ${divisions.path}`,
      ),
    )
    .limit(1);
  return street;
}
