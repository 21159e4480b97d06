import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { auditEvents, outboxEvents } from "../../db/tables.js";

const schedulerActor = "system:scheduler";

type JobTable = SQLiteTable & { id: SQLiteColumn; version: SQLiteColumn; updatedAt: SQLiteColumn };
interface JobRow {
  id: string;
  tenantId: string;
  divisionPath: string;
  version: number;
}

export interface Pass<R extends JobRow> {
  table: JobTable;
  /** Rows this pass changes (re-checked in the UPDATE itself, so a row changed meanwhile is left alone). */
  due: SQL;
  set: Partial<R>;
  /** Audit action and outbox event type, e.g. `admission_request.expire` / `admission_request.expired`. */
  action: string;
  event: string;
  targetType: string;
  /** `job:<name>`, the audit entries' request id. */
  job: string;
  payload: (updated: R) => Record<string, unknown>;
  changes: (row: R, updated: R) => Record<string, unknown>;
}

/** The passes of one job over one table: what they share, completed by each pass's own rule. */
export const passesOf =
  <R extends JobRow>(shared: Omit<Pass<R>, "due" | "set" | "action" | "event">) =>
  (pass: Pick<Pass<R>, "due" | "set" | "action" | "event">): Pass<R> => ({ ...shared, ...pass });

/**
 * One pass of a background job over at most `limit` due rows, oldest id first: each row is its own
 * guarded step, its audit entry (`system:scheduler`) and outbox event inserted only if its UPDATE
 * changed it, all in one batch. Running it again writes nothing twice. Answers the rows changed.
 */
export async function runPass<R extends JobRow>(db: Db, now: Date, limit: number, pass: Pass<R>): Promise<number> {
  const at = now.toISOString();
  const table = pass.table;
  const due = (await db.select().from(table).where(pass.due).orderBy(asc(table.id)).limit(limit)) as R[];
  if (due.length === 0) return 0;
  const statements: BatchItem<"sqlite">[] = due.flatMap((row) => {
    const updated = { ...row, ...pass.set, version: row.version + 1, updatedAt: at } as R;
    const payload = JSON.stringify(pass.payload(updated));
    const changes = JSON.stringify(pass.changes(row, updated));
    return [
      db
        .update(table)
        .set({ ...pass.set, version: sql`${table.version} + 1`, updatedAt: at } as never)
        .where(and(eq(table.id, row.id), pass.due)),
      db.run(sql`insert into ${auditEvents} (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
        select ${newId("aud", now.getTime())}, ${row.tenantId}, ${schedulerActor}, 'system', ${pass.action}, ${pass.targetType}, ${row.id}, ${row.divisionPath}, ${pass.job}, ${changes}, ${at}
        where changes() > 0`),
      db.run(sql`insert into ${outboxEvents} (id, tenant_id, type, subject_type, subject_id, payload, created_at)
        select ${newId("evt", now.getTime())}, ${row.tenantId}, ${pass.event}, ${pass.targetType}, ${row.id}, ${payload}, ${at}
        where changes() > 0`),
    ];
  });
  const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return results
    .filter((_, i) => i % 3 === 0)
    .reduce((n, r) => n + Number((r as { rowsAffected?: number }).rowsAffected ?? 0), 0);
}
