import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { divisionLevels, divisionStatuses, divisions } from "../../db/tables.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { divisionSchema, present, tag } from "./schemas.js";
import type { DivisionRow } from "./tree.js";

/** Who sees a division: the city every one, anyone else its tenant, narrowed to its org subtree. */
export const divisionReach = { divisionPath: divisions.path };

/** One division within the caller's reach, or the 404 of a missing one. */
export const findDivision = (c: Context<AppEnv>, id: string): Promise<DivisionRow> =>
  findWithinReach(c, divisions, divisionReach, id, "division");

const listDivisions = protectedRoute({
  method: "get",
  path: "/v1/divisions",
  operationId: "listDivisions",
  tags: [tag],
  summary: "Divisions within the caller's reach",
  description:
    "County → street/town → community → grid. Filter by parent, level or status (retired divisions are listed unless you ask for `status=active`). A caller narrowed to an org sees only that subtree; the city sees every tenant and may filter by `tenant`.",
  scope: "divisions:read",
  request: {
    query: pageQuerySchema.extend({
      parentId: divisionIdSchema.optional(),
      level: z.enum(divisionLevels).optional(),
      status: z.enum(divisionStatuses).optional(),
      tenant: z
        .string()
        .regex(/^\d{6}$/)
        .optional()
        .openapi({ description: "Narrow a city-wide read to one tenant." }),
    }),
  },
  responses: {
    200: {
      description: "A page of divisions, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(divisionSchema, "DivisionPage") } },
    },
  },
});

const getDivision = protectedRoute({
  method: "get",
  path: "/v1/divisions/{id}",
  operationId: "getDivision",
  tags: [tag],
  summary: "One division",
  scope: "divisions:read",
  errors: [404],
  request: { params: z.object({ id: divisionIdSchema }) },
  responses: { 200: versionedResponse(divisionSchema, "The division.") },
});

export const divisionReadRoutes = createRouter()
  .openapi(listDivisions, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, divisions, divisionReach, q, {
      tenant: [divisions.tenantId, q.tenant],
      parentId: [divisions.parentId, q.parentId],
      level: [divisions.level, q.level],
      status: [divisions.status, q.status],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getDivision, async (c) => {
    const row = await findDivision(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });
