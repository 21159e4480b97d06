import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";
import type { Role } from "../../src/shared/auth/principal.js";

export const testIssuer = "hexi-test";
export const testAudience = "hexi-api";

export interface SigningKey {
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  /** The private key as a JWK (with kid and alg), as HEXI_SIGNING_JWKS carries it. */
  privateJwk: JWK & { kid: string; d: string };
  publicJwk: JWK;
  kid: string;
  alg: "ES256" | "EdDSA";
}

export async function createSigningKey(kid = "test-key", alg: "ES256" | "EdDSA" = "ES256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg } as SigningKey["privateJwk"];
  return { privateKey, privateJwk, publicJwk: { ...(await exportJWK(publicKey)), kid, alg }, kid, alg };
}

export interface TokenOptions {
  tenant?: string;
  roles?: Role[];
  org?: string;
  member?: string;
  unit?: string;
  sub?: string;
  scope?: string;
  issuer?: string;
  audience?: string;
  /** Seconds relative to now. */
  expiresIn?: number;
  notBefore?: number;
  extra?: JWTPayload;
}

/** `now`: the app's clock (`ctx.clock.now()`) in app tests; the wall clock only against a real server process or workerd. */
export async function signToken(key: SigningKey, options: TokenOptions, now: Date): Promise<string> {
  const payload: JWTPayload = {
    ...(options.tenant === undefined ? { tenant: "620902" } : options.tenant === "" ? {} : { tenant: options.tenant }),
    roles: options.roles ?? ["county_admin"],
    ...(options.org ? { org: options.org } : {}),
    ...(options.member ? { member: options.member } : {}),
    ...(options.unit ? { unit: options.unit } : {}),
    ...(options.scope ? { scope: options.scope } : {}),
    ...options.extra,
  };
  const iat = Math.floor(now.getTime() / 1000);
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setIssuer(options.issuer ?? testIssuer)
    .setAudience(options.audience ?? testAudience)
    .setSubject(options.sub ?? "user-1")
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.expiresIn ?? 600));
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(iat + options.notBefore);
  return jwt.sign(key.privateKey);
}
