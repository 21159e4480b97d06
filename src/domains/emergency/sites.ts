import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, patchWithinReach, visibleWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { siteId, tag } from "./common.js";
import { siteKinds, sites } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const siteFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "富康社区党群服务中心" }),
  kind: z.enum(siteKinds).openapi({ description: "集结点, 临时安置点, 党群服务中心 or other." }),
  divisionId: divisionIdSchema,
  address: z.string().trim().min(1).max(200).openapi({ example: "肃州区富康路 12 号" }),
  latitude: z.number().min(-90).max(90).nullable().openapi({ example: 39.7446 }),
  longitude: z.number().min(-180).max(180).nullable().openapi({ example: 98.5082 }),
  capacity: z.number().int().min(0).max(1_000_000).openapi({ example: 300 }),
  occupancy: z.number().int().min(0).max(1_000_000).openapi({ description: "People there now.", example: 0 }),
};

const siteSchema = z
  .object({
    id: siteId,
    tenant: z.string().openapi({ example: "620902" }),
    ...siteFields,
    status: z.enum(["open", "closed"]),
    ...timestampsSchema,
  })
  .openapi("Site");

const createSiteSchema = z
  .object({
    ...siteFields,
    latitude: siteFields.latitude.unwrap().optional(),
    longitude: siteFields.longitude.unwrap().optional(),
    occupancy: siteFields.occupancy.default(0),
  })
  .strict()
  .openapi("CreateSite", {
    example: {
      name: "富康社区党群服务中心",
      kind: "resettlement",
      divisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
      address: "肃州区富康路 12 号",
      latitude: 39.7446,
      longitude: 98.5082,
      capacity: 300,
    },
  });

const patchSiteSchema = z
  .object({
    name: siteFields.name,
    address: siteFields.address,
    latitude: siteFields.latitude,
    longitude: siteFields.longitude,
    capacity: siteFields.capacity,
    occupancy: siteFields.occupancy,
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchSite", { example: { occupancy: 120 } });

type SiteRow = typeof sites.$inferSelect;

const present = (row: SiteRow) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  kind: row.kind,
  divisionId: row.divisionId,
  address: row.address,
  latitude: row.latitude,
  longitude: row.longitude,
  capacity: row.capacity,
  occupancy: row.occupancy,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const siteReach = { divisionPath: sites.divisionPath };
const findSite = (c: Context<AppEnv>, id: string) => findWithinReach(c, sites, siteReach, id, "site");
const siteResponse = (description: string) => versionedResponse(siteSchema, description);

const siteMachine = defineMachine("site", ["open", "closed"] as const, {
  close: { from: ["open"], to: "closed" },
  reopen: { from: ["closed"], to: "open" },
});

function requireFits(capacity: number, occupancy: number) {
  if (occupancy > capacity)
    throw new ApiError("validation_failed", msg("emergency.occupancy_exceeds"), {
      errors: [{ in: "body", pointer: "/occupancy", detail: msg("field.too_big", { limit: capacity }) }],
    });
}

const createSite = protectedRoute({
  method: "post",
  path: "/v1/sites",
  operationId: "createSite",
  tags: [tag],
  summary: "Register a muster point or temporary resettlement site",
  scope: "emergency:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createSiteSchema } } } },
  responses: { 201: siteResponse("The site, open.") },
});

const listSites = protectedRoute({
  method: "get",
  path: "/v1/sites",
  operationId: "listSites",
  tags: [tag],
  summary: "Sites within reach",
  scope: "emergency:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(["open", "closed"]).optional(),
      kind: z.enum(siteKinds).optional(),
      divisionId: divisionIdSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of sites.",
      content: { "application/json": { schema: pageOf(siteSchema, "SitePage") } },
    },
  },
});

const getSite = protectedRoute({
  method: "get",
  path: "/v1/sites/{id}",
  operationId: "getSite",
  tags: [tag],
  summary: "One site",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: siteId }) },
  responses: { 200: siteResponse("The site.") },
});

const updateSite = protectedRoute({
  method: "patch",
  path: "/v1/sites/{id}",
  operationId: "updateSite",
  tags: [tag],
  summary: "Change a site (capacity, current occupancy, address)",
  scope: "emergency:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: siteId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchSiteSchema } } },
  },
  responses: { 200: siteResponse("The updated site.") },
});

export const siteRoutes = createRouter()
  .openapi(createSite, async (c) => {
    const body = c.req.valid("json");
    requireFits(body.capacity, body.occupancy);
    const division = await requireDivisionForWrite(c, body.divisionId, { pointer: "/divisionId" });
    const now = c.get("clock").now();
    const row: SiteRow = {
      id: newId("site", now.getTime()),
      tenantId: c.get("principal").tenant,
      name: body.name,
      kind: body.kind,
      divisionId: division.id,
      divisionPath: division.path,
      address: body.address,
      latitude: body.latitude ?? null,
      longitude: body.longitude ?? null,
      capacity: body.capacity,
      occupancy: body.occupancy,
      status: "open",
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/sites/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(sites).values(row)],
      audit: {
        action: "site.create",
        targetType: "site",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "site.opened",
          subjectType: "site",
          subjectId: row.id,
          payload: { siteId: row.id, kind: row.kind, capacity: row.capacity, occupancy: row.occupancy, status: "open" },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listSites, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, sites, siteReach, q, {
      status: [sites.status, q.status],
      kind: [sites.kind, q.kind],
      divisionId: [sites.divisionId, q.divisionId],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getSite, async (c) => {
    const row = await findSite(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(updateSite, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    if (patch.capacity !== undefined && patch.occupancy !== undefined) requireFits(patch.capacity, patch.occupancy);
    // One round trip: the occupancy must still fit the capacity as they will be, checked in the update.
    const updated = await patchWithinReach(c, {
      table: sites,
      reach: siteReach,
      id: c.req.valid("param").id,
      what: "site",
      expectedVersion,
      set: patch,
      condition: sql`${patch.occupancy ?? sites.occupancy} <= ${patch.capacity ?? sites.capacity}`,
      refuse: (row) => requireFits(patch.capacity ?? row.capacity, patch.occupancy ?? row.occupancy),
      audit: { action: "site.update", targetType: "site", changes: { ...patch } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/sites",
      tag,
      idSchema: siteId,
      schema: siteSchema,
      targetType: "site",
      machine: siteMachine,
      table: sites,
      scope: "emergency:write",
      find: findSite,
      visible: visibleWithinReach(sites, siteReach),
      present,
      eventPayload: (row: SiteRow) => ({
        siteId: row.id,
        kind: row.kind,
        capacity: row.capacity,
        occupancy: row.occupancy,
        status: row.status,
      }),
      actions: {
        close: { operationId: "closeSite", summary: "Close a site", event: "closed" },
        reopen: { operationId: "reopenSite", summary: "Reopen a site", event: "opened" },
      },
    }),
  );
