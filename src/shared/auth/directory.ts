import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { divisions, tenants } from "../../db/tables.js";

const tenantsTtlMs = 60_000;
const orgPathLimit = 5_000;

/**
 * Tenants and division paths change rarely and are read on every authenticated request, so
 * they are cached in process for a short time. A tenant added as a row is accepted within a minute.
 */
export class Directory {
  private tenantCodes: { levels: Map<string, "city" | "county">; loadedAt: number } | undefined;
  private orgPaths = new Map<string, { path: string; loadedAt: number }>();
  private orgByCode = new Map<string, { id: string; path: string; loadedAt: number }>();

  constructor(private readonly nowMs: () => number) {}

  /** A tenant's level (`city` reads across the county-level tenants), or undefined for an unknown tenant. */
  async tenantLevel(db: Db, code: string): Promise<"city" | "county" | undefined> {
    const cached = this.tenantCodes;
    if (cached && this.nowMs() - cached.loadedAt < tenantsTtlMs) return cached.levels.get(code);
    const rows = await db.select({ code: tenants.code, level: tenants.level }).from(tenants);
    this.tenantCodes = { levels: new Map(rows.map((r) => [r.code, r.level])), loadedAt: this.nowMs() };
    return this.tenantCodes.levels.get(code);
  }

  /** A division of a tenant by its administrative code (`divisions.code`), or null. */
  async divisionByCode(db: Db, tenant: string, code: string): Promise<{ id: string; path: string } | null> {
    const key = `${tenant}:code:${code}`;
    const cached = this.orgByCode.get(key);
    // Divisions move and get new codes: like paths, a cached entry is trusted for a minute.
    if (cached && this.nowMs() - cached.loadedAt < tenantsTtlMs) return { id: cached.id, path: cached.path };
    const [row] = await db
      .select({ id: divisions.id, path: divisions.path })
      .from(divisions)
      .where(and(eq(divisions.tenantId, tenant), eq(divisions.code, code)));
    if (!row) return null;
    if (this.orgByCode.size >= orgPathLimit) this.orgByCode.clear();
    this.orgByCode.set(key, { ...row, loadedAt: this.nowMs() });
    return row;
  }

  /** The materialised path of a division inside a tenant, or null when it is not there. */
  async divisionPath(db: Db, tenant: string, divisionId: string): Promise<string | null> {
    const key = `${tenant}:${divisionId}`;
    const cached = this.orgPaths.get(key);
    // Divisions move (PATCH parentId): a cached path is trusted for a minute, like the tenant list.
    if (cached && this.nowMs() - cached.loadedAt < tenantsTtlMs) return cached.path;
    const [row] = await db
      .select({ path: divisions.path })
      .from(divisions)
      .where(and(eq(divisions.tenantId, tenant), eq(divisions.id, divisionId)));
    const path = row?.path ?? null;
    if (this.orgPaths.size >= orgPathLimit) this.orgPaths.clear();
    if (path) this.orgPaths.set(key, { path, loadedAt: this.nowMs() });
    return path;
  }
}
