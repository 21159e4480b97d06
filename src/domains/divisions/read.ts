import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { divisionLevels, divisionStatuses, divisions } from "../../db/tables.js";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { notFound } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { divisionSchema, present, tag } from "./schemas.js";
import type { DivisionRow } from "./tree.js";

/** Who sees a division: the city every one, anyone else its tenant, narrowed to its org subtree. */
export const divisionReach = { divisionPath: divisions.path };

/** One division within the caller's reach, or the 404 of a missing one. */
export async function findDivision(c: Context<AppEnv>, id: string): Promise<DivisionRow> {
  const [row] = await c
    .get("db")
    .select()
    .from(divisions)
    .where(
      and(eq(divisions.id, id), withinReach(c.get("principal"), { tenantId: divisions.tenantId, ...divisionReach })),
    );
  if (!row) throw notFound("division");
  return row;
}

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
    const keys = keyset(divisions.id, q);
    const rows = await c
      .get("db")
      .select()
      .from(divisions)
      .where(
        and(
          withinReach(c.get("principal"), { tenantId: divisions.tenantId, ...divisionReach }),
          q.tenant ? eq(divisions.tenantId, q.tenant) : undefined,
          q.parentId ? eq(divisions.parentId, q.parentId) : undefined,
          q.level ? eq(divisions.level, q.level) : undefined,
          q.status ? eq(divisions.status, q.status) : undefined,
          keys.after,
        ),
      )
      .orderBy(keys.orderBy)
      .limit(keys.limit);
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getDivision, async (c) => {
    const row = await findDivision(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });
