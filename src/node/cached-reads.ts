import type { Client, InStatement, InValue, ResultSet, Row } from "@libsql/client";
import Database from "libsql";

/**
 * Reads on the hot path, served from prepared statements kept per SQL text.
 *
 * `@libsql/client` prepares every statement anew and builds each row with a property
 * definition per value; on an embedded database that is most of a primary-key read's cost
 * (measured: prepare + column metadata ≈ 16% of a loaded server's CPU). Plain SELECTs go to a
 * second, read-only connection on the same file with a statement cache; everything else —
 * writes, batches, transactions, migrations — goes to the client unchanged. With the database in
 * WAL mode a read sees every write committed before it started, as on one connection.
 */
export function withCachedReads(client: Client, file: string): Client {
  const reader = new Database(file, { readonly: true });
  reader.pragma("busy_timeout = 5000");
  const statements = new Map<string, Prepared>();

  const execute = async (statement: InStatement | string, args?: InValue[]): Promise<ResultSet> => {
    const sql = typeof statement === "string" ? statement : statement.sql;
    const values = typeof statement === "string" ? (args ?? []) : statement.args;
    if (!isPlainSelect(sql) || (values !== undefined && !Array.isArray(values))) {
      return args === undefined ? client.execute(statement as InStatement) : client.execute(sql, args);
    }
    let prepared = statements.get(sql);
    if (!prepared) {
      if (statements.size >= statementLimit) statements.clear();
      prepared = prepare(reader, sql);
      statements.set(sql, prepared);
    }
    const rows = prepared.statement.all(...(values ?? []).map(toSqlValue)) as unknown[][];
    return resultSet(prepared, rows);
  };

  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "execute") return execute;
      if (property === "close") {
        return () => {
          reader.close();
          target.close();
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const statementLimit = 1_000;
const plainSelect = /^\s*select\s/i;
/** Guards (`json('hexi-guard')`) only make sense inside a write batch; never cache-route them. */
const isPlainSelect = (sql: string) => plainSelect.test(sql) && !sql.includes("hexi-guard");

interface Prepared {
  statement: Database.Statement;
  columns: string[];
  columnTypes: string[];
  rowPrototype: object;
}

const valuesKey = Symbol("values");

function prepare(reader: Database.Database, sql: string): Prepared {
  const statement = reader.prepare(sql).raw(true);
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
  return { statement, columns, columnTypes: definitions.map((d) => d.type ?? ""), rowPrototype };
}

function resultSet(prepared: Prepared, raw: unknown[][]): ResultSet {
  const { columns, columnTypes, rowPrototype } = prepared;
  const rows = raw.map((values) => {
    const row = Object.create(rowPrototype) as Record<string | symbol, unknown>;
    row[valuesKey] = values;
    for (let i = columns.length - 1; i >= 0; i--) row[columns[i]!] = values[i]; // the first of duplicate names wins
    return row as unknown as Row;
  });
  return {
    columns,
    columnTypes,
    rows,
    rowsAffected: 0,
    lastInsertRowid: undefined,
    toJSON: () => ({ columns, columnTypes, rows: raw, rowsAffected: 0, lastInsertRowid: null }),
  };
}

/** The same conversions @libsql/client applies to arguments. */
function toSqlValue(value: InValue): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.valueOf();
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return value;
}
