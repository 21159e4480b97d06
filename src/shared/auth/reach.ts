import { and, eq, gte, lt, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Principal } from "./principal.js";

/**
 * The rows a principal may see: the city reads every tenant; anyone else reads its own tenant,
 * narrowed to its division subtree when it has one. Every list and lookup goes through this,
 * so "outside reach" and "does not exist" are the same 404.
 */
export function withinReach(
  principal: Principal,
  columns: { tenantId: SQLiteColumn; divisionPath?: SQLiteColumn },
): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (!principal.crossTenant) conditions.push(eq(columns.tenantId, principal.tenant));
  if (principal.org && columns.divisionPath) {
    conditions.push(subtreeOf(columns.divisionPath, principal.org.path));
  }
  return and(...conditions);
}

export function canReachTenant(principal: Principal, tenant: string): boolean {
  return principal.crossTenant || principal.tenant === tenant;
}

/**
 * Paths end in "/", so every descendant of "/a/b/" sorts in ["/a/b/", "/a/b0"): a range the
 * index can use, with no LIKE wildcards to escape.
 */
export function subtreeOf(pathColumn: SQLiteColumn, path: string): SQL {
  return and(gte(pathColumn, path), lt(pathColumn, path.slice(0, -1) + "0"))!;
}

export function isInSubtree(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}
