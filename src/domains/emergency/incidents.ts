import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { actorOf } from "../../shared/auth/principal.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { etagOf } from "../../shared/http/etag.js";
import { createRouter, etagHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { commit } from "../../shared/store/commit.js";
import { listWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite, unknownReference } from "../../shared/store/references.js";
import { activationSummary, activationWrites } from "./activation.js";
import { incidentId, siteId, skillListSchema, tag } from "./common.js";
import { deliverLater } from "./delivery.js";
import { checkedInCount, postHours } from "./hours.js";
import { loansFollow } from "./loans.js";
import {
  activationSummarySchema,
  findIncident,
  incidentEventPayload,
  incidentMachine,
  incidentReach,
  incidentSchema,
  newIncidentRow,
  pageMessage,
  presentIncident,
  type IncidentRow,
} from "./incident-model.js";
import { incidentLevels, incidents, incidentStatuses, incidentTypes, sites } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

export const declareIncidentSchema = z
  .object({
    type: z.enum(incidentTypes),
    level: z.enum(incidentLevels),
    affectedDivisionIds: z
      .array(divisionIdSchema)
      .min(1)
      .max(200)
      .refine((ids) => new Set(ids).size === ids.length, zodMessage("emergency.division_once")),
    headline: z.string().trim().min(1).max(60).openapi({ example: "东北街暴雨内涝，急时小分队集结" }),
    instruction: z.string().trim().min(1).max(1000).openapi({ example: "请携带雨具到富康社区党群服务中心集结。" }),
    drill: z.boolean().openapi({ description: "true: a drill (CAP Exercise); false: a real incident (CAP Actual)." }),
    dedupKey: z.string().trim().min(1).max(100).openapi({
      description:
        "The same key in the same tenant answers the incident already declared (200) and pages nobody again.",
      example: "sz-rainstorm-2026-08-13",
    }),
    activate: z.boolean().default(true).openapi({ description: "Page the teams now (default) or only declare." }),
    includeNormalTeams: z.boolean().default(false).openapi({ description: "Also page normal-time squads." }),
    skills: skillListSchema
      .default([])
      .openapi({ description: "Only teams offering one of these skills (none: any)." }),
  })
  .strict()
  .openapi("DeclareIncident", {
    example: {
      type: "rainstorm_flood",
      level: "III",
      affectedDivisionIds: ["div_01KDVDNA011AKWK3RC504FTYF8"],
      headline: "东北街暴雨内涝，急时小分队集结",
      instruction: "请携带雨具到富康社区党群服务中心集结。",
      drill: true,
      dedupKey: "sz-drill-2026-12-04",
    },
  });

const declarationSchema = z
  .object({
    incident: incidentSchema,
    activation: activationSummarySchema.nullable().openapi({ description: "Null when declared without activation." }),
    deduplicated: z.boolean().openapi({ description: "True when the dedupKey named an incident already declared." }),
  })
  .openapi("IncidentDeclaration");

const declarationContent = { "application/json": { schema: declarationSchema } };

const declareIncident = protectedRoute({
  method: "post",
  path: "/v1/incidents",
  operationId: "declareIncident",
  tags: [tag],
  summary: "Declare an incident or drill, and page its teams with one key (一键响应)",
  description:
    "Every affected division must lie in the caller's subtree. With `activate` (default) the incident, every activation of the emergency and mobile teams whose area intersects the affected divisions (normal-time squads too with `includeNormalTeams`), the roster snapshots, one notification per volunteer, the audit and the outbox events are written in ONE atomic commit of a fixed number of statements; the pages then leave through the delivery channel. The page must fit one 70-character SMS segment (400 at `/headline` otherwise). A repeated `dedupKey` answers 200 with the existing incident and pages nobody twice.",
  scope: "incidents:declare",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: declareIncidentSchema } } } },
  responses: {
    201: {
      description: "Declared (and activated): the incident and what was paged, by mode and team.",
      headers: {
        ...etagHeader,
        Location: { description: "The incident.", schema: { type: "string" as const } },
      },
      content: declarationContent,
    },
    200: {
      description: "The dedupKey named an existing incident: nothing was paged again.",
      content: declarationContent,
    },
  },
});

const listIncidents = protectedRoute({
  method: "get",
  path: "/v1/incidents",
  operationId: "listIncidents",
  tags: [tag],
  summary: "Incidents within reach",
  description: "Drills and real incidents are listed apart: `drill=false` (real only) or `drill=true` (drills only).",
  scope: "emergency:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(incidentStatuses).optional(),
      type: z.enum(incidentTypes).optional(),
      drill: z.enum(["true", "false"]).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of incidents.",
      content: { "application/json": { schema: pageOf(incidentSchema, "IncidentPage") } },
    },
  },
});

const getIncident = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}",
  operationId: "getIncident",
  tags: [tag],
  summary: "One incident",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }) },
  responses: { 200: versionedResponse(incidentSchema, "The incident.") },
});

/** Every affected division: in the caller's tenant and subtree (else a 400 at the field, as for any reference). */
async function affectedDivisions(c: Context<AppEnv>, ids: string[]) {
  const found = [];
  for (const [i, id] of ids.entries())
    found.push(
      await requireDivisionForWrite(c, id, {
        pointer: `/affectedDivisionIds/${i}`,
        levels: ["county", "street", "town", "community", "grid"],
      }),
    );
  return found;
}

async function byDedupKey(c: Context<AppEnv>, key: string) {
  const [row] = await c
    .get("db")
    .select()
    .from(incidents)
    .where(and(eq(incidents.tenantId, c.get("principal").tenant), eq(incidents.dedupKey, key)));
  return row;
}

async function answerExisting(c: Context<AppEnv>, existing: IncidentRow) {
  const activation = existing.activatedAt ? await activationSummary(c.get("db"), existing) : null;
  return c.json({ incident: presentIncident(existing), activation, deduplicated: true }, 200);
}

export const incidentRoutes = createRouter()
  .openapi(declareIncident, async (c) => {
    const body = c.req.valid("json");
    const existing = await byDedupKey(c, body.dedupKey);
    if (existing) return answerExisting(c, existing);
    const divisions = await affectedDivisions(c, body.affectedDivisionIds);
    const { prefix, suffix } = pageMessage(c.get("paging"), body);
    const { principal, clock, db, paging } = c.var;
    const now = clock.now();
    const at = now.toISOString();
    const row = newIncidentRow(
      body,
      { id: newId("inc", now.getTime()), tenantId: principal.tenant, divisions },
      { message: { prefix, suffix }, activate: body.activate, declaredBy: actorOf(principal), at },
    );
    const location = `/v1/incidents/${row.id}`;
    try {
      await commit(c, {
        writes: [
          db.insert(incidents).values(row),
          ...(body.activate ? activationWrites(db, row, { iso: at, ms: now.getTime() }, paging.channel) : []),
        ],
        audit: [
          {
            action: "incident.declare",
            targetType: "incident",
            targetId: row.id,
            divisionPath: row.divisionPath,
            changes: {
              type: row.type,
              level: row.level,
              drill: row.drill,
              affectedDivisionIds: row.affectedDivisionIds,
              activate: body.activate,
            },
          },
        ],
        events: [
          { type: "incident.declared", subjectType: "incident", subjectId: row.id, payload: incidentEventPayload(row) },
        ],
        conflicts: { "incidents.dedup_key": msg("emergency.dedup_key") },
      });
    } catch (err) {
      // A concurrent declaration with the same key won: answer it, page nobody.
      const winner =
        err instanceof ApiError && err.code === "conflict" ? await byDedupKey(c, body.dedupKey) : undefined;
      if (winner) return answerExisting(c, winner);
      throw err;
    }
    const activation = body.activate ? await activationSummary(db, row) : null;
    if (body.activate) deliverLater(c, row);
    const response = { incident: presentIncident(row), activation, deduplicated: false };
    return c.json(response, 201, { etag: etagOf(row.version), location });
  })
  .openapi(listIncidents, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, incidents, incidentReach, q, {
      status: [incidents.status, q.status],
      type: [incidents.type, q.type],
      drill: [incidents.drill, q.drill === undefined ? undefined : q.drill === "true" ? 1 : 0],
    });
    return c.json({ data: page.data.map(presentIncident), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getIncident, async (c) => {
    const row = await findIncident(c, c.req.valid("param").id);
    return c.json(presentIncident(row), 200, { etag: etagOf(row.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/incidents",
      tag,
      idSchema: incidentId,
      schema: incidentSchema,
      targetType: "incident",
      machine: incidentMachine,
      table: incidents,
      scope: "incidents:declare",
      find: findIncident,
      present: presentIncident,
      eventPayload: incidentEventPayload,
      actions: {
        activate: {
          operationId: "activateIncident",
          summary: "Page the teams of a declared incident (one key)",
          description:
            "The same set-based activation as declaring with `activate`, in one atomic commit; volunteers already paged are not paged again.",
          effects: (c, row) => {
            const now = c.get("clock").now();
            const at = { iso: now.toISOString(), ms: now.getTime() };
            return {
              set: { activatedAt: at.iso },
              writes: activationWrites(c.get("db"), row, at, c.get("paging").channel),
            };
          },
          after: deliverLater,
        },
        stand_down: {
          operationId: "standDownIncident",
          summary: "Stand the incident down (CAP Update, AllClear)",
          description: "Answer links keep working for check-out until the incident is closed.",
          event: "stood_down",
          effects: async (c, row) => ({
            set: { stoodDownAt: c.get("clock").now().toISOString() },
            ...(await loansFollow(c, row, "stand_down")),
          }),
        },
        close: {
          operationId: "closeIncident",
          summary: "Close the incident with its report; post volunteers' hours to the ledger",
          description:
            "Hours per checked-in volunteer (check-in to check-out, or to the stand-down or now) are posted to the append-only hours ledger as `emergency` entries, one per volunteer, credited to the volunteer and, when the volunteer is a party member, to the member. Answer links expire.",
          body: z
            .object({
              servedBySite: z
                .array(z.object({ siteId, people: z.number().int().min(0).max(1_000_000) }).strict())
                .max(500)
                .default([])
                .openapi({ description: "People served per site." }),
            })
            .strict()
            .openapi("CloseIncident", {
              example: { servedBySite: [{ siteId: "site_01KDVDNA011AKWK3RC504FTYF8", people: 86 }] },
            }),
          effects: async (c, row, body: { servedBySite: { siteId: string; people: number }[] }) => {
            await requireSites(c, row, body.servedBySite);
            const withHours = await checkedInCount(c, row);
            const loans = await loansFollow(c, row, "close");
            return {
              set: { closedAt: c.get("clock").now().toISOString(), servedBySite: body.servedBySite },
              writes: [postHours(c, row), ...loans.writes],
              audit: loans.audit,
              changes: { volunteersWithHours: withHours, sites: body.servedBySite.length },
              events: [
                {
                  type: "incident.closed",
                  subjectType: "incident",
                  subjectId: row.id,
                  payload: { ...incidentEventPayload({ ...row, status: "closed" }), volunteersWithHours: withHours },
                },
                ...loans.events,
              ],
            };
          },
        },
        cancel: {
          operationId: "cancelIncident",
          summary: "Cancel an incident declared in error (CAP Cancel)",
          description: "Pages still queued are not sent; answer links expire.",
          event: "cancelled",
          effects: async (c, row) => ({
            set: { cancelledAt: c.get("clock").now().toISOString() },
            ...(await loansFollow(c, row, "cancel")),
          }),
        },
      },
    }),
  );

async function requireSites(c: Context<AppEnv>, incident: IncidentRow, served: { siteId: string }[]) {
  for (const [i, s] of served.entries()) {
    const [site] = await c
      .get("db")
      .select({ id: sites.id })
      .from(sites)
      .where(and(eq(sites.tenantId, incident.tenantId), eq(sites.id, s.siteId)));
    if (!site) throw unknownReference(`/servedBySite/${i}/siteId`, "site");
  }
}
