import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { auditEvents, outboxEvents } from "../../db/tables.js";
import { localDate } from "../../shared/calendar.js";
import { eventPayload } from "./member-reports.js";
import { memberReports } from "./tables.js";

/** The actor of writes no person made. */
export const schedulerActor = "system:scheduler";

/**
 * The half-yearly recheck (docs/domain.md#dual-reporting): an active member report whose recheck is due before
 * today (China time) becomes overdue, with its audit event and `member_report.overdue` event, as
 * if an administrator had marked it. Each report is its own guarded step: the audit and outbox
 * rows are inserted only if the update changed the row (`changes() > 0`, chained), so a report
 * rechecked meanwhile is left alone and nothing is written twice when the job runs again.
 * Runs from the Node background loop and the Worker's cron; at most `limit` reports per run.
 */
export async function markOverdueReports(db: Db, now: Date, limit = 200): Promise<number> {
  const today = localDate(now);
  const at = now.toISOString();
  const due = await db
    .select()
    .from(memberReports)
    .where(and(eq(memberReports.status, "active"), lt(memberReports.recheckDueOn, today)))
    .orderBy(asc(memberReports.recheckDueOn))
    .limit(limit);
  if (due.length === 0) return 0;
  const statements: BatchItem<"sqlite">[] = due.flatMap((row) => {
    const updated = { ...row, status: "overdue" as const, version: row.version + 1, updatedAt: at };
    const payload = JSON.stringify(eventPayload(updated));
    const changes = JSON.stringify({ status: ["active", "overdue"], recheckDueOn: row.recheckDueOn });
    return [
      db
        .update(memberReports)
        .set({ status: "overdue", version: sql`${memberReports.version} + 1`, updatedAt: at })
        .where(
          and(eq(memberReports.id, row.id), eq(memberReports.status, "active"), lt(memberReports.recheckDueOn, today)),
        ),
      db.run(sql`insert into ${auditEvents} (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
        select ${newId("aud", now.getTime())}, ${row.tenantId}, ${schedulerActor}, 'system', 'member_report.mark_overdue', 'member_report', ${row.id}, ${row.divisionPath}, ${"job:recheck"}, ${changes}, ${at}
        where changes() > 0`),
      db.run(sql`insert into ${outboxEvents} (id, tenant_id, type, subject_type, subject_id, payload, created_at)
        select ${newId("evt", now.getTime())}, ${row.tenantId}, 'member_report.overdue', 'member_report', ${row.id}, ${payload}, ${at}
        where changes() > 0`),
    ];
  });
  const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  // Every third result is a report's update: how many it changed is how many were marked.
  return results
    .filter((_, i) => i % 3 === 0)
    .reduce((n, r) => n + Number((r as { rowsAffected?: number }).rowsAffected ?? 0), 0);
}
