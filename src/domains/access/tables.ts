import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Role, Scope } from "../../shared/auth/principal.js";

/** OAuth 2.0 client-credentials clients of district systems; the secret is kept only as a hash. */
export const apiClients = sqliteTable(
  "api_clients",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    /** The public client_id, e.g. hxc_…; unique across the city. */
    clientId: text("client_id").notNull(),
    secretHash: text("secret_hash").notNull(),
    roles: text("roles", { mode: "json" }).$type<Role[]>().notNull(),
    /** Division the client's tokens are narrowed to, if any. */
    orgId: text("org_id"),
    rateLimitPerMinute: integer("rate_limit_per_minute").notNull(),
    createdBy: text("created_by").notNull(),
    revokedAt: text("revoked_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("api_clients_client_id_uq").on(t.clientId),
    index("api_clients_tenant_id_idx").on(t.tenantId, t.id),
  ],
);

/** API keys of third-party apps: SHA-256 of the key, a display prefix, one tenant, scopes. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull(),
    /** The first characters of the key, safe to show: hx_live_AbCd… */
    start: text("start").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<Scope[]>().notNull(),
    expiresAt: text("expires_at"),
    /** CIDRs or addresses; null allows any. */
    ipAllowList: text("ip_allow_list", { mode: "json" }).$type<string[]>(),
    rateLimitPerMinute: integer("rate_limit_per_minute").notNull(),
    /** A key bound to a new-employment platform (a unit): it acts as that platform (role `platform`), for its system's integration. */
    platformUnitId: text("platform_unit_id"),
    createdBy: text("created_by").notNull(),
    revokedAt: text("revoked_at"),
    /** Rotation: the key that replaced this one, and until when this one still works. */
    replacedBy: text("replaced_by"),
    lastUsedAt: text("last_used_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.keyHash), index("api_keys_tenant_id_idx").on(t.tenantId, t.id)],
);
