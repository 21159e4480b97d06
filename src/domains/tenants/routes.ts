import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { tenants } from "../../db/tables.js";
import { canReachTenant } from "../../shared/auth/reach.js";
import { notFound } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { readRows } from "../../shared/store/records.js";

const tenantSchema = z
  .object({
    code: z.string().openapi({ description: "GB/T 2260 code.", example: "620902" }),
    parentCode: z.string().nullable().openapi({ example: "620900" }),
    level: z.enum(["city", "county"]),
    kind: z.enum(["city", "district", "county_city", "county", "autonomous_county"]),
    nameZh: z.string().openapi({ example: "肃州区" }),
    nameEn: z.string().openapi({ example: "Suzhou District" }),
  })
  .openapi("Tenant");

const columns = {
  code: tenants.code,
  parentCode: tenants.parentCode,
  level: tenants.level,
  kind: tenants.kind,
  nameZh: tenants.nameZh,
  nameEn: tenants.nameEn,
};

const listTenants = protectedRoute({
  method: "get",
  path: "/v1/tenants",
  operationId: "listTenants",
  tags: ["tenants"],
  summary: "Tenants within the caller's reach",
  description: "The city sees itself and all seven county-level tenants; anyone else sees only its own tenant.",
  scope: "tenants:read",
  // Reference data keyed by code, not by a time-ordered id: always in code order, so no `order`.
  request: { query: pageQuerySchema.omit({ order: true }) },
  responses: {
    200: {
      description: "A page of tenants, ordered by code.",
      content: { "application/json": { schema: pageOf(tenantSchema, "TenantPage") } },
    },
  },
});

const getTenant = protectedRoute({
  method: "get",
  path: "/v1/tenants/{code}",
  operationId: "getTenant",
  tags: ["tenants"],
  summary: "One tenant",
  scope: "tenants:read",
  errors: [404],
  request: {
    params: z.object({
      code: z
        .string()
        .regex(/^\d{6}$/)
        .openapi({ example: "620902" }),
    }),
  },
  responses: { 200: { description: "The tenant.", content: { "application/json": { schema: tenantSchema } } } },
});

export const tenantRoutes = createRouter()
  .openapi(listTenants, async (c) => {
    const keys = keyset(tenants.code, c.req.valid("query"));
    const principal = c.get("principal");
    const rows = await readRows(
      c,
      c
        .get("db")
        .select(columns)
        .from(tenants)
        .where(and(principal.crossTenant ? undefined : eq(tenants.code, principal.tenant), keys.after))
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    return c.json(
      keys.of(rows, (t) => t.code),
      200,
    );
  })
  .openapi(getTenant, async (c) => {
    const { code } = c.req.valid("param");
    if (!canReachTenant(c.get("principal"), code)) throw notFound("tenant");
    const [row] = await c.get("db").select(columns).from(tenants).where(eq(tenants.code, code));
    if (!row) throw notFound("tenant");
    return c.json(row, 200);
  });
