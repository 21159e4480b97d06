import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { divisions } from "../../db/tables.js";
import { newId } from "../../db/ids.js";
import { scopesForRoles } from "../../shared/auth/principal.js";
import { timingSafeEqual } from "../../shared/crypto/hash.js";
import type { AppEnv } from "../../shared/request/context.js";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import type { RateRule } from "../../shared/http/rate-limit.js";
import { hashSecret } from "./secrets.js";
import { apiClients } from "./tables.js";

/** Lifetime of a client-credentials access token. Revoking the client cuts it short (see credentials.ts). */
export const accessTokenTtlSeconds = 900;
export const tokenPath = "/v1/oauth/token";
/**
 * Failed client authentications allowed per (client_id, source address). Never per client_id alone:
 * anyone who knows a client_id could then lock the client out everywhere.
 */
export const failedAuthRule: RateRule = { limit: 10, windowSeconds: 60 };
/**
 * Failed client authentications allowed per source address, whatever the client_id (spraying). Looser
 * than the per-client rule: several clients may share one egress address behind a NAT.
 */
export const failedAuthPerAddressRule: RateRule = { limit: 30, windowSeconds: 60 };

const oauthErrors = [
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unsupported_grant_type",
  "invalid_scope",
  "temporarily_unavailable",
] as const;
type OAuthErrorCode = (typeof oauthErrors)[number];

const tokenRequestSchema = z
  .object({
    grant_type: z.literal("client_credentials"),
    client_id: z
      .string()
      .optional()
      .openapi({ description: "With client_secret, when not using HTTP Basic.", example: "hxc_4fK9s2LmQ8vT1rXw7ZbN" }),
    client_secret: z.string().optional().openapi({ example: "hxs_Vb3mQ9xK2pL7sR4tW8yZ1aC5dF6gH0jN2kM4nP7qS9u" }),
    scope: z.string().optional().openapi({
      description: "Space-separated scopes to narrow the token to; default all the client's roles grant.",
      example: "divisions:read orgs:read",
    }),
  })
  .openapi("TokenRequest");

const tokenResponseSchema = z
  .object({
    access_token: z.string().openapi({
      description:
        "A JWT (typ at+jwt, ES256) with iss, aud, sub = client_id, client_id, tenant, roles, org, scope, jti.",
    }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ example: accessTokenTtlSeconds }),
    scope: z.string().openapi({ example: "tenants:read divisions:read orgs:read" }),
  })
  .openapi("TokenResponse");

const oauthErrorSchema = z
  .object({
    error: z.enum(oauthErrors),
    error_description: z.string().openapi({ example: "Client authentication failed." }),
  })
  .openapi("OAuthError", {
    description: "An RFC 6749 §5.2 error (this endpoint does not answer with problem documents).",
  });

const oauthErrorContent = { "application/json": { schema: oauthErrorSchema } };
const noStore = { "cache-control": "no-store", pragma: "no-cache" };

const tokenRoute = createRoute({
  method: "post",
  path: tokenPath,
  operationId: "issueAccessToken",
  tags: ["access"],
  summary: "OAuth 2.0 token endpoint (client credentials)",
  description: [
    "RFC 6749 §4.4. Authenticate with HTTP Basic (`client_id:client_secret`, each form-urlencoded) or with `client_id` and `client_secret` in the body, never both. The body is `application/x-www-form-urlencoded` (standard) or JSON.",
    `The access token is valid ${accessTokenTtlSeconds} s; send it as \`Authorization: Bearer …\`. Its signing keys are at \`/.well-known/jwks.json\`.`,
    "Errors are RFC 6749 §5.2 objects `{error, error_description}`, not problem documents: 400 `invalid_request`, `unsupported_grant_type`, `invalid_scope`, `invalid_grant`; 401 `invalid_client` with `WWW-Authenticate: Basic`. An unknown client, a wrong secret and a revoked client get the same answer.",
    `More than ${failedAuthRule.limit} failed authentications a minute for one client_id from one address, or ${failedAuthPerAddressRule.limit} from one address whatever the client_id, answer 429 \`temporarily_unavailable\` with Retry-After; a correct secret from another address is not refused.`,
  ].join("\n\n"),
  security: [{ clientBasic: [] }, {}],
  request: {
    body: {
      required: true,
      content: {
        "application/x-www-form-urlencoded": { schema: tokenRequestSchema },
        "application/json": { schema: tokenRequestSchema },
      },
    },
  },
  responses: {
    200: {
      description: "An access token.",
      headers: { "Cache-Control": { schema: { type: "string", example: "no-store" } } },
      content: { "application/json": { schema: tokenResponseSchema } },
    },
    400: {
      description:
        "The request is malformed, the grant type or scope is not supported, or the client's grant is no longer valid.",
      content: oauthErrorContent,
    },
    401: {
      description:
        "Client authentication failed (unknown client, wrong secret, revoked client, malformed or missing credentials).",
      headers: { "WWW-Authenticate": { description: '`Basic realm="hexi"`.', schema: { type: "string" } } },
      content: oauthErrorContent,
    },
    429: {
      description: "Too many failed authentications for this client_id from this address, or from this address.",
      headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } },
      content: oauthErrorContent,
    },
    ...errorResponses([413, 500]),
  },
});

const jwkSetSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.string(),
        kid: z.string(),
        alg: z.string(),
        use: z.string(),
        crv: z.string(),
        x: z.string(),
        y: z.string().optional(),
      }),
    ),
  })
  .openapi("JwkSet", {
    example: {
      keys: [
        {
          kty: "EC",
          crv: "P-256",
          x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
          y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
          kid: "2026-11",
          alg: "ES256",
          use: "sig",
        },
      ],
    },
  });

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  operationId: "getSigningKeys",
  tags: ["access"],
  summary: "The platform's public signing keys (JWK set)",
  description:
    "Every key tokens issued here may be signed with; new tokens carry the `kid` of the first. Cacheable for 5 minutes.",
  security: [],
  responses: {
    200: {
      description: "Public JWKs (never private members).",
      content: {
        "application/json": {
          schema: jwkSetSchema,
        },
      },
    },
  },
});

function oauthError(
  c: Context<AppEnv>,
  status: 400 | 401 | 429,
  error: OAuthErrorCode,
  description: string,
  headers: Record<string, string> = {},
) {
  return c.json({ error, error_description: description }, status, { ...noStore, ...headers });
}

const formType = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const jsonType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The request's parameters, or why they cannot be read. Empty values count as absent (RFC 6749 §3.1). */
async function readParameters(c: Context<AppEnv>): Promise<Map<string, string> | string> {
  const type = c.req.header("content-type") ?? "";
  const entries: [string, unknown][] = [];
  if (formType.test(type)) {
    entries.push(...new URLSearchParams(await c.req.text()).entries());
  } else if (jsonType.test(type)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await c.req.text());
    } catch {
      return "The body is not valid JSON.";
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return "The JSON body must be an object.";
    entries.push(...Object.entries(parsed));
  } else {
    return "Send the parameters as application/x-www-form-urlencoded (or application/json).";
  }
  const params = new Map<string, string>();
  for (const [name, value] of entries) {
    if (typeof value !== "string") return `The parameter ${name} must be a string.`;
    if (params.has(name)) return `The parameter ${name} is repeated.`;
    if (value !== "") params.set(name, value);
  }
  return params;
}

type ClientCredentials = { clientId: string; secret: string | undefined };

/** HTTP Basic (RFC 6749 §2.3.1: both parts form-urlencoded, then base64) or body parameters; never both. */
function readClientCredentials(
  c: Context<AppEnv>,
  params: Map<string, string>,
): ClientCredentials | { error: OAuthErrorCode; description: string } {
  const header = c.req.header("authorization");
  if (header === undefined) {
    const clientId = params.get("client_id");
    if (!clientId)
      return {
        error: "invalid_client",
        description: "Client authentication is required: HTTP Basic, or client_id and client_secret in the body.",
      };
    return { clientId, secret: params.get("client_secret") };
  }
  const malformed = {
    error: "invalid_client" as const,
    description: "The Authorization header must be `Basic base64(client_id:client_secret)`.",
  };
  const encoded = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header)?.[1];
  if (!encoded) return malformed;
  let clientId: string, secret: string;
  try {
    const decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)),
    );
    const colon = decoded.indexOf(":");
    if (colon < 1) return malformed;
    const formDecode = (part: string) => decodeURIComponent(part.replaceAll("+", " "));
    clientId = formDecode(decoded.slice(0, colon));
    secret = formDecode(decoded.slice(colon + 1));
  } catch {
    return malformed;
  }
  if (params.has("client_secret"))
    return {
      error: "invalid_request",
      description: "Use one client authentication method: HTTP Basic or body parameters, not both.",
    };
  const bodyId = params.get("client_id");
  if (bodyId !== undefined && bodyId !== clientId)
    return {
      error: "invalid_request",
      description: "client_id in the body differs from the one in the Authorization header.",
    };
  return { clientId, secret };
}

const basicChallenge = { "www-authenticate": 'Basic realm="hexi", charset="UTF-8"' };

export const oauthRoutes = createRouter();
oauthRoutes
  .openapi(jwksRoute, (c) =>
    c.json(c.get("signer").publicJwks() as z.infer<typeof jwkSetSchema>, 200, {
      "cache-control": "public, max-age=300",
    }),
  )
  .post(tokenPath, async (c) => {
    const params = await readParameters(c);
    if (typeof params === "string") return oauthError(c, 400, "invalid_request", params);
    const grantType = params.get("grant_type");
    if (!grantType) return oauthError(c, 400, "invalid_request", "grant_type is required.");
    if (grantType !== "client_credentials")
      return oauthError(c, 400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");

    const credentials = readClientCredentials(c, params);
    if ("error" in credentials) {
      return credentials.error === "invalid_client"
        ? oauthError(c, 401, "invalid_client", credentials.description, basicChallenge)
        : oauthError(c, 400, credentials.error, credentials.description);
    }

    // Lock-out check before any work on the secret: per (client_id, address) and per address. Never
    // per client_id alone, so failures elsewhere do not refuse a correct secret from this address.
    const address = c.get("clientIp")() ?? "unknown";
    const buckets: [string, RateRule][] = [
      [`oauth-failures:client-ip:${credentials.clientId.slice(0, 64)}|${address}`, failedAuthRule],
      [`oauth-failures:ip:${address}`, failedAuthPerAddressRule],
    ];
    const limiter = c.get("rateLimiter");
    const blocked = (await Promise.all(buckets.map(([b, rule]) => limiter.consume(b, rule, 0)))).find(
      (d) => d.remaining < 1,
    );
    if (blocked) {
      const retryAfter = Math.max(1, blocked.retryAfterSeconds);
      return oauthError(
        c,
        429,
        "temporarily_unavailable",
        `Too many failed client authentications. Retry after ${retryAfter} s.`,
        { "retry-after": String(retryAfter) },
      );
    }

    const [client] = await c.get("db").select().from(apiClients).where(eq(apiClients.clientId, credentials.clientId));
    // The hash is computed whether or not the client exists, so timing does not tell them apart.
    const presentedHash = await hashSecret(credentials.secret ?? "");
    if (
      !client ||
      credentials.secret === undefined ||
      !timingSafeEqual(client.secretHash, presentedHash) ||
      client.revokedAt
    ) {
      await Promise.all(buckets.map(([b, rule]) => limiter.consume(b, rule, 1)));
      return oauthError(c, 401, "invalid_client", "Client authentication failed.", basicChallenge);
    }

    if (client.orgId) {
      const [division] = await c
        .get("db")
        .select({ id: divisions.id })
        .from(divisions)
        .where(and(eq(divisions.tenantId, client.tenantId), eq(divisions.id, client.orgId)));
      if (!division)
        return oauthError(
          c,
          400,
          "invalid_grant",
          "The division this client is narrowed to no longer exists; register the client again.",
        );
    }

    const available: ReadonlySet<string> = scopesForRoles(client.roles);
    let granted = [...available];
    const asked = params.get("scope");
    if (asked !== undefined) {
      // RFC 6749 §3.3: a narrower scope may be asked for, never a wider one.
      const requested = [...new Set(asked.split(" ").filter(Boolean))];
      const beyond = requested.filter((s) => !available.has(s));
      if (beyond.length || requested.length === 0) {
        return oauthError(
          c,
          400,
          "invalid_scope",
          `The client may not request: ${beyond.join(" ") || "(empty scope)"}.`,
        );
      }
      granted = requested;
    }

    const now = c.get("clock").now();
    const accessToken = await c.get("signer").sign(
      {
        tenant: client.tenantId,
        roles: client.roles,
        ...(client.orgId ? { org: client.orgId } : {}),
        scope: granted.join(" "),
        client_id: client.clientId,
      },
      {
        subject: client.clientId,
        ttlSeconds: accessTokenTtlSeconds,
        type: "at+jwt",
        jwtId: newId("jti", now.getTime()),
      },
    );
    return c.json(
      {
        access_token: accessToken,
        token_type: "Bearer" as const,
        expires_in: accessTokenTtlSeconds,
        scope: granted.join(" "),
      },
      200,
      noStore,
    );
  });

// Documented here, validated by hand above: its errors must be OAuth errors, not problem documents.
oauthRoutes.openAPIRegistry.registerPath(tokenRoute);
oauthRoutes.openAPIRegistry.registerComponent("securitySchemes", "clientBasic", {
  type: "http",
  scheme: "basic",
  description: "OAuth client authentication at the token endpoint: client_id and client_secret.",
});
