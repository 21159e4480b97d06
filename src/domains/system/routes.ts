import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { createRouter, errorResponses, protectedRoute } from "../../shared/api/openapi.js";
import { roles, scopes } from "../../shared/auth/principal.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";

const healthSchema = z
  .object({ status: z.enum(["ok"]), database: z.enum(["ok"]), time: z.string() })
  .openapi("Health", { example: { status: "ok", database: "ok", time: "2026-11-26T09:00:00.000Z" } });

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags: ["system"],
  summary: "Liveness and database check",
  security: [],
  responses: {
    200: { description: "The API and its database answer.", content: { "application/json": { schema: healthSchema } } },
    ...errorResponses([503]),
  },
});

export const principalSchema = z
  .object({
    tenant: z.string().openapi({ example: "620902" }),
    subject: z.string().openapi({ example: "user-42" }),
    roles: z.array(z.enum(roles)),
    scopes: z.array(z.enum(scopes)),
    org: z.string().nullable().openapi({ description: "Division the caller is narrowed to, if any." }),
    credential: z.enum(["jwt", "api_key"]),
    crossTenant: z.boolean().openapi({ description: "True for the city organisation department." }),
  })
  .openapi("Principal", {
    example: {
      tenant: "620902",
      subject: "user-42",
      roles: ["county_admin"],
      scopes: ["tenants:read", "divisions:read", "audit:read"],
      org: null,
      credential: "jwt",
      crossTenant: false,
    },
  });

const meRoute = protectedRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getCurrentPrincipal",
  tags: ["system"],
  summary: "Who the credential says you are",
  scope: "tenants:read",
  responses: {
    200: { description: "The caller's principal.", content: { "application/json": { schema: principalSchema } } },
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  try {
    await c.get("db").run(sql`select 1`);
  } catch {
    throw new ApiError("unavailable", msg("generic.unavailable_database"));
  }
  return c.json({ status: "ok" as const, database: "ok" as const, time: c.get("clock").now().toISOString() }, 200);
});

export const meRoutes = createRouter().openapi(meRoute, (c) => {
  const p = c.get("principal");
  return c.json(
    {
      tenant: p.tenant,
      subject: p.subject,
      roles: [...p.roles],
      scopes: [...p.scopes],
      org: p.org?.id ?? null,
      // The authentication middleware makes only JWT and API-key principals; answer and follow-up links never reach /v1.
      credential: p.credential as "jwt" | "api_key",
      crossTenant: p.crossTenant,
    },
    200,
  );
});
