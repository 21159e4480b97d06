import { z } from "@hono/zod-openapi";
import { and, count, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, updateVersioned } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { tag } from "./common.js";
import { streetBodies, streetBodyKinds } from "./tables.js";
import { msg, thing, zodMessage } from "../../shared/http/messages.js";

const bodyId = idSchema("sbody");
type BodyRow = typeof streetBodies.$inferSelect;

const staffing = {
  quota: z.number().int().min(0).max(10_000).openapi({ description: "Staffing quota (编制).", example: 8 }),
  filled: z.number().int().min(0).max(10_000).openapi({ description: "Posts filled.", example: 6 }),
};

const streetBodySchema = z
  .object({
    id: bodyId,
    tenant: z.string().openapi({ example: "620902" }),
    streetId: divisionIdSchema,
    name: z.string().openapi({ example: "党群服务中心" }),
    kind: z.enum(streetBodyKinds).openapi({
      description: "四办三中心一执法队: office (办), centre (中心) or enforcement_team (综合行政执法队).",
    }),
    ...staffing,
    vacancies: z.number().int().openapi({ description: "quota − filled; negative when over quota.", example: 2 }),
    ...timestampsSchema,
  })
  .openapi("StreetBody");

const createSchema = z
  .object({
    streetId: divisionIdSchema,
    name: z.string().trim().min(1).max(100),
    kind: z.enum(streetBodyKinds),
    ...staffing,
  })
  .strict()
  .openapi("CreateStreetBody", {
    example: { streetId: "div_01KDVDNA011AKWK3RC504FTYF8", name: "党群服务中心", kind: "centre", quota: 8, filled: 6 },
  });

const patchSchema = z
  .object({ name: z.string().trim().min(1).max(100), ...staffing })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchStreetBody", { example: { filled: 7 } });

const present = (row: BodyRow) => ({
  id: row.id,
  tenant: row.tenantId,
  streetId: row.streetId,
  name: row.name,
  kind: row.kind,
  quota: row.quota,
  filled: row.filled,
  vacancies: row.quota - row.filled,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const reach = { divisionPath: streetBodies.divisionPath };

/** Event payloads: ids, kind and staffing figures (a body's name is not sent). */
const streetBodyEvent = (type: "created" | "updated", row: BodyRow) => ({
  type: `street_body.${type}`,
  subjectType: "street_body",
  subjectId: row.id,
  payload: { streetBodyId: row.id, streetId: row.streetId, kind: row.kind, quota: row.quota, filled: row.filled },
});

const staffingSchema = z
  .object({
    data: z.array(
      z.object({
        streetId: divisionIdSchema,
        bodies: z.number().int(),
        quota: z.number().int(),
        filled: z.number().int(),
        vacancies: z.number().int(),
      }),
    ),
  })
  .openapi("StreetStaffing");

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/v1/street-bodies",
    operationId: "createStreetBody",
    tags: [tag],
    summary: "Add an office, centre or law-enforcement team to a street (四办三中心一执法队)",
    scope: "workers:configure",
    idempotent: true,
    request: { body: { required: true, content: { "application/json": { schema: createSchema } } } },
    responses: { 201: versionedResponse(streetBodySchema, "The body.") },
  }),
  list: protectedRoute({
    method: "get",
    path: "/v1/street-bodies",
    operationId: "listStreetBodies",
    tags: [tag],
    summary: "Street bodies within reach",
    scope: "workers:read",
    request: {
      query: pageQuerySchema.extend({
        streetId: divisionIdSchema.optional(),
        kind: z.enum(streetBodyKinds).optional(),
      }),
    },
    responses: {
      200: {
        description: "A page of bodies.",
        content: { "application/json": { schema: pageOf(streetBodySchema, "StreetBodyPage") } },
      },
    },
  }),
  get: protectedRoute({
    method: "get",
    path: "/v1/street-bodies/{id}",
    operationId: "getStreetBody",
    tags: [tag],
    summary: "One street body",
    scope: "workers:read",
    errors: [404],
    request: { params: z.object({ id: bodyId }) },
    responses: { 200: versionedResponse(streetBodySchema, "The body.") },
  }),
  patch: protectedRoute({
    method: "patch",
    path: "/v1/street-bodies/{id}",
    operationId: "updateStreetBody",
    tags: [tag],
    summary: "Rename a body or change its quota or filled posts",
    scope: "workers:configure",
    errors: [404, 409, 412, 428],
    request: {
      params: z.object({ id: bodyId }),
      headers: ifMatchHeader,
      body: { required: true, content: { "application/json": { schema: patchSchema } } },
    },
    responses: { 200: versionedResponse(streetBodySchema, "The body.") },
  }),
  staffing: protectedRoute({
    method: "get",
    path: "/v1/street-staffing",
    operationId: "getStreetStaffing",
    tags: [tag],
    summary: "Quota, filled posts and vacancies per street: where the county's staffing is",
    scope: "workers:read",
    responses: {
      200: {
        description: "One row per street within reach.",
        content: { "application/json": { schema: staffingSchema } },
      },
    },
  }),
};

export const streetBodyRoutes = createRouter()
  .openapi(routes.create, async (c) => {
    const body = c.req.valid("json");
    const street = await requireDivisionForWrite(c, body.streetId, {
      pointer: "/streetId",
      levels: ["street", "town"],
    });
    const now = c.get("clock").now().toISOString();
    const row: BodyRow = {
      id: newId("sbody", c.get("clock").now().getTime()),
      tenantId: street.tenantId,
      streetId: street.id,
      divisionPath: street.path,
      name: body.name,
      kind: body.kind,
      quota: body.quota,
      filled: body.filled,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/street-bodies/${row.id}`, 1, response, {
      writes: [c.get("db").insert(streetBodies).values(row)],
      audit: {
        action: "street_body.create",
        targetType: "street_body",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: body,
      },
      events: [streetBodyEvent("created", row)],
      conflicts: { "street_bodies.name": msg("unique.street_body_name") },
    });
    return c.json(response, 201, headers);
  })
  .openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, streetBodies, reach, q, {
      streetId: [streetBodies.streetId, q.streetId],
      kind: [streetBodies.kind, q.kind],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(routes.get, async (c) => {
    const row = await findWithinReach(c, streetBodies, reach, c.req.valid("param").id, "street body");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(routes.patch, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findWithinReach(c, streetBodies, reach, c.req.valid("param").id, "street body");
    if (row.tenantId !== c.get("principal").tenant)
      throw new ApiError("not_found", msg("generic.no_such", { what: thing("street body") }));
    const updated = await updateVersioned(c, {
      table: streetBodies,
      row,
      expectedVersion,
      set: patch,
      audit: { action: "street_body.update", targetType: "street_body", changes: patch },
      events: (u) => [streetBodyEvent("updated", u)],
      conflicts: { "street_bodies.name": msg("unique.street_body_name") },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  })
  .openapi(routes.staffing, async (c) => {
    const rows = await c
      .get("db")
      .select({
        streetId: streetBodies.streetId,
        bodies: count(),
        quota: sql<number>`sum(${streetBodies.quota})`,
        filled: sql<number>`sum(${streetBodies.filled})`,
      })
      .from(streetBodies)
      .where(and(withinReach(c.get("principal"), { tenantId: streetBodies.tenantId, ...reach })))
      .groupBy(streetBodies.streetId);
    return c.json(
      {
        data: rows.map((r) => ({
          ...r,
          quota: Number(r.quota),
          filled: Number(r.filled),
          vacancies: Number(r.quota) - Number(r.filled),
        })),
      },
      200,
    );
  });
