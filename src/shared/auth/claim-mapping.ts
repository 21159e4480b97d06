import { z } from "zod";
import { type Message, msg } from "../http/messages.js";
import { roles, type Role } from "./principal.js";

/**
 * Where a trusted identity provider's token says who the person is in Hexi. Government identity
 * providers (Keycloak, MaxKey, an IDaaS) issue `sub`, `groups`, `realm_access.roles` and user
 * attributes, not Hexi's `tenant`/`roles`/`org` claims; a mapping per issuer reads them:
 *
 *   { "tenant": { "claim": "groups", "pattern": "^/hexi/(\\d{6})(/|$)" },
 *     "roles":  { "claim": "realm_access.roles", "map": { "hexi-county-admin": "county_admin" } },
 *     "org":    "hexi_division" }
 *
 * A claim is named by its dotted path (`resource_access.hexi-api.roles`). Its value may be a string,
 * an array of strings or a space-separated string; `pattern` keeps the values it matches and takes
 * its first capture group (or the whole match). Roles: with `map`, each provider role or group
 * named there becomes the Hexi role(s) it maps to and every other value is ignored; without `map`,
 * values that are Hexi role names are taken as they are. The tenant must come out as exactly one
 * six-digit code (or, absent from the mapping, it is the issuer's own tenant); `org`, `member` and
 * `unit` at most one value each (Hexi ids, e.g. a division id kept as a user attribute); `orgCode`
 * names the division by its administrative code instead (looked up in the tenant's divisions).
 */
const claimPath = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, "must be a claim name or a dotted path such as realm_access.roles");

const pattern = z.string().refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, "must be a valid regular expression");

const claimSource = z.union([claimPath, z.strictObject({ claim: claimPath, pattern: pattern.optional() })]);

const rolesOrRole = z.union([z.enum(roles), z.array(z.enum(roles)).min(1)]);

export const claimMappingSchema = z.strictObject({
  subject: claimSource.optional(),
  tenant: claimSource.optional(),
  roles: z
    .strictObject({
      claim: z.union([claimPath, z.array(claimPath).min(1)]),
      pattern: pattern.optional(),
      map: z.record(z.string(), rolesOrRole).optional(),
    })
    .optional(),
  org: claimSource.optional(),
  /** The division by its administrative code (`divisions.code`, e.g. a 12-digit statistical code) rather than its Hexi id. */
  orgCode: claimSource.optional(),
  member: claimSource.optional(),
  unit: claimSource.optional(),
});
export type ClaimMapping = z.infer<typeof claimMappingSchema>;
type ClaimSource = z.infer<typeof claimSource>;

function valueAt(payload: Record<string, unknown>, path: string): unknown {
  let at: unknown = payload;
  for (const part of path.split(".")) {
    if (at === null || typeof at !== "object" || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function stringsAt(payload: Record<string, unknown>, path: string): string[] {
  const value = valueAt(payload, path);
  if (typeof value === "string") return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value === "number") return [String(value)];
  return [];
}

function extract(values: string[], source: string | undefined): string[] {
  if (source === undefined) return values;
  const re = new RegExp(source);
  return values.flatMap((v) => {
    const m = re.exec(v);
    return m ? [m[1] ?? m[0]] : [];
  });
}

function read(payload: Record<string, unknown>, source: ClaimSource): string[] {
  const { claim, pattern } = typeof source === "string" ? { claim: source, pattern: undefined } : source;
  return [...new Set(extract(stringsAt(payload, claim), pattern))];
}

/**
 * Rewrites a verified token's payload into Hexi's claims through the issuer's mapping; answers a
 * reason (`refused`) when the token does not say what the mapping needs. `exp`, `iat` and `sub`
 * stay as the provider issued them (unless `subject` says where the subject is).
 */
export function applyClaimMapping(
  payload: Record<string, unknown>,
  mapping: ClaimMapping,
  issuerTenant: string | undefined,
): { readonly claims: Record<string, unknown> } | { readonly refused: Message } {
  const out: Record<string, unknown> = { exp: payload.exp, iat: payload.iat, sub: payload.sub };
  if (mapping.subject) {
    const [subject, ...more] = read(payload, mapping.subject);
    if (!subject || more.length) return { refused: msg("token.mapped_subject") };
    out.sub = subject;
  }
  if (mapping.tenant) {
    const tenants = read(payload, mapping.tenant);
    if (tenants.length !== 1) {
      return {
        refused: tenants.length
          ? msg("token.mapped_claim_repeated", { claim: "tenant" })
          : msg("token.mapped_tenant_missing"),
      };
    }
    out.tenant = tenants[0];
  } else {
    out.tenant = issuerTenant ?? payload.tenant;
  }
  if (mapping.roles) {
    const claims = Array.isArray(mapping.roles.claim) ? mapping.roles.claim : [mapping.roles.claim];
    const values = extract(
      claims.flatMap((claim) => stringsAt(payload, claim)),
      mapping.roles.pattern,
    );
    const map = mapping.roles.map;
    const granted = new Set<Role>();
    for (const value of values) {
      if (map) {
        const to = Object.hasOwn(map, value) ? map[value] : undefined;
        for (const role of to === undefined ? [] : Array.isArray(to) ? to : [to]) granted.add(role);
      } else if ((roles as readonly string[]).includes(value)) {
        granted.add(value as Role);
      }
    }
    if (granted.size === 0) return { refused: msg("token.mapped_no_role") };
    out.roles = [...granted];
  } else {
    out.roles = payload.roles;
  }
  for (const [key, claim] of [
    ["org", "org"],
    ["orgCode", "org_code"],
    ["member", "member"],
    ["unit", "unit"],
  ] as const) {
    const source = mapping[key];
    if (!source) continue;
    const values = read(payload, source);
    if (values.length > 1)
      return { refused: msg("token.mapped_claim_repeated", { claim: key === "orgCode" ? "org" : key }) };
    if (values[0] !== undefined) out[claim] = values[0];
  }
  if (out.org !== undefined && out.org_code !== undefined) return { refused: msg("token.mapped_division_twice") };
  return { claims: out };
}
