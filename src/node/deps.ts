import type { AppDeps } from "../app.js";
import { piiKeyMaterial, trustedIssuers, type Config } from "../config.js";
import { createPiiVault } from "../shared/crypto/pii.js";
import { jsonLogger } from "../shared/log.js";
import type { Db } from "../db/client.js";
import { createTokenVerifier } from "../shared/auth/jwt.js";
import { nodeDocsAssets } from "./docs-assets.js";
import { ensureDevPiiKeys, type DevKey } from "./dev-key.js";

/** The Node runtime's dependencies: one embedded database client for the process, the system clock. */
export async function nodeDeps(config: Config, db: Db, devKey: DevKey | undefined): Promise<AppDeps> {
  const platformJwks = config.HEXI_JWT_PUBLIC_JWKS ?? (devKey ? { keys: [devKey.publicJwk] } : undefined);
  if (!platformJwks) throw new Error("Set HEXI_JWT_PUBLIC_JWKS, or run with a development key.");
  const clock = { now: () => new Date() };
  return {
    database: () => db,
    verifier: createTokenVerifier(trustedIssuers(config, platformJwks), {
      now: clock.now,
      clockToleranceSeconds: config.HEXI_CLOCK_TOLERANCE_SECONDS,
    }),
    pii: await createPiiVault(piiKeyMaterial(config) ?? ensureDevPiiKeys(config.DATABASE_URL)),
    clock,
    docsAssets: nodeDocsAssets(),
    log: jsonLogger,
    maxBodyBytes: config.HEXI_MAX_BODY_BYTES,
  };
}
