import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { divisionLevels, divisions } from "../../db/tables.js";
import { withinReach } from "../../shared/auth/reach.js";
import { notFound } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { readRows } from "../../shared/store/records.js";

const divisionSchema = z
  .object({
    id: divisionIdSchema,
    tenant: z.string().openapi({ example: "620902" }),
    parentId: divisionIdSchema.nullable(),
    level: z.enum(divisionLevels),
    name: z.string().openapi({ example: "东北街街道" }),
    code: z.string().nullable().openapi({ example: "620902001" }),
  })
  .openapi("Division");

const columns = {
  id: divisions.id,
  tenant: divisions.tenantId,
  parentId: divisions.parentId,
  level: divisions.level,
  name: divisions.name,
  code: divisions.code,
};

const listDivisions = protectedRoute({
  method: "get",
  path: "/v1/divisions",
  operationId: "listDivisions",
  tags: ["divisions"],
  summary: "Divisions within the caller's reach",
  description:
    "County → street/town → community → grid. Filter by parent or level. A caller narrowed to an org sees only that subtree; the city sees every tenant and may filter by `tenant`.",
  scope: "divisions:read",
  request: {
    query: pageQuerySchema.extend({
      parentId: divisionIdSchema.optional(),
      level: z.enum(divisionLevels).optional(),
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
  tags: ["divisions"],
  summary: "One division",
  scope: "divisions:read",
  errors: [404],
  request: { params: z.object({ id: divisionIdSchema }) },
  responses: { 200: { description: "The division.", content: { "application/json": { schema: divisionSchema } } } },
});

export const divisionRoutes = createRouter()
  .openapi(listDivisions, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(divisions.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select(columns)
        .from(divisions)
        .where(
          and(
            withinReach(c.get("principal"), { tenantId: divisions.tenantId, divisionPath: divisions.path }),
            q.tenant ? eq(divisions.tenantId, q.tenant) : undefined,
            q.parentId ? eq(divisions.parentId, q.parentId) : undefined,
            q.level ? eq(divisions.level, q.level) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    return c.json(keys.of(rows), 200);
  })
  .openapi(getDivision, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await c
      .get("db")
      .select(columns)
      .from(divisions)
      .where(
        and(
          eq(divisions.id, id),
          withinReach(c.get("principal"), { tenantId: divisions.tenantId, divisionPath: divisions.path }),
        ),
      );
    if (!row) throw notFound("division");
    return c.json(row, 200);
  });
