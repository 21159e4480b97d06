import type { Client, InStatement, InValue, ResultSet, Row } from "@libsql/client";
import Database from "libsql";
import { startCheckpointer, type Checkpointer } from "./checkpointer.js";

/**
 * The embedded database's hot path, on prepared statements kept per SQL text.
 *
 * `@libsql/client` prepares every statement anew and builds each row with a property
 * definition per value; on an embedded database that is most of a primary-key read's cost
 * (measured: prepare + column metadata ≈ 16% of a loaded server's CPU). Here plain SELECTs run on
 * a read-only connection and every other statement and batch on one writer connection, both with
 * a statement cache; migrations, interactive transactions and multi-statement scripts still go
 * to the client. Batches are synchronous from BEGIN to COMMIT, so no lock is ever held across an
 * await, and in WAL mode a read sees every write committed before it started.
 */
export function withCachedStatements(
  client: Client,
  file: string,
  synchronous: "off" | "normal" | "full",
  checkpoints: "automatic" | "background" = "automatic",
  /** Write batches requested in the same turn of the event loop share one transaction (see writeGroups). */
  groupCommits = false,
): Client {
  const reader = connection(file, true);
  const writer = connection(file, false);
  writer.db.pragma(`synchronous = ${synchronous}`);
  // After a checkpoint has copied the whole WAL back, the next commit restarts the log and cuts the
  // file to this size: the WAL on disk stays bounded whatever the burst was.
  writer.db.pragma(`journal_size_limit = ${walSizeLimitBytes}`);
  // "background": checkpoints run on a thread of their own (see checkpointer.ts), never inside a
  // request's COMMIT; automatic ones come back if that thread cannot run.
  const automatic = () => writer.db.pragma(`wal_autocheckpoint = ${automaticCheckpointPages}`);
  let checkpointer: Checkpointer | undefined;
  if (checkpoints === "background") {
    writer.db.pragma("wal_autocheckpoint = 0");
    checkpointer = startCheckpointer(file, {
      onFailure: (error) => {
        if (writer.db.open) automatic();
        console.error(`Background WAL checkpoints failed; automatic checkpoints are back on: ${String(error)}`);
      },
    });
  } else automatic();

  const execute = async (statement: InStatement | string, args?: InValue[]): Promise<ResultSet> => {
    const { sql, values } = normalise(statement, args);
    if (!values) return args === undefined ? client.execute(statement as InStatement) : client.execute(sql, args);
    try {
      return (isPlainSelect(sql) ? reader : writer).run(sql, values);
    } catch (err) {
      throw asLibsqlError(err);
    }
  };

  const groups = groupCommits ? writeGroups(writer) : undefined;

  const batch = async (
    statements: (InStatement | [string, InValue[]?])[],
    mode: TransactionMode = "deferred",
  ): Promise<ResultSet[]> => {
    const normalised = statements.map((s) => (Array.isArray(s) ? normalise(s[0], s[1] ?? []) : normalise(s)));
    if (normalised.some((s) => !s.values)) return client.batch(statements as InStatement[], mode);
    if (groups && mode !== "read" && !normalised.every((s) => isPlainSelect(s.sql)))
      return groups.submit(normalised as Statement[]);
    writer.db.exec(mode === "write" ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    try {
      const results = normalised.map(({ sql, values }) => writer.run(sql, values!));
      writer.db.exec("COMMIT");
      return results;
    } catch (err) {
      if (writer.db.inTransaction) writer.db.exec("ROLLBACK");
      throw asLibsqlError(err);
    }
  };

  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "execute") return execute;
      if (property === "batch") return batch;
      if (property === "close") {
        return () => {
          groups?.flush();
          void checkpointer?.stop();
          reader.db.close();
          writer.db.close();
          target.close();
        };
      }
      if (property === groupStats) return groups?.stats;
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type TransactionMode = "write" | "read" | "deferred";
type Statement = { sql: string; values: InValue[] };
type Connection = ReturnType<typeof connection>;

const groupStats = Symbol.for("hexi.groupCommits");

/** Transactions committed by write groups and batches they carried (for tests and the bench); undefined when off. */
export function groupCommitCounts(client: Client): { groups: number; batches: number } | undefined {
  return (client as unknown as Record<symbol, { groups: number; batches: number } | undefined>)[groupStats];
}

/**
 * Group commit for write batches (bench/README.md, round four). A write batch is not run when it is
 * asked for but at the end of the event loop's turn (`setImmediate`), together with every other one
 * asked for in the same turn (up to `maxGroup`), in one transaction: each batch in a SAVEPOINT of its
 * own, so one that fails (a guard, a unique index, an idempotency key already used) is rolled back
 * alone and answers its error while the others go on, exactly as if each had been its own
 * transaction, run one after the other in the order they were asked for. They share the COMMIT and
 * the pages they all touch (the right edges of the audit, outbox and idempotency indexes) are
 * written to the WAL once per group instead of once per batch. If the transaction itself fails (the
 * COMMIT, or an error SQLite answers by rolling back everything), every batch of the group fails
 * and nothing of it is written, as with one batch. No transaction is open across an await.
 */
function writeGroups(writer: Connection, maxGroup = 64) {
  let queue: { statements: Statement[]; resolve: (r: ResultSet[]) => void; reject: (e: unknown) => void }[] = [];
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  const stats = { groups: 0, batches: 0 };
  const runGroup = () => {
    scheduled = undefined;
    const group = queue.slice(0, maxGroup);
    queue = queue.slice(maxGroup);
    if (queue.length) scheduled = setImmediate(runGroup);
    const outcomes: ({ ok: true; results: ResultSet[] } | { ok: false; error: unknown })[] = [];
    try {
      writer.db.exec("BEGIN IMMEDIATE");
      for (const item of group) {
        writer.db.exec("SAVEPOINT hexi_batch");
        try {
          const results = item.statements.map(({ sql, values }) => writer.run(sql, values));
          writer.db.exec("RELEASE hexi_batch");
          outcomes.push({ ok: true, results });
        } catch (err) {
          // Some errors end the whole transaction: then nothing of the group stands.
          if (!writer.db.inTransaction) throw err;
          writer.db.exec("ROLLBACK TO hexi_batch");
          writer.db.exec("RELEASE hexi_batch");
          outcomes.push({ ok: false, error: asLibsqlError(err) });
        }
      }
      writer.db.exec("COMMIT");
    } catch (err) {
      if (writer.db.inTransaction) writer.db.exec("ROLLBACK");
      const error = asLibsqlError(err);
      for (const item of group) item.reject(error);
      return;
    }
    stats.groups++;
    stats.batches += group.length;
    group.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.results);
      else item.reject(outcome.error);
    });
  };
  return {
    stats,
    submit(statements: Statement[]): Promise<ResultSet[]> {
      return new Promise((resolve, reject) => {
        queue.push({ statements, resolve, reject });
        scheduled ??= setImmediate(runGroup);
      });
    },
    /** Runs what is queued now (before the connection closes). */
    flush() {
      if (scheduled) clearImmediate(scheduled);
      while (queue.length) runGroup();
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
    },
  };
}

/** The writer's own checkpoint threshold when no checkpoint thread runs (SQLite's default is 1,000 pages). */
const automaticCheckpointPages = 10_000;
const walSizeLimitBytes = 64 * 1024 * 1024;

function normalise(statement: InStatement | string, args?: InValue[]): { sql: string; values?: InValue[] } {
  if (typeof statement === "string") return { sql: statement, values: args ?? [] };
  const values = statement.args;
  // Named arguments are rare here (drizzle binds by position): leave them to the client.
  return { sql: statement.sql, values: values === undefined ? [] : Array.isArray(values) ? values : undefined };
}

/** One connection and its statements, prepared once per SQL text. */
function connection(file: string, readonly: boolean) {
  const db = new Database(file, { readonly });
  db.pragma("busy_timeout = 5000");
  // The indexes a write touches stay in memory (the default cache is 2 MiB); the reader's pages are
  // also in the OS page cache, so it needs less. Together at most 48 MiB of the process's memory.
  db.pragma(`cache_size = ${readonly ? -16384 : -32768}`);
  const statements = new Map<string, Prepared>();
  return {
    db,
    run(sql: string, values: InValue[]): ResultSet {
      let prepared = statements.get(sql);
      if (!prepared) {
        if (statements.size >= statementLimit) statements.clear();
        prepared = prepare(db, sql);
        statements.set(sql, prepared);
      }
      const args = values.map(toSqlValue);
      if (prepared.returnsRows) return resultSet(prepared, readRows(prepared, args));
      const info = prepared.statement.run(...args);
      return emptyResult(Number(info.changes), BigInt(info.lastInsertRowid));
    },
  };
}

const statementLimit = 1_000;
const plainSelect = /^\s*select\s/i;
/** Guards (`json('hexi-guard')`) only make sense inside a write batch; they run on the writer. */
const isPlainSelect = (sql: string) => plainSelect.test(sql) && !sql.includes("hexi-guard");

/** The client's error shape: `SQLITE_…` code first in the message, the engine's message after it. */
function asLibsqlError(err: unknown): Error {
  const e = err as { code?: string; message?: string };
  const wrapped = new Error(`${e.code ?? "SQLITE_ERROR"}: ${e.message ?? String(err)}`, { cause: err });
  (wrapped as Error & { code?: string }).code = e.code;
  return wrapped;
}

interface Prepared {
  statement: Database.Statement;
  /** The same SELECT read as one JSON row (see asJsonArray), when possible. */
  asJson?: Database.Statement;
  returnsRows: boolean;
  columns: string[];
  columnTypes: string[];
  rowPrototype: object;
}

const valuesKey = Symbol("values");

function prepare(db: Database.Database, sql: string): Prepared {
  const statement = db.prepare(sql);
  const returnsRows = statement.reader;
  if (!returnsRows) return { statement, returnsRows, columns: [], columnTypes: [], rowPrototype: {} };
  statement.raw(true);
  const definitions = statement.columns();
  const columns = definitions.map((d) => d.name);
  // Rows behave like @libsql/client's: indexable and with a length (drizzle reads them by index)
  // and with an own enumerable property per column name (raw queries read them by name).
  const rowPrototype = Object.create(null) as object;
  Object.defineProperty(rowPrototype, "length", { get: () => columns.length });
  columns.forEach((_, i) => {
    Object.defineProperty(rowPrototype, i, {
      get(this: { [valuesKey]: unknown[] }) {
        return this[valuesKey][i];
      },
    });
  });
  return {
    statement,
    returnsRows,
    columns,
    columnTypes: definitions.map((d) => d.type ?? ""),
    rowPrototype,
    asJson: asJsonArray(db, sql, columns),
  };
}

/**
 * libsql 0.5's multi-row read (`all`/`iterate`) leaks about 1 KB of native memory per call, even
 * with forced GC (`get` does not; measured: 1M reads grew RSS by 0.9 GB, 3.7 GB when preparing
 * each time as @libsql/client does). So a SELECT whose column names are distinct is read as one
 * row: `json_group_array` over it, parsed here. Order is the subquery's (a LIMIT/ORDER BY
 * subquery under an aggregate is not flattened). BLOBs cannot be JSON: those statements, and
 * any the wrapper cannot prepare, keep `all`.
 */
function asJsonArray(db: Database.Database, sql: string, columns: string[]): Database.Statement | undefined {
  if (!isPlainSelect(sql) || new Set(columns).size !== columns.length) return undefined;
  try {
    const quoted = columns.map((name) => `"${name.replaceAll('"', '""')}"`).join(", ");
    return db.prepare(`select json_group_array(json_array(${quoted})) from (${sql})`).raw(true);
  } catch {
    return undefined;
  }
}

function readRows(prepared: Prepared, args: unknown[]): unknown[][] {
  if (prepared.asJson) {
    try {
      return JSON.parse((prepared.asJson.get(...args) as [string])[0]) as unknown[][];
    } catch (err) {
      if (!String((err as Error).message).includes("BLOB")) throw err;
      prepared.asJson = undefined;
    }
  }
  return prepared.statement.all(...args) as unknown[][];
}

function emptyResult(rowsAffected: number, lastInsertRowid: bigint | undefined): ResultSet {
  return {
    columns: [],
    columnTypes: [],
    rows: [],
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({
      columns: [],
      columnTypes: [],
      rows: [],
      rowsAffected,
      lastInsertRowid: lastInsertRowid?.toString() ?? null,
    }),
  };
}

/** The rows as plain arrays, for readers that map columns themselves (`preparedRead` in src/shared/store/records.ts). */
const rawRows = Symbol.for("hexi.rawRows");

function resultSet(prepared: Prepared, raw: unknown[][]): ResultSet {
  const { columns, columnTypes, rowPrototype } = prepared;
  let rows: Row[] | undefined;
  // Row objects are built only when asked for: a reader of `rawRows` never pays for them.
  const buildRows = () =>
    raw.map((values) => {
      const row = Object.create(rowPrototype) as Record<string | symbol, unknown>;
      Object.defineProperty(row, valuesKey, { value: values }); // not enumerable: spreads and Object.keys see column names only
      for (let i = columns.length - 1; i >= 0; i--) row[columns[i]!] = values[i]; // the first of duplicate names wins
      return row as unknown as Row;
    });
  return {
    columns,
    columnTypes,
    get rows() {
      rows ??= buildRows();
      return rows;
    },
    [rawRows]: raw,
    rowsAffected: raw.length,
    lastInsertRowid: undefined,
    toJSON: () => ({ columns, columnTypes, rows: raw, rowsAffected: raw.length, lastInsertRowid: null }),
  } as ResultSet;
}

/** The same conversions @libsql/client applies to arguments. */
function toSqlValue(value: InValue): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.valueOf();
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return value;
}
