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
  /** A property company's staff (红色物业): its compounds and the complaints assigned to it; the token's `unit` is the company's unit id. */
  "property_company",
] as const;
export type Role = (typeof roles)[number];

export const scopes = [
  "tenants:read",
  "divisions:read",
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
  /** Register and revoke API clients and API keys for the tenant. */
  "access:manage",
  /** Subscribe the tenant's HTTPS endpoints to events, and read and replay their deliveries. */
  "webhooks:manage",
  /** Compounds (小区), owners' committees and their links to property companies and party organisations. */
  "property:read",
  "property:write",
  /** Property complaints (红色物业): read, file on a resident's behalf, run the lifecycle, handle as the assignee. */
  "complaints:read",
  "complaints:file",
  "complaints:manage",
  "complaints:handle",
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
  "property:read",
  "complaints:read",
];

/**
 * The one table that says what each role may do (DOMAIN.md §7). Routes declare scopes, never
 * roles; where in the tenant a role may act (subtree, own unit, own record) is `reach`'s job.
 */
export const roleScopes: Record<Role, readonly Scope[]> = {
  city_admin: [...readEverything, "audit:read", "reference:write"],
  county_admin: [
    ...readEverything,
    "audit:read",
    "pii:read",
    "orgs:write",
    "members:write",
    "reports:manage",
    "agreements:write",
    "lists:write",
    "resources:write",
    "evaluations:write",
    "access:manage",
    "webhooks:manage",
    "property:write",
    "complaints:file",
    "complaints:manage",
    "complaints:handle",
  ],
  street_admin: [
    ...readEverything,
    "audit:read",
    "orgs:write",
    "reports:submit",
    "reports:manage",
    "agreements:write",
    "lists:write",
    "property:write",
    "complaints:file",
    "complaints:manage",
    "complaints:handle",
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
    "property:write",
    "complaints:file",
    "complaints:manage",
    "complaints:handle",
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
  ],
  auditor: [...readEverything, "audit:read"],
  /**
   * [D] A property company sees the compounds it manages and the complaints filed about them, and
   * moves complaints assigned to it (start, resolve); accepting, assigning, verifying and closing stay
   * with the community, street or county.
   */
  property_company: ["tenants:read", "divisions:read", "property:read", "complaints:read", "complaints:handle"],
};

/** `link`: a resident holding a complaint's follow-up link (no account; public routes only). */
export type CredentialKind = "jwt" | "api_key" | "link";

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
  readonly owner?: { readonly memberId?: string; readonly unitOrgId?: string; readonly companyUnitId?: string };
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

export function scopesForRoles(granted: readonly Role[]): Set<Scope> {
  return new Set(granted.flatMap((role) => roleScopes[role]));
}

/** The subject as an audit actor: credential kind, tenant and subject. */
export function actorOf(principal: Principal): string {
  return `${principal.credential}:${principal.tenant}:${principal.subject}`;
}
