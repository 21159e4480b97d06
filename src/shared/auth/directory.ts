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
  private tenantCodes: { codes: Set<string>; loadedAt: number } | undefined;
  private orgPaths = new Map<string, { path: string; loadedAt: number }>();

  constructor(private readonly nowMs: () => number) {}

  async tenantExists(db: Db, code: string): Promise<boolean> {
    const cached = this.tenantCodes;
    if (cached && this.nowMs() - cached.loadedAt < tenantsTtlMs) return cached.codes.has(code);
    const rows = await db.select({ code: tenants.code }).from(tenants);
    this.tenantCodes = { codes: new Set(rows.map((r) => r.code)), loadedAt: this.nowMs() };
    return this.tenantCodes.codes.has(code);
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
