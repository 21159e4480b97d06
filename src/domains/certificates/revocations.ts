import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt, gte, isNotNull, or, type SQL } from "drizzle-orm";
import { encodeBase64Url } from "hono/utils/encode";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { decodeCursor, maxPageSize, toPage } from "../../shared/http/pagination.js";
import { tag } from "./certificates.js";
import { certificates, revocationReasons } from "./tables.js";

/**
 * The revocation list, for verifiers that check certificates offline (with
 * /.well-known/certificate-jwks.json): every revoked certificate that has not yet expired, in the
 * order revocations happened, so a verifier keeps its copy current by asking for what was revoked
 * since its last look. Public and cacheable: it names certificate ids, tenants, dates and reason
 * codes, never a holder or a fact. An expired certificate drops out (a verifier refuses it anyway).
 */

/** [D] Verifiers may cache a page this long; the ETag makes a re-check cheap (304). */
const maxAgeSeconds = 60;

const revocationSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "The certificate id (its `jti`).", example: "crt_01KDVDNA011AKWK3RC504FTYF8" }),
    tenant: z.string().openapi({ example: "620902" }),
    revokedAt: z.string().openapi({ example: "2026-12-04T02:00:00.000Z" }),
    reason: z.enum(revocationReasons),
    expiresAt: z.string().openapi({
      description: "When it would have expired: drop it from a copy after that.",
      example: "2027-03-04T02:00:00.000Z",
    }),
  })
  .openapi("CertificateRevocation");

const querySchema = z.object({
  since: z.iso.datetime({ offset: true }).optional().openapi({
    description: "Only revocations at or after this instant: the `revokedAt` of the last entry a verifier holds.",
    example: "2026-12-01T00:00:00Z",
  }),
  tenant: z
    .string()
    .regex(/^\d{6}$/)
    .optional()
    .openapi({ description: "Only this tenant's certificates (a certificate's `tenant` claim).", example: "620902" }),
  limit: z.coerce.number().int().min(1).max(maxPageSize).default(100).openapi({ example: 100 }),
  cursor: z
    .string()
    .max(512)
    .optional()
    .openapi({ description: "Opaque cursor from the previous page's `nextCursor`." }),
  format: z.enum(["json", "jws"]).default("json").openapi({
    description:
      "`jws`: the same page as a compact JWS (`application/jwt`, `typ` hexi-revocations+jwt, `aud` hexi-certificate) signed with the current certificate key, so a copy can be passed on and checked offline with /.well-known/certificate-jwks.json; its `iat` says how fresh it is.",
    example: "json",
  }),
});

const route = createRoute({
  method: "get",
  path: "/v1/public/certificate-revocations",
  operationId: "listCertificateRevocations",
  tags: [tag],
  summary: "Revoked certificates (public revocation list, for offline verifiers)",
  description: `Every revoked certificate not yet expired, oldest revocation first (keyset pagination; \`since\` for what changed after a verifier's last look). Public; \`Cache-Control: public, max-age=${maxAgeSeconds}\` and an ETag (a matching \`If-None-Match\` is a 304). \`format=jws\` signs the page with the current certificate key. Online verification (\`/v1/public/certificates/{token}\`) reads the same table on every check.`,
  security: [],
  request: { query: querySchema },
  responses: {
    200: {
      description: "A page of revocations.",
      content: {
        "application/jwt": { schema: z.string().openapi({ description: "format=jws: the page, signed." }) },
        "application/json": {
          schema: z
            .object({
              data: z.array(revocationSchema),
              nextCursor: z
                .string()
                .nullable()
                .openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
            })
            .openapi("CertificateRevocationPage"),
        },
      },
    },
    304: { description: "Not modified: the page matches `If-None-Match`." },
    ...errorResponses([400, 503]),
  },
});

/** A cursor's key is the last entry's `revokedAt` and id: revocations of the same instant page by id. */
const keyOf = (row: { revokedAt: string; id: string }) => `${row.revokedAt}|${row.id}`;

function after(cursor: string | undefined): SQL | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const [at, id, ...rest] = key.split("|");
  if (!at || !id || rest.length)
    throw new ApiError("invalid_cursor", msg("http.cursor_invalid"), {
      errors: [{ in: "query", pointer: "/cursor", detail: msg("http.cursor_malformed") }],
    });
  return or(gt(certificates.revokedAt, at), and(eq(certificates.revokedAt, at), gt(certificates.id, id)));
}

/** A weak entity tag of the page's exact bytes. */
async function etagOfBody(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  return `W/"${encodeBase64Url(digest.slice(0, 18))}"`;
}

export const certificateRevocationRoutes = createRouter().openapi(route, async (c) => {
  const q = c.req.valid("query");
  const now = c.get("clock").now().toISOString();
  const rows = await c
    .get("db")
    .select({
      id: certificates.id,
      tenant: certificates.tenantId,
      revokedAt: certificates.revokedAt,
      reason: certificates.revocationReason,
      expiresAt: certificates.expiresAt,
    })
    .from(certificates)
    .where(
      and(
        isNotNull(certificates.revokedAt),
        q.since ? gte(certificates.revokedAt, new Date(q.since).toISOString()) : undefined,
        q.tenant ? eq(certificates.tenantId, q.tenant) : undefined,
        gt(certificates.expiresAt, now),
        after(q.cursor),
      ),
    )
    .orderBy(asc(certificates.revokedAt), asc(certificates.id))
    .limit(q.limit + 1);
  const entries = rows.map((r) => ({ ...r, revokedAt: r.revokedAt!, reason: r.reason! }));
  const page = toPage(entries, q.limit, keyOf);
  const body = JSON.stringify(page);
  // The tag is of the content: a signed page differs byte for byte at each signing, its content does not.
  const etag = await etagOfBody(`${q.format}|${body}`);
  const headers = { etag, "cache-control": `public, max-age=${maxAgeSeconds}`, vary: "accept-encoding" };
  const match = c.req.header("if-none-match");
  if (match?.split(",").some((t) => t.trim() === etag || t.trim() === "*")) return c.body(null, 304, headers) as never;
  if (q.format === "jws") {
    const keys = c.get("certificates");
    if (!keys) throw new ApiError("unavailable", msg("certificate.keys_missing"));
    const filter = { ...(q.since ? { since: q.since } : {}), ...(q.tenant ? { tenant: q.tenant } : {}) };
    const jws = await keys.signRevocations({ ...filter, ...page });
    return c.body(jws, 200, { ...headers, "content-type": "application/jwt" }) as never;
  }
  return c.body(body, 200, { ...headers, "content-type": "application/json" }) as never;
});
