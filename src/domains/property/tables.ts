import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** 小区: a residential compound in a community, managed by a property company (a unit of kind `property_company`). */
export const compounds = sqliteTable(
  "compounds",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    /** The community (division) the compound lies in. */
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    address: text("address").notNull(),
    households: integer("households").notNull(),
    /** The property company managing it (units.id, kind property_company); null when self-managed. */
    propertyUnitId: text("property_unit_id"),
    /** The party organisation in the compound (小区党支部), when there is one. */
    partyOrgId: text("party_org_id"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("compounds_tenant_id_idx").on(t.tenantId, t.id),
    index("compounds_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("compounds_tenant_community_idx").on(t.tenantId, t.communityId, t.id),
    index("compounds_tenant_property_unit_idx").on(t.tenantId, t.propertyUnitId, t.id),
  ],
);

/** 业主委员会 of a compound, with its party organisation (业委会党支部 / 党的工作小组) when there is one. */
export const ownersCommittees = sqliteTable(
  "owners_committees",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    compoundId: text("compound_id").notNull(),
    divisionPath: text("division_path").notNull(),
    /** Copied from the compound, so a property company sees its compounds' committees. */
    propertyUnitId: text("property_unit_id"),
    name: text("name").notNull(),
    partyOrgId: text("party_org_id"),
    termEndsOn: text("term_ends_on"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("owners_committees_tenant_id_idx").on(t.tenantId, t.id),
    index("owners_committees_tenant_compound_idx").on(t.tenantId, t.compoundId, t.id),
  ],
);

export const complaintCategories = [
  "property_fee",
  "parking",
  "blocked_fire_lane",
  "flying_wire_charging",
  "pets",
  "noise",
  "repairs",
  "other",
] as const;
export type ComplaintCategory = (typeof complaintCategories)[number];

export const complaintStatuses = [
  "reported",
  "accepted",
  "assigned",
  "processing",
  "resolved",
  "verified",
  "closed",
  "escalated",
  "reopened",
] as const;

export const complaintLevels = ["community", "street", "county"] as const;
export const assigneeTypes = ["property_company", "owners_committee", "department"] as const;
export const complaintClosures = ["resolved", "duplicate", "not_responsible"] as const;
export const complaintChannels = ["link", "staff", "open311"] as const;

/**
 * 红色物业 complaints. The reporter has no account: a follow-up token (stored only as its SHA-256)
 * lets them follow, add information, reopen and rate. Their contact is sealed (`reporter_cipher`,
 * AES-GCM JSON of name/phone/email) and shown masked (`reporter_masked`); both are erased by the
 * retention job once the complaint has been closed long enough.
 */
export const complaints = sqliteTable(
  "complaints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    compoundId: text("compound_id").notNull(),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    /** The compound's property company when filed: it sees the complaint. */
    companyUnitId: text("company_unit_id"),
    category: text("category", { enum: complaintCategories }).notNull(),
    description: text("description").notNull(),
    channel: text("channel", { enum: complaintChannels }).notNull(),
    reporterCipher: text("reporter_cipher"),
    reporterMasked: text("reporter_masked", { mode: "json" }).$type<ReporterMasked>(),
    tokenHash: text("token_hash").notNull(),
    /** WGS-84, when the reporter gave a place (Open311 lat/long). */
    lat: real("lat"),
    long: real("long"),
    addressString: text("address_string"),
    status: text("status", { enum: complaintStatuses }).notNull(),
    level: text("level", { enum: complaintLevels }).notNull(),
    assigneeType: text("assignee_type", { enum: assigneeTypes }),
    assigneeId: text("assignee_id"),
    assigneeName: text("assignee_name"),
    dueAt: text("due_at").notNull(),
    resolvedAt: text("resolved_at"),
    resolution: text("resolution"),
    /** Whether the last resolution came before the deadline; null until resolved. */
    onTime: integer("on_time", { mode: "boolean" }),
    closedAt: text("closed_at"),
    closure: text("closure", { enum: complaintClosures }),
    duplicateOfId: text("duplicate_of_id"),
    referredTo: text("referred_to"),
    reopenCount: integer("reopen_count").notNull().default(0),
    escalationCount: integer("escalation_count").notNull().default(0),
    rating: integer("rating"),
    ratingComment: text("rating_comment"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("complaints_tenant_id_idx").on(t.tenantId, t.id),
    index("complaints_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("complaints_tenant_status_due_idx").on(t.tenantId, t.status, t.dueAt),
    index("complaints_tenant_compound_idx").on(t.tenantId, t.compoundId, t.id),
    index("complaints_tenant_company_idx").on(t.tenantId, t.companyUnitId, t.id),
    index("complaints_tenant_category_idx").on(t.tenantId, t.category, t.id),
    index("complaints_tenant_closed_idx").on(t.tenantId, t.closedAt).where(sql`reporter_cipher is not null`),
    uniqueIndex("complaints_token_hash_uq").on(t.tokenHash),
  ],
);

export interface ReporterMasked {
  name: string | null;
  phone: string | null;
  email: string | null;
}

/** Information added to a complaint by its reporter (through the link) or by staff, in order. */
export const complaintNotes = sqliteTable(
  "complaint_notes",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    complaintId: text("complaint_id").notNull(),
    author: text("author", { enum: ["reporter", "staff", "system"] }).notNull(),
    text: text("text").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("complaint_notes_tenant_complaint_idx").on(t.tenantId, t.complaintId, t.id)],
);

/**
 * Photos of a complaint, by its reporter (through the link) or by staff (e.g. of the resolution). The
 * bytes are in the blob store under `storage_key`, metadata stripped; the row says what they are.
 */
export const complaintPhotos = sqliteTable(
  "complaint_photos",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    complaintId: text("complaint_id").notNull(),
    storageKey: text("storage_key").notNull(),
    contentType: text("content_type", { enum: ["image/jpeg", "image/png", "image/webp"] }).notNull(),
    bytes: integer("bytes").notNull(),
    sha256: text("sha256").notNull(),
    author: text("author", { enum: ["reporter", "staff"] }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("complaint_photos_tenant_complaint_idx").on(t.tenantId, t.complaintId, t.id)],
);
