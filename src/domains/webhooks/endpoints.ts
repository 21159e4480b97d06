import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { actorOf } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import { subscribableEventTypes, testEventType } from "./catalogue.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { etagOf, optionalIfMatch, requireIfMatch } from "../../shared/http/etag.js";
import {
  createRouter,
  etagHeader,
  ifMatchHeader,
  protectedRoute,
  versionedResponse,
} from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { findWithinReach, transition, updateVersioned, readRows } from "../../shared/store/records.js";
import { endpointMachine } from "./machines.js";
import { generateSecret } from "../../shared/crypto/standard-webhooks.js";
import { webhookDeliveries, webhookEndpoints } from "./tables.js";
import { webhookUrlMessage } from "./targets.js";
import { msg, requestParts, thing, zodMessage, zodMessageOf } from "../../shared/http/messages.js";

export const endpointId = idSchema("whep");

export const optionalIfMatchHeader = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "Optional: when sent, the ETag you last read (412 when stale).",
      example: '"v1"',
    }),
});

/**
 * Checked twice: here against the widest policy any deployment has (so every URL no deployment
 * accepts is refused with the other fields' problems), then in the handlers against this
 * deployment's (`requireTargetUrl`), which refuses loopback unless HEXI_WEBHOOK_ALLOW_LOOPBACK is on.
 */
const urlSchema = z
  .string()
  .superRefine((url, ctx) => {
    const problem = webhookUrlMessage(url, { allowLoopback: true });
    if (problem) ctx.addIssue({ code: "custom", message: zodMessageOf(problem) });
  })
  .openapi({
    description:
      "An https URL on port 443 or 8443, without credentials, whose host is a public name or address (not loopback, private, link-local, CGNAT, multicast, `localhost`, `*.internal`, `*.local`, …). Checked again, with DNS, at every delivery.",
    example: "https://hooks.example.com/hexi",
  });

const endpointFields = {
  url: urlSchema,
  eventTypes: z
    .array(z.enum(subscribableEventTypes))
    .min(1)
    .max(subscribableEventTypes.length)
    .openapi({
      description: "The event types to receive; see the document's `webhooks` section.",
      example: ["member_report.confirmed", "org_report.received"],
    }),
  description: z.string().trim().max(500).nullable().openapi({ example: "区大数据中心的报到同步" }),
};

const endpointSchema = z
  .object({
    id: endpointId,
    tenant: z.string(),
    url: z.string().openapi({ example: "https://hooks.example.com/hexi" }),
    description: endpointFields.description,
    eventTypes: z.array(z.string()).openapi({ example: ["member_report.confirmed"] }),
    status: z.enum(["active", "disabled"]).openapi({
      description:
        "Disabled endpoints receive nothing; the dispatcher disables an endpoint whose deliveries keep failing.",
    }),
    consecutiveFailures: z
      .number()
      .int()
      .openapi({ description: "Deliveries that exhausted their retries in a row since the last success.", example: 0 }),
    disabledAt: z.string().nullable().openapi({ example: null }),
    ...timestampsSchema,
  })
  .openapi("WebhookEndpoint");

const secretField = {
  secret: z.string().openapi({
    description:
      "The signing secret (Standard Webhooks: `whsec_` + base64 of 32 random bytes). Shown only in this response; it is stored encrypted and never returned again. Verify `webhook-signature` with it.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
};

const endpointWithSecretSchema = endpointSchema
  .extend({
    secret: secretField.secret.optional().openapi({
      description: `${secretField.secret.description} A replay of the create with the same Idempotency-Key omits it: rotate the secret if the first response was lost.`,
    }),
  })
  .openapi("WebhookEndpointWithSecret");

const rotatedSchema = endpointSchema.extend(secretField).openapi("WebhookEndpointRotated");

const createEndpointSchema = z
  .object({ ...endpointFields, description: endpointFields.description.optional() })
  .strict()
  .openapi("CreateWebhookEndpoint", {
    example: {
      url: "https://hooks.example.com/hexi",
      eventTypes: ["member_report.confirmed", "org_report.received"],
      description: "区大数据中心的报到同步",
    },
  });

const patchEndpointSchema = z
  .object(endpointFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchWebhookEndpoint", { example: { eventTypes: ["member_report.confirmed", "member_report.ended"] } });

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
const present = (row: EndpointRow) => ({
  id: row.id,
  tenant: row.tenantId,
  url: row.url,
  description: row.description,
  eventTypes: row.eventTypes,
  status: row.status,
  consecutiveFailures: row.consecutiveFailures,
  disabledAt: row.disabledAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Endpoints carry no division: only tenant-wide principals reach them (an `org`-narrowed one reaches none). */
const reach = {};
const targetType = "webhook_endpoint";
const uniqueTypes = (types: readonly string[]) => [...new Set(types)].sort();

/** One endpoint of the caller's tenant, else the same 404 as a missing one. */
export const findEndpoint = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, webhookEndpoints, reach, id, "webhook endpoint");

const endpointResponse = (description: string) => versionedResponse(endpointSchema, description);
const idParam = z.object({ id: endpointId });
const tags = ["webhooks"];
const scope = "webhooks:manage";

const createEndpoint = protectedRoute({
  method: "post",
  path: "/v1/webhook-endpoints",
  operationId: "createWebhookEndpoint",
  tags,
  summary: "Subscribe an HTTPS endpoint to events",
  description:
    "Deliveries follow Standard Webhooks: a JSON body `{type, timestamp, data}` signed in `webhook-id`, `webhook-timestamp` and `webhook-signature` with the secret returned here once. Failed deliveries are retried with exponential backoff for about 18 hours.",
  scope,
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createEndpointSchema } } } },
  responses: {
    201: {
      description: "The endpoint, with its signing secret (only this once).",
      headers: etagHeader,
      content: { "application/json": { schema: endpointWithSecretSchema } },
    },
  },
});

const listEndpoints = protectedRoute({
  method: "get",
  path: "/v1/webhook-endpoints",
  operationId: "listWebhookEndpoints",
  tags,
  summary: "The tenant's webhook endpoints",
  scope,
  request: { query: pageQuerySchema.extend({ status: z.enum(["active", "disabled"]).optional() }) },
  responses: {
    200: {
      description: "A page of endpoints, oldest first.",
      content: { "application/json": { schema: pageOf(endpointSchema, "WebhookEndpointPage") } },
    },
  },
});

const getEndpoint = protectedRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "getWebhookEndpoint",
  tags,
  summary: "One webhook endpoint",
  scope,
  errors: [404],
  request: { params: idParam },
  responses: { 200: endpointResponse("The endpoint.") },
});

const patchEndpoint = protectedRoute({
  method: "patch",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "updateWebhookEndpoint",
  tags,
  summary: "Change an endpoint's URL, event types or description",
  description: "Deliveries already scheduled keep their event; new events follow the new subscription.",
  scope,
  errors: [404, 409, 412, 428],
  request: {
    params: idParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchEndpointSchema } } },
  },
  responses: { 200: endpointResponse("The updated endpoint.") },
});

const deleteEndpoint = protectedRoute({
  method: "delete",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "deleteWebhookEndpoint",
  tags,
  summary: "Delete an endpoint and its delivery history",
  description:
    "Deliveries not yet sent are dropped. To stop deliveries but keep the history, disable the endpoint instead.",
  scope,
  errors: [404, 409, 412],
  request: { params: idParam, headers: optionalIfMatchHeader },
  responses: { 204: { description: "The endpoint is gone." } },
});

const rotateSecret = protectedRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  operationId: "rotateWebhookEndpointSecret",
  tags,
  summary: "Replace an endpoint's signing secret",
  description:
    "The new secret signs every attempt from now on, retries included; it is returned only in this response.",
  scope,
  errors: [404, 409, 412],
  request: { params: idParam, headers: optionalIfMatchHeader },
  responses: {
    200: {
      description: "The endpoint with its new secret.",
      headers: etagHeader,
      content: { "application/json": { schema: rotatedSchema } },
    },
  },
});

const testEndpoint = protectedRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/test",
  operationId: "testWebhookEndpoint",
  tags,
  summary: "Send a signed test ping to an endpoint",
  description:
    "Writes a `webhook.test` event (audited as `webhook_endpoint.test`) that the dispatcher delivers to this endpoint only, whatever it subscribes to, like any other event: signed, retried, listed among the endpoint's deliveries and replayable. A disabled endpoint is a 409 `conflict`.",
  scope,
  errors: [404, 409],
  request: { params: idParam },
  responses: {
    202: {
      description: "The ping is queued; it appears in the deliveries within the dispatcher's next run.",
      content: {
        "application/json": {
          schema: z
            .object({
              endpointId,
              eventType: z.literal(testEventType),
              requestedAt: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
            })
            .openapi("WebhookTestQueued", {
              example: {
                endpointId: "whep_01KDVDNA011AKWK3RC504FTYF8",
                eventType: testEventType,
                requestedAt: "2026-11-26T09:00:00.000Z",
              },
            }),
        },
      },
    },
  },
});

const actionSummaries = {
  disable: {
    operationId: "disableWebhookEndpoint",
    summary: "Stop delivering to an endpoint",
    description: "Scheduled deliveries wait until the endpoint is enabled again.",
  },
  enable: {
    operationId: "enableWebhookEndpoint",
    summary: "Resume delivering to an endpoint",
    description: "Deliveries that waited are sent; the failure count starts again from zero.",
  },
} as const;

/** A 400 pointing at /url unless the deployment accepts the URL as a target (public https; loopback too in development). */
function requireTargetUrl(c: Context<AppEnv>, url: string) {
  const problem = webhookUrlMessage(url, c.get("webhookTargets"));
  if (problem)
    throw new ApiError("validation_failed", msg("validation.one", { in: requestParts.body, pointer: "/url" }), {
      errors: [{ in: "body", pointer: "/url", detail: problem }],
    });
}

/** A principal narrowed to a division must not subscribe to the whole tenant's events. */
function requireTenantWide(c: Context<AppEnv>) {
  if (c.get("principal").org) throw new ApiError("forbidden", msg("auth.webhooks_tenant_wide"));
}

export const endpointRoutes = createRouter()
  .openapi(createEndpoint, async (c) => {
    const body = c.req.valid("json");
    requireTargetUrl(c, body.url);
    requireTenantWide(c);
    const { principal, clock, pii } = c.var;
    const now = clock.now();
    const secret = generateSecret();
    const row: EndpointRow = {
      id: newId("whep", now.getTime()),
      tenantId: principal.tenant,
      url: body.url,
      description: body.description ?? null,
      eventTypes: uniqueTypes(body.eventTypes),
      secretSealed: await pii.seal(secret),
      status: "active",
      consecutiveFailures: 0,
      disabledAt: null,
      createdBy: actorOf(principal),
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = { etag: etagOf(row.version), location: `/v1/webhook-endpoints/${row.id}` };
    await commit(
      c,
      {
        writes: [c.get("db").insert(webhookEndpoints).values(row)],
        audit: {
          action: "webhook_endpoint.create",
          targetType,
          targetId: row.id,
          changes: { fields: Object.keys(body), eventTypes: row.eventTypes },
        },
      },
      // The stored replay of an idempotent create never holds the secret in clear.
      { status: 201, body: response, headers },
    );
    return c.json({ ...response, secret }, 201, headers);
  })
  .openapi(listEndpoints, async (c) => {
    const q = c.req.valid("query");
    const page = keyset(webhookEndpoints.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(webhookEndpoints)
        .where(
          and(
            withinReach(c.get("principal"), { tenantId: webhookEndpoints.tenantId, ...reach }),
            q.status ? eq(webhookEndpoints.status, q.status) : undefined,
            page.after,
          ),
        )
        .orderBy(page.orderBy)
        .limit(page.limit),
    );
    const { data, nextCursor } = page.of(rows);
    return c.json({ data: data.map(present), nextCursor }, 200);
  })
  .openapi(getEndpoint, async (c) => {
    const row = await findEndpoint(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(patchEndpoint, async (c) => {
    const patch = c.req.valid("json");
    if (patch.url !== undefined) requireTargetUrl(c, patch.url);
    const expectedVersion = requireIfMatch(c);
    const row = await findEndpoint(c, c.req.valid("param").id);
    const set: Partial<EndpointRow> = {
      ...patch,
      ...(patch.eventTypes ? { eventTypes: uniqueTypes(patch.eventTypes) } : {}),
    };
    const updated = await updateVersioned(c, {
      table: webhookEndpoints,
      row,
      expectedVersion,
      set,
      audit: {
        action: "webhook_endpoint.update",
        targetType,
        changes: { fields: Object.keys(patch), ...(set.eventTypes ? { eventTypes: set.eventTypes } : {}) },
      },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  })
  .openapi(deleteEndpoint, async (c) => {
    const expectedVersion = optionalIfMatch(c);
    const row = await findEndpoint(c, c.req.valid("param").id);
    if (expectedVersion !== undefined && expectedVersion !== row.version) {
      throw new ApiError(
        "precondition_failed",
        msg("generic.version_mismatch", {
          what: thing("webhook endpoint"),
          version: row.version,
          expected: expectedVersion,
        }),
      );
    }
    const { db } = c.var;
    try {
      await commit(c, {
        writes: [
          db
            .delete(webhookEndpoints)
            .where(
              and(
                eq(webhookEndpoints.id, row.id),
                eq(webhookEndpoints.tenantId, row.tenantId),
                eq(webhookEndpoints.version, row.version),
              ),
            ),
          guardChanged(),
          db
            .delete(webhookDeliveries)
            .where(and(eq(webhookDeliveries.tenantId, row.tenantId), eq(webhookDeliveries.endpointId, row.id))),
        ],
        audit: {
          action: "webhook_endpoint.delete",
          targetType,
          targetId: row.id,
          changes: { url: row.url, eventTypes: row.eventTypes },
        },
      });
    } catch (err) {
      if (err instanceof GuardFailed)
        throw new ApiError("conflict", msg("generic.changed_concurrently", { what: thing("webhook endpoint") }));
      throw err;
    }
    return c.body(null, 204);
  })
  .openapi(rotateSecret, async (c) => {
    const expectedVersion = optionalIfMatch(c);
    const row = await findEndpoint(c, c.req.valid("param").id);
    const secret = generateSecret();
    const updated = await updateVersioned(c, {
      table: webhookEndpoints,
      row,
      expectedVersion,
      set: { secretSealed: await c.get("pii").seal(secret) },
      audit: { action: "webhook_endpoint.rotate_secret", targetType, changes: { fields: ["secret"] } },
    });
    return c.json({ ...present(updated), secret }, 200, { etag: etagOf(updated.version) });
  });

endpointRoutes.openapi(testEndpoint, async (c) => {
  const row = await findEndpoint(c, c.req.valid("param").id);
  if (row.status !== "active") throw new ApiError("conflict", msg("webhooks.test_disabled"));
  const requestedAt = c.get("clock").now().toISOString();
  await commit(c, {
    writes: [],
    audit: { action: "webhook_endpoint.test", targetType, targetId: row.id },
    events: [{ type: testEventType, subjectType: targetType, subjectId: row.id, payload: { requestedAt } }],
  });
  return c.json({ endpointId: row.id, eventType: testEventType, requestedAt }, 202);
});

for (const action of endpointMachine.actions) {
  const { operationId, summary, description } = actionSummaries[action];
  const route = protectedRoute({
    method: "post",
    path: `/v1/webhook-endpoints/{id}/${action}`,
    operationId,
    tags,
    summary,
    description: `${description}\n\nAllowed from: ${endpointMachine.transitions[action].from.join(", ")}; any other state is a 409 \`invalid_transition\`.`,
    scope,
    errors: [404, 409, 412],
    request: { params: idParam, headers: optionalIfMatchHeader },
    responses: { 200: endpointResponse("The endpoint after the action.") },
  });
  endpointRoutes.openapi(route, async (c) => {
    const expectedVersion = optionalIfMatch(c);
    const row = await findEndpoint(c, c.req.valid("param").id);
    const now = c.get("clock").now().toISOString();
    const updated = await transition(c, {
      table: webhookEndpoints,
      row,
      expectedVersion,
      machine: endpointMachine,
      action,
      set: action === "enable" ? { consecutiveFailures: 0, disabledAt: null } : { disabledAt: now },
      targetType,
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
}
