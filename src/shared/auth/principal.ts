import { CITY_TENANT } from "../../db/reference.js";

export { CITY_TENANT };

export const roles = [
  "city_admin",
  "county_admin",
  "street_admin",
  "community_admin",
  "unit_admin",
  "member",
  "auditor",
  /** A functional department (职能部门) asking to put work on communities; its `unit` claim names the department. */
  "department",
  /** A property company's staff (红色物业): its compounds and the complaints assigned to it; the token's `unit` is the company's unit id. */
  "property_company",
  /**
   * A new-employment platform's staff or integration (delivery, courier, ride-hailing company): its
   * workers and their quick reports; the token's `unit` is the platform's unit id.
   */
  "platform",
  /** A courier, rider or driver (新就业群体) filing quick reports; the token's `sub` is their worker id (`gwk_…`). */
  "gig_worker",
] as const;
export type Role = (typeof roles)[number];

export const scopes = [
  "tenants:read",
  "divisions:read",
  /** Create, rename, move and retire divisions below the county (county admins; street admins below their street). */
  "divisions:write",
  "audit:read",
  "stats:read",
  "reference:write",
  "orgs:read",
  "orgs:write",
  "members:read",
  "members:write",
  "pii:read",
  "reports:read",
  "reports:submit",
  "reports:manage",
  "agreements:read",
  "agreements:write",
  "lists:read",
  "lists:write",
  "resources:write",
  "posts:claim",
  "projects:claim",
  "activities:read",
  "activities:write",
  "participation:self",
  "hours:verify",
  "ledger:read",
  "ledger:correct",
  "feedback:read",
  "feedback:manage",
  "feedback:acknowledge",
  "evaluations:read",
  "evaluations:write",
  /** Write duty lists (职责清单): the city its templates, a county its own lists. */
  "duties:write",
  /** Read community affairs admission requests (社区事务准入) and refusals. */
  "admission:read",
  /** Ask to put work on communities (a functional department). */
  "admission:submit",
  /** First review of admission requests, by the street. */
  "admission:street_review",
  /** Final review of admission requests, by the county. */
  "admission:county_review",
  /** Record a community's refusal of unlisted, unadmitted work. */
  "refusals:write",
  /** Read mobile party members' records (流动党员): the home side's, or those received by the caller's organisation. */
  "mobility:read",
  /** Record a member's outflow, regular checks, return or transfer. */
  "mobility:write",
  /** Read branch standardisation (checklists, inspections, rectifications) and organisational life. */
  "standards:read",
  /** Load and retire standardisation checklists. */
  "standards:manage",
  /** Inspect branches against a checklist; close or reopen the rectifications of one's own inspections. */
  "standards:inspect",
  /** Submit rectification evidence, record organisational life meetings and attendance. */
  "orglife:write",
  /** Read community workers (社区工作者; personal data masked) and street bodies. */
  "workers:read",
  /** Appoint community workers, change their posts and grades, record annual assessments. */
  "workers:write",
  /** Set the tenant's 三岗十八级 grade scale; create and staff street bodies (四办三中心一执法队). */
  "workers:configure",
  /** Register and revoke API clients and API keys for the tenant. */
  "access:manage",
  /** Subscribe the tenant's HTTPS endpoints to events, and read and replay their deliveries. */
  "webhooks:manage",
  /** Read volunteers, teams, sites and incidents with their progress (平急结合). */
  "emergency:read",
  /** Register volunteers, teams and sites, and manage team membership. */
  "emergency:write",
  /** Declare an incident and page its teams (一键响应), stand it down, close or cancel it. */
  "incidents:declare",
  /** Assign an incident's tasks to teams and volunteers, and record them accepted, done or cancelled. */
  "tasks:assign",
  /** Ask another county for one of its mobile teams for an incident, and accept or decline such requests. */
  "teams:lend",
  /** 全域统筹: declare a city-wide incident across the county-level tenants (the city only). */
  "incidents:declare_citywide",
  /** Compounds (小区), owners' committees and their links to property companies and party organisations. */
  "property:read",
  "property:write",
  /** Property complaints (红色物业): read, file on a resident's behalf, run the lifecycle, handle as the assignee. */
  "complaints:read",
  "complaints:file",
  "complaints:manage",
  "complaints:handle",
  /** Verifiable certificates (无证明城市): read those within reach. */
  "certificates:read",
  /** Issue and revoke certificates for members and volunteers within reach (administrators). */
  "certificates:issue",
  /** A member issues, reads and revokes certificates about themself. */
  "certificates:self",
  /** New-employment groups: platforms' workers (masked), warm stations, community areas, points. */
  "newemp:read",
  /** Register workers and warm stations, set communities' areas (centre, boundary). */
  "newemp:write",
  /** Quick reports (随手拍): read, file (a worker, or their platform for them), handle (the community). */
  "quickreports:read",
  "quickreports:file",
  "quickreports:manage",
] as const;
export type Scope = (typeof scopes)[number];

const readEverything: Scope[] = [
  "tenants:read",
  "divisions:read",
  "stats:read",
  "orgs:read",
  "members:read",
  "reports:read",
  "agreements:read",
  "lists:read",
  "activities:read",
  "ledger:read",
  "feedback:read",
  "evaluations:read",
  "admission:read",
  "mobility:read",
  "standards:read",
  "workers:read",
  "emergency:read",
  "property:read",
  "complaints:read",
  "certificates:read",
  "newemp:read",
  "quickreports:read",
];

/**
 * The one table that says what each role may do (docs/domain.md#roles-and-scopes). Routes declare scopes, never
 * roles; where in the tenant a role may act (subtree, own unit, own record) is `reach`'s job.
 */
export const roleScopes: Record<Role, readonly Scope[]> = {
  city_admin: [...readEverything, "audit:read", "reference:write", "duties:write", "incidents:declare_citywide"],
  county_admin: [
    ...readEverything,
    "audit:read",
    "pii:read",
    "divisions:write",
    "orgs:write",
    "members:write",
    "reports:manage",
    "agreements:write",
    "lists:write",
    "resources:write",
    "evaluations:write",
    "duties:write",
    "admission:county_review",
    "mobility:write",
    "standards:manage",
    "standards:inspect",
    "workers:write",
    "workers:configure",
    "access:manage",
    "webhooks:manage",
    "emergency:write",
    "incidents:declare",
    "tasks:assign",
    "teams:lend",
    "property:write",
    "complaints:file",
    "complaints:manage",
    "complaints:handle",
    "certificates:issue",
    "newemp:write",
    "quickreports:manage",
  ],
  street_admin: [
    ...readEverything,
    "audit:read",
    "divisions:write",
    "orgs:write",
    "reports:submit",
    "reports:manage",
    "agreements:write",
    "lists:write",
    "admission:street_review",
    "standards:inspect",
    "workers:write",
    "emergency:write",
    "incidents:declare",
    "tasks:assign",
    "property:write",
    "complaints:file",
    "complaints:manage",
    "complaints:handle",
    "certificates:issue",
    "newemp:write",
    "quickreports:manage",
  ],
  community_admin: [
    ...readEverything,
    "audit:read",
    "pii:read",
    "members:write",
    "reports:submit",
    "reports:manage",
    "agreements:write",
    "lists:write",
    "resources:write",
    "posts:claim",
    "projects:claim",
    "activities:write",
    "hours:verify",
    "ledger:correct",
    "feedback:manage",
    "evaluations:write",
    "refusals:write",
    "mobility:write",
    "orglife:write",
    "emergency:write",
    "incidents:declare",
    "tasks:assign",
    "property:write",
    "complaints:file",
    "complaints:manage",
    "complaints:handle",
    "certificates:issue",
    "newemp:write",
    "quickreports:manage",
  ],
  unit_admin: [
    "tenants:read",
    "divisions:read",
    "orgs:read",
    "members:read",
    "reports:read",
    "reports:submit",
    "agreements:read",
    "lists:read",
    "resources:write",
    "projects:claim",
    "activities:read",
    "ledger:read",
    "feedback:read",
    "feedback:acknowledge",
    "evaluations:read",
    "mobility:read",
    "mobility:write",
    "standards:read",
    "orglife:write",
  ],
  member: [
    "tenants:read",
    "divisions:read",
    "members:read",
    "reports:read",
    "reports:submit",
    "lists:read",
    "resources:write",
    "posts:claim",
    "activities:read",
    "participation:self",
    "ledger:read",
    "evaluations:read",
    "certificates:self",
  ],
  auditor: [...readEverything, "audit:read"],
  department: ["tenants:read", "divisions:read", "lists:read", "admission:read", "admission:submit"],
  /**
   * [D] A property company sees the compounds it manages and the complaints filed about them, and
   * moves complaints assigned to it (start, resolve); accepting, assigning, verifying and closing stay
   * with the community, street or county.
   */
  property_company: ["tenants:read", "divisions:read", "property:read", "complaints:read", "complaints:handle"],
  /**
   * [D] A platform sees its own workers (masked) and their quick reports and files for them (an
   * integration forwarding reports from its rider app); it neither handles reports nor registers workers.
   */
  platform: ["tenants:read", "divisions:read", "newemp:read", "quickreports:read", "quickreports:file"],
  /** [D] A worker files quick reports and sees their own record, reports, points and the warm stations. */
  gig_worker: ["tenants:read", "divisions:read", "newemp:read", "quickreports:read", "quickreports:file"],
};

/**
 * The roles the city tenant (the one tenant at level `city`, 620900 in Jiuquan) accepts: the city organisation department administers the
 * city-owned reference data and reads across the seven county-level tenants; its auditors read.
 * A city token with any other role is refused (401), and `city_admin` belongs to the city only.
 * Every other role works inside one county-level tenant.
 */
export const cityRoles: readonly Role[] = ["city_admin", "auditor"];
const cityOnlyRoles: readonly Role[] = ["city_admin"];

/** The roles a tenant's principals may not hold: county roles in the city (the tenant at level `city`), city-only roles in a county. */
export function rolesRefused(cityTenant: boolean, granted: readonly Role[]): Role[] {
  return cityTenant ? granted.filter((r) => !cityRoles.includes(r)) : granted.filter((r) => cityOnlyRoles.includes(r));
}

/** `ack_link`: a volunteer answering a page through its single-purpose link (no account, no scopes). */
/** `link`: a resident holding a complaint's follow-up link (no account; public routes only). */
/** `sms_gateway`: a district SMS gateway reporting delivery receipts and SMS replies (Standard Webhooks signature). */
export type CredentialKind = "jwt" | "api_key" | "ack_link" | "link" | "sms_gateway";

/**
 * Who is calling, as established by a verified credential. Handlers read it; nothing else
 * about the caller (path, query, body) is ever trusted for tenant or authority.
 */
export interface Principal {
  readonly tenant: string;
  readonly subject: string;
  readonly roles: readonly Role[];
  readonly scopes: ReadonlySet<Scope>;
  /** Division the principal is narrowed to, with its materialised path; absent means the whole tenant. */
  readonly org?: { readonly id: string; readonly path: string };
  /**
   * Set when the principal acts only for itself or its unit (a member, a unit admin, with no
   * administrative role): rows must belong to that member or that unit party organisation.
   */
  readonly owner?: {
    readonly memberId?: string;
    readonly unitOrgId?: string;
    readonly departmentId?: string;
    readonly companyUnitId?: string;
    /** A new-employment worker acting for themselves (`gig_worker`). */
    readonly workerId?: string;
  };
  readonly credential: CredentialKind;
  /** True for the city tenant: reads across all county-level tenants. */
  readonly crossTenant: boolean;
}

const administrativeRoles: ReadonlySet<Role> = new Set([
  "city_admin",
  "county_admin",
  "street_admin",
  "community_admin",
  "auditor",
]);

export function isOwnerOnly(granted: readonly Role[]): boolean {
  return !granted.some((r) => administrativeRoles.has(r));
}

/** The roles whose table row holds any of the scopes, in the table's order. */
export function rolesHolding(anyOf: readonly Scope[]): Role[] {
  return roles.filter((role) => anyOf.some((scope) => roleScopes[role].includes(scope)));
}

export function scopesForRoles(granted: readonly Role[]): Set<Scope> {
  return new Set(granted.flatMap((role) => roleScopes[role]));
}

/** The subject as an audit actor: credential kind, tenant and subject. */
export function actorOf(principal: Principal): string {
  return `${principal.credential}:${principal.tenant}:${principal.subject}`;
}
