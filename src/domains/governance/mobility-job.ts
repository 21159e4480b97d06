import { and, asc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { auditEvents, outboxEvents } from "../../db/tables.js";
import { localDate } from "../../shared/calendar.js";
import { mobilityEventPayload } from "./mobility.js";
import { mobilityRecords } from "./tables.js";

const schedulerActor = "system:scheduler";
type MobilityRow = typeof mobilityRecords.$inferSelect;

interface Pass {
  /** Rows this pass changes (re-checked in the UPDATE itself, so a row changed meanwhile is left alone). */
  due: SQL;
  set: Partial<MobilityRow>;
  action: string;
  event: string;
}

/**
 * 流动党员 housekeeping, like the half-yearly report recheck: an away member whose last recorded
 * contact is older than the record's `lostContactMonths` becomes lost contact; an away member whose
 * quarterly check is past due is flagged `checkOverdue`. Each row is its own guarded step with its
 * audit (`system:scheduler`) and outbox event inserted only if the update changed it; running again
 * writes nothing twice. At most `limit` rows per pass and run.
 */
export async function markMobilityDue(
  db: Db,
  now: Date,
  limit = 200,
): Promise<{ lostContact: number; checkOverdue: number }> {
  const today = localDate(now);
  const lostContact = await runPass(db, now, limit, {
    due: and(inArray(mobilityRecords.status, ["outflow", "located"]), lt(mobilityRecords.lostContactDueOn, today))!,
    set: { status: "lost_contact", checkOverdue: true },
    action: "mobility_record.mark_lost_contact",
    event: "mobility_record.lost_contact",
  });
  const checkOverdue = await runPass(db, now, limit, {
    due: and(
      inArray(mobilityRecords.status, ["outflow", "lost_contact", "located"]),
      eq(mobilityRecords.checkOverdue, false),
      lt(mobilityRecords.nextCheckDue, today),
    )!,
    set: { checkOverdue: true },
    action: "mobility_record.mark_check_overdue",
    event: "mobility_record.check_overdue",
  });
  return { lostContact, checkOverdue };
}

async function runPass(db: Db, now: Date, limit: number, pass: Pass): Promise<number> {
  const at = now.toISOString();
  const due = await db.select().from(mobilityRecords).where(pass.due).orderBy(asc(mobilityRecords.id)).limit(limit);
  if (due.length === 0) return 0;
  const statements: BatchItem<"sqlite">[] = due.flatMap((row) => {
    const updated = { ...row, ...pass.set, version: row.version + 1, updatedAt: at };
    const payload = JSON.stringify(mobilityEventPayload(updated));
    const changes = JSON.stringify({
      status: [row.status, updated.status],
      nextCheckDue: row.nextCheckDue,
      lostContactDueOn: row.lostContactDueOn,
    });
    return [
      db
        .update(mobilityRecords)
        .set({ ...pass.set, version: sql`${mobilityRecords.version} + 1`, updatedAt: at })
        .where(and(eq(mobilityRecords.id, row.id), pass.due)),
      db.run(sql`insert into ${auditEvents} (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
        select ${newId("aud", now.getTime())}, ${row.tenantId}, ${schedulerActor}, 'system', ${pass.action}, 'mobility_record', ${row.id}, ${row.divisionPath}, ${"job:mobility"}, ${changes}, ${at}
        where changes() > 0`),
      db.run(sql`insert into ${outboxEvents} (id, tenant_id, type, subject_type, subject_id, payload, created_at)
        select ${newId("evt", now.getTime())}, ${row.tenantId}, ${pass.event}, 'mobility_record', ${row.id}, ${payload}, ${at}
        where changes() > 0`),
    ];
  });
  const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return results
    .filter((_, i) => i % 3 === 0)
    .reduce((n, r) => n + Number((r as { rowsAffected?: number }).rowsAffected ?? 0), 0);
}
