import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const dutyLevels = ["street", "community"] as const;
export type DutyLevel = (typeof dutyLevels)[number];

export const dutyListStatuses = ["draft", "published", "superseded"] as const;

/**
 * Item kinds, per list level (DOMAIN.md §5): a street list has basic duties (基本履职), assisting
 * duties (配合履职) and items returned to departments (收回); a community list statutory duties
 * (依法履职), assisting duties (依法协助) and its negative list (负面清单).
 */
export const dutyKinds = ["basic", "assisting", "returned", "statutory", "negative"] as const;
export type DutyKind = (typeof dutyKinds)[number];
export const kindsByLevel: Record<DutyLevel, readonly DutyKind[]> = {
  street: ["basic", "assisting", "returned"],
  community: ["statutory", "assisting", "negative"],
};

/**
 * 职责清单: one version of a tenant's street or community duty list. Lists of the city tenant
 * (620900) are the templates counties adopt; a county list names the template version it adopted.
 */
export const dutyLists = sqliteTable(
  "duty_lists",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    level: text("level", { enum: dutyLevels }).notNull(),
    title: text("title").notNull(),
    /** 1, 2, 3… per tenant and level. */
    edition: integer("edition").notNull(),
    status: text("status", { enum: dutyListStatuses }).notNull(),
    /** The city template version this list was adopted from (a duty list of the city tenant). */
    templateId: text("template_id"),
    effectiveDate: text("effective_date"),
    publishedAt: text("published_at"),
    supersededAt: text("superseded_at"),
    supersededBy: text("superseded_by"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("duty_lists_tenant_id_idx").on(t.tenantId, t.id),
    index("duty_lists_tenant_level_status_idx").on(t.tenantId, t.level, t.status, t.id),
    uniqueIndex("duty_lists_tenant_level_edition_uq").on(t.tenantId, t.level, t.edition),
  ],
);

/** One item of a duty list: area, number, name, content, legal basis, kind, lead department, effective date. */
export const dutyItems = sqliteTable(
  "duty_items",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    listId: text("list_id").notNull(),
    area: text("area").notNull(),
    number: integer("number").notNull(),
    name: text("name").notNull(),
    content: text("content").notNull(),
    legalBasis: text("legal_basis").notNull(),
    kind: text("kind", { enum: dutyKinds }).notNull(),
    leadDepartment: text("lead_department"),
    effectiveDate: text("effective_date"),
    /** The template item this one was copied from when the list was adopted; null for an item the county added. */
    templateItemId: text("template_item_id"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("duty_items_tenant_list_idx").on(t.tenantId, t.listId, t.id),
    index("duty_items_tenant_list_kind_idx").on(t.tenantId, t.listId, t.kind, t.id),
    uniqueIndex("duty_items_tenant_list_number_uq").on(t.tenantId, t.listId, t.number),
  ],
);
