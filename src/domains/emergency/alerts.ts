import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema } from "../../shared/http/schemas.js";
import { incidentId, tag, teamId } from "./common.js";
import { findIncident } from "./incident-model.js";
import { incidentAlerts } from "./tables.js";

const alertSchema = z
  .object({
    id: idSchema("alrt"),
    incidentId,
    teamId,
    step: z.enum(["street_committee"]).openapi({
      description: "`street_committee`: escalation step 2, to the street party working committee's admins.",
    }),
    divisionId: divisionIdSchema.openapi({ description: "The street (or town) alerted." }),
    quorum: z.number().int().openapi({ example: 5 }),
    available: z.number().int().openapi({ description: "Available answers when the alert went out.", example: 2 }),
    createdAt: z.string().openapi({ example: "2026-08-13T07:00:00.000Z" }),
  })
  .openapi("IncidentAlert");

const listAlerts = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/alerts",
  operationId: "listIncidentAlerts",
  tags: [tag],
  summary: "Escalation alerts of an incident (step 2: the street party working committee)",
  description:
    "A team still below its quorum when the county's mobile teams had as long again as its response window alerts its street's party working committee: one row per team, also sent as an `incident.street_alerted` event.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }), query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of alerts.",
      content: { "application/json": { schema: pageOf(alertSchema, "IncidentAlertPage") } },
    },
  },
});

export const alertRoutes = createRouter().openapi(listAlerts, async (c) => {
  const incident = await findIncident(c, c.req.valid("param").id);
  const keys = keyset(incidentAlerts.id, c.req.valid("query"));
  const rows = await c
    .get("db")
    .select()
    .from(incidentAlerts)
    .where(and(eq(incidentAlerts.tenantId, incident.tenantId), eq(incidentAlerts.incidentId, incident.id), keys.after))
    .orderBy(keys.orderBy)
    .limit(keys.limit);
  const page = keys.of(rows);
  return c.json(
    {
      data: page.data.map(({ tenantId: _t, divisionPath: _p, teamActivationId: _a, ...alert }) => alert),
      nextCursor: page.nextCursor,
    },
    200,
  );
});
