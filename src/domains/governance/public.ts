import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import { errorResponses, createRouter } from "../../shared/api/openapi.js";
import { notFound } from "../../shared/http/errors.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { keysetPage, tag, tenantCodeSchema } from "./common.js";
import { dutyItemSchema, itemQuerySchema, pageOfItems } from "./duty-items.js";
import { dutyListId, presentDutyList } from "./duty-lists.js";
import { dutyLevels, dutyLists } from "./tables.js";

/**
 * Residents' read of published duty lists, without a credential: which work a street or community
 * does, assists with, or must refuse. Lists carry no personal data. Paths under `/v1/public/` are
 * the only ones the app serves without authentication.
 */

const publicStatuses = ["published", "superseded"] as const;

const publicListSchema = z
  .object({
    id: dutyListId,
    tenant: z.string(),
    level: z.enum(dutyLevels),
    title: z.string(),
    edition: z.number().int(),
    status: z.enum(publicStatuses),
    template: z.boolean(),
    effectiveDate: z.string().nullable(),
    publishedAt: z.string().nullable(),
  })
  .openapi("PublicDutyList");

const listPublic = createRoute({
  method: "get",
  path: "/v1/public/duty-lists",
  operationId: "listPublicDutyLists",
  tags: [tag],
  summary: "Published duty lists (public, no credential)",
  description:
    "Every published (and, with `status=superseded`, earlier) street and community duty list of a tenant, for residents.",
  security: [],
  request: {
    query: pageQuerySchema.extend({
      tenant: tenantCodeSchema,
      level: z.enum(dutyLevels).optional(),
      status: z.enum(publicStatuses).default("published"),
    }),
  },
  responses: {
    200: {
      description: "A page of published lists.",
      content: { "application/json": { schema: pageOf(publicListSchema, "PublicDutyListPage") } },
    },
    ...errorResponses([400, 500]),
  },
});

const listPublicItems = createRoute({
  method: "get",
  path: "/v1/public/duty-lists/{id}/items",
  operationId: "listPublicDutyItems",
  tags: [tag],
  summary: "A published duty list's items (public, no credential)",
  security: [],
  request: { params: z.object({ id: dutyListId }), query: itemQuerySchema },
  responses: {
    200: {
      description: "A page of the list's items.",
      content: {
        "application/json": {
          schema: z
            .object({ list: publicListSchema, items: pageOf(dutyItemSchema, "PublicDutyItems") })
            .openapi("PublicDutyItemPage"),
        },
      },
    },
    ...errorResponses([400, 404, 500]),
  },
});

const presentPublic = (row: typeof dutyLists.$inferSelect) => {
  const full = presentDutyList(row);
  return {
    id: full.id,
    tenant: full.tenant,
    level: full.level,
    title: full.title,
    edition: full.edition,
    status: full.status as (typeof publicStatuses)[number],
    template: full.template,
    effectiveDate: full.effectiveDate,
    publishedAt: full.publishedAt,
  };
};

export const publicDutyListRoutes = createRouter()
  .openapi(listPublic, async (c) => {
    const q = c.req.valid("query");
    const page = await keysetPage(
      c,
      dutyLists,
      q,
      [
        eq(dutyLists.tenantId, q.tenant),
        eq(dutyLists.status, q.status),
        q.level ? eq(dutyLists.level, q.level) : undefined,
      ],
      presentPublic,
    );
    return c.json(page, 200);
  })
  .openapi(listPublicItems, async (c) => {
    const [list] = await c
      .get("db")
      .select()
      .from(dutyLists)
      .where(and(eq(dutyLists.id, c.req.valid("param").id), inArray(dutyLists.status, [...publicStatuses])));
    if (!list) throw notFound("published duty list");
    return c.json({ list: presentPublic(list), items: await pageOfItems(c, list, c.req.valid("query")) }, 200);
  });
