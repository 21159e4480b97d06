import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { divisions } from "../../db/tables.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { canActInDivision } from "../../shared/auth/reach.js";
import { distanceMetres, insidePolygon, toWgs84, type LatLong } from "../../shared/geo.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, timestampsSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { commit } from "../../shared/store/commit.js";
import { listWithinReach, updateVersioned } from "../../shared/store/records.js";
import { withinReach } from "../../shared/auth/reach.js";
import { areaId, latSchema, longSchema, tag } from "./common.js";
import { communityAreas } from "./tables.js";

/**
 * Where each community is, for routing quick reports by place (docs/domain.md#routing-by-place):
 * a centre and, optionally, a boundary. A place inside a boundary goes to that community; a place in
 * no boundary goes to the nearest centre of the tenant.
 */
type AreaRow = typeof communityAreas.$inferSelect;
export const areaReach = { divisionPath: communityAreas.divisionPath };

const pointSchema = z.object({ lat: latSchema, long: longSchema }).strict();
const putAreaSchema = z
  .object({
    datum: z.enum(["wgs84", "gcj02"]).openapi({
      description: "The datum of every point given (GCJ-02 from Chinese map SDKs is converted to WGS-84).",
    }),
    centre: pointSchema.openapi({ description: "The community's centre (e.g. its party service centre)." }),
    boundary: z
      .array(pointSchema)
      .min(3)
      .max(2000)
      .nullable()
      .optional()
      .openapi({ description: "The boundary ring, in order; it closes itself. Null or absent: the centre alone." }),
  })
  .strict()
  .openapi("PutCommunityArea", {
    example: {
      datum: "gcj02",
      centre: { lat: 39.7446, long: 98.5131 },
      boundary: [
        { lat: 39.749, long: 98.508 },
        { lat: 39.749, long: 98.518 },
        { lat: 39.74, long: 98.518 },
        { lat: 39.74, long: 98.508 },
      ],
    },
  });

const areaSchema = z
  .object({
    id: areaId,
    communityId: divisionIdSchema,
    centre: pointSchema.openapi({ description: "WGS-84." }),
    boundary: z.array(pointSchema).nullable().openapi({ description: "WGS-84; null: routed by the centre alone." }),
    ...timestampsSchema,
  })
  .openapi("CommunityArea");

const present = (row: AreaRow) => ({
  id: row.id,
  communityId: row.communityId,
  centre: { lat: row.centreLat, long: row.centreLong },
  boundary: row.boundary?.map(([lat, long]) => ({ lat, long })) ?? null,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** The community a path names: in the caller's tenant and subtree, else 404. */
async function community(c: Context<AppEnv>, id: string) {
  const [division] = await c
    .get("db")
    .select({ id: divisions.id, tenantId: divisions.tenantId, path: divisions.path, level: divisions.level })
    .from(divisions)
    .where(and(eq(divisions.id, id), eq(divisions.tenantId, c.get("principal").tenant)));
  if (division?.level !== "community" || !canActInDivision(c.get("principal"), division)) throw notFound("community");
  return division;
}

export interface Routed {
  communityId: string;
  divisionPath: string;
  routedBy: "boundary" | "nearest";
  distanceMetres: number;
}

/**
 * The community a place (WGS-84) belongs to, in `tenant`: the one whose boundary contains it (the
 * nearest centre among several, where boundaries overlap), else the one with the nearest centre.
 * A 422 when no community of the tenant has an area.
 */
export async function routeByPlace(c: Context<AppEnv>, tenant: string, place: LatLong): Promise<Routed> {
  const areas = await c
    .get("db")
    .select()
    .from(communityAreas)
    .where(eq(communityAreas.tenantId, tenant))
    .orderBy(communityAreas.id);
  return routeAmong(areas, place);
}

export function routeAmong(areas: readonly AreaRow[], place: LatLong): Routed {
  if (!areas.length) throw new ApiError("validation_failed", msg("newemp.no_area"));
  const measured = areas
    .map((area) => ({ area, metres: distanceMetres(place, { lat: area.centreLat, long: area.centreLong }) }))
    .sort((a, b) => a.metres - b.metres);
  const containing = measured.find(
    ({ area }) =>
      area.boundary &&
      place.lat >= area.minLat! &&
      place.lat <= area.maxLat! &&
      place.long >= area.minLong! &&
      place.long <= area.maxLong! &&
      insidePolygon(place, area.boundary),
  );
  const chosen = containing ?? measured[0]!;
  return {
    communityId: chosen.area.communityId,
    divisionPath: chosen.area.divisionPath,
    routedBy: containing ? "boundary" : "nearest",
    distanceMetres: Math.round(chosen.metres),
  };
}

const putArea = protectedRoute({
  method: "put",
  path: "/v1/community-areas/{communityId}",
  operationId: "putCommunityArea",
  tags: [tag],
  summary: "Set a community's centre and boundary (for routing quick reports by place)",
  description:
    "Creates the area, or replaces it: `If-Match` with the ETag last read is required to replace one (428 without it, 412 when stale).",
  scope: "newemp:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ communityId: divisionIdSchema }),
    headers: ifMatchHeader.partial(),
    body: { required: true, content: { "application/json": { schema: putAreaSchema } } },
  },
  responses: { 200: versionedResponse(areaSchema, "The area as stored (WGS-84).") },
});

const getArea = protectedRoute({
  method: "get",
  path: "/v1/community-areas/{communityId}",
  operationId: "getCommunityArea",
  tags: [tag],
  summary: "A community's centre and boundary",
  scope: "newemp:read",
  errors: [404],
  request: { params: z.object({ communityId: divisionIdSchema }) },
  responses: { 200: versionedResponse(areaSchema, "The area (WGS-84).") },
});

const listAreas = protectedRoute({
  method: "get",
  path: "/v1/community-areas",
  operationId: "listCommunityAreas",
  tags: [tag],
  summary: "Communities' areas within reach",
  scope: "newemp:read",
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of areas.",
      content: { "application/json": { schema: pageOf(areaSchema, "CommunityAreaPage") } },
    },
  },
});

export const areaRoutes = createRouter()
  .openapi(putArea, async (c) => {
    const division = await community(c, c.req.valid("param").communityId);
    const body = c.req.valid("json");
    const centre = toWgs84(body.centre, body.datum);
    const ring = body.boundary?.map((p) => toWgs84(p, body.datum)) ?? null;
    const lats = ring?.map((p) => p.lat) ?? [];
    const longs = ring?.map((p) => p.long) ?? [];
    const shape = {
      centreLat: centre.lat,
      centreLong: centre.long,
      boundary: ring?.map((p) => [p.lat, p.long] as [number, number]) ?? null,
      minLat: ring ? Math.min(...lats) : null,
      maxLat: ring ? Math.max(...lats) : null,
      minLong: ring ? Math.min(...longs) : null,
      maxLong: ring ? Math.max(...longs) : null,
    };
    const [existing] = await c
      .get("db")
      .select()
      .from(communityAreas)
      .where(and(eq(communityAreas.tenantId, division.tenantId), eq(communityAreas.communityId, division.id)));
    const changes = { fields: Object.keys(body), boundaryPoints: ring?.length ?? 0 };
    if (existing) {
      const ifMatch = c.req.header("if-match");
      if (!ifMatch) throw new ApiError("precondition_required", msg("http.if_match_required"));
      const updated = await updateVersioned(c, {
        table: communityAreas,
        row: existing,
        expectedVersion: ifMatch === etagOf(existing.version) ? existing.version : -1,
        set: shape,
        audit: { action: "community_area.update", targetType: "community_area", changes },
      });
      return c.json(present(updated), 200, { etag: etagOf(updated.version) });
    }
    const at = c.get("clock").now();
    const row: AreaRow = {
      id: newId("car", at.getTime()),
      tenantId: division.tenantId,
      communityId: division.id,
      divisionPath: division.path,
      ...shape,
      version: 1,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    await commit(c, {
      writes: [c.get("db").insert(communityAreas).values(row)],
      audit: {
        action: "community_area.create",
        targetType: "community_area",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes,
      },
      conflicts: { "community_areas.tenant_id": msg("generic.record_changed_concurrently") },
    });
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(getArea, async (c) => {
    const division = await community(c, c.req.valid("param").communityId);
    const [row] = await c
      .get("db")
      .select()
      .from(communityAreas)
      .where(
        and(
          eq(communityAreas.tenantId, division.tenantId),
          eq(communityAreas.communityId, division.id),
          withinReach(c.get("principal"), { tenantId: communityAreas.tenantId, ...areaReach }),
        ),
      );
    if (!row) throw notFound("community area");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(listAreas, async (c) => {
    const page = await listWithinReach(c, communityAreas, areaReach, c.req.valid("query"), {});
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  });
