import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { auditEvents, outboxEvents } from "../../db/tables.js";

/** The actor of every write a background job makes (the audit trail's `actor`, kind `system`). */
export const schedulerActor = "system:scheduler";

/**
 * One record changed by a background job: a guarded UPDATE (its WHERE holds the precondition, e.g.
 * the version read), then its audit row and, optionally, an outbox event, written only if the
 * update changed the row (`changes() > 0`). A record handled meanwhile is left alone, and a second
 * run writes nothing twice.
 */
export interface ScheduledStep {
  update: BatchItem<"sqlite">;
  tenantId: string;
  divisionPath: string | null;
  /** The audit action (e.g. `complaint.escalate`) and its target. */
  action: string;
  targetType: string;
  targetId: string;
  /** Which job wrote it: the audit row's request id (e.g. `job:escalation`). */
  job: string;
  changes: Record<string, unknown>;
  event?: { type: string; payload: Record<string, unknown> };
}

/** Runs the steps in one batch; answers how many records the updates changed. */
export async function runScheduledSteps(db: Db, now: Date, steps: readonly ScheduledStep[]): Promise<number> {
  if (steps.length === 0) return 0;
  const at = now.toISOString();
  const perStep = (step: ScheduledStep) => (step.event ? 3 : 2);
  const statements: BatchItem<"sqlite">[] = steps.flatMap((step) => [
    step.update,
    db.run(sql`insert into ${auditEvents} (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
      select ${newId("aud", now.getTime())}, ${step.tenantId}, ${schedulerActor}, 'system', ${step.action}, ${step.targetType}, ${step.targetId}, ${step.divisionPath}, ${step.job}, ${JSON.stringify(step.changes)}, ${at}
      where changes() > 0`),
    ...(step.event
      ? [
          db.run(sql`insert into ${outboxEvents} (id, tenant_id, type, subject_type, subject_id, payload, created_at)
            select ${newId("evt", now.getTime())}, ${step.tenantId}, ${step.event.type}, ${step.targetType}, ${step.targetId}, ${JSON.stringify(step.event.payload)}, ${at}
            where changes() > 0`),
        ]
      : []),
  ]);
  const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  let changed = 0;
  let i = 0;
  for (const step of steps) {
    changed += Number((results[i] as { rowsAffected?: number }).rowsAffected ?? 0);
    i += perStep(step);
  }
  return changed;
}
