import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type AppDeps } from "../../src/app.js";
import type { Db } from "../../src/db/client.js";
import { seedDemo } from "../../src/db/seed/demo.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";
import { nodeStaticAssets } from "../../src/node/static-assets.js";
import { createPiiVault, generatePiiKeyMaterial, type PiiVault } from "../../src/shared/crypto/pii.js";
import { createTokenVerifier, type TrustedIssuer } from "../../src/shared/auth/jwt.js";
import { createTokenSigner } from "../../src/shared/auth/signer.js";
import { createCertificateKeys } from "../../src/shared/auth/certificate-keys.js";
import { MemoryRateLimiter } from "../../src/shared/http/rate-limit.js";
import type { Clock } from "../../src/shared/clock.js";
import { TestClock, testEpoch } from "./clock.js";
import { createSigningKey, signToken, testAudience, testIssuer, type SigningKey, type TokenOptions } from "./keys.js";

export interface TestContext {
  /** The one clock every part of the app reads: verifier, signer, rate limiter, handlers; and the tokens `token`/`call`/`as` sign. */
  clock: Clock;
  app: ReturnType<typeof createApp>;
  db: Db;
  key: SigningKey;
  pii: PiiVault;
  /** The dependencies the app was built with, to build a twin app on the same database (another "isolate"). */
  deps: AppDeps;
  /** Waits for work the app deferred past its responses (e.g. API key last-used writes). */
  settle(): Promise<void>;
  token(options?: TokenOptions): Promise<string>;
  /**
   * A JSON request as the given principal; answers status, parsed body and headers. It asks for
   * English problems (`Accept-Language: en`) unless the headers ask otherwise; the app's default is zh-CN.
   */
  call<T = any>(
    who: TokenOptions,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** `app.request` with a bearer token for the given claims, asking for English problems unless told otherwise. */
  as(options: TokenOptions): (path: string, init?: RequestInit) => Promise<Response>;
  /** Waits for deferred work (as a runtime lets it finish), then closes the database. */
  close(): Promise<void>;
}

/** A fresh migrated, demo-seeded embedded database and an app built by the same factory as production. */
export async function createTestContext(
  overrides: Partial<AppDeps> & { issuers?: (key: SigningKey) => TrustedIssuer[] } = {},
): Promise<TestContext> {
  const dir = mkdtempSync(join(tmpdir(), "hexi-test-"));
  const { client, db } = openDatabase(`file:${join(dir, "test.db")}`);
  await migrateDatabase(db);
  await seedDemo(db);
  const key = await createSigningKey();
  // By default a fixed start (testEpoch) and 1 ms per reading, whatever the date: nothing here reads
  // the wall clock. A test that needs time to pass hands in a TestClock of its own and moves it.
  const clock = overrides.clock ?? new TestClock(testEpoch, { stepMs: 1 });
  const issuers = overrides.issuers?.(key) ?? [
    { issuer: testIssuer, audience: testAudience, jwks: { keys: [key.publicJwk] } },
  ];
  const { issuers: _ignored, clock: _clock, ...depOverrides } = overrides;
  const pii = await createPiiVault(generatePiiKeyMaterial());
  const deferred: Promise<unknown>[] = [];
  const deps: AppDeps = {
    database: () => db,
    verifier: createTokenVerifier(issuers, { now: clock.now, clockToleranceSeconds: 5 }),
    pii,
    clock,
    assets: nodeStaticAssets(),
    log: { error: () => {} },
    maxBodyBytes: 64 * 1024,
    signer: await createTokenSigner([key.privateJwk], { issuer: testIssuer, audience: testAudience, now: clock.now }),
    rateLimiter: new MemoryRateLimiter(() => clock.now().getTime()),
    tenantRateLimitPerMinute: 6000,
    // A key set of its own, never the token signing key (test/certificates.test.ts rotates it).
    certificates: await createCertificateKeys([(await createSigningKey("cert-test-key")).privateJwk], {
      issuer: testIssuer,
      now: clock.now,
    }),
    // app.request has no socket: tests say where a request comes from with this header.
    clientIp: (c) => c.req.header("x-test-client-ip") ?? "192.0.2.10",
    defer: (work) => void deferred.push(work),
    ...depOverrides,
  };
  const app = createApp(deps);
  const token = (options: TokenOptions = {}) => signToken(key, options, clock.now());
  return {
    clock,
    app,
    db,
    key,
    pii,
    deps,
    settle: async () => {
      await Promise.all(deferred.splice(0));
    },
    token,
    async call(who, method, path, body, headers = {}) {
      const res = await app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${await token(who)}`,
          "accept-language": "en",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    as:
      (options) =>
      async (path, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set("authorization", `Bearer ${await token(options)}`);
        if (!headers.has("accept-language")) headers.set("accept-language", "en");
        return app.request(path, { ...init, headers });
      },
    close: async () => {
      await Promise.allSettled(deferred.splice(0));
      client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
