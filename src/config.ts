import { z } from "zod";
import { claimMappingSchema } from "./shared/auth/claim-mapping.js";
import type { CertificateJwk } from "./shared/auth/certificate-keys.js";
import type { TrustedIssuer } from "./shared/auth/jwt.js";
import { algorithmOf, publicJwksOf, type PrivateJwk } from "./shared/auth/signer.js";
import type { PiiKeyMaterial } from "./shared/crypto/pii.js";
import type { S3Settings } from "./shared/s3-blobs.js";
import { gatewayChannel } from "./domains/emergency/gateway.js";
import type { Clock } from "./shared/clock.js";
import { isSecret } from "./shared/crypto/standard-webhooks.js";
import { developmentChannel, type PagingSettings } from "./shared/messaging.js";

const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return schema.parse(JSON.parse(text)) as z.infer<T>;
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof z.ZodError ? z.prettifyError(err) : "is not valid JSON" });
      return z.NEVER;
    }
  });

const jwkSet = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) });

/** Private signing keys: each needs a distinct `kid` and its private part `d`; ES256 or EdDSA. */
const privateJwkSet = z.object({
  keys: z
    .array(
      z
        .looseObject({
          kid: z.string().min(1).max(100),
          d: z.string().min(1),
          kty: z.string(),
          crv: z.string().optional(),
        })
        .refine((k) => algorithmOf(k) !== undefined, "must be an EC P-256 (ES256) or OKP Ed25519 (EdDSA) key"),
    )
    .min(1)
    .refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, "kids must be distinct"),
});

/**
 * Certificate keys (verifiable certificates): the FIRST signs and needs `d`; the rest are retired
 * keys whose public half stays published while certificates they signed are valid.
 */
const certificateJwkSet = z.object({
  keys: z
    .array(
      z
        .looseObject({
          kid: z.string().min(1).max(100),
          d: z.string().min(1).optional(),
          kty: z.string(),
          crv: z.string().optional(),
        })
        .refine((k) => algorithmOf(k) !== undefined, "must be an EC P-256 (ES256) or OKP Ed25519 (EdDSA) key"),
    )
    .min(1)
    .refine((keys) => keys[0]?.d !== undefined, "the first key signs: it needs its private part d")
    .refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, "kids must be distinct"),
});

/** An answer link's host: short, it is written into every page's one SMS segment. */
const answerHostPattern = /^[a-z0-9.-]{3,40}$/;

/** https, or http on loopback (a development identity provider). */
const endpointUrl = z.url().refine((u) => {
  const { protocol, hostname } = new URL(u);
  return protocol === "https:" || (protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(hostname));
}, "must be https (http only on loopback)");

const tenantIssuer = z
  .object({
    /** The one tenant this issuer speaks for; may be left out only when `claims.tenant` reads it from the token. */
    tenant: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
    issuer: z.string().min(1),
    audience: z.string().min(1).optional(),
    jwksUrl: z.url({ protocol: /^https$/ }).optional(),
    jwks: jwkSet.optional(),
    /** The console signs people in here: OpenID Connect authorization code with PKCE, a public client. */
    console: z
      .object({
        clientId: z.string().min(1),
        authorizationEndpoint: endpointUrl,
        tokenEndpoint: endpointUrl,
        /** Shown on the sign-in button, e.g. 肃州区统一身份认证. */
        name: z.string().min(1).optional(),
      })
      .optional(),
    /** Where its tokens carry tenant, roles and division (src/shared/auth/claim-mapping.ts). */
    claims: claimMappingSchema.optional(),
  })
  .refine((i) => i.jwksUrl || i.jwks, "needs jwksUrl or jwks")
  .refine((i) => i.tenant || i.claims?.tenant, "needs tenant, or claims.tenant naming the claim that carries it");

/** The console's sign-in providers, as the console page announces them (no secrets: PKCE public clients). */
export function consoleSignInProviders(config: Config) {
  return config.HEXI_TENANT_ISSUERS.flatMap((t) =>
    t.console ? [{ tenant: t.tenant, issuer: t.issuer, ...t.console, name: t.console.name ?? t.issuer }] : [],
  );
}

/** Every setting the app reads from its environment, with defaults, in one place. */
const envSchema = z.object({
  /**
   * `production` refuses to start without real signing and PII keys, never creates development key
   * files and never seeds demo data; `development` (the default) does all that for a zero-configuration
   * start. Unset, NODE_ENV=production means production.
   */
  HEXI_ENV: z.enum(["development", "production"]).optional(),
  NODE_ENV: z.string().optional(),
  DATABASE_URL: z.string().min(1).default("file:./data/hexi.db"),
  DATABASE_AUTH_TOKEN: z.string().min(1).optional(),
  HEXI_JWT_ISSUER: z.string().min(1).default("hexi-local"),
  HEXI_JWT_AUDIENCE: z.string().min(1).default("hexi-api"),
  /** The platform issuer's public keys; on Node they default to the development key beside the database. */
  HEXI_JWT_PUBLIC_JWKS: jsonOf(jwkSet).optional(),
  /**
   * The platform's private signing keys, {"keys":[…]}: the FIRST signs the tokens the OAuth token
   * endpoint issues, every one is published at /.well-known/jwks.json and trusted for verification.
   * On Node it defaults to the development key beside the database; required on Workers (a secret).
   */
  HEXI_SIGNING_JWKS: jsonOf(privateJwkSet).optional(),
  /**
   * Verifiable certificates' keys, {"keys":[current, …retired]}: the first (private) signs, every one
   * is published at /.well-known/certificate-jwks.json and trusted when a certificate is verified.
   * `npm run keys -- certificates [--rotate | --drop <kid>]`. On Node it defaults to a development
   * key beside the database; production requires it; without it (Workers) issuing answers 503.
   */
  HEXI_CERT_SIGNING_JWKS: jsonOf(certificateJwkSet).optional(),
  /**
   * The public base URL residents and verifiers reach the server at (`https://hexi.example.gov.cn`, no
   * path): certificates' verification URLs (their QR codes) are `<this>/c/<token>`, never the
   * request's own origin (a proxy's or an internal host name). Its host is also the answer links'
   * host when HEXI_ANSWER_HOST is unset. Required in production; unset in development, the request's
   * origin is used.
   */
  HEXI_PUBLIC_URL: endpointUrl
    .refine((u) => {
      const { pathname, search, hash } = new URL(u);
      return pathname === "/" && !search && !hash;
    }, "a base URL with no path, query or fragment, such as https://hexi.example.gov.cn")
    .transform((u) => new URL(u).origin)
    .optional(),
  /** Tenants that trust their own identity provider: [{ tenant, issuer, jwksUrl | jwks, audience? }]. */
  HEXI_TENANT_ISSUERS: jsonOf(
    z
      .array(tenantIssuer)
      .refine((list) => new Set(list.map((i) => i.issuer)).size === list.length, "issuers must be distinct"),
  ).default([]),
  /** PII encryption keys, {"<key id>": "<32 bytes base64url>"}; on Node they default to a development file beside the database. */
  HEXI_PII_KEYS: jsonOf(z.record(z.string().regex(/^[\w-]{1,32}$/), z.string().min(43))).optional(),
  /** The key id that seals new values; older ids keep opening what they sealed. */
  HEXI_PII_KEY_ID: z.string().min(1).optional(),
  /** HMAC key (≥ 32 bytes base64url) for exact-match lookups of personal data. */
  HEXI_PII_HMAC_KEY: z.string().min(43).optional(),
  HEXI_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /**
   * The longest lifetime (`exp − iat`) a bearer token may claim; longer ones are refused with 401,
   * and so are tokens issued longer ago than this. `npm run token -- --ttl` refuses more too.
   */
  HEXI_MAX_TOKEN_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  /**
   * Embedded database durability (SQLite `synchronous` in WAL mode): `normal` never corrupts and
   * never loses a write to a process crash, but an OS crash or power loss may drop the last commits;
   * `full` syncs every commit (about 0.5 ms more per write here).
   */
  HEXI_DB_SYNCHRONOUS: z.enum(["normal", "full"]).default("normal"),
  /**
   * Embedded database WAL checkpoints: `background` (a thread of their own, every second, so no
   * request's commit pays for one) or `automatic` (SQLite's, inside the commit that crosses 10,000
   * pages: the way it was, for comparison).
   */
  HEXI_DB_CHECKPOINTS: z.enum(["background", "automatic"]).default("background"),
  /** Embedded database: write batches asked for in the same event-loop turn share one transaction, each in its own savepoint ("off": one transaction each). */
  HEXI_DB_GROUP_COMMITS: z.enum(["on", "off"]).default("on"),
  HEXI_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(1024 * 1024),
  /** Requests per minute shared by all API keys and API clients of one tenant. */
  HEXI_TENANT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6000),
  /**
   * Node only: how many reverse proxies stand in front of the server. 0 (the default) uses the TCP
   * peer address; N takes the N-th address from the right of X-Forwarded-For (the one the outermost
   * trusted proxy saw). Workers always use CF-Connecting-IP.
   */
  HEXI_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  /**
   * Development only, Node only (src/server.ts; Workers ignore it): `true` lets webhook endpoints
   * target loopback (`localhost`, 127.0.0.0/8, [::1]) over http or https on any port, so a receiver
   * on the developer's machine can be subscribed. No other private address becomes acceptable.
   */
  HEXI_WEBHOOK_ALLOW_LOOPBACK: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true"),
  /**
   * Emergency pages: the sender's registered (ICP-filed) host written into the approved SMS template —
   * answer links are `https://<host>/a/<token>` — and the provider signature (without 【】). Keep both
   * short: the whole page must fit one 70-character segment.
   */
  HEXI_ANSWER_HOST: z.string().regex(answerHostPattern, "a host name such as a.example.cn").optional(),
  HEXI_SMS_SIGNATURE: z.string().min(2).max(12).default("酒泉志愿服务"),
  /**
   * Each district's SMS / voice gateway, {"<tenant>": {"url": "https://…", "secret": "whsec_…"}}: its
   * pages go there signed with the secret (Standard Webhooks), and its delivery receipts and SMS
   * replies to `POST /v1/paging-gateway/events` are verified with it (the secret names the tenant, so
   * each must be distinct). Unset: the development channel. A tenant without an entry gets the
   * development channel in development and failed pages in production.
   */
  HEXI_SMS_GATEWAYS: jsonOf(
    z
      .record(
        z.string().regex(/^\d{6}$/, "keys are tenant codes"),
        z.object({
          url: endpointUrl,
          secret: z
            .string()
            .refine(
              isSecret,
              "must be whsec_ and the base64 of 24 to 64 random bytes (whsec_$(openssl rand -base64 32))",
            ),
        }),
      )
      .refine(
        (gateways) => new Set(Object.values(gateways).map((g) => g.secret)).size === Object.keys(gateways).length,
        "each tenant needs a secret of its own (the secret names the tenant of inbound events)",
      ),
  ).default({}),
  /**
   * PIPL: days after which an inactive volunteer's personal data (name, phone, ID card) is anonymised,
   * and after which a closed incident's check-in locations are erased (hours stay in the ledger).
   */
  HEXI_VOLUNTEER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(730),
  /**
   * Node only: the directory complaint photos are stored in. Default: `photos/` beside a `file:`
   * database; none (uploads answer 503) for a remote database. Workers use the `PHOTOS` R2 binding.
   */
  HEXI_PHOTOS_DIR: z.string().min(1).optional(),
  /**
   * Complaint photos in S3-compatible storage (AWS S3, MinIO, Ceph, OSS/COS in S3 mode): the service's
   * base URL, bucket, region and credentials, all four of endpoint, bucket, key id and secret together.
   * Takes precedence over HEXI_PHOTOS_DIR on Node; on Workers it is used when there is no PHOTOS
   * binding. Enables pre-signed uploads (`POST /v1/complaints/{id}/photo-uploads`).
   */
  HEXI_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  HEXI_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name")
    .optional(),
  HEXI_S3_REGION: z.string().min(1).default("us-east-1"),
  HEXI_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  HEXI_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * Node only: `GET /metrics` (Prometheus) answers on the main listener only when this is set, and
   * only with `Authorization: Bearer <token>`; on HEXI_METRICS_PORT it is required too when set.
   */
  HEXI_METRICS_TOKEN: z.string().min(16).optional(),
  /** Node only: a listener of its own for `GET /metrics`, on HEXI_METRICS_HOST (loopback by default). */
  HEXI_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  HEXI_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
});

export type Config = z.infer<typeof envSchema>;

export type RunMode = "development" | "production";

/** HEXI_ENV if set; otherwise production exactly when NODE_ENV=production. */
export function runMode(config: Config): RunMode {
  return config.HEXI_ENV ?? (config.NODE_ENV === "production" ? "production" : "development");
}

/**
 * What production needs that development makes up: every missing or unsafe setting, one line each
 * (empty when the configuration may run in production).
 */
export function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  if (!config.HEXI_SIGNING_JWKS)
    problems.push(
      'HEXI_SIGNING_JWKS: missing. The platform\'s private signing keys, {"keys":[…]}: `npm run keys -- signing` prints one.',
    );
  const pii = [
    ["HEXI_PII_KEYS", config.HEXI_PII_KEYS],
    ["HEXI_PII_KEY_ID", config.HEXI_PII_KEY_ID],
    ["HEXI_PII_HMAC_KEY", config.HEXI_PII_HMAC_KEY],
  ] as const;
  for (const [name, value] of pii) {
    if (value === undefined)
      problems.push(`${name}: missing. Personal-data keys: \`npm run keys -- pii\` prints all three.`);
  }
  if (config.HEXI_PII_KEYS && config.HEXI_PII_KEY_ID && !config.HEXI_PII_KEYS[config.HEXI_PII_KEY_ID])
    problems.push(`HEXI_PII_KEY_ID: "${config.HEXI_PII_KEY_ID}" is not a key id of HEXI_PII_KEYS.`);
  if (!config.HEXI_CERT_SIGNING_JWKS)
    problems.push(
      "HEXI_CERT_SIGNING_JWKS: missing. Verifiable certificates' own key set: `npm run keys -- certificates` prints one.",
    );
  if (!config.HEXI_PUBLIC_URL)
    problems.push(
      "HEXI_PUBLIC_URL: missing. The public base URL certificates' QR codes point at, e.g. https://hexi.example.gov.cn.",
    );
  if (config.HEXI_WEBHOOK_ALLOW_LOOPBACK)
    problems.push("HEXI_WEBHOOK_ALLOW_LOOPBACK: must not be true in production (development only).");
  return problems;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once at start-up; a bad or missing setting names itself. */
export function parseConfig(env: Record<string, unknown>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(environment)"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** The configured signing keys, typed for the signer. */
export function signingKeys(config: Config): PrivateJwk[] | undefined {
  return config.HEXI_SIGNING_JWKS?.keys as PrivateJwk[] | undefined;
}

/** The S3-compatible photo store's settings, or undefined when none is configured (a partial setting is an error). */
export function s3Settings(config: Config): S3Settings | undefined {
  const parts = {
    HEXI_S3_ENDPOINT: config.HEXI_S3_ENDPOINT,
    HEXI_S3_BUCKET: config.HEXI_S3_BUCKET,
    HEXI_S3_ACCESS_KEY_ID: config.HEXI_S3_ACCESS_KEY_ID,
    HEXI_S3_SECRET_ACCESS_KEY: config.HEXI_S3_SECRET_ACCESS_KEY,
  };
  const missing = Object.entries(parts).filter(([, v]) => v === undefined);
  if (missing.length === 4) return undefined;
  if (missing.length)
    throw new ConfigError(
      `Invalid configuration:\n  ${missing.map(([k]) => k).join(", ")}: required with the other HEXI_S3_* settings`,
    );
  return {
    endpoint: config.HEXI_S3_ENDPOINT!,
    bucket: config.HEXI_S3_BUCKET!,
    region: config.HEXI_S3_REGION,
    accessKeyId: config.HEXI_S3_ACCESS_KEY_ID!,
    secretAccessKey: config.HEXI_S3_SECRET_ACCESS_KEY!,
  };
}

/** The configured certificate keys, typed for the certificate signer. */
export function certificateKeySet(config: Config): CertificateJwk[] | undefined {
  return config.HEXI_CERT_SIGNING_JWKS?.keys as CertificateJwk[] | undefined;
}

/**
 * The platform issuer's verification keys: HEXI_JWT_PUBLIC_JWKS (an external identity service's
 * keys, if any) plus the public half of every signing key, so tokens this API issues verify here too.
 */
export function platformVerificationJwks(
  config: Config,
  signing: readonly PrivateJwk[],
): { keys: Record<string, unknown>[] } {
  const own = publicJwksOf(signing).keys as Record<string, unknown>[];
  const external = (config.HEXI_JWT_PUBLIC_JWKS?.keys ?? []).filter(
    (k) => !own.some((o) => o.kid !== undefined && o.kid === k.kid),
  );
  return { keys: [...external, ...own] };
}

/** The issuers whose tokens are accepted: the platform's own, plus each tenant's own identity provider. */
export function trustedIssuers(config: Config, platformJwks: { keys: Record<string, unknown>[] }): TrustedIssuer[] {
  if (config.HEXI_TENANT_ISSUERS.some((t) => t.issuer === config.HEXI_JWT_ISSUER))
    throw new ConfigError(
      "Invalid configuration:\n  HEXI_TENANT_ISSUERS: an identity provider may not use the platform issuer HEXI_JWT_ISSUER",
    );
  return [
    { issuer: config.HEXI_JWT_ISSUER, audience: config.HEXI_JWT_AUDIENCE, jwks: platformJwks as TrustedIssuer["jwks"] },
    ...config.HEXI_TENANT_ISSUERS.map((t) => ({
      issuer: t.issuer,
      audience: t.audience ?? config.HEXI_JWT_AUDIENCE,
      ...(t.tenant ? { tenant: t.tenant } : {}),
      ...(t.claims ? { claims: t.claims } : {}),
      ...(t.jwks ? { jwks: t.jwks as TrustedIssuer["jwks"] } : { jwksUrl: t.jwksUrl! }),
    })),
  ];
}

/**
 * The paging settings: the district gateways when HEXI_SMS_GATEWAYS names any (tenants without one
 * fall back to the development channel in development only), else the development channel. Only a
 * development server shows the development channel's messages with their answer tokens.
 */
export function pagingSettings(config: Config, clock: Clock): PagingSettings {
  const development = runMode(config) === "development";
  const gateways = Object.entries(config.HEXI_SMS_GATEWAYS).map(([tenant, g]) => ({ tenant, ...g }));
  return {
    answerHost: answerHost(config),
    smsSignature: config.HEXI_SMS_SIGNATURE,
    channel: gateways.length
      ? gatewayChannel({
          gateways,
          signName: config.HEXI_SMS_SIGNATURE,
          now: () => clock.now(),
          ...(development ? { fallback: developmentChannel() } : {}),
        })
      : developmentChannel(),
    showDevelopmentMessages: development,
    gateways,
    retentionDays: config.HEXI_VOLUNTEER_RETENTION_DAYS,
  };
}

/**
 * The answer links' host: HEXI_ANSWER_HOST, else HEXI_PUBLIC_URL's host when it is short enough for
 * the SMS template, else the placeholder `a.hexi.dev` (development).
 */
export function answerHost(config: Config): string {
  if (config.HEXI_ANSWER_HOST) return config.HEXI_ANSWER_HOST;
  const publicHost = config.HEXI_PUBLIC_URL ? new URL(config.HEXI_PUBLIC_URL).host : undefined;
  return publicHost && answerHostPattern.test(publicHost) ? publicHost : "a.hexi.dev";
}

/** PII key material from the environment, or undefined when none is configured. */
export function piiKeyMaterial(config: Config): PiiKeyMaterial | undefined {
  if (!config.HEXI_PII_KEYS && !config.HEXI_PII_HMAC_KEY) return undefined;
  if (!config.HEXI_PII_KEYS || !config.HEXI_PII_KEY_ID || !config.HEXI_PII_HMAC_KEY) {
    throw new ConfigError(
      "Invalid configuration:\n  HEXI_PII_KEYS, HEXI_PII_KEY_ID and HEXI_PII_HMAC_KEY must be set together",
    );
  }
  return {
    encryptionKeys: config.HEXI_PII_KEYS,
    currentKeyId: config.HEXI_PII_KEY_ID,
    hmacKey: config.HEXI_PII_HMAC_KEY,
  };
}
