import { createHash, createHmac } from "node:crypto";
import type { AppDeps } from "../app.js";
import {
  certificateKeySet,
  ConfigError,
  consoleSignInProviders,
  pagingSettings,
  piiKeyMaterial,
  platformVerificationJwks,
  runMode,
  s3Settings,
  signingKeys,
  trustedIssuers,
  type Config,
} from "../config.js";
import { createPiiVault, type SyncDigests } from "../shared/crypto/pii.js";
import { jsonLogger } from "../shared/log.js";
import type { Db } from "../db/client.js";
import { createTokenVerifier } from "../shared/auth/jwt.js";
import { createTokenSigner, type PrivateJwk } from "../shared/auth/signer.js";
import { systemClock } from "../shared/clock.js";
import { MemoryRateLimiter } from "../shared/http/rate-limit.js";
import { directoryBlobStore } from "./blob-dir.js";
import { s3BlobStore } from "../shared/s3-blobs.js";
import { nodeClientIp } from "./client-ip.js";
import { nodeStaticAssets } from "./static-assets.js";
import { devCertificateKeyPath, ensureDevKey, ensureDevPiiKeys, type DevKey } from "./dev-key.js";
import { createCertificateKeys, type CertificateJwk } from "../shared/auth/certificate-keys.js";

/** Development PII keys beside the database; production never makes them up. */
function developmentPiiKeys(config: Config) {
  if (runMode(config) === "production")
    throw new ConfigError(
      "Invalid configuration:\n  HEXI_PII_KEYS, HEXI_PII_KEY_ID, HEXI_PII_HMAC_KEY: required in production",
    );
  return ensureDevPiiKeys(config.DATABASE_URL);
}

/** node:crypto's synchronous digests for the PII vault (see `SyncDigests`). */
export const nodeDigests: SyncDigests = {
  sha256Hex: (text) => createHash("sha256").update(text).digest("hex"),
  hmacSha256: (key, text) => {
    const mac = createHmac("sha256", key).update(text).digest();
    return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength) as ArrayBuffer;
  },
};

/** The Node runtime's dependencies: one embedded database client for the process, the system clock, in-process rate limits. */
export async function nodeDeps(config: Config, db: Db, devKey: DevKey | undefined): Promise<AppDeps> {
  const signing = signingKeys(config) ?? (devKey ? [devKey.privateJwk as PrivateJwk] : undefined);
  if (!signing) throw new Error("Set HEXI_SIGNING_JWKS, or run with a development key.");
  const clock = systemClock;
  return {
    database: () => db,
    verifier: createTokenVerifier(trustedIssuers(config, platformVerificationJwks(config, signing)), {
      now: clock.now,
      clockToleranceSeconds: config.HEXI_CLOCK_TOLERANCE_SECONDS,
      maxLifetimeSeconds: config.HEXI_MAX_TOKEN_LIFETIME_SECONDS,
    }),
    pii: await createPiiVault(piiKeyMaterial(config) ?? developmentPiiKeys(config), nodeDigests),
    clock,
    assets: nodeStaticAssets(),
    consoleSignIn: consoleSignInProviders(config),
    log: jsonLogger,
    maxBodyBytes: config.HEXI_MAX_BODY_BYTES,
    signer: await createTokenSigner(signing, {
      issuer: config.HEXI_JWT_ISSUER,
      audience: config.HEXI_JWT_AUDIENCE,
      now: clock.now,
    }),
    rateLimiter: new MemoryRateLimiter(() => clock.now().getTime()),
    tenantRateLimitPerMinute: config.HEXI_TENANT_RATE_LIMIT_PER_MINUTE,
    clientIp: nodeClientIp(config.HEXI_TRUST_PROXY_HOPS),
    paging: pagingSettings(config, clock),
    ...(config.HEXI_PUBLIC_URL ? { publicUrl: config.HEXI_PUBLIC_URL } : {}),
    certificates: await certificateKeys(config, clock),
    blobs: photoStore(config, clock),
    defer: (work, c) => {
      work.catch((error) => jsonLogger.error("deferred work failed", { requestId: c.get("requestId"), error }));
    },
  };
}

/** S3-compatible storage when HEXI_S3_* is set, else a directory (if any). */
function photoStore(config: Config, clock: typeof systemClock) {
  const s3 = s3Settings(config);
  if (s3) return s3BlobStore(s3, { now: clock.now });
  const dir = photosDir(config);
  return dir ? directoryBlobStore(dir) : undefined;
}

/** `HEXI_PHOTOS_DIR`, or `photos/` beside an embedded (`file:`) database. */
function photosDir(config: Config): string | undefined {
  if (config.HEXI_PHOTOS_DIR) return config.HEXI_PHOTOS_DIR;
  if (!config.DATABASE_URL.startsWith("file:")) return undefined;
  const path = config.DATABASE_URL.slice("file:".length);
  return `${path.slice(0, path.lastIndexOf("/") + 1) || "./"}photos`;
}

/**
 * HEXI_CERT_SIGNING_JWKS, or in development a certificate key beside the database (created on first
 * use like the development signing key); production refuses to start without it (src/config.ts).
 */
async function certificateKeys(config: Config, clock: typeof systemClock) {
  const configured = certificateKeySet(config);
  const keys: CertificateJwk[] | undefined =
    configured ??
    (runMode(config) === "production"
      ? undefined
      : [(await ensureDevKey(devCertificateKeyPath(config.DATABASE_URL), clock, "cert-dev")).privateJwk]);
  return keys ? createCertificateKeys(keys, { issuer: config.HEXI_JWT_ISSUER, now: clock.now }) : undefined;
}
