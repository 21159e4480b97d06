import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Platform tables that the shared layers (auth, audit, idempotency) rely on. Domain tables live in their own folders. */

export const tenants = sqliteTable(
  "tenants",
  {
    /** GB/T 2260 code, e.g. 620902. */
    code: text("code").primaryKey(),
    parentCode: text("parent_code"),
    level: text("level", { enum: ["city", "county"] }).notNull(),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    kind: text("kind", { enum: ["city", "district", "county_city", "county", "autonomous_county"] }).notNull(),
    createdAt: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  },
  (t) => [index("tenants_parent_idx").on(t.parentCode, t.code)],
);

export const divisionLevels = ["county", "street", "town", "community", "grid"] as const;
export type DivisionLevel = (typeof divisionLevels)[number];
/** A retired division keeps its id, path and records; nothing new is placed in it. */
export const divisionStatuses = ["active", "retired"] as const;

export const divisions = sqliteTable(
  "divisions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.code),
    parentId: text("parent_id"),
    level: text("level", { enum: divisionLevels }).notNull(),
    name: text("name").notNull(),
    /** Administrative code where one exists (GB/T 2260 for counties, 12-digit statistical codes below). */
    code: text("code"),
    /** Materialised ancestry, "/<id>/<id>/…/<own id>/": a subtree is a prefix match. */
    path: text("path").notNull(),
    status: text("status", { enum: divisionStatuses }).notNull().default("active"),
    retiredAt: text("retired_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull().default(""),
  },
  (t) => [
    index("divisions_tenant_parent_idx").on(t.tenantId, t.parentId, t.id),
    index("divisions_tenant_level_idx").on(t.tenantId, t.level, t.id),
    index("divisions_tenant_path_idx").on(t.tenantId, t.path),
    uniqueIndex("divisions_tenant_code_uq").on(t.tenantId, t.code),
  ],
);

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    actor: text("actor").notNull(),
    actorKind: text("actor_kind").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    /** The target's division path, so subtree admins can read the trail of their own area. */
    divisionPath: text("division_path"),
    requestId: text("request_id").notNull(),
    /** JSON array of field names that changed; never values of personal data. */
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>(),
    at: text("at").notNull(),
  },
  (t) => [
    index("audit_tenant_id_idx").on(t.tenantId, t.id),
    index("audit_tenant_target_idx").on(t.tenantId, t.targetType, t.targetId, t.id),
    index("audit_tenant_actor_idx").on(t.tenantId, t.actor, t.id),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    /** The credential the key belongs to: keys are scoped per tenant and caller. */
    caller: text("caller").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    body: text("body").notNull(),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [
    uniqueIndex("idempotency_pk").on(t.tenantId, t.caller, t.key),
    index("idempotency_expiry_idx").on(t.expiresAt),
  ],
);

/** Transactional outbox: written in the same batch as the change it describes. */
export const outboxEvents = sqliteTable(
  "outbox_events",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    type: text("type").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull(),
    /** Set once every subscriber's delivery has been scheduled. */
    dispatchedAt: text("dispatched_at"),
  },
  (t) => [index("outbox_pending_idx").on(t.dispatchedAt, t.id), index("outbox_tenant_idx").on(t.tenantId, t.id)],
);
