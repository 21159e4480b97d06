import { and, asc, eq, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { tenants } from "../../db/tables.js";
import { runScheduledSteps } from "../../shared/store/scheduled.js";
import { complaintEventPayload } from "./common.js";
import { dueAfter, nextLevel, reporterRetentionDays, runningStatuses } from "./machines.js";
import { complaints } from "./tables.js";

const allTenants = (db: Db) => db.select({ code: tenants.code }).from(tenants);

/**
 * Overdue complaints go up a level (community → street → county) with a new deadline, as
 * `complaint.escalate` by `system:scheduler` with a `complaint.escalated` event. Each complaint is
 * its own guarded step (the audit and outbox rows only if its update changed the row), so one
 * handled meanwhile is left alone and a second run writes nothing twice. At most `limit` per run.
 * County-level complaints stay escalated where they are: there is no level above.
 */
export async function escalateOverdueComplaints(db: Db, now: Date, limit = 200): Promise<number> {
  const at = now.toISOString();
  const due = await db
    .select()
    .from(complaints)
    .where(
      and(
        inArray(complaints.tenantId, allTenants(db)),
        inArray(complaints.status, [...runningStatuses]),
        lt(complaints.dueAt, at),
        sql`${complaints.level} <> 'county'`,
      ),
    )
    .orderBy(asc(complaints.dueAt))
    .limit(limit);
  if (due.length === 0) return 0;
  const dueAts = new Map<string, string>();
  for (const category of new Set(due.map((row) => row.category)))
    dueAts.set(category, await dueAfter(db, now, category));
  return runScheduledSteps(
    db,
    now,
    due.map((row) => {
      const level = nextLevel[row.level];
      const updated = {
        ...row,
        status: "escalated" as const,
        level,
        dueAt: dueAts.get(row.category)!,
        escalationCount: row.escalationCount + 1,
        version: row.version + 1,
        updatedAt: at,
      };
      return {
        update: db
          .update(complaints)
          .set({
            status: "escalated",
            level,
            dueAt: updated.dueAt,
            escalationCount: sql`${complaints.escalationCount} + 1`,
            version: sql`${complaints.version} + 1`,
            updatedAt: at,
          })
          .where(and(eq(complaints.id, row.id), eq(complaints.version, row.version))),
        tenantId: row.tenantId,
        divisionPath: row.divisionPath,
        action: "complaint.escalate",
        targetType: "complaint",
        targetId: row.id,
        job: "job:escalation",
        changes: { status: [row.status, "escalated"], level: [row.level, level], dueAt: row.dueAt },
        event: { type: "complaint.escalated", payload: complaintEventPayload(updated) },
      };
    }),
  );
}

/**
 * PIPL retention: a reporter's sealed contact and its masked form are erased `reporterRetentionDays`
 * after the complaint closed (a reopened complaint is not closed, so it keeps them). The complaint
 * and its counts stay for the scorecards. Each erasure is audited as `complaint.erase_reporter`.
 */
export async function eraseExpiredReporters(db: Db, now: Date, limit = 500): Promise<number> {
  const before = new Date(now.getTime() - reporterRetentionDays * 86_400_000).toISOString();
  const expired = and(
    isNotNull(complaints.reporterCipher),
    eq(complaints.status, "closed"),
    lt(complaints.closedAt, before),
  );
  const candidates = await db
    .select({ id: complaints.id, tenantId: complaints.tenantId, divisionPath: complaints.divisionPath })
    .from(complaints)
    .where(and(inArray(complaints.tenantId, allTenants(db)), expired))
    .limit(limit);
  const changes = { fields: ["reporter"], retentionDays: reporterRetentionDays };
  return runScheduledSteps(
    db,
    now,
    candidates.map((row) => ({
      update: db
        .update(complaints)
        .set({ reporterCipher: null, reporterMasked: null })
        .where(and(eq(complaints.id, row.id), expired)),
      tenantId: row.tenantId,
      divisionPath: row.divisionPath,
      action: "complaint.erase_reporter",
      targetType: "complaint",
      targetId: row.id,
      job: "job:retention",
      changes,
    })),
  );
}
