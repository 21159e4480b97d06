import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";
import { z } from "zod";
import { certificateType, revocationListType } from "./certificate-type.js";
import { ApiError } from "../http/errors.js";
import { roles } from "./principal.js";
import { applyClaimMapping, type ClaimMapping } from "./claim-mapping.js";
import { type Message, msg, textOf } from "../http/messages.js";

export const signingAlgorithms = ["ES256", "EdDSA"] as const;

/** An issuer whose tokens the API accepts. */
export interface TrustedIssuer {
  issuer: string;
  audience: string;
  /** Inline public keys (the platform's own issuer, or a tenant IdP's pinned keys). */
  jwks?: JSONWebKeySet;
  /** A tenant identity provider's published key set, fetched and cached by jose. */
  jwksUrl?: string;
  /**
   * An issuer bound to one tenant can never speak for another. Absent for the platform's own issuer,
   * and for an identity provider whose claim mapping names the tenant (one provider for a whole city).
   */
  tenant?: string;
  /**
   * How this issuer's tokens say tenant, roles and division when they do not carry Hexi's own
   * `tenant`/`roles`/`org` claims (a government identity provider's): see ./claim-mapping.ts.
   */
  claims?: ClaimMapping;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  tenant: z.string().regex(/^\d{6}$/),
  roles: z.array(z.enum(roles)).min(1).max(roles.length),
  org: z.string().min(1).max(64).optional(),
  /** The division by its administrative code: only from an identity provider's claim mapping (`orgCode`). */
  org_code: z.string().min(1).max(32).optional(),
  /** The party member a `member` principal is. */
  member: z.string().min(1).max(64).optional(),
  /** The unit party organisation a `unit_admin` principal administers. */
  unit: z.string().min(1).max(64).optional(),
  scope: z.string().max(2000).optional(),
  /** RFC 9068: the OAuth client a client-credentials token was issued to (only the platform issuer's count). */
  client_id: z.string().min(1).max(200).optional(),
  exp: z.number(),
  iat: z.number(),
});
export type TokenClaims = z.infer<typeof claimsSchema>;

export interface TokenVerifier {
  verify(token: string): Promise<TokenClaims>;
}

const rejected = (reason: Message) =>
  new ApiError("unauthenticated", msg("auth.token_rejected", { reason: textOf(reason) }));

const cacheLimit = 10_000;

/** The longest lifetime (exp − iat) a token may claim unless configured otherwise (HEXI_MAX_TOKEN_LIFETIME_SECONDS). */
export const defaultMaxTokenLifetimeSeconds = 86_400;

/**
 * Verifies platform and tenant-IdP JWTs with an explicit algorithm allow-list, issuer, audience,
 * and time claims: `iat` is required, neither in the future nor older than the maximum lifetime,
 * and `exp − iat` may not exceed it (a token valid for ten years is refused, not trusted). Verified tokens are remembered until they expire: signature checks dominate
 * the cost of an authenticated read, and a token's claims cannot change.
 */
export function createTokenVerifier(
  issuers: readonly TrustedIssuer[],
  options: { now: () => Date; clockToleranceSeconds: number; maxLifetimeSeconds?: number },
): TokenVerifier {
  const maxLifetime = options.maxLifetimeSeconds ?? defaultMaxTokenLifetimeSeconds;
  const keySets = new Map<string, { issuer: TrustedIssuer; keys: JWTVerifyGetKey }>();
  for (const issuer of issuers) {
    const keys = issuer.jwks
      ? createLocalJWKSet(issuer.jwks)
      : issuer.jwksUrl
        ? createRemoteJWKSet(new URL(issuer.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
        : undefined;
    if (!keys) throw new Error(`Trusted issuer ${issuer.issuer} has neither jwks nor jwksUrl`);
    keySets.set(issuer.issuer, { issuer, keys });
  }
  const verified = new Map<string, TokenClaims>();

  async function verifyUncached(token: string): Promise<TokenClaims> {
    let unverifiedIssuer: string | undefined;
    try {
      unverifiedIssuer = decodeJwt(token).iss;
      // A verifiable certificate is a document, never a credential: refused by its type before anything else.
      const typ = decodeProtectedHeader(token).typ?.toLowerCase();
      if (typ === certificateType || typ === revocationListType) throw rejected(msg("token.certificate"));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw rejected(msg("token.malformed"));
    }
    const trusted = unverifiedIssuer ? keySets.get(unverifiedIssuer) : undefined;
    if (!trusted) throw rejected(msg("token.untrusted_issuer"));
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        algorithms: [...signingAlgorithms],
        issuer: trusted.issuer.issuer,
        audience: trusted.issuer.audience,
        requiredClaims: ["exp", "iat", "sub"],
        clockTolerance: options.clockToleranceSeconds,
        currentDate: options.now(),
        maxTokenAge: maxLifetime,
      }));
    } catch (err) {
      throw rejected(describeJoseError(err));
    }
    // A mapped issuer's token is read through its mapping; its own `scope` (OIDC scopes) and client_id mean nothing here.
    let mapped: Record<string, unknown> = payload as Record<string, unknown>;
    if (trusted.issuer.claims) {
      const result = applyClaimMapping(mapped, trusted.issuer.claims, trusted.issuer.tenant);
      if ("refused" in result) throw rejected(result.refused);
      mapped = result.claims;
    }
    const parsed = claimsSchema.safeParse(mapped);
    if (!parsed.success)
      throw rejected(msg("token.claim_invalid", { claim: parsed.error.issues[0]?.path.join(".") || "?" }));
    if (parsed.data.exp - parsed.data.iat > maxLifetime) {
      throw rejected(msg("token.lifetime", { seconds: maxLifetime }));
    }
    if (trusted.issuer.tenant && parsed.data.tenant !== trusted.issuer.tenant) {
      throw rejected(msg("token.tenant_not_allowed"));
    }
    // Only the platform issues tokens to Hexi's API clients; a tenant IdP's client_id means nothing here.
    if (trusted.issuer.tenant) delete parsed.data.client_id;
    // A division code is read only through a mapping; a token carrying its own means nothing.
    if (!trusted.issuer.claims) delete parsed.data.org_code;
    return parsed.data;
  }

  return {
    async verify(token) {
      const cached = verified.get(token);
      if (cached) {
        if (cached.exp + options.clockToleranceSeconds > options.now().getTime() / 1000) return cached;
        verified.delete(token);
        throw rejected(msg("token.expired"));
      }
      const claims = await verifyUncached(token);
      if (verified.size >= cacheLimit) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
      return claims;
    },
  };
}

function describeJoseError(err: unknown): Message {
  if (err instanceof joseErrors.JWTExpired) return msg("token.expired");
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return msg("token.claim_failed", { claim: err.claim, reason: err.reason });
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return msg("token.algorithm");
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return msg("token.signature");
  if (err instanceof joseErrors.JWKSNoMatchingKey) return msg("token.no_key");
  return msg("token.unverifiable");
}
