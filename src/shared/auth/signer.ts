import { importJWK, SignJWT, type JSONWebKeySet, type JWK } from "jose";
import type { signingAlgorithms } from "./jwt.js";

/** A private signing key as configured: a JWK with `kid` and its private part `d`. */
export type PrivateJwk = JWK & { kid: string; d: string };

/** Issues the platform's own tokens (OAuth client-credentials access tokens). */
export interface TokenSigner {
  readonly issuer: string;
  readonly audience: string;
  /** The `kid` new tokens carry: the first key of the set. */
  readonly currentKid: string;
  sign(
    claims: Record<string, unknown>,
    options: { subject: string; ttlSeconds: number; type?: string; jwtId?: string },
  ): Promise<string>;
  /** Every key of the set, public members only: what `/.well-known/jwks.json` publishes and verification trusts. */
  publicJwks(): JSONWebKeySet;
}

/** Public members per key type (RFC 7518 §6): a whitelist, so private members (`d`, `p`, `q`, …) can never slip through. */
const publicMembers: Record<string, readonly string[]> = { EC: ["crv", "x", "y"], OKP: ["crv", "x"] };

export function algorithmOf(jwk: JWK): (typeof signingAlgorithms)[number] | undefined {
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  return undefined;
}

export function publicJwkOf(jwk: JWK): JWK {
  const alg = algorithmOf(jwk);
  if (!alg || (jwk.alg !== undefined && jwk.alg !== alg))
    throw new Error(`Signing key ${jwk.kid ?? "?"} must be an ES256 (EC P-256) or EdDSA (Ed25519) key`);
  const source = jwk as Record<string, unknown>;
  const out: Record<string, unknown> = { kty: jwk.kty };
  for (const member of publicMembers[jwk.kty!]!) out[member] = source[member];
  return { ...out, kid: jwk.kid, alg, use: "sig" };
}

export function publicJwksOf(keys: readonly JWK[]): JSONWebKeySet {
  return { keys: keys.map(publicJwkOf) };
}

/**
 * Signs with the FIRST key of the set; every key of the set stays published and trusted. Rotation:
 * put the new key first and keep the old one until the tokens it signed have expired (15 minutes
 * for access tokens), then drop it.
 */
export async function createTokenSigner(
  keys: readonly PrivateJwk[],
  options: { issuer: string; audience: string; now: () => Date },
): Promise<TokenSigner> {
  const [current] = keys;
  if (!current) throw new Error("The signing key set is empty");
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) throw new Error("Signing keys need distinct kids");
  const published = publicJwksOf(keys);
  const alg = algorithmOf(current)!;
  const privateKey = await importJWK({ ...current, alg }, alg);
  return {
    issuer: options.issuer,
    audience: options.audience,
    currentKid: current.kid,
    async sign(claims, { subject, ttlSeconds, type = "JWT", jwtId }) {
      const now = Math.floor(options.now().getTime() / 1000);
      let jwt = new SignJWT(claims)
        .setProtectedHeader({ alg, kid: current.kid, typ: type })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(subject)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds);
      if (jwtId) jwt = jwt.setJti(jwtId);
      return jwt.sign(privateKey);
    },
    publicJwks: () => published,
  };
}
