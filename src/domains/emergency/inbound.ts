import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context, MiddlewareHandler } from "hono";
import type { Principal } from "../../shared/auth/principal.js";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import { publicPathPrefix } from "../../shared/api/public.js";
import { defaultToleranceSeconds, verifyWebhook } from "../../shared/crypto/standard-webhooks.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { idSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { tag } from "./common.js";
import { incidentOfPage, volunteerOfPage } from "./incident-model.js";
import { incidents, notifications, volunteers } from "./tables.js";

/**
 * The district SMS gateway's inbound events: delivery receipts (状态报告: a page `delivered` or
 * `failed`) and SMS replies ("1" = 能到 available, "2" = 不能到 unavailable), signed like our calls
 * to it (Standard Webhooks, the tenant's `whsec_` secret from HEXI_SMS_GATEWAYS). The tenant is the
 * one whose secret verifies the signature, never anything in the body; a timestamp more than five
 * minutes away is refused (a replay). Every event is idempotent: a receipt sets a state at most
 * once, a repeated reply changes nothing, so a gateway may resend a whole call.
 */
export const gatewayEventsPath = `${publicPathPrefix}paging-gateway/events`;

const notificationId = idSchema("ntf");

const receiptEvent = z
  .object({
    type: z.literal("delivery_receipt"),
    idempotencyKey: notificationId.openapi({ description: "The page's id, as sent to the gateway." }),
    status: z.enum(["delivered", "failed"]),
    error: z.string().max(200).optional().openapi({ description: "The operator's reason for a failure." }),
  })
  .openapi("GatewayDeliveryReceipt");

const replyEvent = z
  .object({
    type: z.literal("reply"),
    from: z
      .string()
      .regex(/^(\+?86)?1[3-9]\d{9}$/)
      .openapi({
        description: "The replying phone (a Chinese mobile number, with or without +86).",
        example: "13900000001",
      }),
    text: z
      .string()
      .max(500)
      .openapi({ description: '"1" = 能到 (available), "2" = 不能到 (unavailable).', example: "1" }),
    idempotencyKey: notificationId
      .optional()
      .openapi({ description: "The page replied to, when the gateway tracks it; else the phone's latest live page." }),
  })
  .openapi("GatewayReply");

const eventsSchema = z
  .object({
    events: z
      .array(z.discriminatedUnion("type", [receiptEvent, replyEvent]))
      .min(1)
      .max(1000),
  })
  .openapi("GatewayEvents", {
    example: {
      events: [
        { type: "delivery_receipt", idempotencyKey: "ntf_01KDVDNA011AKWK3RC504FTYF8", status: "delivered" },
        { type: "reply", from: "13900000001", text: "1" },
      ],
    },
  });

const outcomesSchema = z
  .object({
    delivered: z.number().int(),
    failed: z.number().int(),
    answered: z.number().int(),
    ignored: z.number().int().openapi({
      description: "Unknown pages, receipts for pages already settled, replies that are not 1/2 or come too late.",
    }),
  })
  .openapi("GatewayEventOutcomes");

const receiveGatewayEvents = createRoute({
  method: "post",
  path: gatewayEventsPath,
  operationId: "receiveGatewayEvents",
  tags: [tag],
  summary: "The SMS gateway's delivery receipts and replies (signed: Standard Webhooks)",
  description:
    "Authenticated by its `webhook-signature` under a tenant's gateway secret (HEXI_SMS_GATEWAYS): that tenant's pages only. 401 without the headers, with a timestamp more than 5 minutes away (replays) or a signature no secret verifies. Receipts set a page `delivered` or `failed` (with the operator's reason); replies `1` / `2` answer the page available / unavailable like the answer link, while the incident is active. Idempotent: resending a call changes nothing.",
  security: [],
  middleware: [verifiedGateway()] as const,
  request: { body: { required: true, content: { "application/json": { schema: eventsSchema } } } },
  responses: {
    200: { description: "What the events did.", content: { "application/json": { schema: outcomesSchema } } },
    ...errorResponses([400, 401, 415, 500]),
  },
});

/** Verifies the signature on the raw body (before the validator parses it) and sets the gateway's principal. */
function verifiedGateway(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const gateways = c.get("paging").gateways ?? [];
    const body = await c.req.text();
    const verdict = await verifyWebhook(
      gateways.map((g) => g.secret),
      c.req.raw.headers,
      body,
      c.get("clock").now(),
    );
    if (!verdict.ok)
      throw new ApiError(
        "unauthenticated",
        verdict.reason === "missing_headers"
          ? msg("emergency.gateway_unsigned")
          : verdict.reason === "stale_timestamp"
            ? msg("emergency.gateway_stale", { seconds: defaultToleranceSeconds })
            : msg("emergency.gateway_bad_signature"),
      );
    const tenant = gateways[verdict.secretIndex]!.tenant;
    c.set("principal", gatewayPrincipal(tenant, "sms-gateway"));
    await next();
  };
}

function gatewayPrincipal(tenant: string, subject: string): Principal {
  return { tenant, subject, roles: [], scopes: new Set(), credential: "sms_gateway", crossTenant: false };
}

type Receipt = z.infer<typeof receiptEvent>;
type Reply = z.infer<typeof replyEvent>;

/** Receipts in one batch: one UPDATE per (status, reason), each only from `queued` or `sent`. */
async function applyReceipts(c: Context<AppEnv>, tenant: string, receipts: Receipt[]) {
  if (!receipts.length) return { delivered: 0, failed: 0 };
  const db = c.get("db");
  const at = c.get("clock").now().toISOString();
  const groups = new Map<string, { status: "delivered" | "failed"; error: string | null; ids: string[] }>();
  for (const r of receipts) {
    const error = r.status === "failed" ? `receipt: ${r.error ?? "not delivered"}` : null;
    const key = `${r.status}|${error ?? ""}`;
    const group = groups.get(key) ?? { status: r.status, error, ids: [] };
    group.ids.push(r.idempotencyKey);
    groups.set(key, group);
  }
  const writes = [...groups.values()].map((g) =>
    db
      .update(notifications)
      .set({
        status: g.status,
        ...(g.error ? { lastError: g.error } : {}),
        version: sql`${notifications.version} + 1`,
        updatedAt: at,
      })
      .where(
        and(
          eq(notifications.tenantId, tenant),
          inArray(notifications.id, g.ids),
          inArray(notifications.status, ["queued", "sent"]),
        ),
      )
      .returning({ id: notifications.id }),
  );
  const results = (await db.batch(writes as unknown as [BatchItem<"sqlite">])) as unknown as { id: string }[][];
  const counts = { delivered: 0, failed: 0 };
  for (const [i, g] of [...groups.values()].entries()) counts[g.status] += results[i]?.length ?? 0;
  return counts;
}

const replyAnswers: Record<string, "available" | "unavailable"> = {
  "1": "available",
  能到: "available",
  "2": "unavailable",
  不能到: "unavailable",
};

/** The page a reply answers: the one named, or the phone's latest page of an active incident in this tenant. */
async function pageOfReply(c: Context<AppEnv>, tenant: string, reply: Reply) {
  const phone = reply.from.replace(/^\+?86/, "");
  const phoneHash = await c.get("pii").fingerprint(phone);
  const [row] = await c
    .get("db")
    .select({ notification: notifications, incident: incidents })
    .from(notifications)
    .innerJoin(incidents, incidentOfPage)
    .innerJoin(volunteers, volunteerOfPage)
    .where(
      and(
        eq(notifications.tenantId, tenant),
        eq(volunteers.phoneHash, phoneHash),
        eq(incidents.status, "active"),
        reply.idempotencyKey ? eq(notifications.id, reply.idempotencyKey) : undefined,
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(1);
  return row;
}

/** A reply answers like the link: only while the incident is active, never "unavailable" once checked in. */
async function applyReply(c: Context<AppEnv>, tenant: string, reply: Reply): Promise<boolean> {
  const answer = replyAnswers[reply.text.normalize("NFKC").trim()];
  if (!answer) return false;
  const page = await pageOfReply(c, tenant, reply);
  if (!page) return false;
  const n = page.notification;
  if (n.answer === answer || (n.checkedInAt && answer === "unavailable")) return false;
  const at = c.get("clock").now().toISOString();
  const set = { answer, etaMinutes: null, answeredAt: at };
  c.set("principal", gatewayPrincipal(tenant, `volunteer:${n.volunteerId}`));
  try {
    await commit(c, {
      writes: [
        c
          .get("db")
          .update(notifications)
          .set({ ...set, version: n.version + 1, updatedAt: at })
          .where(and(eq(notifications.id, n.id), eq(notifications.version, n.version))),
        guardChanged(),
      ],
      audit: {
        action: "incident.volunteer_answer",
        targetType: "incident",
        targetId: n.incidentId,
        divisionPath: page.incident.divisionPath,
        changes: { notificationId: n.id, ...set, via: "sms_reply" },
      },
    });
  } catch (err) {
    // Answered on the link at the same moment: that answer stands.
    if (err instanceof GuardFailed) return false;
    throw err;
  }
  return true;
}

export const gatewayRoutes = createRouter().openapi(receiveGatewayEvents, async (c) => {
  const { events } = c.req.valid("json");
  const tenant = c.get("principal").tenant;
  const receipts = events.filter((e): e is Receipt => e.type === "delivery_receipt");
  const replies = events.filter((e): e is Reply => e.type === "reply");
  const counts = { ...(await applyReceipts(c, tenant, receipts)), answered: 0, ignored: 0 };
  for (const reply of replies) if (await applyReply(c, tenant, reply)) counts.answered++;
  counts.ignored = events.length - counts.delivered - counts.failed - counts.answered;
  return c.json(counts, 200);
});
