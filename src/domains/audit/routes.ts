import { z } from "@hono/zod-openapi";
import { and, eq, gte, lte } from "drizzle-orm";
import { auditEvents } from "../../db/tables.js";
import { withinReach } from "../../shared/auth/reach.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, orderSchema, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { readRows } from "../../shared/store/records.js";

const auditEventSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    actor: z.string().openapi({ description: "credential:tenant:subject", example: "jwt:620902:user-42" }),
    action: z.string().openapi({ example: "member_report.confirm" }),
    targetType: z.string().openapi({ example: "member_report" }),
    targetId: z.string(),
    requestId: z.string(),
    changes: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "Changed fields; personal data appears only as field names." }),
    at: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
  })
  .openapi("AuditEvent");

const listAuditEvents = protectedRoute({
  method: "get",
  path: "/v1/audit-events",
  operationId: "listAuditEvents",
  tags: ["audit"],
  summary: "The audit trail, newest first by default",
  description: "Every write appends an event in the same atomic batch as the write. Filter by target, actor and time.",
  scope: "audit:read",
  request: {
    query: pageQuerySchema.extend({
      order: orderSchema("newest"),
      targetType: z.string().max(64).optional(),
      targetId: z.string().max(64).optional(),
      actor: z.string().max(300).optional(),
      action: z.string().max(100).optional(),
      from: z.iso.datetime().optional().openapi({ description: "Inclusive lower bound on `at`." }),
      to: z.iso.datetime().optional().openapi({ description: "Inclusive upper bound on `at`." }),
    }),
  },
  responses: {
    200: {
      description: "A page of audit events.",
      content: { "application/json": { schema: pageOf(auditEventSchema, "AuditEventPage") } },
    },
  },
});

export const auditRoutes = createRouter().openapi(listAuditEvents, async (c) => {
  const q = c.req.valid("query");
  const keys = keyset(auditEvents.id, q);
  const rows = await readRows(
    c,
    c
      .get("db")
      .select({
        id: auditEvents.id,
        tenant: auditEvents.tenantId,
        actor: auditEvents.actor,
        action: auditEvents.action,
        targetType: auditEvents.targetType,
        targetId: auditEvents.targetId,
        requestId: auditEvents.requestId,
        changes: auditEvents.changes,
        at: auditEvents.at,
      })
      .from(auditEvents)
      .where(
        and(
          withinReach(c.get("principal"), { tenantId: auditEvents.tenantId, divisionPath: auditEvents.divisionPath }),
          q.targetType ? eq(auditEvents.targetType, q.targetType) : undefined,
          q.targetId ? eq(auditEvents.targetId, q.targetId) : undefined,
          q.actor ? eq(auditEvents.actor, q.actor) : undefined,
          q.action ? eq(auditEvents.action, q.action) : undefined,
          q.from ? gte(auditEvents.at, new Date(q.from).toISOString()) : undefined,
          q.to ? lte(auditEvents.at, new Date(q.to).toISOString()) : undefined,
          keys.after,
        ),
      )
      .orderBy(keys.orderBy)
      .limit(keys.limit),
  );
  return c.json(keys.of(rows), 200);
});
