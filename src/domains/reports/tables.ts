import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const orgReportStatuses = ["submitted", "received", "active", "ended"] as const;

/** A unit party organisation reports to the community party organisation where it is located (报到单). */
export const orgReports = sqliteTable(
  "org_reports",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    unitOrgId: text("unit_org_id").notNull(),
    communityOrgId: text("community_org_id").notNull(),
    /** The community's division path: community and street admins reach the report through it. */
    divisionPath: text("division_path").notNull(),
    slipNumber: text("slip_number").notNull(),
    reportDate: text("report_date").notNull(),
    liaisonName: text("liaison_name").notNull(),
    status: text("status", { enum: orgReportStatuses }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("org_reports_tenant_id_idx").on(t.tenantId, t.id),
    index("org_reports_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("org_reports_tenant_unit_idx").on(t.tenantId, t.unitOrgId, t.id),
    index("org_reports_tenant_community_idx").on(t.tenantId, t.communityOrgId, t.id),
    uniqueIndex("org_reports_tenant_slip_uq").on(t.tenantId, t.slipNumber),
  ],
);

export const memberReportStatuses = ["submitted", "confirmed", "active", "overdue", "ended"] as const;
export const memberReportChannels = ["online", "on_site", "qr_code"] as const;

/** An in-service party member reports to the community where they live (报到登记表). */
export const memberReports = sqliteTable(
  "member_reports",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    memberId: text("member_id").notNull(),
    communityId: text("community_id").notNull(),
    gridId: text("grid_id"),
    divisionPath: text("division_path").notNull(),
    channel: text("channel", { enum: memberReportChannels }).notNull(),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    intentions: text("intentions", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    status: text("status", { enum: memberReportStatuses }).notNull(),
    endReason: text("end_reason", { enum: ["moved", "lapsed"] }),
    /** Snapshot of the member's employer party organisation: the addressee of quarterly feedback. */
    employerOrgId: text("employer_org_id"),
    employerTenantId: text("employer_tenant_id"),
    confirmedAt: text("confirmed_at"),
    lastRecheckAt: text("last_recheck_at"),
    recheckDueOn: text("recheck_due_on"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("member_reports_tenant_id_idx").on(t.tenantId, t.id),
    index("member_reports_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("member_reports_tenant_community_status_idx").on(t.tenantId, t.communityId, t.status, t.id),
    index("member_reports_tenant_member_idx").on(t.tenantId, t.memberId, t.id),
    // A unit admin reads the reports of its employees.
    index("member_reports_tenant_employer_idx").on(t.tenantId, t.employerOrgId, t.id),
    index("member_reports_tenant_path_idx").on(t.tenantId, t.divisionPath),
    // One live report per member: a new one only after the last has ended.
    uniqueIndex("member_reports_one_live_uq").on(t.memberId).where(sql`status <> 'ended'`),
  ],
);

/** The five links (五联): reference data per deployment, owned by the city. */
export const fiveLinks = sqliteTable("five_links", {
  code: text("code").primaryKey(),
  nameZh: text("name_zh").notNull(),
  nameEn: text("name_en").notNull(),
  position: integer("position").notNull(),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  version: integer("version").notNull().default(1),
  updatedAt: text("updated_at").notNull(),
});

/** 共建协议 between a unit party organisation and a community party organisation. */
export const agreements = sqliteTable(
  "agreements",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    unitOrgId: text("unit_org_id").notNull(),
    communityOrgId: text("community_org_id").notNull(),
    divisionPath: text("division_path").notNull(),
    startsOn: text("starts_on").notNull(),
    endsOn: text("ends_on").notNull(),
    liaisonName: text("liaison_name").notNull(),
    links: text("links", { mode: "json" }).$type<string[]>().notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("agreements_tenant_id_idx").on(t.tenantId, t.id),
    index("agreements_tenant_unit_idx").on(t.tenantId, t.unitOrgId, t.id),
    index("agreements_tenant_community_idx").on(t.tenantId, t.communityOrgId, t.id),
  ],
);

export const evaluationGrades = ["excellent", "good", "fair", "poor"] as const;

/** Annual evaluation of a unit organisation or a member by the community. */
export const evaluations = sqliteTable(
  "evaluations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    subjectKind: text("subject_kind", { enum: ["unit_org", "member"] }).notNull(),
    subjectId: text("subject_id").notNull(),
    communityOrgId: text("community_org_id").notNull(),
    divisionPath: text("division_path").notNull(),
    year: integer("year").notNull(),
    grade: text("grade", { enum: evaluationGrades }).notNull(),
    comment: text("comment"),
    approver: text("approver").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("evaluations_tenant_id_idx").on(t.tenantId, t.id),
    index("evaluations_tenant_subject_idx").on(t.tenantId, t.subjectKind, t.subjectId, t.year),
    uniqueIndex("evaluations_subject_year_uq").on(t.tenantId, t.communityOrgId, t.subjectKind, t.subjectId, t.year),
  ],
);
