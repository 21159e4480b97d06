import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from "jose";
import { algorithmOf, publicJwksOf } from "./signer.js";
import { certificateAudience, certificateType, revocationListType } from "./certificate-type.js";

/**
 * Verifiable certificates (无证明城市) are JWS compact tokens of their own type, signed by a key set
 * of their own (HEXI_CERT_SIGNING_JWKS), never by the platform's token keys. Three things keep a
 * certificate from ever working as an API credential: its `typ`, which the API's token verifier
 * refuses by name (src/shared/auth/jwt.ts); its audience; and its keys, which the verifier does not
 * trust.
 */
export { certificateAudience, certificateType, revocationListType };

/**
 * A certificate key as configured: the FIRST key signs and needs its private part `d`; the others
 * are retired keys, kept (public part only is enough) so that certificates they signed still
 * verify until those expire. A retired key that is dropped from the set makes its certificates
 * invalid.
 */
export type CertificateJwk = JWK & { kid: string };

export type CertificateInvalidReason =
  | "malformed"
  | "not_a_certificate"
  | "unknown_key"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "claims";

export type CertificateCheck =
  | { valid: true; payload: JWTPayload & Record<string, unknown>; kid: string }
  | { valid: false; reason: CertificateInvalidReason };

export interface CertificateKeys {
  readonly issuer: string;
  readonly currentKid: string;
  /** Signs a certificate: `jti` is the certificate's id, `exp` its end of validity, `iat` now (or `issuedAt`: the seed's history). */
  sign(claims: Record<string, unknown>, options: { id: string; expiresAt: Date; issuedAt?: Date }): Promise<string>;
  /** Signs a page of the revocation list (`typ` hexi-revocations+jwt, the certificates' audience, `iat` now): verifiable offline with the same keys. */
  signRevocations(claims: Record<string, unknown>): Promise<string>;
  /** Signature, type, audience, issuer and validity period; revocation is the caller's (it needs the database). */
  check(token: string): Promise<CertificateCheck>;
  /** Every key of the set, current and retired, public members only. */
  publicJwks(): JSONWebKeySet;
}

export async function createCertificateKeys(
  keys: readonly CertificateJwk[],
  options: { issuer: string; now: () => Date; clockToleranceSeconds?: number },
): Promise<CertificateKeys> {
  const [current] = keys;
  if (!current?.d) throw new Error("The first certificate key must be a private key (with `d`): it signs");
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error("Certificate keys need distinct kids");
  const published = publicJwksOf(keys);
  const trusted = createLocalJWKSet(published);
  const alg = algorithmOf(current)!;
  const privateKey = await importJWK({ ...current, alg }, alg);
  return {
    issuer: options.issuer,
    currentKid: current.kid,
    async sign(claims, { id, expiresAt, issuedAt }) {
      const now = Math.floor((issuedAt ?? options.now()).getTime() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: current.kid, typ: certificateType })
        .setIssuer(options.issuer)
        .setAudience(certificateAudience)
        .setSubject(id)
        .setJti(id)
        .setIssuedAt(now)
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(privateKey);
    },
    async signRevocations(claims) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: current.kid, typ: revocationListType })
        .setIssuer(options.issuer)
        .setAudience(certificateAudience)
        .setIssuedAt(Math.floor(options.now().getTime() / 1000))
        .sign(privateKey);
    },
    async check(token) {
      let kid: string | undefined;
      try {
        const header = decodeProtectedHeader(token);
        if (header.typ !== certificateType) return { valid: false, reason: "not_a_certificate" };
        kid = header.kid;
      } catch {
        return { valid: false, reason: "malformed" };
      }
      try {
        const { payload } = await jwtVerify(token, trusted, {
          algorithms: ["ES256", "EdDSA"],
          typ: certificateType,
          issuer: options.issuer,
          audience: certificateAudience,
          requiredClaims: ["jti", "iat", "exp", "tenant", "kind"],
          currentDate: options.now(),
          clockTolerance: options.clockToleranceSeconds ?? 0,
        });
        return { valid: true, payload: payload as JWTPayload & Record<string, unknown>, kid: kid ?? "" };
      } catch (err) {
        return { valid: false, reason: reasonOf(err) };
      }
    },
    publicJwks: () => published,
  };
}

function reasonOf(err: unknown): CertificateInvalidReason {
  if (err instanceof joseErrors.JWTExpired) return "expired";
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "unknown_key";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "signature";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return err.claim === "nbf" ? "not_yet_valid" : "claims";
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return "malformed";
  return "signature";
}
