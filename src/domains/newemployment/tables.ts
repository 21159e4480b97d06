import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * 新就业群体: couriers, delivery riders and ride-hailing drivers. Their platforms are units of the
 * organisations area (kinds `delivery_platform`, `courier_company`, `ride_hailing_platform`); their
 * volunteer teams are the emergency area's teams (source `new_employment`), a worker being linked to
 * the volunteer record that puts them in a team.
 */

/**
 * Where a community is, for routing quick reports by place: its centre (WGS-84) and, optionally, its
 * boundary (a ring of WGS-84 points). One row per community; see docs/domain.md#routing-by-place.
 */
export const communityAreas = sqliteTable(
  "community_areas",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    /** The community (a division); unique per tenant. */
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    centreLat: real("centre_lat").notNull(),
    centreLong: real("centre_long").notNull(),
    /** The boundary as [lat, long] pairs (first ≠ last: the ring closes itself); null: the centre alone. */
    boundary: text("boundary", { mode: "json" }).$type<[number, number][]>(),
    /** The boundary's bounding box, to skip the polygon test for places far outside. */
    minLat: real("min_lat"),
    maxLat: real("max_lat"),
    minLong: real("min_long"),
    maxLong: real("max_long"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("community_areas_tenant_community_uq").on(t.tenantId, t.communityId),
    index("community_areas_tenant_id_idx").on(t.tenantId, t.id),
  ],
);

export const vehicleTypes = ["e_bike", "motorcycle", "car", "tricycle", "on_foot", "other"] as const;
export const workerTrades = ["delivery", "courier", "ride_hailing"] as const;

/**
 * A new-employment worker (快递员, 外卖骑手, 网约车司机). Phone and ID card are sealed, fingerprinted
 * and masked like volunteers' and members'. `platform_unit_id` is the platform (a unit) they work
 * for: the platform's staff see their workers through it.
 */
export const gigWorkers = sqliteTable(
  "gig_workers",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    phoneCipher: text("phone_cipher").notNull(),
    phoneHash: text("phone_hash").notNull(),
    phoneMasked: text("phone_masked").notNull(),
    idCardCipher: text("id_card_cipher"),
    idCardHash: text("id_card_hash"),
    idCardMasked: text("id_card_masked"),
    trade: text("trade", { enum: workerTrades }).notNull(),
    platformUnitId: text("platform_unit_id").notNull(),
    vehicleType: text("vehicle_type", { enum: vehicleTypes }).notNull(),
    /** The community (or street) they work from. */
    baseDivisionId: text("base_division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    /** The warm station (暖心驿站) they use as their base, if any. */
    stationId: text("station_id"),
    /** Their volunteer record (emergency area), which puts them in a volunteer team. */
    volunteerId: text("volunteer_id"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("gig_workers_tenant_id_idx").on(t.tenantId, t.id),
    index("gig_workers_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("gig_workers_tenant_platform_idx").on(t.tenantId, t.platformUnitId, t.id),
    uniqueIndex("gig_workers_tenant_phone_uq").on(t.tenantId, t.phoneHash),
  ],
);

export const stationServices = [
  "rest",
  "water",
  "heating",
  "cooling",
  "charging",
  "microwave",
  "toilet",
  "first_aid",
  "repair_tools",
  "wifi",
] as const;

/** 暖心驿站: a place where workers rest, warm up, drink, charge; run in a community. */
export const warmStations = sqliteTable(
  "warm_stations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    divisionId: text("division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    address: text("address").notNull(),
    /** WGS-84. */
    lat: real("lat").notNull(),
    long: real("long").notNull(),
    services: text("services", { mode: "json" }).$type<string[]>().notNull(),
    /** Opening hours, e.g. "08:00-22:00" or "24h". */
    openingHours: text("opening_hours").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("warm_stations_tenant_id_idx").on(t.tenantId, t.id),
    index("warm_stations_tenant_path_idx").on(t.tenantId, t.divisionPath),
  ],
);

export const quickReportCategories = [
  "hazard",
  "blocked_fire_lane",
  "broken_facility",
  "elderly_needs_help",
  "other",
] as const;
export type QuickReportCategory = (typeof quickReportCategories)[number];

export const quickReportStatuses = ["reported", "accepted", "processing", "resolved", "closed", "rejected"] as const;
/** Who handles a quick report: the community it was routed to, or its street once the deadline passed (escalation). */
export const quickReportLevels = ["community", "street"] as const;
/** Why a points entry was written: earned by acceptance, reversed by a correction, spent by a redemption. */
export const pointsReasons = ["accepted", "correction", "redemption"] as const;

/**
 * 随手拍: a worker, acting as a mobile grid member, reports what they saw at a place. The place is
 * stored in WGS-84 and decides the community that handles it (`routed_by`: inside its boundary, or
 * the nearest centre). Accepted reports earn the worker points (`quick_report_points`).
 */
export const quickReports = sqliteTable(
  "quick_reports",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    workerId: text("worker_id").notNull(),
    platformUnitId: text("platform_unit_id").notNull(),
    category: text("category", { enum: quickReportCategories }).notNull(),
    description: text("description").notNull(),
    lat: real("lat").notNull(),
    long: real("long").notNull(),
    /** The datum the place was given in (it is stored converted to WGS-84). */
    datum: text("datum", { enum: ["wgs84", "gcj02"] }).notNull(),
    address: text("address"),
    communityId: text("community_id").notNull(),
    divisionPath: text("division_path").notNull(),
    routedBy: text("routed_by", { enum: ["boundary", "nearest"] }).notNull(),
    /** Metres from the community's centre (for the nearest rule: how far the nearest was). */
    distanceMetres: integer("distance_metres").notNull(),
    status: text("status", { enum: quickReportStatuses }).notNull(),
    dueAt: text("due_at").notNull(),
    handler: text("handler"),
    resolution: text("resolution"),
    resolvedAt: text("resolved_at"),
    onTime: integer("on_time", { mode: "boolean" }),
    rejectionReason: text("rejection_reason"),
    points: integer("points").notNull().default(0),
    /** community until the deadline passes unresolved; then the street (the background job, once). */
    level: text("level", { enum: quickReportLevels }).notNull().default("community"),
    escalatedAt: text("escalated_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("quick_reports_tenant_id_idx").on(t.tenantId, t.id),
    index("quick_reports_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("quick_reports_tenant_worker_idx").on(t.tenantId, t.workerId, t.id),
    index("quick_reports_tenant_platform_idx").on(t.tenantId, t.platformUnitId, t.id),
    index("quick_reports_tenant_status_idx").on(t.tenantId, t.status, t.id),
    // The escalation job: reports still at the community whose deadline has passed.
    index("quick_reports_overdue_idx").on(t.level, t.dueAt),
  ],
);

/** Photos of a quick report; bytes in the blob store, metadata stripped (src/shared/api/photos.ts). */
export const quickReportPhotos = sqliteTable(
  "quick_report_photos",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    reportId: text("report_id").notNull(),
    storageKey: text("storage_key").notNull(),
    contentType: text("content_type", { enum: ["image/jpeg", "image/png", "image/webp"] }).notNull(),
    bytes: integer("bytes").notNull(),
    sha256: text("sha256").notNull(),
    author: text("author", { enum: ["worker", "staff"] }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("quick_report_photos_tenant_report_idx").on(t.tenantId, t.reportId, t.id)],
);

/**
 * The points ledger: append-only, like the service-hours ledger. An accepted report adds its
 * category's points; a correction reversing them (the report found invalid or a duplicate) and a
 * redemption spending points are new negative entries, never an edit. A worker's balance is the sum
 * of their entries.
 */
export const quickReportPoints = sqliteTable(
  "quick_report_points",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    workerId: text("worker_id").notNull(),
    platformUnitId: text("platform_unit_id").notNull(),
    divisionPath: text("division_path").notNull(),
    reportId: text("report_id"),
    points: integer("points").notNull(),
    reason: text("reason", { enum: pointsReasons }).notNull(),
    note: text("note"),
    /** For a redemption: the warm station where the points were spent, if any. */
    stationId: text("station_id"),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("quick_report_points_tenant_worker_idx").on(t.tenantId, t.workerId, t.id),
    // One award and one correction per report: neither can be paid or reversed twice. Redemptions name no report.
    uniqueIndex("quick_report_points_report_reason_uq").on(t.tenantId, t.reportId, t.reason),
  ],
);
