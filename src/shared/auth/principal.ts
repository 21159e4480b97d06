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
] as const;
export type Scope = (typeof scopes)[number];

/** The one table that says what each role may do. Routes declare scopes, never roles. */
export const roleScopes: Record<Role, readonly Scope[]> = {
  city_admin: ["tenants:read", "divisions:read", "audit:read"],
  county_admin: ["tenants:read", "divisions:read", "audit:read"],
  street_admin: ["tenants:read", "divisions:read"],
  community_admin: ["tenants:read", "divisions:read"],
  unit_admin: ["tenants:read", "divisions:read"],
  member: ["tenants:read", "divisions:read"],
  auditor: ["tenants:read", "divisions:read", "audit:read"],
};

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
  readonly credential: CredentialKind;
  /** True for the city tenant: reads across all county-level tenants. */
  readonly crossTenant: boolean;
}

export function scopesForRoles(granted: readonly Role[]): Set<Scope> {
  return new Set(granted.flatMap((role) => roleScopes[role]));
}
