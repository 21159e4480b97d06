import { z } from "zod";
import type { TrustedIssuer } from "./shared/auth/jwt.js";
import { algorithmOf, publicJwksOf, type PrivateJwk } from "./shared/auth/signer.js";
import type { PiiKeyMaterial } from "./shared/crypto/pii.js";

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

const tenantIssuer = z
  .object({
    tenant: z.string().regex(/^\d{6}$/),
    issuer: z.string().min(1),
    audience: z.string().min(1).optional(),
    jwksUrl: z.url({ protocol: /^https$/ }).optional(),
    jwks: jwkSet.optional(),
  })
  .refine((i) => i.jwksUrl || i.jwks, "needs jwksUrl or jwks");

/** Every setting the app reads from its environment, with defaults, in one place. */
const envSchema = z.object({
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
  /** Tenants that trust their own identity provider: [{ tenant, issuer, jwksUrl | jwks, audience? }]. */
  HEXI_TENANT_ISSUERS: jsonOf(z.array(tenantIssuer)).default([]),
  /** PII encryption keys, {"<key id>": "<32 bytes base64url>"}; on Node they default to a development file beside the database. */
  HEXI_PII_KEYS: jsonOf(z.record(z.string().regex(/^[\w-]{1,32}$/), z.string().min(43))).optional(),
  /** The key id that seals new values; older ids keep opening what they sealed. */
  HEXI_PII_KEY_ID: z.string().min(1).optional(),
  /** HMAC key (≥ 32 bytes base64url) for exact-match lookups of personal data. */
  HEXI_PII_HMAC_KEY: z.string().min(43).optional(),
  HEXI_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /**
   * Embedded database durability (SQLite `synchronous` in WAL mode): `normal` never corrupts and
   * never loses a write to a process crash, but an OS crash or power loss may drop the last commits;
   * `full` syncs every commit (about 0.5 ms more per write here).
   */
  HEXI_DB_SYNCHRONOUS: z.enum(["normal", "full"]).default("normal"),
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
   * Node only: the directory complaint photos are stored in. Default: `photos/` beside a `file:`
   * database; none (uploads answer 503) for a remote database. Workers use the `PHOTOS` R2 binding.
   */
  HEXI_PHOTOS_DIR: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default("127.0.0.1"),
});

export type Config = z.infer<typeof envSchema>;

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
  return [
    { issuer: config.HEXI_JWT_ISSUER, audience: config.HEXI_JWT_AUDIENCE, jwks: platformJwks as TrustedIssuer["jwks"] },
    ...config.HEXI_TENANT_ISSUERS.map((t) => ({
      issuer: t.issuer,
      audience: t.audience ?? config.HEXI_JWT_AUDIENCE,
      tenant: t.tenant,
      ...(t.jwks ? { jwks: t.jwks as TrustedIssuer["jwks"] } : { jwksUrl: t.jwksUrl! }),
    })),
  ];
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
