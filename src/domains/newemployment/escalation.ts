import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { tenants } from "../../db/tables.js";
import { runScheduledSteps } from "../../shared/store/scheduled.js";
import { quickReportDueAt, runningReportStatuses } from "./machines.js";
import { quickReportEventPayload } from "./common.js";
import { quickReports } from "./tables.js";

/**
 * Overdue quick reports go from the community to its street, once, with a new deadline for the
 * category (on the working calendar, from now), as `quick_report.escalate` by `system:scheduler`
 * with a `quick_report.escalated` event. Each report is its own guarded step (its version read and
 * still at the community), so one handled meanwhile is left alone and a second run writes nothing
 * twice. At most `limit` per run. A report already at the street stays there: its deadline still
 * shows it late (`onTime` false when resolved).
 */
export async function escalateOverdueQuickReports(db: Db, now: Date, limit = 200): Promise<number> {
  const at = now.toISOString();
  const due = await db
    .select()
    .from(quickReports)
    .where(
      and(
        inArray(quickReports.tenantId, db.select({ code: tenants.code }).from(tenants)),
        eq(quickReports.level, "community"),
        inArray(quickReports.status, [...runningReportStatuses]),
        lt(quickReports.dueAt, at),
      ),
    )
    .orderBy(asc(quickReports.dueAt))
    .limit(limit);
  if (due.length === 0) return 0;
  const dueAts = new Map<string, string>();
  for (const category of new Set(due.map((row) => row.category)))
    dueAts.set(category, await quickReportDueAt(db, now, category));
  return runScheduledSteps(
    db,
    now,
    due.map((row) => {
      const updated = {
        ...row,
        level: "street" as const,
        escalatedAt: at,
        dueAt: dueAts.get(row.category)!,
        version: row.version + 1,
        updatedAt: at,
      };
      return {
        update: db
          .update(quickReports)
          .set({
            level: "street",
            escalatedAt: at,
            dueAt: updated.dueAt,
            version: sql`${quickReports.version} + 1`,
            updatedAt: at,
          })
          .where(
            and(
              eq(quickReports.id, row.id),
              eq(quickReports.version, row.version),
              eq(quickReports.level, "community"),
            ),
          ),
        tenantId: row.tenantId,
        divisionPath: row.divisionPath,
        action: "quick_report.escalate",
        targetType: "quick_report",
        targetId: row.id,
        job: "job:escalation",
        changes: { level: ["community", "street"], dueAt: [row.dueAt, updated.dueAt] },
        event: { type: "quick_report.escalated", payload: quickReportEventPayload(updated) },
      };
    }),
  );
}
