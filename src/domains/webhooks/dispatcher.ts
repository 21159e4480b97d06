import { and, asc, eq, gt, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { outboxEvents } from "../../db/tables.js";
import { eventData, isCatalogued, testEventType } from "./catalogue.js";
import type { PiiVault } from "../../shared/crypto/pii.js";
import type { Clock } from "../../shared/request/context.js";
import { describeError, type Logger } from "../../shared/log.js";
import { webhookHeaders } from "../../shared/crypto/standard-webhooks.js";
import { webhookDeliveries, webhookEndpoints } from "./tables.js";
import { deliveryTargetProblem, publicTargetsOnly, type TargetPolicy } from "./targets.js";

/**
 * The outbox → webhooks dispatcher, runtime-agnostic: Node runs it in a loop (src/node/webhooks.ts),
 * Workers from a Cron Trigger (src/worker.ts). It is safe to run anywhere, any number of times, at once:
 *
 * 1. Fan-out: undispatched outbox events, in id order, become one delivery per subscribed active
 *    endpoint. The inserts (ON CONFLICT DO NOTHING on the unique (event, endpoint)) and the
 *    `dispatched_at` marks are one atomic batch: a crash loses nothing, a re-run duplicates nothing.
 * 2. Delivery: due deliveries are claimed with a conditional UPDATE that sets a lease, then POSTed
 *    as Standard Webhooks. Each outcome is one small write, applied only while the lease is still ours.
 *    Failures retry on `retryDelaysMs` with jitter, then the delivery is dead; an endpoint whose
 *    deliveries die `disableAfterDeadDeliveries` times in a row, with no success between, is disabled
 *    and the disabling audited, in the same batch.
 */
export interface DispatcherDeps {
  db: Db;
  pii: PiiVault;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  clock: Clock;
  /** Resolves a host to all its addresses (Node: node:dns lookup). Absent on Workers, whose fetch cannot reach private addresses. */
  resolveHost?: (host: string) => Promise<string[]>;
  log: Logger;
  /**
   * Which targets are accepted beyond public https ones; default none. The Node server passes
   * `{ allowLoopback: true }` when HEXI_WEBHOOK_ALLOW_LOOPBACK=true (development only).
   */
  targets?: TargetPolicy;
  /**
   * Skips every target check (https, port, public address). Only in-process tests set it, to deliver
   * to a receiver on 127.0.0.1; it is never read from the environment or configuration.
   */
  allowPrivateTargets?: boolean;
  /** [0, 1) for the retry jitter. */
  random?: () => number;
}

export interface DispatchOptions {
  /** Outbox events read per fan-out batch. */
  fanOutBatch: number;
  /** Deliveries claimed per claim. */
  claimBatch: number;
  /** Deliveries sent at once. */
  concurrency: number;
  /** How long a claim holds a delivery; past it, another run may take it over (the sender crashed). */
  leaseMs: number;
  timeoutMs: number;
  /** Wait before the 2nd, 3rd, … attempt; after the last, a failure makes the delivery dead. */
  retryDelaysMs: readonly number[];
  /** ± this fraction of each delay, at random. */
  jitter: number;
  disableAfterDeadDeliveries: number;
  /** A run stops claiming new deliveries after this much wall time. */
  runBudgetMs: number;
}

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

export const defaultDispatchOptions: DispatchOptions = {
  fanOutBatch: 100,
  claimBatch: 20,
  concurrency: 4,
  leaseMs: minute,
  timeoutMs: 10 * second,
  // 7 attempts over about 17.6 hours.
  retryDelaysMs: [5 * second, 5 * minute, 30 * minute, 2 * hour, 5 * hour, 10 * hour],
  jitter: 0.1,
  disableAfterDeadDeliveries: 5,
  runBudgetMs: 25 * second,
};

export interface DispatchReport {
  /** Outbox events marked dispatched. */
  events: number;
  /** Deliveries created by fan-out. */
  scheduled: number;
  succeeded: number;
  failed: number;
  dead: number;
  /** Endpoints disabled after persistent failure. */
  disabled: number;
}

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** One `INSERT … SELECT … FROM (VALUES …)` per this many deliveries: well under SQLite's bound-parameter limit. */
const insertChunk = 200;
export const dispatcherActor = "system:webhooks:dispatcher";

/** A subscribed event type, or a test ping addressed to this very endpoint (whatever it subscribes to). */
const receives = (endpoint: { id: string; eventTypes: string[] }, event: { type: string; subjectId: string }) =>
  event.type === testEventType ? event.subjectId === endpoint.id : endpoint.eventTypes.includes(event.type);

export function createDispatcher(deps: DispatcherDeps, overrides: Partial<DispatchOptions> = {}) {
  const options = { ...defaultDispatchOptions, ...overrides };
  const { db, clock } = deps;
  const random = deps.random ?? Math.random;

  /** One fan-out batch; answers how many events it marked dispatched and deliveries it created. */
  async function fanOut(): Promise<{ events: number; scheduled: number }> {
    const events = await db
      .select()
      .from(outboxEvents)
      .where(isNull(outboxEvents.dispatchedAt))
      .orderBy(asc(outboxEvents.id))
      .limit(options.fanOutBatch);
    if (!events.length) return { events: 0, scheduled: 0 };
    const tenants = [...new Set(events.map((e) => e.tenantId))];
    const endpoints = await db
      .select({ id: webhookEndpoints.id, tenantId: webhookEndpoints.tenantId, eventTypes: webhookEndpoints.eventTypes })
      .from(webhookEndpoints)
      .where(and(inArray(webhookEndpoints.tenantId, tenants), eq(webhookEndpoints.status, "active")));
    const now = clock.now();
    const at = now.toISOString();
    const deliveries: SQL[] = [];
    for (const event of events) {
      if (!isCatalogued(event.type)) continue;
      const body = JSON.stringify({ type: event.type, timestamp: event.createdAt, data: eventData(event) });
      for (const endpoint of endpoints) {
        if (endpoint.tenantId !== event.tenantId || !receives(endpoint, event)) continue;
        deliveries.push(sql`(${newId("whmsg", now.getTime())}, ${endpoint.id}, ${event.id}, ${event.type}, ${body})`);
      }
    }
    const statements: BatchItem<"sqlite">[] = [];
    for (let i = 0; i < deliveries.length; i += insertChunk) {
      // Joined with the endpoint again, so one disabled or deleted since it was read gets nothing.
      statements.push(
        db.run(sql`insert into ${webhookDeliveries} (id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
          select v.column1, e.tenant_id, e.id, v.column3, v.column4, v.column5, 'pending', 0, ${at}, ${at}, ${at}
          from (values ${sql.join(deliveries.slice(i, i + insertChunk), sql`, `)}) as v
          join ${webhookEndpoints} e on e.id = v.column2 and e.status = 'active'
          where true
          on conflict do nothing`),
      );
    }
    const ids = events.map((e) => e.id);
    statements.push(
      db
        .update(outboxEvents)
        .set({ dispatchedAt: at })
        .where(and(inArray(outboxEvents.id, ids), isNull(outboxEvents.dispatchedAt))),
    );
    const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    const scheduled = results
      .slice(0, -1)
      .reduce((n, r) => n + Number((r as { rowsAffected?: number }).rowsAffected ?? 0), 0);
    return { events: events.length, scheduled };
  }

  /** Claims up to `claimBatch` due deliveries of active endpoints for this run. */
  async function claim(now: Date, lease: string): Promise<{ claimed: DeliveryRow[]; more: boolean }> {
    const at = now.toISOString();
    const claimable = and(
      inArray(webhookDeliveries.status, ["pending", "failed"]),
      or(isNull(webhookDeliveries.leaseUntil), lt(webhookDeliveries.leaseUntil, at)),
    );
    const due = db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(and(claimable, lte(webhookDeliveries.nextAttemptAt, at), eq(webhookEndpoints.status, "active")))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(options.claimBatch);
    const ids = (await due).map((d) => d.id);
    if (!ids.length) return { claimed: [], more: false };
    // The UPDATE checks the claim condition again: two runs never hold the same delivery.
    const claimed = await db
      .update(webhookDeliveries)
      .set({ leaseUntil: lease })
      .where(and(inArray(webhookDeliveries.id, ids), claimable))
      .returning();
    return { claimed, more: ids.length === options.claimBatch };
  }

  async function send(delivery: DeliveryRow, endpoint: { url: string; secretSealed: string }): Promise<Outcome> {
    const problem = deps.allowPrivateTargets
      ? null
      : await deliveryTargetProblem(endpoint.url, deps.resolveHost, deps.targets ?? publicTargetsOnly);
    if (problem) return { ok: false, status: null, error: `Refused: ${problem}` };
    const body = JSON.stringify(delivery.payload);
    try {
      const headers = await webhookHeaders(await deps.pii.open(endpoint.secretSealed), delivery.id, clock.now(), body);
      const response = await deps.fetch(endpoint.url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "Hexi-Webhooks/1.0" },
        body,
        // A redirect could lead anywhere, past the target checks: it counts as a failure.
        redirect: "manual",
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { ok: false, status: response.status, error: `HTTP ${response.status}` };
    } catch (err) {
      return { ok: false, status: null, error: failureText(err, options.timeoutMs).slice(0, 500) };
    }
  }

  /** The outcome of one attempt: one statement per status change, applied only while our lease holds. */
  async function record(
    delivery: DeliveryRow,
    lease: string,
    outcome: Outcome,
  ): Promise<{ status: "succeeded" | "failed" | "dead" | "lost"; disabled?: boolean }> {
    const now = clock.now();
    const at = now.toISOString();
    const attempts = delivery.attempts + 1;
    const ours = and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.leaseUntil, lease));
    const endpoint = eq(webhookEndpoints.id, delivery.endpointId);
    const previousChanged = sql`changes() > 0`;
    if (outcome.ok) {
      const [updated] = await db.batch([
        db
          .update(webhookDeliveries)
          .set({
            status: "succeeded",
            attempts,
            lastStatusCode: outcome.status,
            lastError: null,
            deliveredAt: at,
            leaseUntil: null,
            updatedAt: at,
          })
          .where(ours),
        db
          .update(webhookEndpoints)
          .set({ consecutiveFailures: 0 })
          .where(and(endpoint, gt(webhookEndpoints.consecutiveFailures, 0), previousChanged)),
      ]);
      return { status: updated.rowsAffected ? "succeeded" : "lost" };
    }
    const failure = {
      attempts,
      lastStatusCode: outcome.status,
      lastError: outcome.error,
      leaseUntil: null,
      updatedAt: at,
    };
    const delay = options.retryDelaysMs[attempts - 1];
    if (delay !== undefined) {
      const jittered = delay * (1 - options.jitter + 2 * options.jitter * random());
      const nextAttemptAt = new Date(now.getTime() + jittered).toISOString();
      const updated = await db
        .update(webhookDeliveries)
        .set({ ...failure, status: "failed", nextAttemptAt })
        .where(ours);
      return { status: updated.rowsAffected ? "failed" : "lost" };
    }
    const [dead, , disabled] = await db.batch([
      db
        .update(webhookDeliveries)
        .set({ ...failure, status: "dead" })
        .where(ours),
      db
        .update(webhookEndpoints)
        .set({ consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1` })
        .where(and(endpoint, previousChanged)),
      db
        .update(webhookEndpoints)
        .set({ status: "disabled", disabledAt: at, version: sql`${webhookEndpoints.version} + 1`, updatedAt: at })
        .where(
          and(
            endpoint,
            eq(webhookEndpoints.status, "active"),
            sql`${webhookEndpoints.consecutiveFailures} >= ${options.disableAfterDeadDeliveries}`,
            previousChanged,
          ),
        ),
      db.run(sql`insert into audit_events (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
        select ${newId("aud", now.getTime())}, ${delivery.tenantId}, ${dispatcherActor}, 'system', 'webhook_endpoint.auto_disable', 'webhook_endpoint', ${delivery.endpointId}, null, ${newId("run", now.getTime())},
          ${JSON.stringify({ status: ["active", "disabled"], reason: `${options.disableAfterDeadDeliveries} deliveries in a row failed every retry`, lastDeliveryId: delivery.id, lastError: outcome.error })}, ${at}
        where changes() > 0`),
    ]);
    return dead.rowsAffected ? { status: "dead", disabled: disabled.rowsAffected > 0 } : { status: "lost" };
  }

  /** Claims and sends due deliveries until none is due or the run's time budget is spent. */
  async function deliver(report: DispatchReport): Promise<void> {
    const started = clock.now().getTime();
    for (;;) {
      const now = clock.now();
      if (now.getTime() - started >= options.runBudgetMs) return;
      const lease = new Date(now.getTime() + options.leaseMs).toISOString();
      const { claimed, more } = await claim(now, lease);
      if (!claimed.length && !more) return;
      const endpointIds = [...new Set(claimed.map((d) => d.endpointId))];
      const endpoints = new Map(
        endpointIds.length
          ? (
              await db
                .select({
                  id: webhookEndpoints.id,
                  url: webhookEndpoints.url,
                  secretSealed: webhookEndpoints.secretSealed,
                })
                .from(webhookEndpoints)
                .where(inArray(webhookEndpoints.id, endpointIds))
            ).map((e) => [e.id, e])
          : [],
      );
      await inPool(claimed, options.concurrency, async (delivery) => {
        const endpoint = endpoints.get(delivery.endpointId);
        if (!endpoint) return; // deleted since the claim, with its deliveries
        try {
          const { status, disabled } = await record(delivery, lease, await send(delivery, endpoint));
          if (status !== "lost") report[status]++;
          if (disabled) report.disabled++;
        } catch (error) {
          // The lease runs out and a later run retries: the same webhook-id, so receivers can de-duplicate.
          deps.log.error("webhook delivery could not be recorded", { deliveryId: delivery.id, error });
        }
      });
      if (!more) return;
    }
  }

  /** One run: fan out every undispatched event, then deliver what is due. Never throws. */
  async function runOnce(): Promise<DispatchReport> {
    const report: DispatchReport = { events: 0, scheduled: 0, succeeded: 0, failed: 0, dead: 0, disabled: 0 };
    try {
      for (;;) {
        const batch = await fanOut();
        report.events += batch.events;
        report.scheduled += batch.scheduled;
        if (batch.events < options.fanOutBatch) break;
      }
      await deliver(report);
    } catch (error) {
      deps.log.error("webhook dispatch run failed", { error, ...report });
    }
    const { events: _events, ...work } = report;
    if (Object.values(work).some((n) => n > 0)) deps.log.info?.("webhook dispatch", { ...report });
    return report;
  }

  return { fanOut, deliver, runOnce, options };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/** "fetch failed (connect ECONNREFUSED 127.0.0.1:9)", "Timed out after 10 s": what a tenant admin can act on. */
function failureText(err: unknown, timeoutMs: number): string {
  const names = [(err as { name?: string } | null)?.name, (err as { cause?: { name?: string } } | null)?.cause?.name];
  if (names.includes("TimeoutError")) return `Timed out after ${timeoutMs / second} s`;
  const message = (err as { message?: unknown } | null)?.message;
  const cause = (err as { cause?: { message?: unknown } } | null)?.cause?.message;
  if (typeof message !== "string") return describeError(err).split("\n")[0]!;
  return typeof cause === "string" && cause ? `${message} (${cause})` : message;
}

async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
