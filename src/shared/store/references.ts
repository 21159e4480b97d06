import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { divisions, type DivisionLevel } from "../../db/tables.js";
import { canActInDivision, reachValues, type ReachColumns } from "../auth/reach.js";
import type { AppEnv } from "../request/context.js";
import { ApiError } from "../http/errors.js";
import { msg, thing, type Thing } from "../http/messages.js";
import { isPreparedItem, type PreparedItem, type RowOf, selectOnce } from "./prepared.js";
import { preparedFind } from "./records.js";

/** A body field that names a record the caller cannot use: a 400 pointing at the field, never a leak of whether it exists elsewhere. */
export function unknownReference(pointer: string, what: Thing): ApiError {
  const detail = msg("generic.no_such_within_reach", { what: thing(what) });
  return new ApiError("validation_failed", detail, { errors: [{ in: "body", pointer, detail }] });
}

/**
 * A read a write depends on (a reference a body names), and how its rows are accepted: `accept`
 * throws the field's 400 when the reference is not usable. Lookups run together in one round trip
 * (`readTogether`), which on Workers is a network trip to the database each.
 */
export interface Lookup<T> {
  /** A drizzle select, or a `PreparedItem` (src/shared/store/prepared.ts) for the hot ones. */
  query: BatchItem<"sqlite"> | PreparedItem<unknown>;
  accept(rows: unknown[]): T;
}

type Accepted<L extends readonly Lookup<unknown>[]> = { [K in keyof L]: () => ReturnType<L[K]["accept"]> };

/**
 * Runs lookups in one batch (one round trip; with an idempotent create's key check, see
 * `idempotentCreate`) and answers one accessor per lookup: call them in the order the checks
 * should fail in, so a request with several bad fields gets the same error as when they were read
 * one by one.
 */
export async function readTogether<const L extends readonly Lookup<unknown>[]>(
  c: Context<AppEnv>,
  ...lookups: L
): Promise<Accepted<L>> {
  const queries = lookups.map((lookup) => lookup.query);
  const db = c.get("db");
  const [only] = queries;
  const results: unknown[] =
    queries.length === 1
      ? [isPreparedItem(only) ? await only.run(db) : await (only as unknown as Promise<unknown[]>)]
      : await db.batch(queries as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return lookups.map((lookup, i) => () => lookup.accept(results[i] as unknown[])) as unknown as Accepted<L>;
}

/** The division a write targets: in the caller's tenant and subtree, active, and of an allowed level. */
export async function requireDivisionForWrite(
  c: Context<AppEnv>,
  divisionId: string,
  options: {
    pointer: string;
    levels?: readonly DivisionLevel[];
    /** For work on records already placed there (a quarter's feedback), not new records: a retired division will do. */
    allowRetired?: boolean;
  },
) {
  const [division] = await readTogether(c, divisionForWrite(c, divisionId, options));
  return division();
}

const divisionForWriteSelect = selectOnce((qb) =>
  qb
    .select({
      id: divisions.id,
      tenantId: divisions.tenantId,
      path: divisions.path,
      level: divisions.level,
      status: divisions.status,
    })
    .from(divisions)
    .where(and(eq(divisions.id, sql.placeholder("id")), eq(divisions.tenantId, sql.placeholder("tenant")))),
);

/** `requireDivisionForWrite` as a lookup, to read with others. */
export function divisionForWrite(
  c: Context<AppEnv>,
  divisionId: string,
  options: { pointer: string; levels?: readonly DivisionLevel[]; allowRetired?: boolean },
) {
  const query = divisionForWriteSelect({ id: divisionId, tenant: c.get("principal").tenant });
  return {
    query,
    accept(rows: unknown[]) {
      const [division] = rows as RowOf<typeof divisionForWriteSelect>[];
      if (!division || !canActInDivision(c.get("principal"), division))
        throw unknownReference(options.pointer, "division");
      if (division.status === "retired" && !options.allowRetired) {
        // Retired divisions keep their records but take no new ones.
        throw new ApiError("validation_failed", msg("reference.division_retired"), {
          errors: [{ in: "body", pointer: options.pointer, detail: msg("field.division_retired") }],
        });
      }
      if (options.levels && !options.levels.includes(division.level)) {
        throw new ApiError("validation_failed", msg("reference.wrong_level", { levels: options.levels }), {
          errors: [
            {
              in: "body",
              pointer: options.pointer,
              detail: msg("field.wrong_level", { expected: options.levels, actual: division.level }),
            },
          ],
        });
      }
      return division;
    },
  } satisfies Lookup<unknown>;
}

/**
 * A record a body field names (a parent, an organisation, a unit): in the caller's own tenant and
 * within its reach, else a 400 at the field that says no more than "not within your reach".
 */
export async function requireReference<T extends SQLiteTable & { id: SQLiteColumn; tenantId: SQLiteColumn }>(
  c: Context<AppEnv>,
  table: T,
  reach: Omit<ReachColumns, "tenantId">,
  id: string,
  options: { pointer: string; what: Thing },
): Promise<T["$inferSelect"]> {
  const principal = c.get("principal");
  // Prepared once per shape: most creates name a record or two.
  const [row] = await preparedFind(c, table, reach, { ownTenant: true }).all({
    id,
    ownTenant: principal.tenant,
    ...reachValues(principal),
  });
  if (!row) throw unknownReference(options.pointer, options.what);
  return row as T["$inferSelect"];
}
