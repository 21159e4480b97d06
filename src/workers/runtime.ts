/**
 * The Worker's runtime: dependencies from bindings, the app, the cron handler. src/worker.ts
 * imports this lazily, so the isolate's start-up evaluates almost nothing and the first request
 * builds the app (its routes and schemas) once.
 */
import { createClient } from "@libsql/client/web";
import type { ExecutionContext } from "hono";
import { createApp, type AppDeps } from "../app.js";
import {
  certificateKeySet,
  ConfigError,
  consoleSignInProviders,
  parseConfig,
  piiKeyMaterial,
  platformVerificationJwks,
  pagingSettings,
  s3Settings,
  signingKeys,
  trustedIssuers,
} from "../config.js";
import { createDb } from "../db/client.js";
import type { StaticAssets } from "../shared/http/static-assets.js";
import { createDispatcher } from "../domains/webhooks/dispatcher.js";
import { runMaintenance, runPagingTick } from "../maintenance.js";
import { createTokenVerifier } from "../shared/auth/jwt.js";
import { createTokenSigner } from "../shared/auth/signer.js";
import { createCertificateKeys } from "../shared/auth/certificate-keys.js";
import { systemClock } from "../shared/clock.js";
import { createPiiVault } from "../shared/crypto/pii.js";
import { describeError, jsonLogger } from "../shared/log.js";
import { durableObjectRateLimiter, type DurableObjectNamespaceLike } from "./rate-limiter.js";
import { msg, negotiateLanguage } from "../shared/http/messages.js";
import { ApiError, problemDocument } from "../shared/http/errors.js";
import { r2BlobStore, type R2BucketLike } from "./r2-blobs.js";
import { s3BlobStore } from "../shared/s3-blobs.js";

/**
 * The bindings this Worker reads (see wrangler.toml). Declared here rather than pulling in
 * @cloudflare/workers-types, which would change the global types of the whole project.
 */
export interface Env {
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  HEXI_JWT_ISSUER?: string;
  HEXI_JWT_AUDIENCE?: string;
  HEXI_JWT_PUBLIC_JWKS?: string;
  HEXI_SIGNING_JWKS?: string;
  HEXI_CERT_SIGNING_JWKS?: string;
  HEXI_S3_ENDPOINT?: string;
  HEXI_S3_BUCKET?: string;
  HEXI_S3_REGION?: string;
  HEXI_S3_ACCESS_KEY_ID?: string;
  HEXI_S3_SECRET_ACCESS_KEY?: string;
  HEXI_TENANT_RATE_LIMIT_PER_MINUTE?: string;
  HEXI_TENANT_ISSUERS?: string;
  HEXI_PII_KEYS?: string;
  HEXI_PII_KEY_ID?: string;
  HEXI_PII_HMAC_KEY?: string;
  HEXI_CLOCK_TOLERANCE_SECONDS?: string;
  HEXI_MAX_BODY_BYTES?: string;
  HEXI_ANSWER_HOST?: string;
  HEXI_PUBLIC_URL?: string;
  HEXI_SMS_SIGNATURE?: string;
  HEXI_VOLUNTEER_RETENTION_DAYS?: string;
  HEXI_SMS_GATEWAYS?: string;
  /** Workers static assets: the built `public/` directory, docs UI and console (wrangler.toml `[assets]`). */
  ASSETS: { fetch(request: Request): Promise<Response> };
  /** Rate-limit buckets: one Durable Object each (wrangler.toml `[[durable_objects.bindings]]`). */
  RATE_LIMITER?: DurableObjectNamespaceLike;
  /** Complaint photos (wrangler.toml `[[r2_buckets]]`); optional: without it, photo uploads answer 503. */
  PHOTOS?: R2BucketLike;
}

const required = (name: string, what: string) =>
  new ConfigError(`Invalid configuration:\n  ${name}: required on Workers, ${what}`);

/** The Workers runtime's dependencies. Config, keys and verifier are plain data; database clients are made per request. */
async function workerDeps(env: Env): Promise<AppDeps> {
  const config = parseConfig(env as unknown as Record<string, unknown>);
  if (!env.DATABASE_URL || config.DATABASE_URL.startsWith("file:")) {
    throw required("DATABASE_URL", "a libsql:// or https:// URL (wrangler secret put DATABASE_URL)");
  }
  const signing = signingKeys(config);
  if (!signing)
    throw required(
      "HEXI_SIGNING_JWKS",
      'the platform\'s private signing keys as {"keys":[…]} (wrangler secret put HEXI_SIGNING_JWKS)',
    );
  if (!env.RATE_LIMITER) throw required("RATE_LIMITER", "the rate limiter's Durable Object binding (wrangler.toml)");
  const pii = piiKeyMaterial(config);
  if (!pii)
    throw required(
      "HEXI_PII_KEYS, HEXI_PII_KEY_ID and HEXI_PII_HMAC_KEY",
      "there are no development keys here (wrangler secret put)",
    );
  const { DATABASE_URL: url, DATABASE_AUTH_TOKEN: authToken } = config;
  const clock = systemClock;
  return {
    // workerd forbids I/O objects crossing requests: a fresh HTTP client per request.
    database: () => createDb(createClient({ url, authToken })),
    verifier: createTokenVerifier(trustedIssuers(config, platformVerificationJwks(config, signing)), {
      now: clock.now,
      clockToleranceSeconds: config.HEXI_CLOCK_TOLERANCE_SECONDS,
      maxLifetimeSeconds: config.HEXI_MAX_TOKEN_LIFETIME_SECONDS,
    }),
    pii: await createPiiVault(pii),
    clock,
    assets: assetsBinding(env),
    consoleSignIn: consoleSignInProviders(config),
    log: jsonLogger,
    maxBodyBytes: config.HEXI_MAX_BODY_BYTES,
    signer: await createTokenSigner(signing, {
      issuer: config.HEXI_JWT_ISSUER,
      audience: config.HEXI_JWT_AUDIENCE,
      now: clock.now,
    }),
    rateLimiter: durableObjectRateLimiter(env.RATE_LIMITER),
    tenantRateLimitPerMinute: config.HEXI_TENANT_RATE_LIMIT_PER_MINUTE,
    blobs: env.PHOTOS
      ? r2BlobStore(env.PHOTOS)
      : s3Settings(config)
        ? s3BlobStore(s3Settings(config)!, { now: clock.now })
        : undefined,
    // Verifiable certificates: optional (a secret); without it, issuing and verifying answer 503.
    certificates: certificateKeySet(config)
      ? await createCertificateKeys(certificateKeySet(config)!, { issuer: config.HEXI_JWT_ISSUER, now: clock.now })
      : undefined,
    // Set by Cloudflare's edge for every request; a client cannot forge it.
    clientIp: (c) => c.req.header("cf-connecting-ip"),
    paging: pagingSettings(config, clock),
    ...(config.HEXI_PUBLIC_URL ? { publicUrl: config.HEXI_PUBLIC_URL } : {}),
    defer: (work, c) =>
      c.executionCtx.waitUntil(
        work.catch((error) => jsonLogger.error("deferred work failed", { requestId: c.get("requestId"), error })),
      ),
  };
}

function assetsBinding(env: Env): StaticAssets {
  return {
    async get(path) {
      const response = await env.ASSETS.fetch(new Request(`https://assets.local/${path}`));
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`ASSETS answered ${response.status} for ${path}`);
      return response;
    },
  };
}

function misconfigured(error: unknown, request?: Request): Response {
  console.error(
    JSON.stringify({
      level: "error",
      message: error instanceof ConfigError ? error.message : "Start-up failed",
      error: describeError(error),
    }),
  );
  const { status, headers, body } = problemDocument(
    new ApiError("unavailable", msg("generic.misconfigured")),
    "",
    negotiateLanguage(request?.headers.get("accept-language")),
  );
  return new Response(body, { status, headers });
}

/** Built on the first request of an isolate. Bindings do not change within one, so a failure is kept and reported on every request. */
let deps: Promise<AppDeps> | undefined;
let app: Promise<ReturnType<typeof createApp>> | undefined;

function loadDeps(env: Env): Promise<AppDeps> {
  deps ??= workerDeps(env);
  return deps;
}

export const handlers = {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    app ??= loadDeps(env).then(createApp);
    let ready: ReturnType<typeof createApp>;
    try {
      ready = await app;
    } catch (error) {
      return misconfigured(error, request);
    }
    return ready.fetch(request, env, ctx);
  },

  /**
   * The Cron Trigger (wrangler.toml [triggers]): fans out the outbox and delivers due webhooks. No
   * host resolution here: Workers' outbound fetch cannot reach private addresses (nor can
   * self-hosted workerd's default `public` network), so the syntactic target check is enough.
   */
  async scheduled(controller: { cron: string; scheduledTime: number }, env: Env, ctx: ExecutionContext): Promise<void> {
    let ready: AppDeps;
    try {
      ready = await loadDeps(env);
    } catch (error) {
      misconfigured(error);
      return;
    }
    const dispatcher = createDispatcher({
      db: ready.database(),
      pii: ready.pii,
      fetch: (url, init) => fetch(url, init),
      clock: ready.clock,
      log: ready.log,
    });
    ctx.waitUntil(dispatcher.runOnce());
    // Emergency escalation timers and pages left queued: within the minute.
    if (ready.paging)
      ctx.waitUntil(runPagingTick(ready.database(), { paging: ready.paging, pii: ready.pii }, ready.clock.now()));
    // Housekeeping every tenth minute (the cron fires every minute for webhooks).
    if (new Date(controller.scheduledTime).getUTCMinutes() % 10 === 0)
      ctx.waitUntil(runMaintenance(ready.database(), ready.clock.now(), ready.log));
  },
};
