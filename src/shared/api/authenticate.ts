import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../http/errors.js";
import type { AppEnv } from "../request/context.js";
import type { RateLimitSubject } from "../http/rate-limit.js";
import type { Directory } from "../auth/directory.js";
import type { Db } from "../../db/client.js";
import type { TokenClaims, TokenVerifier } from "../auth/jwt.js";
import {
  cityRoles,
  isOwnerOnly,
  rolesHolding,
  rolesRefused,
  scopesForRoles,
  type Principal,
  type Scope,
} from "../auth/principal.js";
import { msg, textOf, type Message } from "../http/messages.js";

const bearerPattern = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i;

/** API keys start with this; anything else in a Bearer header is a JWT. */
export const apiKeyPrefix = "hx_";
/** The `client_id` of Hexi's own API clients (tokens from the OAuth token endpoint). */
export const apiClientIdPrefix = "hxc_";

/** The credentials machines present, backed by the access area's tables. */
export interface MachineCredentials {
  /** An API key to its principal and quota; answers the 401/403 itself. */
  apiKey(c: Context<AppEnv>, key: string): Promise<{ principal: Principal; rateLimit: RateLimitSubject }>;
  /**
   * The same answer without a promise when the key is in the process's cache (checked exactly as
   * `apiKey` checks it: revoked, expired, address rule; refusals throw); undefined when it is not.
   */
  cachedApiKey?(c: Context<AppEnv>, key: string): { principal: Principal; rateLimit: RateLimitSubject } | undefined;
  /** A client-credentials token's client must still be registered and not revoked (else 401); its quota. */
  client(c: Context<AppEnv>, clientId: string, tenant: string): Promise<RateLimitSubject>;
}

/**
 * Turns the request's credential into the principal, or answers 401. Every route below it can
 * rely on `c.get("principal")` being set: there is no unauthenticated path through it. A JWT
 * (`Authorization: Bearer <jwt>`) and an API key (`Authorization: Bearer hx_…` or
 * `X-API-Key: hx_…`) both end as a `Principal`; exactly one credential per request.
 */
export function authenticate(
  verifier: TokenVerifier,
  directory: Directory,
  machines: MachineCredentials,
): MiddlewareHandler<AppEnv> {
  // A token's principal, for at most a minute (tenants and divisions are re-checked that often) and never past its expiry.
  const principals = new Map<string, { principal: Principal; clientId?: string; until: number }>();
  return async (c, next) => {
    const header = c.req.header("authorization");
    const apiKeyHeader = c.req.header("x-api-key");
    if (header !== undefined && apiKeyHeader !== undefined) {
      throw new ApiError("unauthenticated", msg("auth.one_credential"));
    }
    if (header === undefined && apiKeyHeader === undefined) {
      throw new ApiError("unauthenticated", msg("auth.no_credential"));
    }
    let key = apiKeyHeader?.trim();
    let token: string | undefined;
    if (key === undefined) {
      token = bearerPattern.exec(header!)?.[1];
      if (!token) throw new ApiError("unauthenticated", msg("auth.bearer_format"));
      if (token.startsWith(apiKeyPrefix)) key = token;
    }
    if (key !== undefined) {
      // A key in the process's cache is checked without a promise; the one await left is next()'s.
      const { principal, rateLimit } = machines.cachedApiKey?.(c, key) ?? (await machines.apiKey(c, key));
      c.set("principal", principal);
      c.set("rateLimit", rateLimit);
      await next();
      return;
    }
    const jwt = token!;
    const known = principals.get(jwt);
    const now = c.get("clock").now().getTime();
    let entry = known && known.until > now ? known : undefined;
    if (!entry) {
      const claims = await verifier.verify(jwt);
      entry = {
        principal: await principalOf(claims, c.get("db"), directory),
        clientId: claims.client_id,
        until: Math.min(claims.exp * 1000, now + principalTtlMs),
      };
      if (principals.size >= principalCacheLimit) principals.clear();
      principals.set(jwt, entry);
    }
    if (entry.clientId?.startsWith(apiClientIdPrefix)) {
      // Revocation of the client is checked on every request (through the credentials cache).
      c.set("rateLimit", await machines.client(c, entry.clientId, entry.principal.tenant));
    }
    c.set("principal", entry.principal);
    await next();
  };
}

const principalTtlMs = 60_000;
const principalCacheLimit = 10_000;

/** Checks a verified token's claims against the directory and builds its principal. */
async function principalOf(claims: TokenClaims, db: Db, directory: Directory): Promise<Principal> {
  const level = await directory.tenantLevel(db, claims.tenant);
  if (!level) {
    throw tokenRejected(msg("token.unknown_tenant"));
  }
  // The city is the tenant at level `city` (a row, like every tenant): it reads across the others.
  const crossTenant = level === "city";
  const refused = rolesRefused(crossTenant, claims.roles);
  if (refused.length) {
    throw tokenRejected(
      crossTenant
        ? msg("token.city_roles_only", { allowed: cityRoles, refused })
        : msg("token.city_roles_elsewhere", { refused }),
    );
  }
  let org: Principal["org"];
  if (claims.org) {
    const path = await directory.divisionPath(db, claims.tenant, claims.org);
    if (!path) throw tokenRejected(msg("token.unknown_org"));
    org = { id: claims.org, path };
  } else if (claims.org_code) {
    const division = await directory.divisionByCode(db, claims.tenant, claims.org_code);
    if (!division) throw tokenRejected(msg("token.unknown_org_code"));
    org = division;
  }
  let granted = scopesForRoles(claims.roles);
  if (claims.scope !== undefined) {
    // A token may narrow what its roles grant, never widen it.
    const asked = new Set(claims.scope.split(" "));
    granted = new Set([...granted].filter((s) => asked.has(s)));
  }
  return {
    tenant: claims.tenant,
    subject: claims.sub,
    roles: claims.roles,
    scopes: granted,
    org,
    owner: isOwnerOnly(claims.roles)
      ? {
          memberId: claims.member,
          // `unit` names a unit party organisation (org_…) for a unit admin, a unit (unit_…) for a property company,
          // a department code for a functional department.
          unitOrgId: claims.roles.includes("unit_admin") ? claims.unit : undefined,
          departmentId: claims.roles.includes("department") ? claims.unit : undefined,
          // A platform's staff act for the platform (a unit) as a property company's do for theirs.
          companyUnitId:
            (claims.roles.includes("property_company") || claims.roles.includes("platform")) &&
            claims.unit?.startsWith("unit_")
              ? claims.unit
              : undefined,
          workerId: claims.roles.includes("gig_worker") && claims.sub.startsWith("gwk_") ? claims.sub : undefined,
        }
      : undefined,
    credential: "jwt",
    crossTenant,
  };
}

const tokenRejected = (reason: Message) =>
  new ApiError("unauthenticated", msg("auth.token_rejected", { reason: textOf(reason) }));

/** The 403 of a missing scope: which scope, and which roles hold it (so the caller knows whom to ask). */
export function missingScope(anyOf: readonly Scope[]): ApiError {
  const roles = rolesHolding(anyOf);
  return new ApiError(
    "forbidden",
    !roles.length
      ? msg("auth.scope_missing_no_role", { scopes: anyOf })
      : anyOf.length === 1
        ? msg("auth.scope_missing", { scopes: anyOf, roles })
        : msg("auth.scope_missing_any", { scopes: anyOf, roles }),
    { requiredScopes: anyOf, rolesWithScope: roles },
  );
}

/** Route guard: the principal must hold the scope (or, given several, any one of them). Declared on every protected route. */
export function requireScope(scope: Scope | readonly Scope[]): MiddlewareHandler<AppEnv> {
  const anyOf: readonly Scope[] = typeof scope === "string" ? [scope] : scope;
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal || !anyOf.some((s) => principal.scopes.has(s))) {
      throw missingScope(anyOf);
    }
    await next();
  };
}

/**
 * Route guard on every operation but GETs: a cross-tenant principal (the city) reads across the
 * county-level tenants and writes nothing, unless the operation is a designed city write
 * (`designedCityWrites` in ./exceptions.ts). Defence in depth behind the role table, which gives the
 * city no scope to write a county's records: a role or scope granted by mistake still cannot.
 */
export function refuseCrossTenantWrites(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("principal")?.crossTenant) {
      throw new ApiError("forbidden", msg("auth.city_writes"));
    }
    await next();
  };
}
