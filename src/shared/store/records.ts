import type { Context } from "hono";
import type { InValue, ResultSet } from "@libsql/client";
import {
  and,
  Column,
  eq,
  fillPlaceholders,
  getTableColumns,
  getTableName,
  gte,
  inArray,
  is,
  lte,
  sql,
  SQL,
} from "drizzle-orm";
import type { Db } from "../../db/client.js";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  preparedReach,
  publishedReach,
  reachShape,
  reachValues,
  withinReach,
  type ReachColumns,
} from "../auth/reach.js";
import type { AppEnv } from "../request/context.js";
import { keyset, type PageOrder } from "../http/pagination.js";
import { ApiError, notFound } from "../http/errors.js";
import type { Machine } from "./state-machine.js";
import { commit, guardChanged, GuardFailed, type AuditEntry, type DomainEvent } from "./commit.js";
import { msg, type Message, type Thing } from "../http/messages.js";
import { columnReader, PreparedItem } from "./prepared.js";

/** What every versioned, tenant-owned table has. */
export type VersionedTable = SQLiteTable & {
  id: SQLiteColumn;
  tenantId: SQLiteColumn;
  version: SQLiteColumn;
  updatedAt: SQLiteColumn;
};

export interface VersionedRow {
  id: string;
  tenantId: string;
  version: number;
  updatedAt: string;
}

/** One row by id, only if it is within the principal's reach; otherwise the same 404 as a missing row. */
export async function findWithinReach<T extends VersionedTable>(
  c: Context<AppEnv>,
  table: T,
  reach: Omit<ReachColumns, "tenantId">,
  id: string,
  what: Thing,
  extra?: SQL,
): Promise<T["$inferSelect"]> {
  if (extra)
    return findVisible(
      c,
      table,
      id,
      what,
      and(withinReach(c.get("principal"), { tenantId: table.tenantId, ...reach }), extra)!,
    );
  const [row] = await preparedFind(c, table, reach).all({ id, ...reachValues(c.get("principal")) });
  if (!row) throw notFound(what);
  return row as T["$inferSelect"];
}

interface PreparedRead {
  all(values: Record<string, unknown>): Promise<unknown[]>;
}

/** What `build` may answer: a drizzle prepared select (read here without drizzle's per-row mapping), or any reader. */
type Prepared = PreparedRead & {
  getQuery?: () => { sql: string; params: unknown[] };
  fields?: { path: string[]; field: unknown }[];
};

interface PlainReader {
  text: string;
  params: unknown[];
  read: (result: ResultSet) => Record<string, unknown>[];
}

/** Selects of plain columns by shape: their SQL is the dialect's, the same on every database handle (an idempotent create's request has its own). */
const readers = new Map<string, PlainReader>();
/** Any other select: drizzle's prepared query, bound to the handle it was built on. */
const prepared = new WeakMap<object, Map<string, PreparedRead>>();

/**
 * A read built once per shape, then run with placeholder values: the hot reads (by id, the main
 * lists, references a write names) skip building SQL on every request. `shape` must name everything
 * that changes the SQL text (which filters are present, order, reach shape); values go in `all()`.
 * A drizzle prepared select of plain columns is run on the request's client directly and its rows
 * built by a column mapping computed once (`plainReader`): drizzle's generic mapping was a fifth of a
 * list page's CPU.
 */
export function preparedRead(c: Context<AppEnv>, shape: string, build: () => Prepared): PreparedRead {
  const db = c.get("db");
  const reader = readers.get(shape);
  if (reader) return readingWith(db.$client, reader);
  let cache = prepared.get(db);
  const held = cache?.get(shape);
  if (held) return held;
  const built = build();
  const plain = plainReader(built);
  if (plain) {
    if (readers.size >= 1_000) readers.clear();
    readers.set(shape, plain);
    return readingWith(db.$client, plain);
  }
  if (!cache) {
    cache = new Map();
    prepared.set(db, cache);
  }
  if (cache.size >= 1_000) cache.clear();
  cache.set(shape, built);
  return built;
}

function plainReader(built: Prepared): PlainReader | undefined {
  if (!built.getQuery || !built.fields) return undefined;
  const fields = built.fields;
  if (!fields.every(({ path, field }) => path.length === 1 && is(field, Column))) return undefined;
  const { sql: text, params } = built.getQuery();
  const read = columnReader(fields.map(({ path, field }) => ({ key: path[0]!, column: field as Column })));
  return { text, params, read };
}

const readingWith = (client: Db["$client"], reader: PlainReader): PreparedRead => ({
  async all(values) {
    return reader.read(
      await client.execute({ sql: reader.text, args: fillPlaceholders(reader.params, values) as InValue[] }),
    );
  },
});

/**
 * A select built for this request (a list with filters of its own), read without drizzle's per-row
 * mapping like `preparedRead`; a select that is not of plain columns is left to drizzle.
 */
export async function readRows<Q extends { prepare(): unknown }>(c: Context<AppEnv>, query: Q): Promise<Awaited<Q>> {
  const built = query.prepare() as Prepared;
  const plain = plainReader(built);
  return (await (plain ? readingWith(c.get("db").$client, plain) : built).all({})) as Awaited<Q>;
}

/** A list filter: a column compared with a query value; left out of the SQL when the value is absent. */
export type ListFilter = [column: SQLiteColumn, value: string | number | undefined, op?: "eq" | "gte" | "lte"];

/**
 * One keyset page of a table's rows within the principal's reach, filtered, in creation order.
 * The statement is prepared once per combination of filters given, order and reach shape.
 * `published` applies `publishedReach` (records a community publishes to its whole tenant).
 */
export async function listWithinReach<T extends VersionedTable>(
  c: Context<AppEnv>,
  table: T,
  reach: Omit<ReachColumns, "tenantId">,
  query: { limit: number; cursor?: string; order?: PageOrder },
  filters: Record<string, ListFilter>,
  rule: "own" | "published" = "own",
): Promise<{ data: T["$inferSelect"][]; nextCursor: string | null }> {
  const caller = c.get("principal");
  const principal = rule === "published" && caller.owner ? { ...caller, owner: undefined } : caller;
  const keys = keyset(table.id, query);
  const given = Object.keys(filters).filter((name) => filters[name]![1] !== undefined);
  const compare = { eq, gte, lte };
  const statement = preparedRead(
    c,
    `list|${getTableName(table)}|${Object.keys(reach).sort().join(",")}|${given.join(",")}|${keys.shape}|${reachShape(principal)}`,
    () =>
      c
        .get("db")
        .select()
        .from(table as SQLiteTable)
        .where(
          and(
            preparedReach(principal, { tenantId: table.tenantId, ...reach }),
            ...given.map((name) => {
              const [column, , op = "eq"] = filters[name]!;
              return compare[op](column, sql.placeholder(name));
            }),
            keys.afterPlaceholder,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(sql.placeholder("limit"))
        .prepare(),
  );
  const values = Object.fromEntries(given.map((name) => [name, filters[name]![1]]));
  const rows = (await statement.all({
    ...reachValues(principal),
    ...values,
    after: keys.afterKey,
    limit: keys.limit,
  })) as T["$inferSelect"][];
  return keys.of(rows);
}

/**
 * Reads by id are the hottest queries: one statement per (table, reach columns, reach shape).
 * `ownTenant`: also in the caller's own tenant (a reference a write names), even for the city; its
 * value is the placeholder `ownTenant`.
 */
export function preparedFind(
  c: Context<AppEnv>,
  table: SQLiteTable & { id: SQLiteColumn; tenantId: SQLiteColumn },
  reach: Omit<ReachColumns, "tenantId">,
  options: { ownTenant?: boolean } = {},
) {
  const principal = c.get("principal");
  return preparedRead(
    c,
    `find|${getTableName(table)}|${Object.keys(reach).sort().join(",")}|${reachShape(principal)}|${options.ownTenant ? "own" : ""}`,
    () =>
      c
        .get("db")
        .select()
        .from(table as SQLiteTable)
        .where(
          and(
            eq(table.id, sql.placeholder("id")),
            options.ownTenant ? eq(table.tenantId, sql.placeholder("ownTenant")) : undefined,
            preparedReach(principal, { tenantId: table.tenantId, ...reach }),
          ),
        )
        .prepare(),
  );
}

/**
 * The `columns` of the `target` row that record `id` of `table` points to by `via` (a feedback
 * card's member): a read a one-trip action sends in its batch for its response (`presentAlong`).
 */
export function readRelated<C extends Record<string, SQLiteColumn>>(
  c: Context<AppEnv>,
  target: SQLiteTable & { id: SQLiteColumn },
  columns: C,
  table: SQLiteTable & { id: SQLiteColumn },
  via: SQLiteColumn,
  id: string,
) {
  return c
    .get("db")
    .select(columns)
    .from(target as SQLiteTable)
    .where(eq(target.id, sql`(select ${via} from ${table} where ${table.id} = ${id})`));
}

/** `findWithinReach`'s condition, as an action's or a PATCH's `visible`. */
export const visibleWithinReach =
  (table: VersionedTable, reach: Omit<ReachColumns, "tenantId">) =>
  (c: Context<AppEnv>): SQL =>
    withinReach(c.get("principal"), { tenantId: table.tenantId, ...reach });

/** `findPublished`'s condition, as an action's or a PATCH's `visible`. */
export const visiblePublished =
  (table: VersionedTable & { divisionPath: SQLiteColumn }) =>
  (c: Context<AppEnv>): SQL =>
    publishedReach(c.get("principal"), table);

/** One record published to the tenant (a need, a service post, an activity) by id, within `publishedReach`. */
export async function findPublished<T extends VersionedTable & { divisionPath: SQLiteColumn }>(
  c: Context<AppEnv>,
  table: T,
  id: string,
  what: Thing,
): Promise<T["$inferSelect"]> {
  return findVisible(c, table, id, what, publishedReach(c.get("principal"), table));
}

/** One row by id, only if it meets `visible` (a reach rule of its own); otherwise the same 404 as a missing row. */
export async function findVisible<T extends SQLiteTable & { id: SQLiteColumn }>(
  c: Context<AppEnv>,
  table: T,
  id: string,
  what: Thing,
  visible: SQL,
): Promise<T["$inferSelect"]> {
  const [row] = await c
    .get("db")
    .select()
    .from(table as SQLiteTable)
    .where(and(eq(table.id, id), visible));
  if (!row) throw notFound(what);
  return row as T["$inferSelect"];
}

function conditionalUpdate<T extends VersionedTable>(
  c: Context<AppEnv>,
  table: T,
  row: VersionedRow,
  set: Record<string, unknown>,
  now: string,
) {
  return c
    .get("db")
    .update(table)
    .set({ ...set, version: sql`${table.version} + 1`, updatedAt: now } as never)
    .where(and(eq(table.id, row.id), eq(table.tenantId, row.tenantId), eq(table.version, row.version)));
}

export interface UpdateOptions<R extends VersionedRow> {
  table: VersionedTable;
  row: R;
  /** The version from If-Match, when the client sent one. */
  expectedVersion?: number;
  set: Partial<R>;
  audit: Omit<AuditEntry, "targetId">;
  /** Audit events in other trails, besides the record's own. */
  alsoAudit?: AuditEntry[];
  events?: (updated: R) => DomainEvent[];
  /** More writes in the same batch, after the guarded update. */
  alsoWrite?: (updated: R) => BatchItem<"sqlite">[];
  conflicts?: Record<string, Message>;
}

/**
 * Optimistic update: the row as read must still be at its version when written, else nothing is
 * written and the client gets 412 (it sent a stale If-Match) or 409 (a concurrent writer won).
 */
export async function updateVersioned<R extends VersionedRow>(
  c: Context<AppEnv>,
  options: UpdateOptions<R>,
): Promise<R> {
  const { row, expectedVersion } = options;
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new ApiError(
      "precondition_failed",
      msg("generic.record_version_mismatch", { version: row.version, expected: expectedVersion }),
    );
  }
  const now = c.get("clock").now().toISOString();
  const updated = { ...row, ...options.set, version: row.version + 1, updatedAt: now } as R;
  try {
    await commit(c, {
      writes: [
        conditionalUpdate(c, options.table, row, options.set, now),
        guardChanged(),
        ...(options.alsoWrite?.(updated) ?? []),
      ],
      // The record's own tenant keeps its trail, also when the writer is of another (an employer acknowledging feedback).
      audit: [
        {
          // A record's division path; a division's own path (divisions are rows of the tree itself).
          divisionPath: (row as { divisionPath?: string }).divisionPath ?? (row as { path?: string }).path,
          tenantId: row.tenantId,
          ...options.audit,
          targetId: row.id,
        },
        ...(options.alsoAudit ?? []),
      ],
      events: options.events?.(updated),
      conflicts: options.conflicts,
    });
  } catch (err) {
    if (err instanceof GuardFailed) {
      throw expectedVersion !== undefined
        ? new ApiError("precondition_failed", msg("generic.record_changed_while_writing"))
        : new ApiError("conflict", msg("generic.record_changed_concurrently"));
    }
    throw err;
  }
  return updated;
}

/** Which records a one-trip PATCH may write: reach columns, or a condition of its own with the `find` that applies it. */
export type PatchReach<T extends VersionedTable> =
  | { reach: Omit<ReachColumns, "tenantId">; visible?: never; find?: never }
  | {
      reach?: never;
      visible: SQL;
      /** The same condition as a read, to say why nothing was written (its own 404 when out of reach). */
      find: (c: Context<AppEnv>, id: string) => Promise<T["$inferSelect"]>;
    };

/**
 * A PATCH whose new values do not depend on the row as stored, in one round trip: the update is
 * conditional on the id, the caller's reach (reach columns, or `visible`), any `condition` on the
 * stored row (e.g. still open) and the If-Match version, returns the row it wrote, and carries its
 * guard, audit event (path and tenant read from the row inside the batch) and events (payloads in
 * SQL, `payloadInSql`). Only when nothing was written does a second read tell a 404 from a
 * `refuse`d state (its own error), a 412 or a 409.
 */
export async function patchWithinReach<T extends VersionedTable>(
  c: Context<AppEnv>,
  options: PatchReach<T> & {
    table: T;
    id: string;
    /** For the 404: "No such <what>." */
    what: Thing;
    expectedVersion: number;
    set: Partial<T["$inferSelect"]>;
    audit: Omit<AuditEntry, "targetId" | "divisionPath" | "tenantId">;
    /** A condition on the stored row besides reach and version; `refuse` throws the error of a row that fails it. */
    condition?: SQL;
    refuse?: (row: T["$inferSelect"]) => void;
    events?: DomainEvent[];
    conflicts?: Record<string, Message>;
  },
): Promise<T["$inferSelect"]> {
  const { table, id, what, expectedVersion } = options;
  const db = c.get("db");
  const now = c.get("clock").now().toISOString();
  const path =
    (table as { divisionPath?: SQLiteColumn }).divisionPath ?? (table as unknown as { path?: SQLiteColumn }).path;
  const update =
    (!options.visible &&
      !options.condition &&
      preparedPatch(c, table, options.reach!, id, expectedVersion, options.set, now)) ||
    db
      .update(table)
      .set({ ...options.set, version: sql`${table.version} + 1`, updatedAt: now } as never)
      .where(
        and(
          eq(table.id, id),
          eq(table.version, expectedVersion),
          options.visible ?? withinReach(c.get("principal"), { tenantId: table.tenantId, ...options.reach! }),
          options.condition,
        ),
      )
      .returning();
  try {
    const [rows] = await commit(c, {
      writes: [update, guardChanged()],
      // The record's own tenant keeps its trail, as in `updateVersioned`.
      audit: { ...options.audit, targetId: id, ofRow: { table, tenantId: table.tenantId, divisionPath: path } },
      events: options.events,
      conflicts: options.conflicts,
    });
    return (rows as T["$inferSelect"][])[0]!;
  } catch (err) {
    if (!(err instanceof GuardFailed)) throw err;
    const row = options.find ? await options.find(c, id) : await findWithinReach(c, table, options.reach!, id, what);
    options.refuse?.(row);
    throw row.version !== expectedVersion
      ? new ApiError(
          "precondition_failed",
          msg("generic.record_version_mismatch", { version: row.version, expected: expectedVersion }),
        )
      : new ApiError("conflict", msg("generic.record_changed_concurrently"));
  }
}

const patches = new Map<string, { text: string; params: unknown[]; read: (result: ResultSet) => unknown[] }>();

/**
 * `patchWithinReach`'s update as SQL text built once per shape (table, fields set, reach), values
 * bound per request (encoded as drizzle would): building it with drizzle on every PATCH cost more
 * than running it. A `set` with an SQL value is left to the builder.
 */
function preparedPatch<T extends VersionedTable>(
  c: Context<AppEnv>,
  table: T,
  reach: Omit<ReachColumns, "tenantId">,
  id: string,
  expectedVersion: number,
  set: Partial<T["$inferSelect"]>,
  now: string,
): BatchItem<"sqlite"> | undefined {
  const values = set as Record<string, unknown>;
  const keys = Object.keys(values).filter((key) => values[key] !== undefined);
  if (keys.some((key) => is(values[key], SQL))) return undefined;
  const principal = c.get("principal");
  const shape = `${getTableName(table)}|${keys.join(",")}|${Object.keys(reach).sort().join(",")}|${reachShape(principal)}`;
  const columns = getTableColumns(table) as Record<string, Column>;
  let patch = patches.get(shape);
  if (!patch) {
    if (patches.size >= 1_000) patches.clear();
    // Wrapped in sql``: a bare placeholder in `set` would be encoded again by `fillPlaceholders` (and a null as "null").
    const placeholders = Object.fromEntries(keys.map((key) => [key, sql`${sql.placeholder(`set.${key}`)}`]));
    const { sql: text, params } = c
      .get("db")
      .update(table)
      .set({ ...placeholders, version: sql`${table.version} + 1`, updatedAt: sql.placeholder("now") } as never)
      .where(
        and(
          eq(table.id, sql.placeholder("id")),
          eq(table.version, sql.placeholder("expected")),
          preparedReach(principal, { tenantId: table.tenantId, ...reach }),
        ),
      )
      .returning()
      .toSQL();
    const read = columnReader(Object.entries(columns).map(([key, column]) => ({ key, column })));
    patch = { text, params, read };
    patches.set(shape, patch);
  }
  const bound: Record<string, unknown> = { ...reachValues(principal), id, expected: expectedVersion, now };
  for (const key of keys) {
    const value = values[key];
    bound[`set.${key}`] = value === null ? null : columns[key]!.mapToDriverValue(value);
  }
  return new PreparedItem({ sql: patch.text, args: fillPlaceholders(patch.params, bound) as InValue[] }, patch.read)
    .asBatchItem;
}

/** Moves a record through its state machine with the same optimistic write as `updateVersioned`. */
export async function transition<S extends string, A extends string, R extends VersionedRow & { status: S }>(
  c: Context<AppEnv>,
  options: Omit<UpdateOptions<R>, "audit" | "set"> & {
    machine: Machine<S, A>;
    action: A;
    set?: Partial<R>;
    targetType: string;
    changes?: Record<string, unknown>;
  },
): Promise<R> {
  const to = options.machine.next(options.row.status, options.action);
  return updateVersioned(c, {
    ...options,
    set: { ...options.set, status: to } as Partial<R>,
    audit: {
      action: `${options.targetType}.${options.action}`,
      targetType: options.targetType,
      changes: { status: [options.row.status, to], ...options.changes },
    },
  });
}

const payloadsInSql = new WeakMap<object, SQL | null>();

/**
 * An event payload built from a row (`(row) => ({ memberReportId: row.id, status: row.status })`)
 * as the same JSON built in SQL from the row with id `id`, so a batch can write the event of a row
 * it updates without reading the row first. Only a payload that is a flat projection of columns
 * (and constants) can be: anything else (a computed value, a nested object) answers undefined,
 * and the caller reads the row instead. Worked out once per payload function.
 */
export function payloadInSql<R>(
  table: SQLiteTable & { id: SQLiteColumn },
  payload: (row: R) => Record<string, unknown>,
  id: string,
): SQL | undefined {
  let projection = payloadsInSql.get(payload);
  if (projection === undefined) {
    projection = projectionOf(table, payload) ?? null;
    payloadsInSql.set(payload, projection);
  }
  return projection ? sql`(select ${projection} from ${table} where ${table.id} = ${id})` : undefined;
}

/**
 * Runs `read` on a stand-in row whose fields are markers of the table's columns; answers what it
 * returned and how to tell which column a marker stands for (undefined when `read` threw).
 */
function probe<R, V>(
  table: SQLiteTable,
  read: (row: R) => V,
): { value: V; columnOf(v: unknown): Column | undefined } | undefined {
  const columns = getTableColumns(table) as Record<string, Column>;
  const markers = new Map<object, Column>();
  const row = new Proxy(
    {},
    {
      get(_, key) {
        const column = typeof key === "string" ? columns[key] : undefined;
        if (!column) return undefined;
        const marker = Object.freeze({});
        markers.set(marker, column);
        return marker;
      },
    },
  );
  try {
    const value = read(row as R);
    return { value, columnOf: (v) => (typeof v === "object" && v !== null ? markers.get(v) : undefined) };
  } catch {
    return undefined;
  }
}

const columnsOfRow = new WeakMap<object, Column | null>();

/**
 * A value read from a row (`(row) => row.recipientTenantId`) as the same value read in SQL from the
 * row with id `id`; undefined unless it is a plain column. Worked out once per function.
 */
export function columnInSql<R>(
  table: SQLiteTable & { id: SQLiteColumn },
  read: (row: R) => unknown,
  id: string,
): SQL | undefined {
  let column = columnsOfRow.get(read);
  if (column === undefined) {
    const probed = probe(table, read);
    column = probed?.columnOf(probed.value) ?? null;
    columnsOfRow.set(read, column);
  }
  return column ? sql`(select ${column} from ${table} where ${table.id} = ${id})` : undefined;
}

function projectionOf<R>(table: SQLiteTable, payload: (row: R) => Record<string, unknown>): SQL | undefined {
  const probed = probe(table, payload);
  const shape = probed?.value;
  if (!probed || !shape || Object.getPrototypeOf(shape) !== Object.prototype) return undefined;
  const parts: SQL[] = [];
  for (const [key, value] of Object.entries(shape)) {
    const column = probed.columnOf(value);
    let json: SQL | undefined;
    if (column) json = columnAsJson(column);
    else if (value === null || typeof value === "string" || typeof value === "number") json = sql`${value}`;
    if (!json) return undefined;
    parts.push(sql`${key}, ${json}`);
  }
  return sql`json_object(${sql.join(parts, sql`, `)})`;
}

/** A column's value as the JSON its JS value would serialise to; undefined for types with no plain SQL equivalent. */
function columnAsJson(column: Column): SQL | undefined {
  if (column.columnType === "SQLiteTextJson") return sql`json(${column})`;
  if (column.columnType === "SQLiteBoolean")
    return sql`(case when ${column} is null then null when ${column} then json('true') else json('false') end)`;
  return column.mapFromDriverValue === Column.prototype.mapFromDriverValue ? sql`${column}` : undefined;
}

/**
 * A state transition in one round trip, for an action that needs nothing from the record but its
 * state and version: the update is conditional on the id, `visible` (the caller's reach), the
 * states the action starts from and the If-Match version, returns the row it wrote, and carries its
 * guard; the audit event (written before the update, so it reads the old state) and the outbox
 * events (after it, their payloads built in SQL from the updated row) ride in the same batch.
 * When nothing matched it throws `GuardFailed`, and the caller reads the record to say why
 * (404, 409 `invalid_transition`, 412).
 */
export async function transitionWithinReach<
  S extends string,
  A extends string,
  T extends VersionedTable & { status: SQLiteColumn },
>(
  c: Context<AppEnv>,
  options: {
    table: T;
    id: string;
    visible: SQL;
    machine: Machine<S, A>;
    action: A;
    expectedVersion?: number;
    set?: Record<string, unknown>;
    targetType: string;
    changes?: Record<string, unknown>;
    /** Guarded writes to related records, after the record's own. */
    writes?: BatchItem<"sqlite">[];
    /** Audit events in other trails, besides the record's own. */
    alsoAudit?: AuditEntry[];
    /** Events; a payload or tenant in SQL reads the updated row. */
    events?: DomainEvent[];
    conflicts?: Record<string, Message>;
    /** Reads after the writes (what the response needs besides the row); their results come back in `read`. */
    reads?: BatchItem<"sqlite">[];
  },
): Promise<{ row: T["$inferSelect"]; read: unknown[] }> {
  const { table, id, machine, action, expectedVersion } = options;
  const { from, to } = machine.transitions[action];
  const db = c.get("db");
  const now = c.get("clock").now().toISOString();
  const of = (column: SQLiteColumn) => sql`(select ${column} from ${table} where ${table.id} = ${id})`;
  const path =
    (table as { divisionPath?: SQLiteColumn }).divisionPath ?? (table as unknown as { path?: SQLiteColumn }).path;
  const update = db
    .update(table)
    .set({ ...options.set, status: to, version: sql`${table.version} + 1`, updatedAt: now } as never)
    .where(
      and(
        eq(table.id, id),
        inArray(table.status, [...from]),
        expectedVersion === undefined ? undefined : eq(table.version, expectedVersion),
        options.visible,
      ),
    )
    .returning();
  const writes = [update, guardChanged(), ...(options.writes ?? [])];
  const results = await commit(c, {
    writes: [...writes, ...(options.reads ?? [])],
    auditFirst: true,
    audit: [
      {
        action: `${options.targetType}.${action}`,
        targetType: options.targetType,
        targetId: id,
        // A missing record has no tenant: the caller's keeps the insert valid until the guard rolls it back.
        tenantId: sql`coalesce(${of(table.tenantId)}, ${c.get("principal").tenant})`,
        divisionPath: path && of(path),
        changes: sql`json_set(${JSON.stringify(options.changes ?? {})}, '$.status', json_array(${of(table.status)}, ${to}))`,
      },
      ...(options.alsoAudit ?? []),
    ],
    events: options.events,
    conflicts: options.conflicts,
  });
  return { row: (results[0] as T["$inferSelect"][])[0]!, read: results.slice(writes.length) };
}
