import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { toWgs84 } from "../../shared/geo.js";
import { etagOf } from "../../shared/http/etag.js";
import { zodMessage } from "../../shared/http/messages.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, timestampsSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findPublished, listWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { latSchema, longSchema, placeSchema, stationId, tag } from "./common.js";
import { stationServices, warmStations } from "./tables.js";

/**
 * 暖心驿站: where couriers, riders and drivers rest, warm up, drink water and charge. Published to the
 * whole tenant (every worker may find one), registered by the community, street or county.
 */
type StationRow = typeof warmStations.$inferSelect;
export const stationReach = { divisionPath: warmStations.divisionPath };
export const findStation = (c: Context<AppEnv>, id: string) => findPublished(c, warmStations, id, "warm station");

const servicesSchema = z
  .array(z.enum(stationServices))
  .min(1)
  .max(stationServices.length)
  .refine((list) => new Set(list).size === list.length, zodMessage("field.listed_twice"))
  .openapi({ example: ["rest", "water", "heating", "charging", "microwave"] });
const openingHoursSchema = z
  .string()
  .regex(/^(24h|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d)$/)
  .openapi({ description: "`HH:MM-HH:MM` local time, or `24h`.", example: "08:00-22:00" });

const stationSchema = z
  .object({
    id: stationId,
    tenant: z.string().openapi({ example: "620902" }),
    name: z.string().openapi({ example: "富康社区暖心驿站" }),
    divisionId: divisionIdSchema,
    address: z.string().openapi({ example: "肃州区富康路 18 号党群服务中心一楼" }),
    place: z.object({ lat: latSchema, long: longSchema }).openapi({ description: "WGS-84." }),
    services: servicesSchema,
    openingHours: openingHoursSchema,
    active: z.boolean(),
    ...timestampsSchema,
  })
  .openapi("WarmStation");

const createStationSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    divisionId: divisionIdSchema.openapi({ description: "The community (or street) that runs it." }),
    address: z.string().trim().min(1).max(200),
    place: placeSchema,
    services: servicesSchema,
    openingHours: openingHoursSchema,
  })
  .strict()
  .openapi("CreateWarmStation", {
    example: {
      name: "富康社区暖心驿站",
      divisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
      address: "肃州区富康路 18 号党群服务中心一楼",
      place: { lat: 39.7446, long: 98.5131, datum: "gcj02" },
      services: ["rest", "water", "heating", "charging", "microwave"],
      openingHours: "08:00-22:00",
    },
  });

const present = (row: StationRow) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  divisionId: row.divisionId,
  address: row.address,
  place: { lat: row.lat, long: row.long },
  services: row.services as z.infer<typeof servicesSchema>,
  openingHours: row.openingHours,
  active: row.active,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const createStation = protectedRoute({
  method: "post",
  path: "/v1/warm-stations",
  operationId: "createWarmStation",
  tags: [tag],
  summary: "Open a warm station (暖心驿站)",
  scope: "newemp:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createStationSchema } } } },
  responses: { 201: versionedResponse(stationSchema, "The station was registered.") },
});

const listStations = protectedRoute({
  method: "get",
  path: "/v1/warm-stations",
  operationId: "listWarmStations",
  tags: [tag],
  summary: "Warm stations of the tenant",
  description: "Published to the whole tenant: workers and platforms see every station, administrators their subtree.",
  scope: "newemp:read",
  request: { query: pageQuerySchema.extend({ divisionId: divisionIdSchema.optional() }) },
  responses: {
    200: {
      description: "A page of stations.",
      content: { "application/json": { schema: pageOf(stationSchema, "WarmStationPage") } },
    },
  },
});

const getStation = protectedRoute({
  method: "get",
  path: "/v1/warm-stations/{id}",
  operationId: "getWarmStation",
  tags: [tag],
  summary: "One warm station",
  scope: "newemp:read",
  errors: [404],
  request: { params: z.object({ id: stationId }) },
  responses: { 200: versionedResponse(stationSchema, "The station.") },
});

export const stationRoutes = createRouter()
  .openapi(createStation, async (c) => {
    const body = c.req.valid("json");
    const division = await requireDivisionForWrite(c, body.divisionId, {
      pointer: "/divisionId",
      levels: ["street", "town", "community", "grid"],
    });
    const at = c.get("clock").now();
    const place = toWgs84(body.place, body.place.datum);
    const row: StationRow = {
      id: newId("wst", at.getTime()),
      tenantId: division.tenantId,
      name: body.name,
      divisionId: division.id,
      divisionPath: division.path,
      address: body.address,
      lat: place.lat,
      long: place.long,
      services: body.services,
      openingHours: body.openingHours,
      active: true,
      version: 1,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/warm-stations/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(warmStations).values(row)],
      audit: {
        action: "warm_station.create",
        targetType: "warm_station",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "warm_station.opened",
          subjectType: "warm_station",
          subjectId: row.id,
          payload: { stationId: row.id, divisionId: row.divisionId, services: row.services },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listStations, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(
      c,
      warmStations,
      stationReach,
      q,
      { divisionId: [warmStations.divisionId, q.divisionId] },
      "published",
    );
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getStation, async (c) => {
    const row = await findStation(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });
