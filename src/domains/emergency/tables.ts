import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Where a volunteer comes from (共建单位, 两新组织, 业委会, 物业, 专业应急队伍, 新就业群体, 个人). */
export const volunteerSources = [
  "co_building_unit",
  "two_new_org",
  "owners_committee",
  "property_company",
  "professional_team",
  "new_employment",
  "individual",
] as const;

export const teamModes = ["normal", "emergency", "mobile"] as const;
export type TeamMode = (typeof teamModes)[number];
export const teamRoles = ["leader", "deputy", "member"] as const;

/**
 * 志愿者. Phone and ID card are sealed, fingerprinted and masked exactly like party members'
 * (`*_cipher` AES-GCM, `*_hash` HMAC for exact lookups, `*_masked` for display).
 */
export const volunteers = sqliteTable(
  "volunteers",
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
    /** The party member this volunteer is, when they are one (same tenant). */
    memberId: text("member_id"),
    source: text("source", { enum: volunteerSources }).notNull(),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    certificates: text("certificates", { mode: "json" })
      .$type<{ name: string; expiresOn: string | null }[]>()
      .notNull()
      .default(sql`'[]'`),
    homeDivisionId: text("home_division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("volunteers_tenant_id_idx").on(t.tenantId, t.id),
    index("volunteers_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("volunteers_tenant_phone_idx").on(t.tenantId, t.phoneHash),
    index("volunteers_tenant_member_idx").on(t.tenantId, t.memberId),
  ],
);

/** 平时小分队 (normal), 急时小分队 (emergency), 应急志愿服务机动队伍 (mobile). */
export const teams = sqliteTable(
  "teams",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    mode: text("mode", { enum: teamModes }).notNull(),
    /** The owning division (county, street, town or community); its path decides which incidents page the team. */
    divisionId: text("division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    divisionLevel: text("division_level").notNull(),
    /** Optionally the organisation (unit or two-new party organisation) that fields the team. */
    orgId: text("org_id"),
    /**
     * Whom the team draws on, when it is one group's (the 26 新就业群体 teams: `new_employment`); null
     * for a mixed team. The same list as volunteers' sources.
     */
    source: text("source", { enum: volunteerSources }),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Acknowledgements (available) the team needs by its deadline. */
    quorum: integer("quorum").notNull(),
    responseDeadlineMinutes: integer("response_deadline_minutes").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("teams_tenant_id_idx").on(t.tenantId, t.id),
    index("teams_tenant_mode_path_idx").on(t.tenantId, t.mode, t.divisionPath),
    index("teams_tenant_path_idx").on(t.tenantId, t.divisionPath),
    index("teams_tenant_source_idx").on(t.tenantId, t.source, t.id),
  ],
);

/** Team membership: many-to-many, with a role (leader, deputy, member). */
export const teamMembers = sqliteTable(
  "team_members",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    teamId: text("team_id").notNull(),
    volunteerId: text("volunteer_id").notNull(),
    role: text("role", { enum: teamRoles }).notNull(),
    divisionPath: text("division_path").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("team_members_tenant_team_volunteer_uq").on(t.tenantId, t.teamId, t.volunteerId),
    index("team_members_tenant_team_idx").on(t.tenantId, t.teamId, t.id),
    index("team_members_tenant_volunteer_idx").on(t.tenantId, t.volunteerId),
  ],
);

export const siteKinds = ["muster_point", "resettlement", "service_centre", "other"] as const;

/** 集结点 and 临时安置点 (e.g. community party service centres). */
export const sites = sqliteTable(
  "sites",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: siteKinds }).notNull(),
    divisionId: text("division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    address: text("address").notNull(),
    latitude: real("latitude"),
    longitude: real("longitude"),
    capacity: integer("capacity").notNull(),
    occupancy: integer("occupancy").notNull().default(0),
    status: text("status", { enum: ["open", "closed"] }).notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("sites_tenant_id_idx").on(t.tenantId, t.id),
    index("sites_tenant_path_idx").on(t.tenantId, t.divisionPath),
  ],
);

export const incidentTypes = [
  "rainstorm_flood",
  "earthquake",
  "stranded_travellers",
  "public_health",
  "fire",
  "snow_sandstorm",
  "other",
] as const;
export const incidentLevels = ["I", "II", "III", "IV"] as const;
export const incidentStatuses = ["declared", "active", "standing_down", "closed", "cancelled"] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

/** 突发事件: declared, activated with one key, stood down and closed (or cancelled). */
export const incidents = sqliteTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    type: text("type", { enum: incidentTypes }).notNull(),
    level: text("level", { enum: incidentLevels }).notNull(),
    headline: text("headline").notNull(),
    instruction: text("instruction").notNull(),
    drill: integer("drill", { mode: "boolean" }).notNull(),
    dedupKey: text("dedup_key").notNull(),
    affectedDivisionIds: text("affected_division_ids", { mode: "json" }).$type<string[]>().notNull(),
    affectedPaths: text("affected_paths", { mode: "json" }).$type<string[]>().notNull(),
    /** The deepest division containing every affected one: who sees the incident (reach). */
    divisionPath: text("division_path").notNull(),
    /** Whether normal-time squads are paged too, and the skills a team must offer one of (none: any). */
    includeNormalTeams: integer("include_normal_teams", { mode: "boolean" }).notNull().default(false),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** The rendered page message around the token: `<messagePrefix><token><messageSuffix>`. */
    messagePrefix: text("message_prefix").notNull(),
    messageSuffix: text("message_suffix").notNull(),
    status: text("status", { enum: incidentStatuses }).notNull(),
    declaredBy: text("declared_by").notNull(),
    activatedAt: text("activated_at"),
    stoodDownAt: text("stood_down_at"),
    closedAt: text("closed_at"),
    cancelledAt: text("cancelled_at"),
    /** The close report: people served per site, as given when closing. */
    servedBySite: text("served_by_site", { mode: "json" }).$type<{ siteId: string; people: number }[]>(),
    /** The city-wide incident (全域统筹, `cwi_…`, in the city's tenant) this county's part belongs to. */
    parentId: text("parent_id"),
    /**
     * Set on a lender's incident: the accepted loan (`loan_…`) whose borrowed team this incident pages
     * on behalf of the borrower's incident. Its pages, answers and hours stay in the lender's tenant.
     */
    loanId: text("loan_id"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("incidents_tenant_id_idx").on(t.tenantId, t.id),
    index("incidents_tenant_path_idx").on(t.tenantId, t.divisionPath),
    uniqueIndex("incidents_tenant_dedup_uq").on(t.tenantId, t.dedupKey),
  ],
);

export const escalationStates = ["pending", "met", "escalated", "street_alerted", "reserve"] as const;

/** One team paged by an incident, with what it had to reach at that moment. */
export const teamActivations = sqliteTable(
  "team_activations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    incidentId: text("incident_id").notNull(),
    teamId: text("team_id").notNull(),
    teamName: text("team_name").notNull(),
    mode: text("mode", { enum: teamModes }).notNull(),
    divisionPath: text("division_path").notNull(),
    quorum: integer("quorum").notNull(),
    deadlineAt: text("deadline_at").notNull(),
    rosterSize: integer("roster_size").notNull(),
    /**
     * The durable escalation timer: pending until the deadline, then `met` (quorum reached) or
     * `escalated` (the county's mobile teams were paged), then, still short at `streetAlertAt`,
     * `street_alerted` (the street party working committee's admins were alerted). Escalations
     * themselves and lent teams are `reserve`.
     */
    escalation: text("escalation", { enum: escalationStates }).notNull().default("pending"),
    /** Escalation step 2's timer: set when the county's mobile teams are paged; cleared once the quorum is met. */
    streetAlertAt: text("street_alert_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("team_activations_tenant_incident_team_uq").on(t.tenantId, t.incidentId, t.teamId),
    index("team_activations_tenant_incident_idx").on(t.tenantId, t.incidentId, t.id),
    // The escalation sweep reads every tenant's due timers at once (like webhook deliveries due).
    index("team_activations_due_idx").on(t.escalation, t.deadlineAt),
    index("team_activations_street_due_idx").on(t.escalation, t.streetAlertAt),
  ],
);

/** The roster at the moment of activation: later membership changes leave it alone. */
export const rosterEntries = sqliteTable(
  "roster_entries",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    incidentId: text("incident_id").notNull(),
    teamActivationId: text("team_activation_id").notNull(),
    volunteerId: text("volunteer_id").notNull(),
    role: text("role", { enum: teamRoles }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("roster_entries_tenant_activation_volunteer_uq").on(t.tenantId, t.teamActivationId, t.volunteerId),
    index("roster_entries_tenant_incident_volunteer_idx").on(t.tenantId, t.incidentId, t.volunteerId),
  ],
);

export const notificationStatuses = ["queued", "sent", "delivered", "failed"] as const;
export const answers = ["available", "unavailable"] as const;

/**
 * One page per volunteer per incident (a volunteer in several activated teams is paged once), with
 * the single-purpose answer token, the delivery state, the answer and the check-in.
 */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    incidentId: text("incident_id").notNull(),
    volunteerId: text("volunteer_id").notNull(),
    divisionPath: text("division_path").notNull(),
    /** 12 base62 characters (71 random bits): the whole credential of the answer page. */
    token: text("token").notNull(),
    channel: text("channel").notNull(),
    /** The rendered message as sent (template with the link and the provider's signature). */
    message: text("message").notNull(),
    status: text("status", { enum: notificationStatuses }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    answer: text("answer", { enum: answers }),
    etaMinutes: integer("eta_minutes"),
    answeredAt: text("answered_at"),
    siteId: text("site_id"),
    checkedInAt: text("checked_in_at"),
    checkedOutAt: text("checked_out_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("notifications_tenant_incident_volunteer_uq").on(t.tenantId, t.incidentId, t.volunteerId),
    index("notifications_tenant_incident_idx").on(t.tenantId, t.incidentId, t.id),
    index("notifications_tenant_incident_status_idx").on(t.tenantId, t.incidentId, t.status),
    // The one index not led by tenant_id: the answer page knows only the token, and tokens are unique city-wide.
    uniqueIndex("notifications_token_uq").on(t.token),
  ],
);

/**
 * 全域统筹: a city-wide incident, declared by the city in its own tenant. Each county-level tenant
 * touched gets an incident of its own (`incidents.parent_id`), activated in the same commit.
 */
export const citywideIncidents = sqliteTable(
  "citywide_incidents",
  {
    id: text("id").primaryKey(),
    /** The city's tenant. */
    tenantId: text("tenant_id").notNull(),
    type: text("type", { enum: incidentTypes }).notNull(),
    level: text("level", { enum: incidentLevels }).notNull(),
    headline: text("headline").notNull(),
    instruction: text("instruction").notNull(),
    drill: integer("drill", { mode: "boolean" }).notNull(),
    dedupKey: text("dedup_key").notNull(),
    affectedDivisionIds: text("affected_division_ids", { mode: "json" }).$type<string[]>().notNull(),
    /** The county-level tenants touched, in code order. */
    tenants: text("tenants", { mode: "json" }).$type<string[]>().notNull(),
    declaredBy: text("declared_by").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("citywide_incidents_tenant_id_idx").on(t.tenantId, t.id),
    uniqueIndex("citywide_incidents_tenant_dedup_uq").on(t.tenantId, t.dedupKey),
  ],
);

export const loanStatuses = ["requested", "accepted", "declined", "cancelled"] as const;
export type LoanStatus = (typeof loanStatuses)[number];

/**
 * A county asks another county for one of its mobile teams (机动队伍) for an incident. The row lives
 * in the borrower's tenant and is read by both counties; on acceptance the lender's tenant gets an
 * incident of its own (`mirrorIncidentId`, `incidents.loan_id`) that pages the lent team.
 */
export const teamLoans = sqliteTable(
  "team_loans",
  {
    id: text("id").primaryKey(),
    /** The borrower. */
    tenantId: text("tenant_id").notNull(),
    incidentId: text("incident_id").notNull(),
    /** The borrower's incident's path: who in the borrowing county sees the loan. */
    divisionPath: text("division_path").notNull(),
    lenderTenantId: text("lender_tenant_id").notNull(),
    teamId: text("team_id").notNull(),
    teamName: text("team_name").notNull(),
    note: text("note"),
    status: text("status", { enum: loanStatuses }).notNull(),
    mirrorIncidentId: text("mirror_incident_id"),
    requestedBy: text("requested_by").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: text("decided_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("team_loans_tenant_incident_idx").on(t.tenantId, t.incidentId, t.id),
    index("team_loans_lender_idx").on(t.lenderTenantId, t.id),
  ],
);

export const taskStatuses = ["assigned", "accepted", "done", "cancelled"] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/** A task of an incident, to an activated team or a paged volunteer: assigned → accepted → done, or cancelled. */
export const incidentTasks = sqliteTable(
  "incident_tasks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    incidentId: text("incident_id").notNull(),
    divisionPath: text("division_path").notNull(),
    title: text("title").notNull(),
    detail: text("detail"),
    teamId: text("team_id"),
    volunteerId: text("volunteer_id"),
    siteId: text("site_id"),
    status: text("status", { enum: taskStatuses }).notNull(),
    assignedBy: text("assigned_by").notNull(),
    acceptedAt: text("accepted_at"),
    doneAt: text("done_at"),
    cancelledAt: text("cancelled_at"),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("incident_tasks_tenant_id_idx").on(t.tenantId, t.id),
    index("incident_tasks_tenant_incident_idx").on(t.tenantId, t.incidentId, t.id),
  ],
);

/**
 * Escalation step 2 (and any later step): an alert to a division's admins about an incident's team
 * still short of its quorum, one per team activation and step (the unique index makes a tick that
 * runs twice alert once). Read at `GET /v1/incidents/{id}/alerts`; an `incident.street_alerted` event
 * carries it to the tenant's subscribers.
 */
export const incidentAlerts = sqliteTable(
  "incident_alerts",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    incidentId: text("incident_id").notNull(),
    teamActivationId: text("team_activation_id").notNull(),
    teamId: text("team_id").notNull(),
    step: text("step", { enum: ["street_committee"] }).notNull(),
    /** The street (or town) whose party working committee's admins are alerted. */
    divisionId: text("division_id").notNull(),
    divisionPath: text("division_path").notNull(),
    quorum: integer("quorum").notNull(),
    available: integer("available").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("incident_alerts_tenant_activation_step_uq").on(t.tenantId, t.teamActivationId, t.step),
    index("incident_alerts_tenant_incident_idx").on(t.tenantId, t.incidentId, t.id),
  ],
);
