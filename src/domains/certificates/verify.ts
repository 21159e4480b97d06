import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import type { RateRule } from "../../shared/http/rate-limit.js";
import { tag } from "./certificates.js";
import { renderVerificationPage } from "./page.js";
import { verificationSchema, type Verification } from "./verdict.js";
import { certificates, type certificateKinds } from "./tables.js";

/**
 * The public side: anyone holding a certificate (or its QR code) checks it here, with no account.
 * Signature, type, audience and validity come from the token and the certificate key set; the
 * revocation list is the `certificates` table, read on every check. What is shown is what the
 * token carries — the facts the holder agreed to disclose — and never anything the table adds.
 */

/** [D] Checks per client address per minute: loose (a hall of people scanning), far too few to enumerate. */
export const verificationRule: RateRule = { limit: 120, windowSeconds: 60 };

/** The token as the path carries it: a compact JWS is base64url parts and dots. */
const tokenParam = z.object({
  token: z
    .string()
    .max(8192)
    .openapi({ description: "The certificate (compact JWS).", example: "eyJhbGciOiJFUzI1NiIs…" }),
});

export async function verifyCertificate(c: Context<AppEnv>, token: string): Promise<Verification> {
  const keys = c.get("certificates");
  if (!keys) throw new ApiError("unavailable", msg("certificate.keys_missing"));
  const checked = await keys.check(token);
  if (!checked.valid) return { valid: false, reason: checked.reason };
  const p = checked.payload;
  const certificate = {
    id: String(p.jti),
    kind: p.kind as (typeof certificateKinds)[number],
    tenant: String(p.tenant),
    issuedAt: new Date(Number(p.iat) * 1000).toISOString(),
    expiresAt: new Date(Number(p.exp) * 1000).toISOString(),
  };
  const [row] = await c
    .get("db")
    .select({ status: certificates.status, revokedAt: certificates.revokedAt, reason: certificates.revocationReason })
    .from(certificates)
    .where(and(eq(certificates.tenantId, certificate.tenant), eq(certificates.id, certificate.id)));
  if (!row) return { valid: false, reason: "unknown", certificate };
  if (row.status === "revoked")
    return {
      valid: false,
      reason: "revoked",
      certificate,
      revokedAt: row.revokedAt ?? undefined,
      revocationReason: row.reason ?? undefined,
    };
  return { valid: true, certificate: { ...certificate, facts: p.facts as Record<string, unknown> } };
}

async function rateLimit(c: Context<AppEnv>) {
  const decision = await c
    .get("rateLimiter")
    .consume(`certificate-verify:${c.get("clientIp")() ?? "unknown"}`, verificationRule);
  if (!decision.allowed)
    throw new ApiError("rate_limited", msg("certificate.rate_limited"), {
      headers: { "retry-after": String(decision.retryAfterSeconds) },
    });
}

const noStore = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

const verifyRoute = createRoute({
  method: "get",
  path: "/v1/public/certificates/{token}",
  operationId: "verifyCertificate",
  tags: [tag],
  summary: "Verify a certificate (public)",
  description: `Public: the certificate is its own evidence. Always 200 with \`valid\` and, when not valid, the \`reason\`; only a valid certificate shows its facts. ${verificationRule.limit} checks per minute per client address.`,
  security: [],
  request: { params: tokenParam },
  responses: {
    200: { description: "The verdict.", content: { "application/json": { schema: verificationSchema } } },
    ...errorResponses([400, 429, 503]),
  },
});

const pageRoute = createRoute({
  method: "get",
  path: "/c/{token}",
  operationId: "showCertificatePage",
  tags: [tag],
  summary: "The verification page a certificate's QR code opens (public, Chinese)",
  description:
    "A small page in Chinese: 有效 / 无效 with the reason, and for a valid certificate the facts it states. No script, no assets.",
  security: [],
  request: { params: tokenParam },
  responses: {
    200: { description: "The page.", content: { "text/html": { schema: z.string() } } },
    ...errorResponses([400, 429, 503]),
  },
});

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/certificate-jwks.json",
  operationId: "getCertificateKeys",
  tags: [tag],
  summary: "The certificate keys (JWK set): current and retired",
  description:
    "Every key a still-valid certificate may be signed with: the current one first, then retired ones kept until their certificates expire. Distinct from /.well-known/jwks.json (API tokens): no certificate key verifies an API token, nor the reverse.",
  security: [],
  responses: {
    200: {
      description: "Public JWKs (never private members).",
      content: {
        "application/json": {
          schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("CertificateKeySet"),
        },
      },
    },
    ...errorResponses([503]),
  },
});

export const certificateVerificationRoutes = createRouter()
  .openapi(verifyRoute, async (c) => {
    await rateLimit(c);
    return c.json(await verifyCertificate(c, c.req.valid("param").token), 200, noStore);
  })
  .openapi(pageRoute, async (c) => {
    await rateLimit(c);
    const verdict = await verifyCertificate(c, c.req.valid("param").token);
    const { html, csp } = renderVerificationPage(verdict);
    return c.html(html, 200, { ...noStore, "content-security-policy": csp });
  })
  .openapi(jwksRoute, (c) => {
    const keys = c.get("certificates");
    if (!keys) throw new ApiError("unavailable", msg("certificate.keys_missing"));
    return c.json(keys.publicJwks() as { keys: Record<string, unknown>[] }, 200, {
      "cache-control": "public, max-age=300",
    });
  });
