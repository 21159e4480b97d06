import type { InStatement, InValue, ResultSet } from "@libsql/client";
import { Column, fillPlaceholders, getTableColumns, getTableName, is, SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { QueryBuilder, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client.js";

/**
 * Statements whose SQL text is built once, their values bound per request. drizzle's query builder
 * rebuilt a create's reads and insert on every request: ~470 µs of a create's ~1.4 ms of CPU, more
 * than SQLite itself (bench/README.md, "Round five"). A `PreparedItem` is what drizzle's `db.batch`
 * asks of a query, nothing more, so it goes in any batch (`commit`, `readTogether`) next to
 * drizzle-built ones, on Workers as on Node.
 */
export class PreparedItem<R = ResultSet> {
  constructor(
    readonly statement: { sql: string; args: InValue[] },
    private readonly map: (result: ResultSet) => R = (result) => result as R,
  ) {}

  /** drizzle's batch protocol (`session.batch`: `_prepare().getQuery()`, then `mapResult`). */
  _prepare() {
    return {
      getQuery: () => ({ sql: this.statement.sql, params: this.statement.args }),
      mapResult: (result: unknown) => this.map(result as ResultSet),
    };
  }

  /** Runs it alone on the request's database (its client, so an idempotent create's key check still rides along). */
  async run(db: Db): Promise<R> {
    return this.map(await db.$client.execute(this.statement as InStatement));
  }

  get asBatchItem(): BatchItem<"sqlite"> {
    return this as unknown as BatchItem<"sqlite">;
  }
}

export const isPreparedItem = (query: unknown): query is PreparedItem<unknown> => query instanceof PreparedItem;

/** Set by the embedded client (src/node/cached-statements.ts) on a result: its rows as plain arrays. */
const rawRows = Symbol.for("hexi.rawRows");

type Decoder = ((value: unknown) => unknown) | undefined;

/**
 * How plain columns come back as a record: only columns whose driver value is not already the
 * value (JSON text, booleans, dates) are decoded, as drizzle would.
 */
export function columnReader(fields: { key: string; column: Column }[]) {
  const keys = fields.map((f) => f.key);
  const decoders: Decoder[] = fields.map(({ column }) =>
    column.mapFromDriverValue === Column.prototype.mapFromDriverValue
      ? undefined
      : (value) => column.mapFromDriverValue(value),
  );
  const width = keys.length;
  return (result: ResultSet): Record<string, unknown>[] => {
    const rows = ((result as { [rawRows]?: unknown[][] })[rawRows] ?? result.rows) as ArrayLike<unknown>[];
    const out = new Array<Record<string, unknown>>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const record: Record<string, unknown> = {};
      for (let i = 0; i < width; i++) {
        const value = row[i] ?? null;
        const decode = decoders[i];
        record[keys[i]!] = value === null || !decode ? value : decode(value);
      }
      out[r] = record;
    }
    return out;
  };
}

const queryBuilder = new QueryBuilder();

interface BuiltSelect {
  toSQL(): { sql: string; params: unknown[] };
  _: { result: unknown[]; selectedFields: Record<string, unknown> };
}

/**
 * A select of plain columns built once (call at module load), with `sql.placeholder(name)` where a
 * value goes: `(values) => PreparedItem` whose result is the rows, typed as drizzle would type them.
 */
export function selectOnce<Q extends BuiltSelect>(
  build: (qb: QueryBuilder) => Q,
): (values: Record<string, unknown>) => PreparedItem<Q["_"]["result"]> {
  // Runs once per statement, at module load: a select that is not of plain columns fails at start-up.
  const query = build(queryBuilder);
  const { sql: text, params } = query.toSQL();
  const fields = Object.entries(query._.selectedFields).map(([key, column]) => {
    if (!is(column, Column)) throw new Error(`selectOnce: field ${key} is not a plain column`);
    return { key, column };
  });
  const read = columnReader(fields);
  return (values) =>
    new PreparedItem(
      { sql: text, args: fillPlaceholders(params, values) as InValue[] },
      (result) => read(result) as Q["_"]["result"],
    );
}

/** The row type of a `selectOnce` statement. */
export type RowOf<S> = S extends (values: Record<string, unknown>) => PreparedItem<(infer R)[]> ? R : never;

const insertTexts = new WeakMap<SQLiteTable, { text: string; columns: [string, Column][] }>();

/**
 * The insert of one whole row (every column given; `null` for none): the SQL text once per table,
 * values encoded as drizzle's insert would (JSON columns stringified, booleans as 0/1). A row that
 * leaves a column out, or gives an SQL expression, is left to drizzle's builder (defaults, `$defaultFn`).
 */
export function insertRow<T extends SQLiteTable>(db: Db, table: T, row: T["$inferInsert"]): BatchItem<"sqlite"> {
  let shape = insertTexts.get(table);
  if (!shape) {
    const columns = Object.entries(getTableColumns(table)) as [string, Column][];
    const names = columns.map(([, column]) => `"${column.name}"`).join(", ");
    const marks = columns.map(() => "?").join(", ");
    shape = { text: `insert into "${getTableName(table)}" (${names}) values (${marks})`, columns };
    insertTexts.set(table, shape);
  }
  const values = row as Record<string, unknown>;
  const args: InValue[] = [];
  for (const [key, column] of shape.columns) {
    const value = values[key];
    if (value === undefined || is(value, SQL)) return db.insert(table).values(row);
    args.push(value === null ? null : (column.mapToDriverValue(value) as InValue));
  }
  return new PreparedItem({ sql: shape.text, args }).asBatchItem;
}
