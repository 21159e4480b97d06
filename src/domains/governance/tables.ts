import { sql } from "drizzle-orm";
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

export interface CalendarDay {
  date: string;
  /** holiday: a weekday off; workday: a weekend day worked (调休 make-up day). */
  kind: "holiday" | "workday";
  name: string;
}

/**
 * The official working-day calendar, one row per year: only the exceptions to Monday–Friday
 * (holidays, and the make-up working weekends). Reference data of the city, the same for every tenant.
 */
export const workingCalendars = sqliteTable("working_calendars", {
  year: integer("year").primaryKey(),
  days: text("days", { mode: "json" }).$type<CalendarDay[]>().notNull(),
  source: text("source").notNull(),
  version: integer("version").notNull().default(1),
  updatedAt: text("updated_at").notNull(),
});

export const admissionKinds = ["task", "plaque", "campaign", "inspection", "survey", "ledger", "certificate"] as const;

export const admissionStatuses = [
  "street_review",
  "county_review",
  "returned",
  "approved",
  "rejected",
  "refused",
  "active",
  "expired",
  "withdrawn",
] as const;
export type AdmissionStatus = (typeof admissionStatuses)[number];

/**
 * 社区事务准入: a functional department asks to put work on communities of one street (or town).
 * Matched to a listed duty it is admitted (or, for a returned / negative-list item, refused) at
 * once; otherwise the street, then the county, review it within deadlines in working days.
 */
export const admissionRequests = sqliteTable(
  "admission_requests",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    /** The requesting department's code (the `unit` claim of a `department` principal). */
    departmentId: text("department_id").notNull(),
    departmentName: text("department_name").notNull(),
    kind: text("kind", { enum: admissionKinds }).notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    streetId: text("street_id").notNull(),
    /** The street's path: street admins review within their subtree. */
    divisionPath: text("division_path").notNull(),
    communityIds: text("community_ids", { mode: "json" }).$type<string[]>().notNull(),
    periodStart: text("period_start").notNull(),
    periodEnd: text("period_end").notNull(),
    fundingYuan: integer("funding_yuan").notNull(),
    staffProvided: integer("staff_provided").notNull(),
    dutyItemId: text("duty_item_id"),
    /** listed: admitted or refused by the duty list at once; reviewed: through street and county review. */
    route: text("route", { enum: ["listed", "reviewed"] }).notNull(),
    status: text("status", { enum: admissionStatuses }).notNull(),
    streetDeadline: text("street_deadline"),
    countyDeadline: text("county_deadline"),
    decisionNote: text("decision_note"),
    decidedAt: text("decided_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("admission_requests_tenant_id_idx").on(t.tenantId, t.id),
    index("admission_requests_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("admission_requests_tenant_department_idx").on(t.tenantId, t.departmentId, t.id),
    index("admission_requests_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
  ],
);

/** One row per target community of a request: what each community carries, for reach and stats. */
export const admissionTargets = sqliteTable(
  "admission_targets",
  {
    tenantId: text("tenant_id").notNull(),
    requestId: text("request_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
  },
  (t) => [
    uniqueIndex("admission_targets_uq").on(t.tenantId, t.requestId, t.communityId),
    index("admission_targets_tenant_path_idx").on(t.tenantId, t.divisionPath, t.requestId),
  ],
);

/**
 * A community's record of work it refused: unlisted, unadmitted work someone tried to put on it
 * (who asked, what, when), or an automatic refusal of a negative-list request.
 */
export const admissionRefusals = sqliteTable(
  "admission_refusals",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    requestedBy: text("requested_by").notNull(),
    departmentId: text("department_id"),
    kind: text("kind", { enum: admissionKinds }).notNull(),
    what: text("what").notNull(),
    requestedOn: text("requested_on").notNull(),
    /** The request refused by the duty list, when the refusal was automatic. */
    requestId: text("request_id"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("admission_refusals_tenant_id_idx").on(t.tenantId, t.id),
    index("admission_refusals_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
    index("admission_refusals_tenant_community_idx").on(t.tenantId, t.communityId, t.requestedOn),
  ],
);

export const mobilityStatuses = ["outflow", "lost_contact", "located", "returned", "transferred"] as const;
/** States in which the member is away and checked on. */
export const awayStatuses = ["outflow", "lost_contact", "located"] as const;

/**
 * 流动党员: a member who left for work elsewhere. The home side (the member's tenant) keeps it; the
 * receiving party organisation, possibly in another tenant, sees this record and nothing more.
 */
export const mobilityRecords = sqliteTable(
  "mobility_records",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    memberId: text("member_id").notNull(),
    homeOrgId: text("home_org_id"),
    divisionPath: text("division_path").notNull(),
    destination: text("destination").notNull(),
    certificateNumber: text("certificate_number").notNull(),
    contactCipher: text("contact_cipher").notNull(),
    contactMasked: text("contact_masked").notNull(),
    receivingTenantId: text("receiving_tenant_id"),
    receivingOrgId: text("receiving_org_id"),
    receivingDivisionPath: text("receiving_division_path"),
    leftOn: text("left_on").notNull(),
    checkIntervalMonths: integer("check_interval_months").notNull(),
    lostContactMonths: integer("lost_contact_months").notNull(),
    lastContactOn: text("last_contact_on").notNull(),
    nextCheckDue: text("next_check_due").notNull(),
    checkOverdue: integer("check_overdue", { mode: "boolean" }).notNull().default(false),
    /** No recorded contact by this date (last contact + lostContactMonths) → lost contact. */
    lostContactDueOn: text("lost_contact_due_on").notNull(),
    status: text("status", { enum: mobilityStatuses }).notNull(),
    endNote: text("end_note"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("mobility_records_tenant_id_idx").on(t.tenantId, t.id),
    index("mobility_records_tenant_status_idx").on(t.tenantId, t.status, t.nextCheckDue),
    index("mobility_records_tenant_member_idx").on(t.tenantId, t.memberId, t.id),
    index("mobility_records_receiving_idx").on(t.receivingTenantId, t.receivingOrgId, t.id),
    index("mobility_records_receiving_tenant_idx").on(t.receivingTenantId, t.id),
    uniqueIndex("mobility_records_one_away_uq")
      .on(t.tenantId, t.memberId)
      .where(sql`status in ('outflow', 'lost_contact', 'located')`),
  ],
);

/** 定期排查: one regular check of a mobile member (contact made or not). */
export const mobilityChecks = sqliteTable(
  "mobility_checks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    recordId: text("record_id").notNull(),
    checkedOn: text("checked_on").notNull(),
    contacted: integer("contacted", { mode: "boolean" }).notNull(),
    method: text("method", { enum: ["phone", "visit", "online", "other"] }).notNull(),
    note: text("note"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("mobility_checks_tenant_record_idx").on(t.tenantId, t.recordId, t.id)],
);

export interface ChecklistItem {
  code: string;
  area: string;
  standard: string;
  points: number;
}

/** 支部标准化 checklists: one edition per row, immutable once created, retired when replaced. */
export const checklists = sqliteTable(
  "checklists",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    title: text("title").notNull(),
    edition: integer("edition").notNull(),
    items: text("items", { mode: "json" }).$type<ChecklistItem[]>().notNull(),
    maxScore: integer("max_score").notNull(),
    status: text("status", { enum: ["active", "retired"] }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("checklists_tenant_id_idx").on(t.tenantId, t.id),
    uniqueIndex("checklists_tenant_edition_uq").on(t.tenantId, t.edition),
  ],
);

export interface InspectionScore {
  code: string;
  score: number;
  note?: string;
}

/** An inspection scoring a branch against one checklist edition. */
export const inspections = sqliteTable(
  "inspections",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    orgId: text("org_id").notNull(),
    divisionPath: text("division_path").notNull(),
    checklistId: text("checklist_id").notNull(),
    inspectedOn: text("inspected_on").notNull(),
    /** The inspecting level: the inspector's division path, "" for the whole tenant (the county). */
    inspectorPath: text("inspector_path").notNull(),
    scores: text("scores", { mode: "json" }).$type<InspectionScore[]>().notNull(),
    totalScore: integer("total_score").notNull(),
    maxScore: integer("max_score").notNull(),
    shortfalls: integer("shortfalls").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("inspections_tenant_id_idx").on(t.tenantId, t.id),
    index("inspections_tenant_org_idx").on(t.tenantId, t.orgId, t.id),
    index("inspections_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
  ],
);

export const rectificationStatuses = ["open", "submitted", "closed"] as const;

/** 整改: one shortfall of an inspection, with deadline, owner and evidence; closed only by the inspecting level. */
export const rectifications = sqliteTable(
  "rectifications",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    inspectionId: text("inspection_id").notNull(),
    orgId: text("org_id").notNull(),
    divisionPath: text("division_path").notNull(),
    inspectorPath: text("inspector_path").notNull(),
    itemCode: text("item_code").notNull(),
    standard: text("standard").notNull(),
    shortfall: integer("shortfall").notNull(),
    deadline: text("deadline").notNull(),
    owner: text("owner").notNull(),
    evidence: text("evidence"),
    status: text("status", { enum: rectificationStatuses }).notNull(),
    closedAt: text("closed_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("rectifications_tenant_id_idx").on(t.tenantId, t.id),
    index("rectifications_tenant_inspection_idx").on(t.tenantId, t.inspectionId),
    index("rectifications_tenant_status_idx").on(t.tenantId, t.status, t.deadline),
    index("rectifications_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
  ],
);

export const meetingKinds = [
  "branch_members_meeting",
  "committee_meeting",
  "group_meeting",
  "party_lecture",
  "theme_party_day",
] as const;

/** 组织生活: a branch's meeting (三会一课, theme party day) with its attendance. */
export const orgMeetings = sqliteTable(
  "org_meetings",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    orgId: text("org_id").notNull(),
    divisionPath: text("division_path").notNull(),
    kind: text("kind", { enum: meetingKinds }).notNull(),
    heldOn: text("held_on").notNull(),
    topic: text("topic").notNull(),
    expected: integer("expected").notNull(),
    present: integer("present").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("org_meetings_tenant_id_idx").on(t.tenantId, t.id),
    index("org_meetings_tenant_org_idx").on(t.tenantId, t.orgId, t.heldOn),
    index("org_meetings_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
  ],
);

export const meetingAttendance = sqliteTable(
  "meeting_attendance",
  {
    tenantId: text("tenant_id").notNull(),
    meetingId: text("meeting_id").notNull(),
    orgId: text("org_id").notNull(),
    memberId: text("member_id").notNull(),
    heldOn: text("held_on").notNull(),
    present: integer("present", { mode: "boolean" }).notNull(),
  },
  (t) => [
    uniqueIndex("meeting_attendance_uq").on(t.tenantId, t.meetingId, t.memberId),
    index("meeting_attendance_tenant_org_idx").on(t.tenantId, t.orgId, t.heldOn),
  ],
);

export const workerPosts = ["secretary", "director", "deputy", "member", "grid_worker"] as const;
export type WorkerPost = (typeof workerPosts)[number];
export const workerTiers = ["principal", "deputy", "other"] as const;
export type WorkerTier = (typeof workerTiers)[number];
/** 三岗: secretary and director hold principal posts (正职), deputies deputy posts, the rest are other workers. */
export const tierOfPost: Record<WorkerPost, WorkerTier> = {
  secretary: "principal",
  director: "principal",
  deputy: "deputy",
  member: "other",
  grid_worker: "other",
};
export const assessmentResults = ["excellent", "competent", "basically_competent", "incompetent"] as const;
export type AssessmentResult = (typeof assessmentResults)[number];

export interface GradeScale {
  /** Grade band per tier, inclusive (十八级, bands overlapping). */
  bands: Record<WorkerTier, [number, number]>;
  /** Grades gained (or lost) by an annual assessment result, within the tier's band. */
  assessmentEffects: Record<AssessmentResult, number>;
}

/** [D] The common 三岗十八级 bands and assessment effects; a tenant may store its own. */
export const defaultGradeScale: GradeScale = {
  bands: { principal: [7, 18], deputy: [4, 15], other: [1, 12] },
  assessmentEffects: { excellent: 1, competent: 0, basically_competent: 0, incompetent: -1 },
};

/** A tenant's grade scale (三岗十八级), when it differs from the default. */
export const gradeScales = sqliteTable("grade_scales", {
  tenantId: text("tenant_id").primaryKey(),
  scale: text("scale", { mode: "json" }).$type<GradeScale>().notNull(),
  version: integer("version").notNull().default(1),
  updatedAt: text("updated_at").notNull(),
});

/** 社区工作者: personal data sealed (AES-GCM), found by keyed hash, masked in responses like members'. */
export const communityWorkers = sqliteTable(
  "community_workers",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    name: text("name").notNull(),
    idCardCipher: text("id_card_cipher").notNull(),
    idCardHash: text("id_card_hash").notNull(),
    idCardMasked: text("id_card_masked").notNull(),
    phoneCipher: text("phone_cipher"),
    phoneMasked: text("phone_masked"),
    post: text("post", { enum: workerPosts }).notNull(),
    tier: text("tier", { enum: workerTiers }).notNull(),
    grade: integer("grade").notNull(),
    education: text("education", { enum: ["secondary", "college", "bachelor", "master_or_above"] }).notNull(),
    serviceStartDate: text("service_start_date").notNull(),
    socialWorkerLevel: text("social_worker_level", { enum: ["none", "assistant", "intermediate", "senior"] }).notNull(),
    status: text("status", { enum: ["active", "left"] }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("community_workers_tenant_id_idx").on(t.tenantId, t.id),
    index("community_workers_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
    index("community_workers_tenant_community_idx").on(t.tenantId, t.communityId, t.id),
    uniqueIndex("community_workers_tenant_id_card_uq").on(t.tenantId, t.idCardHash),
  ],
);

/** Grade history: every grade a worker held, why, and from when. */
export const workerGradeChanges = sqliteTable(
  "worker_grade_changes",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    workerId: text("worker_id").notNull(),
    divisionPath: text("division_path").notNull(),
    fromGrade: integer("from_grade"),
    toGrade: integer("to_grade").notNull(),
    tier: text("tier", { enum: workerTiers }).notNull(),
    reason: text("reason", {
      enum: ["appointment", "advancement", "assessment", "post_change", "correction"],
    }).notNull(),
    effectiveOn: text("effective_on").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("worker_grade_changes_tenant_worker_idx").on(t.tenantId, t.workerId, t.id)],
);

/** Annual assessment (年度考核) of a community worker, one per year, with its effect on grade. */
export const workerAssessments = sqliteTable(
  "worker_assessments",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    workerId: text("worker_id").notNull(),
    divisionPath: text("division_path").notNull(),
    year: integer("year").notNull(),
    result: text("result", { enum: assessmentResults }).notNull(),
    gradeBefore: integer("grade_before").notNull(),
    gradeAfter: integer("grade_after").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("worker_assessments_worker_year_uq").on(t.tenantId, t.workerId, t.year),
    index("worker_assessments_tenant_path_idx").on(t.tenantId, t.divisionPath, t.year),
  ],
);

export const streetBodyKinds = ["office", "centre", "enforcement_team"] as const;

/** 四办三中心一执法队: a street's offices, centres and law-enforcement team, with staffing quota and filled posts. */
export const streetBodies = sqliteTable(
  "street_bodies",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    streetId: text("street_id").notNull(),
    divisionPath: text("division_path").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: streetBodyKinds }).notNull(),
    quota: integer("quota").notNull(),
    filled: integer("filled").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("street_bodies_tenant_id_idx").on(t.tenantId, t.id),
    index("street_bodies_tenant_path_idx").on(t.tenantId, t.divisionPath, t.id),
    uniqueIndex("street_bodies_tenant_street_name_uq").on(t.tenantId, t.streetId, t.name),
  ],
);

/**
 * Running totals behind `/v1/admission-stats` and `/v1/standards-stats` (docs/governance-stats.md):
 * one row per tenant, metric, period (a quarter "2026-Q1" or a year "2026"), division path and
 * dimension (a department, a community, a deadline), moved by the same batch as the write that
 * changes what it counts. A stats read sums the rows in the caller's reach, whose number depends on
 * the division tree and the calendar, never on how many records there are.
 */
export const governanceCounts = sqliteTable(
  "governance_counts",
  {
    tenantId: text("tenant_id").notNull(),
    metric: text("metric").notNull(),
    period: text("period").notNull(),
    divisionPath: text("division_path").notNull(),
    dim: text("dim").notNull(),
    /** A display name for the dimension (the department's), the latest written. */
    label: text("label"),
    n: integer("n").notNull().default(0),
  },
  (t) => [uniqueIndex("governance_counts_key").on(t.tenantId, t.metric, t.period, t.divisionPath, t.dim)],
);
