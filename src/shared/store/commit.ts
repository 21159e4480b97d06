import type { Context } from "hono";
import type { InValue } from "@libsql/client";
import { getTableColumns, getTableName, is, SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { auditEvents, outboxEvents } from "../../db/tables.js";
import { newId } from "../../db/ids.js";
import { actorOf } from "../auth/principal.js";
import type { AppEnv } from "../request/context.js";
import { etagOf } from "../http/etag.js";
import { ApiError } from "../http/errors.js";
import { msg, type Message } from "../http/messages.js";
import { PreparedItem } from "./prepared.js";

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  /** The target's path; an SQL expression when only the batch knows it (a subselect of the row it updates). */
  divisionPath?: string | SQL;
  /** Names of changed fields, and values only where they are not personal data; JSON built in SQL when only the batch knows them. */
  changes?: Record<string, unknown> | SQL;
  /** The tenant whose trail records this; defaults to the principal's. */
  tenantId?: string | SQL;
  /**
   * The tenant and division path are those of row `targetId` of this table as the batch leaves it
   * (a write that did not read its row first): the insert reads them in SQL, its text built once per table.
   */
  ofRow?: { table: SQLiteTable; tenantId: SQLiteColumn; divisionPath?: SQLiteColumn };
}

export interface DomainEvent {
  type: string;
  subjectType: string;
  subjectId: string;
  /** The payload; JSON built in SQL when it is read from a row the batch writes (`payloadInSql`). */
  payload: Record<string, unknown> | SQL;
  tenantId?: string | SQL;
}

/** The response to store with an idempotency key, so a retry gets exactly the first answer. */
export interface CreatedResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface Change {
  writes: BatchItem<"sqlite">[];
  audit: AuditEntry | AuditEntry[];
  events?: DomainEvent[];
  /** Client-facing details for unique constraints this change may hit, keyed by "table.column". */
  conflicts?: Record<string, Message>;
  /** The audit events go before the writes: their SQL reads the row as it was (a transition's old state). */
  auditFirst?: boolean;
}

/** Thrown when a guarded write found its precondition no longer true: nothing was written. */
export class GuardFailed extends Error {
  constructor() {
    super("A guarded write changed no rows; the batch was rolled back.");
  }
}

/**
 * A guard placed right after a conditional UPDATE or INSERT … SELECT: if that statement changed no
 * rows, this one fails (json() of a non-JSON string), and the whole batch rolls back. It keeps
 * read-check-write races out without an interactive transaction, so a write is one round trip on
 * Workers as on Node.
 */
export function guardChanged() {
  return changedGuardItem;
}

const changedGuardItem = new PreparedItem({
  sql: "select case when changes() = 0 then json('hexi-guard') end",
  args: [],
}).asBatchItem;

/**
 * A guard on a condition evaluated inside the batch, after the statements before it: unless it
 * holds (false or NULL), the whole batch rolls back like `guardChanged`. For invariants a
 * conditional UPDATE cannot express on its own, e.g. "the tree still has no cycle".
 */
export function guardHolds(c: Context<AppEnv>, condition: SQL) {
  return c.get("db").run(sql`select case when (${condition}) then null else json('hexi-guard') end`);
}

export const idempotencyTtlMs = 24 * 60 * 60 * 1000;

/**
 * Writes a change atomically: the domain writes, their audit events, their outbox events and (for an
 * idempotent create) the stored response, all in one batch. No change without its audit and
 * events; no events without their change.
 */
export async function commit(c: Context<AppEnv>, change: Change, created?: CreatedResponse): Promise<unknown[]> {
  const { db, principal, clock } = c.var;
  const now = clock.now();
  const at = now.toISOString();
  const audits = auditRows(c, change.audit, now);
  const audit = auditInsert(db, audits, Array.isArray(change.audit) ? change.audit : [change.audit]);
  const statements: BatchItem<"sqlite">[] = change.auditFirst ? [audit, ...change.writes] : [...change.writes, audit];
  if (change.events?.length) {
    const events = change.events.map((e) => ({
      id: newId("evt", now.getTime()),
      tenantId: e.tenantId ?? principal.tenant,
      type: e.type,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      payload: e.payload,
      createdAt: at,
    }));
    statements.push(
      events.some((e) => is(e.tenantId, SQL) || is(e.payload, SQL))
        ? db.insert(outboxEvents).values(events)
        : prebuilt(
            outboxSql,
            events.length,
            events.flatMap((e) => [
              e.id,
              e.tenantId,
              e.type,
              e.subjectType,
              e.subjectId,
              JSON.stringify(e.payload),
              e.createdAt,
            ]),
          ),
    );
  }
  const idempotency = c.get("idempotency");
  if (idempotency && created) {
    const caller = actorOf(principal);
    // First in the batch: a key that already holds a response fails here, before any domain write or
    // guard, and the middleware replays that response (this is also how a create that reads nothing
    // first checks its key in the same round trip as its write).
    idempotency.pending = false;
    statements.unshift(
      // A key past its 24 hours that the purge has not removed yet is forgotten here, in the same
      // batch: the unique index ignores expiry, and after it the same key starts a new request.
      prebuilt(expiredKeySql, 1, [principal.tenant, caller, idempotency.key, at]),
      prebuilt(keySql, 1, [
        principal.tenant,
        caller,
        idempotency.key,
        idempotency.requestHash,
        created.status,
        JSON.stringify(created.body),
        JSON.stringify(created.headers),
        at,
        new Date(now.getTime() + idempotencyTtlMs).toISOString(),
      ]),
    );
  }
  // The key's statements, and audit events that go first, come before the writes.
  const first = (idempotency && created ? 2 : 0) + (change.auditFirst ? 1 : 0);
  try {
    const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    // The results of `change.writes` (e.g. an UPDATE … RETURNING), in their order.
    return results.slice(first, first + change.writes.length);
  } catch (err) {
    throw classifyWriteError(err, change.conflicts);
  }
}

/**
 * The statements every write carries (audit event, outbox event, idempotency key) as SQL text built
 * once, with their values bound: drizzle's query builder rebuilt them on every write, the largest
 * single cost of a create (bench/README.md, round four). The text of `rows` rows of one shape.
 */
type Shape = { text: (rows: number) => string; cache: Map<number, string> };
const shape = (head: string, columns: number, tail = ""): Shape => {
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
  const cache = new Map<number, string>();
  return {
    cache,
    text(rows) {
      let text = cache.get(rows);
      if (!text) {
        text = `${head} values ${Array.from({ length: rows }, () => row).join(", ")}${tail}`;
        if (cache.size < 64) cache.set(rows, text);
      }
      return text;
    },
  };
};
const auditSql = shape(
  `insert into "audit_events" ("id", "tenant_id", "actor", "actor_kind", "action", "target_type", "target_id", "division_path", "request_id", "changes", "at")`,
  11,
);
const outboxSql = shape(
  `insert into "outbox_events" ("id", "tenant_id", "type", "subject_type", "subject_id", "payload", "created_at")`,
  7,
);
const keySql = shape(
  `insert into "idempotency_keys" ("tenant_id", "caller", "key", "request_hash", "status", "body", "headers", "created_at", "expires_at")`,
  9,
);
const expiredKeySql: Shape = {
  cache: new Map(),
  text: () =>
    `delete from "idempotency_keys" where "tenant_id" = ? and "caller" = ? and "key" = ? and "expires_at" <= ?`,
};

/** A batch statement of `shape` with its values. */
function prebuilt(of: Shape, rows: number, params: unknown[]): BatchItem<"sqlite"> {
  return new PreparedItem({ sql: of.text(rows), args: params as InValue[] }).asBatchItem;
}

/** The audit rows' insert: prebuilt unless a value is SQL (read from a row the batch writes). */
function auditInsert(db: Db, audits: ReturnType<typeof auditRows>, entries: AuditEntry[]): BatchItem<"sqlite"> {
  const [only] = entries;
  if (entries.length === 1 && only!.ofRow && !only!.tenantId && !only!.divisionPath && !is(only!.changes, SQL))
    return auditOfRow(only!.ofRow, audits[0]!);
  if (audits.some((a) => is(a.tenantId, SQL) || is(a.divisionPath, SQL) || is(a.changes, SQL)))
    return db.insert(auditEvents).values(audits);
  return prebuilt(auditSql, audits.length, audits.flatMap(auditValues));
}

const auditOfRowTexts = new WeakMap<SQLiteTable, Map<string, string>>();

/** An audit row whose tenant and path come from the row it is about (`AuditEntry.ofRow`). */
function auditOfRow(of: NonNullable<AuditEntry["ofRow"]>, a: ReturnType<typeof auditRows>[number]) {
  let texts = auditOfRowTexts.get(of.table);
  if (!texts) {
    texts = new Map();
    auditOfRowTexts.set(of.table, texts);
  }
  const pathColumn = of.divisionPath?.name ?? "";
  let text = texts.get(pathColumn);
  if (!text) {
    const table = getTableName(of.table);
    const id = getTableColumns(of.table).id as SQLiteColumn;
    text = `${auditSql.text(1).replace(/ values .*$/, "")} select ?, "${of.tenantId.name}", ?, ?, ?, ?, ?, ${pathColumn ? `"${pathColumn}"` : "null"}, ?, ?, ? from "${table}" where "${id.name}" = ?`;
    texts.set(pathColumn, text);
  }
  const [id, , actor, actorKind, action, targetType, targetId, , requestId, changes, at] = auditValues(a);
  return new PreparedItem({
    sql: text,
    args: [id, actor, actorKind, action, targetType, targetId, requestId, changes, at, a.targetId] as InValue[],
  }).asBatchItem;
}

/** An audit row's values in the audit table's column order (the prebuilt insert's and group commits'). */
export function auditValues(a: ReturnType<typeof auditRows>[number]) {
  return [
    a.id,
    a.tenantId,
    a.actor,
    a.actorKind,
    a.action,
    a.targetType,
    a.targetId,
    a.divisionPath,
    a.requestId,
    a.changes === null ? null : JSON.stringify(a.changes),
    a.at,
  ];
}

/** `column` of row `id` of `table`, read in SQL when the statement runs. */
const columnOfRow = (table: SQLiteTable, column: SQLiteColumn, id: string) =>
  sql`(select ${column} from ${table} where ${getTableColumns(table).id} = ${id})`;

/** The audit rows of a change, as the caller's principal made it at `now` in this request. */
export function auditRows(c: Context<AppEnv>, audit: AuditEntry | AuditEntry[], now: Date) {
  const principal = c.get("principal");
  const at = now.toISOString();
  return (Array.isArray(audit) ? audit : [audit]).map((a) => ({
    id: newId("aud", now.getTime()),
    tenantId: a.tenantId ?? (a.ofRow ? columnOfRow(a.ofRow.table, a.ofRow.tenantId, a.targetId) : principal.tenant),
    actor: actorOf(principal),
    actorKind: principal.credential,
    action: a.action,
    targetType: a.targetType,
    targetId: a.targetId,
    divisionPath:
      a.divisionPath ?? (a.ofRow?.divisionPath ? columnOfRow(a.ofRow.table, a.ofRow.divisionPath, a.targetId) : null),
    requestId: c.get("requestId"),
    changes: a.changes ?? null,
    at,
  }));
}

/** Constraint failures are the client's conflict, not a 500. */
export function classifyWriteError(err: unknown, conflicts: Record<string, Message> = {}): unknown {
  const message = errorText(err);
  if (message.includes("malformed JSON")) return new GuardFailed();
  if (message.includes("idempotency_keys")) return new IdempotencyRace();
  if (/UNIQUE constraint failed/i.test(message)) {
    const known = Object.entries(conflicts).find(([column]) => message.includes(column));
    return new ApiError("conflict", known?.[1] ?? msg("generic.unique_conflict"));
  }
  return err;
}

/**
 * The create's idempotency key already holds a response (a concurrent twin committed first, or a
 * retry of a create that reads nothing first): the idempotency middleware answers with it.
 */
export class IdempotencyRace extends ApiError {
  constructor() {
    super("conflict", msg("http.idempotency_key_committed_first"));
  }
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(String((e as { message?: unknown }).message ?? e));
  }
  return parts.join(" | ");
}

/**
 * Commits a create whose response is `201` with the record's ETag and Location, storing that
 * response with the idempotency key; answers the headers for the handler's own `c.json`.
 */
export async function commitCreated(
  c: Context<AppEnv>,
  location: string,
  version: number,
  body: unknown,
  change: Change,
): Promise<Record<string, string>> {
  const headers = { etag: etagOf(version), location };
  await commit(c, change, { status: 201, body, headers });
  return headers;
}
