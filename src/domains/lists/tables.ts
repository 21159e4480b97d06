import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const needStatuses = ["open", "matched", "closed", "cancelled"] as const;

/** 需求清单: what a community asks for. */
export const needs = sqliteTable(
  "needs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    category: text("category").notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    quantity: integer("quantity").notNull(),
    deadline: text("deadline"),
    status: text("status", { enum: ["open", "matched", "closed", "cancelled"] }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("needs_tenant_id_idx").on(t.tenantId, t.id),
    index("needs_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("needs_tenant_community_idx").on(t.tenantId, t.communityId, t.status, t.id),
    index("needs_tenant_category_idx").on(t.tenantId, t.category, t.id),
    index("needs_tenant_deadline_idx").on(t.tenantId, t.deadline, t.id),
  ],
);

/** 资源清单: what a unit organisation or a member offers. */
export const resources = sqliteTable(
  "resources",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    offeredBy: text("offered_by", { enum: ["unit_org", "member"] }).notNull(),
    unitOrgId: text("unit_org_id"),
    memberId: text("member_id"),
    divisionPath: text("division_path").notNull(),
    category: text("category").notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    quantity: integer("quantity").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("resources_tenant_id_idx").on(t.tenantId, t.id),
    index("resources_tenant_unit_idx").on(t.tenantId, t.unitOrgId, t.id),
    index("resources_tenant_member_idx").on(t.tenantId, t.memberId, t.id),
    index("resources_tenant_offered_by_idx").on(t.tenantId, t.offeredBy, t.id),
    index("resources_tenant_category_idx").on(t.tenantId, t.category, t.id),
  ],
);

export const projectStatuses = ["open", "claimed", "in_progress", "done", "closed", "cancelled"] as const;

/** 项目清单: a need matched with resources and an owner. */
export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    needId: text("need_id").notNull(),
    divisionPath: text("division_path").notNull(),
    title: text("title").notNull(),
    ownerOrgId: text("owner_org_id"),
    status: text("status", { enum: projectStatuses }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("projects_tenant_id_idx").on(t.tenantId, t.id),
    index("projects_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("projects_tenant_need_idx").on(t.tenantId, t.needId),
    index("projects_tenant_owner_idx").on(t.tenantId, t.ownerOrgId, t.id),
  ],
);

export const projectResources = sqliteTable(
  "project_resources",
  {
    tenantId: text("tenant_id").notNull(),
    projectId: text("project_id").notNull(),
    resourceId: text("resource_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.projectId, t.resourceId] }),
    index("project_resources_resource_idx").on(t.tenantId, t.resourceId),
  ],
);

export const postCategories = [
  "organisation_building",
  "legal_aid",
  "poverty_disability_employment",
  "community_governance",
  "health_medical",
  "culture_sports",
  "safety_patrol",
  "other",
] as const;

/** 服务岗位 a community publishes, each with a headcount. */
export const servicePosts = sqliteTable(
  "service_posts",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    category: text("category", { enum: postCategories }).notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    headcount: integer("headcount").notNull(),
    status: text("status", { enum: ["open", "closed"] }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("service_posts_tenant_id_idx").on(t.tenantId, t.id),
    index("service_posts_tenant_community_idx").on(t.tenantId, t.communityId, t.status, t.id),
    index("service_posts_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("service_posts_tenant_category_idx").on(t.tenantId, t.category, t.status, t.id),
  ],
);

export const postClaimStatuses = ["applied", "approved", "rejected", "active", "released"] as const;

/** 岗位认领: a member claims a post; claims that hold a seat count against the headcount. */
export const postClaims = sqliteTable(
  "post_claims",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    postId: text("post_id").notNull(),
    memberId: text("member_id").notNull(),
    divisionPath: text("division_path").notNull(),
    status: text("status", { enum: postClaimStatuses }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("post_claims_tenant_id_idx").on(t.tenantId, t.id),
    index("post_claims_post_status_idx").on(t.tenantId, t.postId, t.status),
    index("post_claims_tenant_member_idx").on(t.tenantId, t.memberId, t.id),
    index("post_claims_tenant_status_idx").on(t.tenantId, t.status, t.id),
    uniqueIndex("post_claims_one_live_uq")
      .on(t.postId, t.memberId)
      .where(sql`status in ('applied', 'approved', 'active')`),
  ],
);
