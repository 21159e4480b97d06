import { z } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Context } from "hono";
import { divisions, tenants } from "../../db/tables.js";
import { newId } from "../../db/ids.js";
import { actorOf } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import { createRouter, etagHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { etagOf } from "../../shared/http/etag.js";
import { msg, thing } from "../../shared/http/messages.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit } from "../../shared/store/commit.js";
import { activationSummaries, activationWrites } from "./activation.js";
import { tag } from "./common.js";
import {
  activationSummarySchema,
  incidentEventPayload,
  incidentSchema,
  newIncidentRow,
  pageMessage,
  presentIncident,
  type IncidentRow,
} from "./incident-model.js";
import { declareIncidentSchema } from "./incidents.js";
import { deliverLater } from "./delivery.js";
import { countsShape, numbers, type tally, tallySql } from "./progress.js";
import { citywideIncidents, incidentLevels, incidents, incidentTypes, notifications } from "./tables.js";

/**
 * 全域统筹: the city declares one incident across the county-level tenants. It is the one designed
 * city write of the emergency area (`designedCityWrites` in src/shared/auth/exceptions.ts), under a
 * scope only `city_admin` holds. In ONE commit: the city-wide record in the city's own tenant, an
 * incident per county-level tenant touched (its `parentId` naming the city-wide one, its dedupKey
 * the city's), the activations, roster snapshots and notifications of each (the same set-based
 * statements as a county's one key, a fixed number per tenant), an audit entry in the city's trail
 * and in the trail of every tenant touched, and an `incident.declared` / `incident.activated` event
 * in each tenant's outbox. The city reads the progress of every part; a county reads its own part.
 */
export const citywideIncidentId = idSchema("cwi");

const declareCitywideSchema = declareIncidentSchema
  .omit({ activate: true })
  .extend({
    affectedDivisionIds: declareIncidentSchema.shape.affectedDivisionIds.openapi({
      description: "Divisions of any county-level tenants (a county's root division: the whole county).",
    }),
  })
  .strict()
  .openapi("DeclareCitywideIncident", {
    example: {
      type: "snow_sandstorm",
      level: "II",
      affectedDivisionIds: ["div_01KDVDNA011AKWK3RC504FTYF8", "div_01KDVDNA011AKWK3RC504FTYF9"],
      headline: "G30沿线雨雪沙尘，全域应急响应",
      instruction: "各机动队伍到就近临时安置点集结。",
      drill: false,
      dedupKey: "g30-sandstorm-2027-02-17",
    },
  });

const citywideSchema = z
  .object({
    id: citywideIncidentId,
    tenant: z.string().openapi({ example: "620900" }),
    type: z.enum(incidentTypes),
    level: z.enum(incidentLevels),
    headline: z.string(),
    instruction: z.string(),
    drill: z.boolean(),
    dedupKey: z.string(),
    affectedDivisionIds: z.array(z.string()),
    tenants: z.array(z.string()).openapi({ description: "The county-level tenants touched.", example: ["620902"] }),
    ...timestampsSchema,
  })
  .openapi("CitywideIncident");

const declarationSchema = z
  .object({
    citywideIncident: citywideSchema,
    parts: z.array(
      z.object({ tenant: z.string(), incident: incidentSchema, activation: activationSummarySchema.nullable() }),
    ),
    deduplicated: z.boolean(),
  })
  .openapi("CitywideIncidentDeclaration");

const declarationContent = { "application/json": { schema: declarationSchema } };

const declareCitywide = protectedRoute({
  method: "post",
  path: "/v1/citywide-incidents",
  operationId: "declareCitywideIncident",
  tags: [tag],
  summary:
    "The city declares a city-wide incident across counties (全域统筹), paging every county's teams with one key",
  description:
    "The one designed city write of this area (scope `incidents:declare_citywide`, city_admin only). Each county-level tenant of the affected divisions gets an incident of its own linked by `parentId`, activated like a county's one key, all in one atomic commit, audited in the city's trail and in every tenant touched. A repeated `dedupKey` answers 200 and pages nobody twice.",
  scope: "incidents:declare_citywide",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: declareCitywideSchema } } } },
  responses: {
    201: {
      description: "Declared: the city-wide record and each county's part with what it paged.",
      headers: { ...etagHeader, Location: { description: "Its progress.", schema: { type: "string" as const } } },
      content: declarationContent,
    },
    200: {
      description: "The dedupKey named an existing city-wide incident: nothing paged again.",
      content: declarationContent,
    },
  },
});

const citywideCountsSchema = z.object(countsShape);

const citywideProgress = protectedRoute({
  method: "get",
  path: "/v1/citywide-incidents/{id}/progress",
  operationId: "getCitywideIncidentProgress",
  tags: [tag],
  summary: "Progress of a city-wide incident, per county",
  description:
    "The city sees every county's part; a county (or a street within it) sees only its own part, and a 404 when none of it is within reach. Counts only: no personal data.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: citywideIncidentId }) },
  responses: {
    200: {
      description: "Counts per county part.",
      content: {
        "application/json": {
          schema: z
            .object({
              citywideIncidentId,
              parts: z.array(
                citywideCountsSchema.extend({ tenant: z.string(), incidentId: z.string(), status: z.string() }),
              ),
            })
            .openapi("CitywideIncidentProgress"),
        },
      },
    },
  },
});

const getCitywide = protectedRoute({
  method: "get",
  path: "/v1/citywide-incidents/{id}",
  operationId: "getCitywideIncident",
  tags: [tag],
  summary: "One city-wide incident",
  description: "The city reads every one; a county (or a street in it) one it has a part of within reach.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: citywideIncidentId }) },
  responses: { 200: versionedResponse(citywideSchema, "The city-wide incident.") },
});

type CitywideRow = typeof citywideIncidents.$inferSelect;

/** A county part within the caller's reach (the city's reach is everything). */
const partWithinReach = (c: Context<AppEnv>) =>
  withinReach(c.get("principal"), { tenantId: incidents.tenantId, divisionPath: incidents.divisionPath });
const presentCitywide = (row: CitywideRow) => ({
  id: row.id,
  tenant: row.tenantId,
  type: row.type,
  level: row.level,
  headline: row.headline,
  instruction: row.instruction,
  drill: row.drill,
  dedupKey: row.dedupKey,
  affectedDivisionIds: row.affectedDivisionIds,
  tenants: row.tenants,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** The affected divisions, each in a county-level tenant (400 at the field otherwise). */
async function countyDivisions(c: Context<AppEnv>, ids: string[]) {
  const rows = await c
    .get("db")
    .select({ id: divisions.id, tenantId: divisions.tenantId, path: divisions.path, status: divisions.status })
    .from(divisions)
    .innerJoin(tenants, and(eq(tenants.code, divisions.tenantId), eq(tenants.level, "county")))
    .where(inArray(divisions.id, ids));
  return ids.map((id, i) => {
    const found = rows.find((r) => r.id === id && r.status === "active");
    if (!found) {
      const detail = msg("generic.no_such_within_reach", { what: thing("division") });
      throw new ApiError("validation_failed", detail, {
        errors: [{ in: "body", pointer: `/affectedDivisionIds/${i}`, detail }],
      });
    }
    return found;
  });
}

/**
 * The declaration's answer: each part with what it paged. The parts' summaries are read in one round
 * trip; a declaration passes the parts it has just written (no read of them), a repeated dedupKey reads them.
 */
async function partsOf(c: Context<AppEnv>, parent: CitywideRow, deduplicated: boolean, written?: IncidentRow[]) {
  const db = c.get("db");
  const children =
    written ??
    (await db
      .select()
      .from(incidents)
      .where(and(inArray(incidents.tenantId, parent.tenants), eq(incidents.parentId, parent.id))));
  const sorted = [...children].sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  const activated = sorted.filter((child) => child.activatedAt);
  const summaries = new Map(
    (await activationSummaries(db, activated)).map((summary, i) => [activated[i]!.id, summary] as const),
  );
  const parts = sorted.map((child) => ({
    tenant: child.tenantId,
    incident: presentIncident(child),
    activation: summaries.get(child.id) ?? null,
  }));
  return { citywideIncident: presentCitywide(parent), parts, deduplicated };
}

async function byDedupKey(c: Context<AppEnv>, key: string) {
  const [row] = await c
    .get("db")
    .select()
    .from(citywideIncidents)
    .where(and(eq(citywideIncidents.tenantId, c.get("principal").tenant), eq(citywideIncidents.dedupKey, key)));
  return row;
}

export const citywideRoutes = createRouter()
  .openapi(declareCitywide, async (c) => {
    const body = c.req.valid("json");
    const existing = await byDedupKey(c, body.dedupKey);
    if (existing) return c.json(await partsOf(c, existing, true), 200);
    const affected = await countyDivisions(c, body.affectedDivisionIds);
    const message = pageMessage(c.get("paging"), body);
    const { principal, clock, db, paging } = c.var;
    const now = clock.now();
    const at = now.toISOString();
    const byTenant = new Map<string, typeof affected>();
    for (const d of affected) byTenant.set(d.tenantId, [...(byTenant.get(d.tenantId) ?? []), d]);
    const tenantCodes = [...byTenant.keys()].sort();
    const parent: CitywideRow = {
      id: newId("cwi", now.getTime()),
      tenantId: principal.tenant,
      type: body.type,
      level: body.level,
      headline: body.headline,
      instruction: body.instruction,
      drill: body.drill,
      dedupKey: body.dedupKey,
      affectedDivisionIds: body.affectedDivisionIds,
      tenants: tenantCodes,
      declaredBy: actorOf(principal),
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const children: IncidentRow[] = tenantCodes.map((tenantId) =>
      newIncidentRow(
        { ...body, dedupKey: `citywide:${body.dedupKey}` },
        { id: newId("inc", now.getTime()), tenantId, divisions: byTenant.get(tenantId)! },
        { message, activate: true, declaredBy: parent.declaredBy, at, parentId: parent.id },
      ),
    );
    const when = { iso: at, ms: now.getTime() };
    await commit(c, {
      writes: [
        db.insert(citywideIncidents).values(parent),
        ...children.flatMap((child) => [
          db.insert(incidents).values(child),
          ...activationWrites(db, child, when, paging.channel),
        ]),
      ],
      audit: [
        {
          action: "citywide_incident.declare",
          targetType: "citywide_incident",
          targetId: parent.id,
          changes: { type: parent.type, level: parent.level, drill: parent.drill, tenants: tenantCodes },
        },
        ...children.map((child) => ({
          tenantId: child.tenantId,
          action: "incident.declare",
          targetType: "incident",
          targetId: child.id,
          divisionPath: child.divisionPath,
          changes: {
            parentId: parent.id,
            type: child.type,
            level: child.level,
            drill: child.drill,
            affectedDivisionIds: child.affectedDivisionIds,
            activate: true,
          },
        })),
      ],
      events: children.map((child) => ({
        tenantId: child.tenantId,
        type: "incident.declared",
        subjectType: "incident",
        subjectId: child.id,
        payload: incidentEventPayload(child),
      })),
      conflicts: {
        "citywide_incidents.dedup_key": msg("emergency.dedup_key"),
        "incidents.dedup_key": msg("emergency.dedup_key"),
      },
    });
    // The answer is read first, then the pages go: delivery's round trips stay out of the declaration's.
    const declared = await partsOf(c, parent, false, children);
    for (const child of children) deliverLater(c, child);
    const location = `/v1/citywide-incidents/${parent.id}/progress`;
    return c.json(declared, 201, { etag: etagOf(parent.version), location });
  })
  .openapi(getCitywide, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await c
      .get("db")
      .select()
      .from(citywideIncidents)
      .where(
        and(
          eq(citywideIncidents.id, id),
          sql`exists (select 1 from ${incidents} where ${incidents.parentId} = ${citywideIncidents.id} and ${partWithinReach(c)})`,
        ),
      );
    if (!row) throw notFound("city-wide incident");
    return c.json(presentCitywide(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(citywideProgress, async (c) => {
    const { id } = c.req.valid("param");
    const rows = await c.get("db").all<
      {
        tenant: string;
        incidentId: string;
        status: string;
      } & Record<keyof typeof tally, number>
    >(sql`select ${incidents.tenantId} as tenant, ${incidents.id} as incidentId, ${incidents.status} as status, ${tallySql}
      from ${incidents}
      left join ${notifications} n on n.tenant_id = ${incidents.tenantId} and n.incident_id = ${incidents.id}
      where ${incidents.parentId} = ${id} and ${partWithinReach(c)}
      group by ${incidents.tenantId}, ${incidents.id} order by ${incidents.tenantId}`);
    if (!rows.length) throw notFound("city-wide incident");
    const parts = rows.map(numbers);
    return c.json({ citywideIncidentId: id, parts }, 200);
  });
