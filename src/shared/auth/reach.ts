import { and, eq, gte, lt, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Principal } from "./principal.js";

/** The columns a table offers for deciding who may see a row. */
export interface ReachColumns {
  tenantId: SQLiteColumn;
  divisionPath?: SQLiteColumn;
  /** The member a row belongs to (a member sees only their own rows). */
  memberId?: SQLiteColumn;
  /** The unit party organisation a row belongs to (a unit admin sees only its unit's rows). */
  unitOrgId?: SQLiteColumn;
  /** The property company (a unit) a row belongs to (a property company sees only its own rows). */
  companyUnitId?: SQLiteColumn;
  /** The new-employment worker a row belongs to (a worker sees only their own rows). */
  workerId?: SQLiteColumn;
}

const nothing = sql`0`;
/** No restriction: a condition rather than `undefined`, so that `or(withinReach(…), x)` keeps meaning "everything". */
const everything = sql`1`;

/**
 * The rows a principal may see: the city reads every tenant; anyone else reads its own tenant,
 * narrowed to its division subtree when it has one, and to its own member or unit records when
 * it holds no administrative role. Every list and lookup goes through this, so "outside reach"
 * and "does not exist" are the same 404. A table without the column a rule needs shows nothing.
 * Always a condition: the city's "everything" is `1`, never `undefined` (which `or()` would drop).
 */
export function withinReach(principal: Principal, columns: ReachColumns): SQL {
  return reachCondition(principal, columns, reachValues(principal));
}

/**
 * The same condition with placeholders instead of values, for statements prepared once per
 * shape (`reachShape`) and run with `reachValues(principal)`.
 */
export function preparedReach(principal: Principal, columns: ReachColumns): SQL {
  const placeholders = Object.fromEntries(
    Object.keys(reachValues(principal)).map((name) => [name, sql.placeholder(name)]),
  );
  return reachCondition(principal, columns, placeholders as unknown as ReturnType<typeof reachValues>);
}

/** What distinguishes one reach condition's SQL from another's: which rules apply, not their values. */
export function reachShape(principal: Principal): string {
  return `${principal.crossTenant ? "city" : "tenant"}|${principal.org ? "org" : ""}|${principal.owner?.memberId ? "member" : ""}|${principal.owner?.unitOrgId ? "unit" : ""}|${principal.owner?.companyUnitId ? "company" : ""}|${principal.owner?.workerId ? "worker" : ""}|${principal.owner ? "owner" : ""}`;
}

/** The values a reach condition compares with, named as `preparedReach`'s placeholders. */
export function reachValues(principal: Principal) {
  const values: {
    reachTenant: string;
    reachPathFrom?: string;
    reachPathTo?: string;
    reachMember?: string;
    reachUnit?: string;
    reachCompany?: string;
    reachWorker?: string;
  } = { reachTenant: principal.tenant };
  if (principal.org) {
    values.reachPathFrom = principal.org.path;
    values.reachPathTo = subtreeEnd(principal.org.path);
  }
  if (principal.owner?.memberId) values.reachMember = principal.owner.memberId;
  if (principal.owner?.unitOrgId) values.reachUnit = principal.owner.unitOrgId;
  if (principal.owner?.companyUnitId) values.reachCompany = principal.owner.companyUnitId;
  if (principal.owner?.workerId) values.reachWorker = principal.owner.workerId;
  return values;
}

function reachCondition(principal: Principal, columns: ReachColumns, values: ReturnType<typeof reachValues>): SQL {
  const conditions: (SQL | undefined)[] = [];
  if (!principal.crossTenant) conditions.push(eq(columns.tenantId, values.reachTenant));
  if (principal.org) {
    conditions.push(
      columns.divisionPath
        ? and(gte(columns.divisionPath, values.reachPathFrom), lt(columns.divisionPath, values.reachPathTo))
        : nothing,
    );
  }
  if (principal.owner) {
    const owned = [
      values.reachMember !== undefined && columns.memberId ? eq(columns.memberId, values.reachMember) : undefined,
      values.reachUnit !== undefined && columns.unitOrgId ? eq(columns.unitOrgId, values.reachUnit) : undefined,
      values.reachCompany !== undefined && columns.companyUnitId
        ? eq(columns.companyUnitId, values.reachCompany)
        : undefined,
      values.reachWorker !== undefined && columns.workerId ? eq(columns.workerId, values.reachWorker) : undefined,
    ].filter(Boolean) as SQL[];
    conditions.push(owned.length ? or(...owned) : nothing);
  }
  return and(...conditions) ?? everything;
}

/**
 * Records a community publishes to its whole tenant (needs, service posts, activities): owner-only
 * principals (members, unit admins) read every one in their tenant, narrowed to their org subtree
 * if they have one, so they can answer, claim or sign up; administrators read their subtree as
 * everywhere else.
 */
export function publishedReach(
  principal: Principal,
  columns: { tenantId: SQLiteColumn; divisionPath: SQLiteColumn },
): SQL {
  return withinReach(principal.owner ? { ...principal, owner: undefined } : principal, columns);
}

export function canReachTenant(principal: Principal, tenant: string): boolean {
  return principal.crossTenant || principal.tenant === tenant;
}

/**
 * Paths end in "/", so every descendant of "/a/b/" sorts in ["/a/b/", "/a/b0"): a range the
 * index can use, with no LIKE wildcards to escape.
 */
export function subtreeOf(pathColumn: SQLiteColumn, path: string): SQL {
  return and(gte(pathColumn, path), lt(pathColumn, subtreeEnd(path)))!;
}

const subtreeEnd = (path: string) => `${path.slice(0, -1)}0`;

export function isInSubtree(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}

/**
 * Write-side reach for a principal acting on a division (creating a record there): it must be
 * in the principal's tenant and subtree. Cross-tenant (city) principals write nowhere but reference data.
 */
export function canActInDivision(principal: Principal, division: { tenantId: string; path: string }): boolean {
  if (principal.crossTenant || division.tenantId !== principal.tenant) return false;
  return !principal.org || isInSubtree(division.path, principal.org.path);
}
