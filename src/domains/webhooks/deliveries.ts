import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema } from "../../shared/http/schemas.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { endpointId, findEndpoint } from "./endpoints.js";
import { deliveryMachine } from "./machines.js";
import { deliveryStatuses, webhookDeliveries, webhookEndpoints } from "./tables.js";
import { msg } from "../../shared/http/messages.js";
import { readRows } from "../../shared/store/records.js";

export const deliveryId = idSchema("whmsg");

const deliverySchema = z
  .object({
    id: deliveryId.openapi({
      description: "The `webhook-id` of every attempt of this delivery: receivers de-duplicate on it.",
    }),
    endpointId,
    eventId: z.string().openapi({ example: "evt_01KDVDNA011AKWK3RC504FTYF8" }),
    eventType: z.string().openapi({ example: "member_report.confirmed" }),
    status: z.enum(deliveryStatuses).openapi({
      description:
        "pending: due to be sent; failed: the last attempt failed and a retry is scheduled; succeeded: a 2xx answer; dead: every retry failed.",
    }),
    attempts: z
      .number()
      .int()
      .openapi({ description: "Attempts since the delivery was created or last replayed.", example: 1 }),
    nextAttemptAt: z.string().nullable().openapi({
      description: "When the next attempt is due; null once succeeded or dead.",
      example: "2026-11-26T09:05:00.000Z",
    }),
    lastStatusCode: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The HTTP status of the last attempt; null when it got none.", example: 500 }),
    lastError: z.string().nullable().openapi({ example: "HTTP 500" }),
    deliveredAt: z.string().nullable().openapi({ example: null }),
    payload: z.record(z.string(), z.unknown()).openapi({ description: "The body sent: `{type, timestamp, data}`." }),
    createdAt: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
    updatedAt: z.string().openapi({ example: "2026-11-26T09:00:05.000Z" }),
  })
  .openapi("WebhookDelivery");

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
const finished = (status: DeliveryRow["status"]) => status === "succeeded" || status === "dead";
const present = (row: DeliveryRow) => ({
  id: row.id,
  endpointId: row.endpointId,
  eventId: row.eventId,
  eventType: row.eventType,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: finished(row.status) ? null : row.nextAttemptAt,
  lastStatusCode: row.lastStatusCode,
  lastError: row.lastError,
  deliveredAt: row.deliveredAt,
  payload: row.payload,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const tags = ["webhooks"];
const scope = "webhooks:manage";
const deliveryContent = (description: string) => ({
  description,
  content: { "application/json": { schema: deliverySchema } },
});

const listDeliveries = protectedRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags,
  summary: "An endpoint's deliveries",
  scope,
  errors: [404],
  request: {
    params: z.object({ id: endpointId }),
    query: pageQuerySchema.extend({ status: z.enum(deliveryStatuses).optional() }),
  },
  responses: {
    200: {
      description: "A page of deliveries, oldest first.",
      content: { "application/json": { schema: pageOf(deliverySchema, "WebhookDeliveryPage") } },
    },
  },
});

const getDelivery = protectedRoute({
  method: "get",
  path: "/v1/webhook-deliveries/{id}",
  operationId: "getWebhookDelivery",
  tags,
  summary: "One delivery",
  scope,
  errors: [404],
  request: { params: z.object({ id: deliveryId }) },
  responses: { 200: deliveryContent("The delivery.") },
});

const replayDelivery = protectedRoute({
  method: "post",
  path: "/v1/webhook-deliveries/{id}/replay",
  operationId: "replayWebhookDelivery",
  tags,
  summary: "Send a delivery again",
  description:
    "Makes the delivery due now with a fresh retry schedule. It keeps its `webhook-id`, so a receiver that already processed it can recognise the repeat. Allowed when succeeded, failed or dead (pending: 409 `invalid_transition`); the endpoint must be active (409 `conflict`).",
  scope,
  errors: [404, 409],
  request: { params: z.object({ id: deliveryId }) },
  responses: { 202: deliveryContent("The delivery, pending again.") },
});

export const deliveryRoutes = createRouter()
  .openapi(listDeliveries, async (c) => {
    const endpoint = await findEndpoint(c, c.req.valid("param").id);
    const q = c.req.valid("query");
    const page = keyset(webhookDeliveries.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.tenantId, endpoint.tenantId),
            eq(webhookDeliveries.endpointId, endpoint.id),
            q.status ? eq(webhookDeliveries.status, q.status) : undefined,
            page.after,
          ),
        )
        .orderBy(page.orderBy)
        .limit(page.limit),
    );
    const { data, nextCursor } = page.of(rows);
    return c.json({ data: data.map(present), nextCursor }, 200);
  })
  .openapi(getDelivery, async (c) => {
    const { row } = await findDelivery(c, c.req.valid("param").id);
    return c.json(present(row), 200);
  })
  .openapi(replayDelivery, async (c) => {
    const { row, endpointStatus } = await findDelivery(c, c.req.valid("param").id);
    const to = deliveryMachine.next(row.status, "replay");
    if (endpointStatus !== "active") throw new ApiError("conflict", msg("webhooks.endpoint_disabled"));
    const now = c.get("clock").now().toISOString();
    const replayed: DeliveryRow = {
      ...row,
      status: to,
      attempts: 0,
      nextAttemptAt: now,
      leaseUntil: null,
      updatedAt: now,
    };
    try {
      await commit(c, {
        writes: [
          c
            .get("db")
            .update(webhookDeliveries)
            .set({ status: to, attempts: 0, nextAttemptAt: now, leaseUntil: null, updatedAt: now })
            .where(
              and(
                eq(webhookDeliveries.id, row.id),
                eq(webhookDeliveries.tenantId, row.tenantId),
                eq(webhookDeliveries.status, row.status),
              ),
            ),
          guardChanged(),
        ],
        audit: {
          action: "webhook_delivery.replay",
          targetType: "webhook_delivery",
          targetId: row.id,
          changes: { status: [row.status, to], endpointId: row.endpointId },
        },
      });
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("conflict", msg("webhooks.delivery_changed"));
      throw err;
    }
    return c.json(present(replayed), 202);
  });

/** A delivery of the caller's tenant with its endpoint's status, else the same 404 as a missing one. */
async function findDelivery(c: Context<AppEnv>, id: string) {
  const { db, principal } = c.var;
  const [found] = await db
    .select({ row: webhookDeliveries, endpointStatus: webhookEndpoints.status })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        eq(webhookDeliveries.id, id),
        withinReach(principal, { tenantId: webhookDeliveries.tenantId }),
        withinReach(principal, { tenantId: webhookEndpoints.tenantId }),
      ),
    );
  if (!found) throw notFound("webhook delivery");
  return found;
}
