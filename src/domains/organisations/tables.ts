import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * `property_company`: a property management company (物业服务企业), linked to the compounds it manages (红色物业).
 * `delivery_platform`, `courier_company`, `ride_hailing_platform`: the platforms new-employment workers
 * (新就业群体) work for: their workers and quick reports are linked to them.
 */
export const unitKinds = [
  "organ",
  "enterprise",
  "institution",
  "two_new_economic",
  "two_new_social",
  "property_company",
  "delivery_platform",
  "courier_company",
  "ride_hailing_platform",
  "other",
] as const;
/** The unit kinds of new-employment platforms. */
export const platformKinds = ["delivery_platform", "courier_company", "ride_hailing_platform"] as const;

/** 机关企事业单位 and "two new" organisations stationed in a tenant. */
export const units = sqliteTable(
  "units",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    /** 统一社会信用代码 (18 characters), unique within a tenant. */
    creditCode: text("credit_code"),
    kind: text("kind", { enum: unitKinds }).notNull(),
    divisionId: text("division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("units_tenant_id_idx").on(t.tenantId, t.id),
    index("units_tenant_path_idx").on(t.tenantId, t.divisionPath),
    uniqueIndex("units_tenant_credit_code_uq").on(t.tenantId, t.creditCode),
  ],
);

export const orgTypes = ["committee", "working_committee", "general_branch", "branch", "temporary_branch"] as const;
export const orgCategories = [
  "street_working_committee",
  "community",
  "unit",
  "two_new",
  "property",
  "new_employment",
] as const;

/** Party organisations (党委/党工委/总支/支部/临时支部), a tree per tenant. */
export const partyOrgs = sqliteTable(
  "party_orgs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    type: text("type", { enum: orgTypes }).notNull(),
    category: text("category", { enum: orgCategories }).notNull(),
    parentId: text("parent_id"),
    divisionId: text("division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    unitId: text("unit_id"),
    secretaryName: text("secretary_name"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("party_orgs_tenant_id_idx").on(t.tenantId, t.id),
    index("party_orgs_tenant_parent_idx").on(t.tenantId, t.parentId, t.id),
    index("party_orgs_tenant_category_idx").on(t.tenantId, t.category, t.id),
    index("party_orgs_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("party_orgs_tenant_unit_idx").on(t.tenantId, t.unitId),
  ],
);

/**
 * Member category (drives which rules apply). [D] new_employment (couriers, riders, drivers) and elderly_infirm
 * (年老体弱) were added for the mobility rules; unemployed and student stay for existing rows (expand, then contract).
 */
export const memberClassifications = [
  "in_service",
  "retired",
  "mobile",
  "new_employment",
  "elderly_infirm",
  "unemployed",
  "student",
  "other",
] as const;

/**
 * Party members. ID-card number and phone are stored only encrypted (`*_cipher`, AES-GCM with the key id
 * inside), findable by keyed hash (`*_hash`, HMAC-SHA-256), and shown masked (`*_masked`).
 */
export const members = sqliteTable(
  "members",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    gender: text("gender", { enum: ["male", "female"] }).notNull(),
    birthDate: text("birth_date").notNull(),
    idCardCipher: text("id_card_cipher").notNull(),
    idCardHash: text("id_card_hash").notNull(),
    idCardMasked: text("id_card_masked").notNull(),
    phoneCipher: text("phone_cipher"),
    phoneHash: text("phone_hash"),
    phoneMasked: text("phone_masked"),
    joinDate: text("join_date").notNull(),
    status: text("status", { enum: ["probationary", "full"] }).notNull(),
    classification: text("classification", { enum: memberClassifications }).notNull(),
    /** The member's own party organisation, in this tenant. */
    orgId: text("org_id"),
    /** Employer unit and its party organisation, which receives the quarterly feedback; may be in another tenant. */
    employerUnitId: text("employer_unit_id"),
    employerOrgId: text("employer_org_id"),
    employerTenantId: text("employer_tenant_id"),
    /** The community (division) the member lives in. */
    residenceDivisionId: text("residence_division_id"),
    divisionPath: text("division_path").notNull(),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("members_tenant_id_idx").on(t.tenantId, t.id),
    index("members_tenant_org_idx").on(t.tenantId, t.orgId, t.id),
    index("members_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("members_tenant_employer_idx").on(t.tenantId, t.employerOrgId, t.id),
    index("members_tenant_phone_idx").on(t.tenantId, t.phoneHash),
    // Duplicate ID-card numbers are rejected across the whole city, not just the tenant.
    uniqueIndex("members_id_card_uq").on(t.idCardHash),
  ],
);

/**
 * Who may know of a member (its record and every sub-resource of it, such as the balance): a member
 * itself, a unit admin its employees (in its own tenant), administrators their division subtree.
 */
export const memberReach = {
  divisionPath: members.divisionPath,
  memberId: members.id,
  unitOrgId: members.employerOrgId,
};
