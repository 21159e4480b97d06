import { and, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { divisions, type DivisionLevel } from "../../db/tables.js";

export type DivisionRow = typeof divisions.$inferSelect;

/** The levels a division below the county may have; the county is the tenant's root, made at bootstrap. */
export const editableLevels = ["street", "town", "community", "grid"] as const;
export type EditableLevel = (typeof editableLevels)[number];

/** Which level a division's parent must have: street/town → community → grid, all under the county. */
export const parentLevels: Record<EditableLevel, readonly DivisionLevel[]> = {
  street: ["county"],
  town: ["county"],
  community: ["street", "town"],
  grid: ["community"],
};

/** Paths end in "/", so a subtree is the range ["/a/b/", "/a/b0"). */
export const subtreeEndOf = (path: string) => `${path.slice(0, -1)}0`;

/** Rows of `divisions` in the subtree of `path`, the division itself included. */
export function inSubtree(tenantId: string, path: string): SQL {
  return and(eq(divisions.tenantId, tenantId), gte(divisions.path, path), lt(divisions.path, subtreeEndOf(path)))!;
}

/** Audit events and the outbox carry paths as history; every other table with a `division_path` holds records. */
const historyTables = new Set(["audit_events"]);
const recordTablesOf = new WeakMap<object, Promise<string[]>>();

/**
 * The tables whose rows are records placed in a division (they carry its materialised path). Read
 * from the schema once per database handle, so an area added later is covered without a change here
 * (the divisions area may not import the areas above it).
 */
export function recordTables(db: Db): Promise<string[]> {
  let tables = recordTablesOf.get(db);
  if (!tables) {
    tables = db
      .all<{ name: string }>(
        sql`select m.name as name from sqlite_master m join pragma_table_info(m.name) p
            where m.type = 'table' and p.name = 'division_path' order by m.name`,
      )
      .then((rows) => rows.map((r) => r.name).filter((name) => !historyTables.has(name)));
    tables.catch(() => recordTablesOf.delete(db));
    recordTablesOf.set(db, tables);
  }
  return tables;
}

const recordsUnder = (table: string, tenantId: string, path: string) =>
  sql`select 1 from ${sql.identifier(table)} where tenant_id = ${tenantId} and division_path >= ${path} and division_path < ${subtreeEndOf(path)}`;

/** True (in SQL) when no record of any record table lies in the subtree of `path`. */
export function holdsNoRecords(tables: string[], tenantId: string, path: string): SQL {
  if (tables.length === 0) return sql`1`;
  return sql.join(
    tables.map((t) => sql`not exists (${recordsUnder(t, tenantId, path)})`),
    sql` and `,
  );
}

/** The record tables that hold at least one record in the subtree of `path` (for the refusal's detail). */
export async function tablesWithRecords(db: Db, tenantId: string, path: string): Promise<string[]> {
  const tables = await recordTables(db);
  if (tables.length === 0) return [];
  const rows = await db.all<{ t: string }>(
    sql.join(
      tables.map((t) => sql`select ${t} as t where exists (${recordsUnder(t, tenantId, path)})`),
      sql` union all `,
    ),
  );
  return rows.map((r) => r.t);
}

/** The division's names from below the county down to itself, joined by "/": what an import file names it by. */
export function namePaths(rows: readonly Pick<DivisionRow, "id" | "parentId" | "level" | "name">[]) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const paths = new Map<string, string>();
  const of = (id: string, depth = 0): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const row = byId.get(id);
    if (!row || row.level === "county" || depth > 16) return "";
    const above = row.parentId ? of(row.parentId, depth + 1) : "";
    const path = above ? `${above}/${row.name}` : row.name;
    paths.set(id, path);
    return path;
  };
  for (const row of rows) of(row.id);
  return paths;
}

/** A new active division under `parent`: its id, and its path as the parent's plus its own id. */
export function newDivision(
  parent: Pick<DivisionRow, "id" | "tenantId" | "path">,
  fields: { level: EditableLevel; name: string; code: string | null },
  now: Date,
): DivisionRow {
  const id = newId("div", now.getTime());
  const at = now.toISOString();
  return {
    id,
    tenantId: parent.tenantId,
    parentId: parent.id,
    ...fields,
    path: `${parent.path}${id}/`,
    status: "active",
    retiredAt: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}
