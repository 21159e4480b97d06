import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { localDate } from "../../shared/calendar.js";
import { actionRoutes } from "../../shared/api/actions.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg, zodMessage } from "../../shared/http/messages.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { qrPng, qrSvg } from "../../shared/qr.js";
import { gatherFacts, resolveHolder, type IssueInput } from "./facts.js";
import { certificateMachine } from "./machines.js";
import { certificateKinds, certificates, certificateStatuses, holderKinds, revocationReasons } from "./tables.js";

export const tag = "certificates";
export const certificateId = idSchema("crt");
type CertificateRow = typeof certificates.$inferSelect;

/** [D] Validity: 90 days unless asked otherwise, at most a year (facts are as of the day of issue). */
const defaultValidDays = 90;
const maxValidDays = 366;
/** [D] A service-hours period spans at most three years. */
const maxPeriodDays = 3 * 366;

/**
 * Where a certificate is checked: the public page its QR code opens (the JSON twin is under
 * /v1/public/certificates/), on HEXI_PUBLIC_URL; only without it (development) on the request's origin.
 */
export const verificationUrl = (c: Context<AppEnv>, token: string) =>
  `${c.get("publicUrl") ?? new URL(c.req.url).origin}/c/${token}`;

export const factsSchema = z.record(z.string(), z.unknown()).openapi({
  description:
    "What the certificate states, as signed: `authority` (the county-level tenant), `holder` (`kind`, and `name` masked or full unless withheld), and per kind: `service_hours` — `period`, `totalHours`, and with per-activity disclosure `activities` [{title, date, hours}]; `team_membership` — `team` {name, mode}, `role`, `since`; `dual_report` — `community`, `status`, `since`; `evaluation` — `year`, `grade`, `evaluatedBy`.",
  example: {
    authority: "肃州区",
    holder: { kind: "member", name: "张**" },
    period: { from: "2026-01-01", to: "2026-06-30" },
    totalHours: 36.5,
  },
});

const disclosureSchema = z
  .object({
    name: z.enum(["masked", "full", "none"]).default("masked").openapi({
      description: "The holder's name on the certificate: masked (张**, the default), in full, or left out.",
    }),
    hours: z.enum(["total", "per_activity"]).default("total").openapi({
      description: "Service hours only: the total (the default), or each activity's or incident's hours too.",
    }),
  })
  .strict()
  .openapi("CertificateDisclosure", { description: "What the holder agreed to disclose; nothing else is signed." });

const certificateSchema = z
  .object({
    id: certificateId,
    tenant: z.string().openapi({ example: "620902" }),
    kind: z.enum(certificateKinds),
    holderKind: z.enum(holderKinds),
    memberId: z.string().nullable().openapi({ example: "mem_01KDVDNA011AKWK3RC504FTYF8" }),
    volunteerId: z.string().nullable().openapi({ example: null }),
    disclosure: z.record(z.string(), z.string()).openapi({ example: { name: "masked", hours: "total" } }),
    facts: factsSchema,
    status: z.enum(certificateStatuses),
    token: z.string().openapi({
      description:
        "The certificate itself: a JWS (typ `hexi-cert+jwt`) signed with a key of /.well-known/certificate-jwks.json.",
      example: "eyJhbGciOiJFUzI1NiIsImtpZCI6ImNlcnQtMjAyNi0xMi0wNCIsInR5cCI6ImhleGktY2VydCtqd3QifQ.eyJ…",
    }),
    kid: z.string().openapi({ example: "cert-2026-12-04-1a2b3c4d" }),
    verificationUrl: z.url().openapi({ example: "https://api.hexi.dev/c/eyJhbGciOiJFUzI1NiIs…" }),
    issuedBy: z.string().openapi({ example: "jwt:620902:user-42" }),
    issuedAt: z.string().openapi({ example: "2026-12-04T02:00:00.000Z" }),
    expiresAt: z.string().openapi({ example: "2027-03-04T02:00:00.000Z" }),
    revokedAt: z.string().nullable().openapi({ example: null }),
    revocationReason: z.enum(revocationReasons).nullable().openapi({ example: null }),
    ...timestampsSchema,
  })
  .openapi("Certificate");

const present = (row: CertificateRow, c: Context<AppEnv>) => ({
  id: row.id,
  tenant: row.tenantId,
  kind: row.kind,
  holderKind: row.holderKind,
  memberId: row.memberId,
  volunteerId: row.volunteerId,
  disclosure: row.disclosure,
  facts: row.facts,
  status: row.status,
  token: row.token,
  kid: row.kid,
  verificationUrl: verificationUrl(c, row.token),
  issuedBy: row.issuedBy,
  issuedAt: row.issuedAt,
  expiresAt: row.expiresAt,
  revokedAt: row.revokedAt,
  revocationReason: row.revocationReason,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const issueSchema = z
  .object({
    kind: z.enum(certificateKinds),
    holder: z
      .object({
        memberId: idSchema("mem").optional(),
        volunteerId: idSchema("vol").optional(),
      })
      .strict()
      .refine((h) => Boolean(h.memberId) !== Boolean(h.volunteerId), {
        message: zodMessage("certificate.one_holder"),
      }),
    period: z
      .object({ from: dateSchema, to: dateSchema })
      .strict()
      .optional()
      .openapi({ description: "service_hours: the local days (inclusive) whose credited hours count." }),
    teamId: idSchema("team").optional().openapi({ description: "team_membership: the team." }),
    evaluationId: idSchema("eval").optional().openapi({ description: "evaluation: the member's evaluation." }),
    disclosure: disclosureSchema.default({ name: "masked", hours: "total" }),
    validDays: z.number().int().min(1).max(maxValidDays).default(defaultValidDays),
  })
  .strict()
  .superRefine((body, ctx) => {
    const needs = { service_hours: "period", team_membership: "teamId", evaluation: "evaluationId" } as const;
    const field = needs[body.kind as keyof typeof needs];
    if (field && body[field] === undefined)
      ctx.addIssue({ code: "custom", path: [field], message: zodMessage("certificate.field_required") });
    if (body.period) {
      const days = (Date.parse(body.period.to) - Date.parse(body.period.from)) / 86_400_000;
      if (days < 0 || days > maxPeriodDays)
        ctx.addIssue({
          code: "custom",
          path: ["period", "to"],
          message: zodMessage("certificate.period_range", { days: maxPeriodDays }),
        });
    }
  })
  .openapi("IssueCertificate", {
    example: {
      kind: "service_hours",
      holder: { memberId: "mem_01KDVDNA011AKWK3RC504FTYF8" },
      period: { from: "2026-01-01", to: "2026-06-30" },
      disclosure: { name: "masked", hours: "total" },
      validDays: 90,
    },
  });

const reach = { divisionPath: certificates.divisionPath, memberId: certificates.memberId };
const findCertificate = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, certificates, reach, id, "certificate") as Promise<CertificateRow>;
const anyCertificateScope = ["certificates:read", "certificates:issue", "certificates:self"] as const;

export const eventPayload = (row: CertificateRow) => ({
  certificateId: row.id,
  kind: row.kind,
  holderKind: row.holderKind,
  memberId: row.memberId,
  volunteerId: row.volunteerId,
  status: row.status,
  expiresAt: row.expiresAt,
  ...(row.revocationReason ? { revocationReason: row.revocationReason } : {}),
});

const issueRoute = protectedRoute({
  method: "post",
  path: "/v1/certificates",
  operationId: "issueCertificate",
  tags: [tag],
  summary: "Issue a verifiable certificate from the records (无证明城市)",
  description:
    "Signs the facts the records hold — service hours over a period (from the ledger), membership of a team, the member's dual-report status, an evaluation — with the certificate keys, disclosing only what `disclosure` allows. Administrators issue for members and volunteers of their subtree; a member issues for themself (or the volunteer record that is them). A holder out of reach is a 400; a record the holder does not have is a 409. 503 when no certificate keys are configured.",
  scope: ["certificates:issue", "certificates:self"],
  idempotent: true,
  errors: [409, 503],
  request: { body: { required: true, content: { "application/json": { schema: issueSchema } } } },
  responses: { 201: versionedResponse(certificateSchema, "The certificate, with its token and verification URL.") },
});

const listRoute = protectedRoute({
  method: "get",
  path: "/v1/certificates",
  operationId: "listCertificates",
  tags: [tag],
  summary: "Certificates within reach (a member: their own)",
  scope: [...anyCertificateScope],
  request: {
    query: pageQuerySchema.extend({
      memberId: idSchema("mem").optional(),
      volunteerId: idSchema("vol").optional(),
      kind: z.enum(certificateKinds).optional(),
      status: z.enum(certificateStatuses).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of certificates.",
      content: { "application/json": { schema: pageOf(certificateSchema, "CertificatePage") } },
    },
  },
});

const getRoute = protectedRoute({
  method: "get",
  path: "/v1/certificates/{id}",
  operationId: "getCertificate",
  tags: [tag],
  summary: "One certificate",
  scope: [...anyCertificateScope],
  errors: [404],
  request: { params: z.object({ id: certificateId }) },
  responses: { 200: versionedResponse(certificateSchema, "The certificate.") },
});

const qrRoute = protectedRoute({
  method: "get",
  path: "/v1/certificates/{id}/qr",
  operationId: "getCertificateQrCode",
  tags: [tag],
  summary: "The certificate's QR code (PNG or SVG)",
  description:
    "Encodes the verification URL (`/c/<token>`): scanning it opens the public verification page. The token is in the code, so it verifies without a database lookup too (revocation aside).",
  scope: [...anyCertificateScope],
  errors: [404],
  request: {
    params: z.object({ id: certificateId }),
    query: z.object({ format: z.enum(["png", "svg"]).default("png") }),
  },
  responses: {
    200: {
      description: "The QR code.",
      content: {
        "image/png": { schema: { type: "string", format: "binary" } as never },
        "image/svg+xml": { schema: z.string() },
      },
    },
  },
});

async function issue(c: Context<AppEnv>) {
  const keys = c.get("certificates");
  if (!keys) throw new ApiError("unavailable", msg("certificate.keys_missing"));
  const body = (c.req as unknown as { valid(t: "json"): z.infer<typeof issueSchema> }).valid("json");
  const input = body as IssueInput;
  const holder = await resolveHolder(c, input.holder);
  const { facts, sourceId } = await gatherFacts(c, holder, input);
  const now = c.get("clock").now();
  const id = newId("crt", now.getTime());
  const expires = new Date(now.getTime() + body.validDays * 86_400_000);
  const tenant = c.get("principal").tenant;
  const disclosure = body.kind === "service_hours" ? { ...body.disclosure } : { name: body.disclosure.name };
  const token = await keys.sign(
    { tenant, kind: body.kind, facts, issued_on: localDate(now) },
    { id, expiresAt: expires },
  );
  const row: CertificateRow = {
    id,
    tenantId: tenant,
    kind: body.kind,
    holderKind: holder.kind,
    memberId: holder.memberId,
    volunteerId: holder.volunteerId,
    divisionPath: holder.divisionPath,
    sourceId,
    disclosure,
    facts,
    token,
    kid: keys.currentKid,
    status: "issued",
    issuedBy: `${c.get("principal").credential}:${tenant}:${c.get("principal").subject}`,
    issuedAt: now.toISOString(),
    expiresAt: expires.toISOString(),
    revokedAt: null,
    revocationReason: null,
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const response = present(row, c);
  const headers = await commitCreated(c, `/v1/certificates/${id}`, 1, response, {
    writes: [c.get("db").insert(certificates).values(row)],
    // Facts are about a person: the trail names the kind, holder ids and what was disclosed, not the facts.
    audit: {
      action: "certificate.issue",
      targetType: "certificate",
      targetId: id,
      divisionPath: row.divisionPath,
      changes: {
        kind: row.kind,
        holderKind: row.holderKind,
        memberId: row.memberId,
        volunteerId: row.volunteerId,
        sourceId,
        disclosure,
        kid: row.kid,
        expiresAt: row.expiresAt,
      },
    },
    events: [{ type: "certificate.issued", subjectType: "certificate", subjectId: id, payload: eventPayload(row) }],
  });
  return c.json(response, 201, headers);
}

const revokeBody = z
  .object({
    reason: z.enum(revocationReasons).openapi({
      description:
        "Shown on the verification page: issued in error, data corrected, at the holder's request, superseded.",
    }),
  })
  .strict()
  .openapi("RevokeCertificate", { example: { reason: "data_corrected" } });

export const certificateRoutes = createRouter()
  .openapi(issueRoute, issue as never)
  .openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, certificates, reach, q, {
      memberId: [certificates.memberId, q.memberId],
      volunteerId: [certificates.volunteerId, q.volunteerId],
      kind: [certificates.kind, q.kind],
      status: [certificates.status, q.status],
    });
    return c.json({ data: page.data.map((r) => present(r, c)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getRoute, async (c) => {
    const row = await findCertificate(c, c.req.valid("param").id);
    return c.json(present(row, c), 200, { etag: etagOf(row.version) });
  })
  .openapi(qrRoute, async (c) => {
    const row = await findCertificate(c, c.req.valid("param").id);
    const url = verificationUrl(c, row.token);
    const headers = { "cache-control": "private, max-age=300", "x-content-type-options": "nosniff" };
    if (c.req.valid("query").format === "svg")
      return c.body(qrSvg(url), 200, { ...headers, "content-type": "image/svg+xml" }) as never;
    return c.body((await qrPng(url)) as Uint8Array<ArrayBuffer>, 200, {
      ...headers,
      "content-type": "image/png",
    }) as never;
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/certificates",
      tag,
      idSchema: certificateId,
      schema: certificateSchema,
      present,
      machine: certificateMachine,
      table: certificates,
      targetType: "certificate",
      scope: ["certificates:issue", "certificates:self"],
      find: findCertificate,
      eventPayload,
      actions: {
        revoke: {
          operationId: "revokeCertificate",
          summary: "Revoke a certificate",
          description:
            "From then on every verification answers it invalid with the reason. Administrators revoke within their subtree, a member their own certificates.",
          body: revokeBody,
          event: "revoked",
          effects: (c, _row, body: z.infer<typeof revokeBody>) => ({
            set: { revokedAt: c.get("clock").now().toISOString(), revocationReason: body.reason },
            changes: { reason: body.reason },
          }),
        },
      },
    }),
  );
