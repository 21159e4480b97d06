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
];

/**
 * The one table that says what each role may do (docs/domain.md#roles-and-scopes). Routes declare scopes, never
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
  ],
  street_admin: [
    ...readEverything,
    "audit:read",
    "orgs:write",
    "reports:submit",
    "reports:manage",
    "agreements:write",
    "lists:write",
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
};

/**
 * The roles the city tenant (620900) accepts: the city organisation department administers the
 * city-owned reference data and reads across the seven county-level tenants; its auditors read.
 * A city token with any other role is refused (401), and `city_admin` belongs to the city only.
 * Every other role works inside one county-level tenant.
 */
export const cityRoles: readonly Role[] = ["city_admin", "auditor"];
const cityOnlyRoles: readonly Role[] = ["city_admin"];

/** The roles a tenant's principals may not hold: county roles in the city, city-only roles in a county. */
export function rolesRefused(tenant: string, granted: readonly Role[]): Role[] {
  return tenant === CITY_TENANT
    ? granted.filter((r) => !cityRoles.includes(r))
    : granted.filter((r) => cityOnlyRoles.includes(r));
}

export type CredentialKind = "jwt" | "api_key";

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
  readonly owner?: { readonly memberId?: string; readonly unitOrgId?: string };
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
