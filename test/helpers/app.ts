import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type AppDeps } from "../../src/app.js";
import type { Db } from "../../src/db/client.js";
import { seedDemo } from "../../src/db/seed/demo.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";
import { nodeDocsAssets } from "../../src/node/docs-assets.js";
import { createTokenVerifier, type TrustedIssuer } from "../../src/shared/auth/jwt.js";
import { createSigningKey, signToken, testAudience, testIssuer, type SigningKey, type TokenOptions } from "./keys.js";

export interface TestContext {
  app: ReturnType<typeof createApp>;
  db: Db;
  key: SigningKey;
  token(options?: TokenOptions): Promise<string>;
  /** `app.request` with a bearer token for the given claims. */
  as(options: TokenOptions): (path: string, init?: RequestInit) => Promise<Response>;
  close(): void;
}

/** A fresh migrated, demo-seeded embedded database and an app built by the same factory as production. */
export async function createTestContext(overrides: Partial<AppDeps> & { issuers?: (key: SigningKey) => TrustedIssuer[] } = {}): Promise<TestContext> {
  const dir = mkdtempSync(join(tmpdir(), "hexi-test-"));
  const { client, db } = openDatabase(`file:${join(dir, "test.db")}`);
  await migrateDatabase(db);
  await seedDemo(db);
  const key = await createSigningKey();
  const clock = { now: () => new Date() };
  const issuers = overrides.issuers?.(key) ?? [{ issuer: testIssuer, audience: testAudience, jwks: { keys: [key.publicJwk] } }];
  const { issuers: _ignored, ...depOverrides } = overrides;
  const app = createApp({
    database: () => db,
    verifier: createTokenVerifier(issuers, { now: clock.now, clockToleranceSeconds: 5 }),
    clock,
    docsAssets: nodeDocsAssets(),
    log: { error: () => {} },
    maxBodyBytes: 64 * 1024,
    ...depOverrides,
  });
  const token = (options: TokenOptions = {}) => signToken(key, options);
  return {
    app,
    db,
    key,
    token,
    as: (options) => async (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${await token(options)}`);
      return app.request(path, { ...init, headers });
    },
    close: () => {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
