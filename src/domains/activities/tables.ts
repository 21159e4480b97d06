import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const activityKinds = ["service", "lecture", "theme_day", "drill"] as const;
/** 五讲: 领导讲形势, 专家讲理论, 书记讲政策, 先进讲事迹, 党员讲体会. */
export const lectureTalks = [
  "leader_situation",
  "expert_theory",
  "secretary_policy",
  "model_deeds",
  "member_experience",
] as const;

export const activities = sqliteTable(
  "activities",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    organiserOrgId: text("organiser_org_id").notNull(),
    kind: text("kind", { enum: activityKinds }).notNull(),
    lectureTalk: text("lecture_talk", { enum: lectureTalks }),
    title: text("title").notNull(),
    startsAt: text("starts_at").notNull(),
    endsAt: text("ends_at").notNull(),
    place: text("place").notNull(),
    capacity: integer("capacity").notNull(),
    pointsPerHour: integer("points_per_hour").notNull().default(10),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("activities_tenant_id_idx").on(t.tenantId, t.id),
    index("activities_tenant_community_idx").on(t.tenantId, t.communityId, t.startsAt),
  ],
);

export const participationStatuses = ["signed_up", "checked_in", "checked_out", "verified", "no_show"] as const;

export const participations = sqliteTable(
  "participations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    activityId: text("activity_id").notNull(),
    memberId: text("member_id").notNull(),
    divisionPath: text("division_path").notNull(),
    status: text("status", { enum: participationStatuses }).notNull(),
    checkedInAt: text("checked_in_at"),
    checkedOutAt: text("checked_out_at"),
    /** Set on verification from check-in/out, never from a request body. */
    hours: real("hours"),
    rating: integer("rating"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("participations_tenant_id_idx").on(t.tenantId, t.id),
    index("participations_activity_idx").on(t.tenantId, t.activityId, t.status),
    index("participations_tenant_member_idx").on(t.tenantId, t.memberId, t.id),
    uniqueIndex("participations_activity_member_uq").on(t.activityId, t.memberId),
  ],
);

/**
 * Hours and points: append-only. A correction is a new entry that reverses another; the
 * migration adds triggers that refuse UPDATE and DELETE.
 */
export const ledgerEntries = sqliteTable(
  "ledger_entries",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    /** The party member credited; null for a volunteer who is not a party member. */
    memberId: text("member_id"),
    /** The volunteer credited (emergency hours), with the member too when the volunteer is one. */
    volunteerId: text("volunteer_id"),
    divisionPath: text("division_path").notNull(),
    year: integer("year").notNull(),
    /** e.g. 2026-Q3, for quarterly feedback. */
    quarter: text("quarter").notNull(),
    hours: real("hours").notNull(),
    points: integer("points").notNull(),
    sourceType: text("source_type", { enum: ["participation", "correction", "emergency"] }).notNull(),
    sourceId: text("source_id").notNull(),
    reversesId: text("reverses_id"),
    reason: text("reason"),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("ledger_tenant_id_idx").on(t.tenantId, t.id),
    index("ledger_tenant_member_year_idx").on(t.tenantId, t.memberId, t.year),
    index("ledger_tenant_quarter_idx").on(t.tenantId, t.quarter, t.memberId),
    index("ledger_tenant_volunteer_idx").on(t.tenantId, t.volunteerId, t.year),
    // A source posts once; a reversal reverses once.
    uniqueIndex("ledger_source_uq").on(t.tenantId, t.sourceType, t.sourceId),
    uniqueIndex("ledger_reverses_uq").on(t.reversesId),
  ],
);

export const feedbackStatuses = ["generated", "sent", "acknowledged"] as const;

/**
 * 双向反馈: a member's quarterly service card, kept by the community's tenant and addressed to the
 * member's employer party organisation, which may belong to another tenant.
 */
export const employerFeedback = sqliteTable(
  "employer_feedback",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    memberReportId: text("member_report_id").notNull(),
    memberId: text("member_id").notNull(),
    divisionPath: text("division_path").notNull(),
    /** e.g. 2026-Q3 */
    quarter: text("quarter").notNull(),
    hours: real("hours").notNull(),
    points: integer("points").notNull(),
    rating: real("rating"),
    comment: text("comment"),
    recipientOrgId: text("recipient_org_id").notNull(),
    recipientTenantId: text("recipient_tenant_id").notNull(),
    status: text("status", { enum: feedbackStatuses }).notNull(),
    sentAt: text("sent_at"),
    acknowledgedAt: text("acknowledged_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("feedback_tenant_id_idx").on(t.tenantId, t.id),
    index("feedback_tenant_quarter_idx").on(t.tenantId, t.quarter, t.status, t.id),
    // The employer's side reads through this index, across community tenants.
    index("feedback_recipient_idx").on(t.recipientTenantId, t.recipientOrgId, t.id),
    uniqueIndex("feedback_member_quarter_uq").on(t.tenantId, t.memberId, t.quarter),
  ],
);
