import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { roles, type Role } from "../../shared/auth/principal.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, optionalIfMatch } from "../../shared/http/etag.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { createRouter, etagHeader, ifMatchHeader, protectedRoute } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { findWithinReach, updateVersioned } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import {
  commitCreatedCredential,
  createdBy,
  listCredentials,
  rateLimitSchema,
  requireTenantWideManager,
  shownOnce,
} from "./common.js";
import { credentialCacheTtlMs } from "./credentials.js";
import { accessTokenTtlSeconds } from "./oauth.js";
import { hashSecret, newClientId, newClientSecret } from "./secrets.js";
import { apiClients } from "./tables.js";
import { msg } from "../../shared/http/messages.js";

export const defaultClientRatePerMinute = 600;

/**
 * Which roles a principal may give an API client: its own administrative role and those below it.
 * Never city_admin, and never the owner-only roles (member, unit_admin), which need a member or unit
 * claim a machine does not have.
 */
const grantableRoles: Partial<Record<Role, readonly Role[]>> = {
  county_admin: ["county_admin", "street_admin", "community_admin", "auditor"],
};

const clientStates = ["active", "revoked"] as const;
const clientMachine = defineMachine("API client", clientStates, { revoke: { from: ["active"], to: "revoked" } });

type ClientRow = typeof apiClients.$inferSelect;
const stateOf = (row: ClientRow): (typeof clientStates)[number] => (row.revokedAt ? "revoked" : "active");

const clientId = idSchema("apc");
const tags = ["access"];

const apiClientSchema = z
  .object({
    id: clientId,
    tenant: z.string().openapi({ example: "620902" }),
    name: z.string().openapi({ example: "肃州区网格化管理平台" }),
    clientId: z.string().openapi({ description: "The OAuth client_id.", example: "hxc_4fK9s2LmQ8vT1rXw7ZbN" }),
    roles: z.array(z.enum(roles)),
    orgId: divisionIdSchema
      .nullable()
      .openapi({ description: "The division the client's tokens are narrowed to; null for the whole tenant." }),
    rateLimitPerMinute: z.number().int().openapi({ example: defaultClientRatePerMinute }),
    status: z.enum(clientStates),
    createdBy: z.string().openapi({ example: "jwt:620902:county-1" }),
    revokedAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("ApiClient");

const createdApiClientSchema = apiClientSchema
  .extend({ clientSecret: shownOnce("client secret", "hxs_Vb3mQ9xK2pL7sR4tW8yZ1aC5dF6gH0jN2kM4nP7qS9u") })
  .openapi("CreatedApiClient");

const createApiClientSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "肃州区网格化管理平台" }),
    roles: z
      .array(z.enum(roles))
      .min(1)
      .max(4)
      .openapi({
        description:
          "Roles the client's tokens carry: a county administrator may grant county_admin, street_admin, community_admin and auditor.",
        example: ["street_admin"],
      }),
    orgId: divisionIdSchema
      .optional()
      .openapi({ description: "Narrow the client to a division (and its subtree) of your tenant." }),
    rateLimitPerMinute: rateLimitSchema(defaultClientRatePerMinute),
  })
  .strict()
  .openapi("CreateApiClient");

const present = (row: ClientRow) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  clientId: row.clientId,
  roles: row.roles,
  orgId: row.orgId,
  rateLimitPerMinute: row.rateLimitPerMinute,
  status: stateOf(row),
  createdBy: row.createdBy,
  revokedAt: row.revokedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const clientResponse = (description: string, schema: z.ZodType = apiClientSchema) => ({
  description,
  headers: etagHeader,
  content: { "application/json": { schema } },
});
const idParams = z.object({ id: clientId });

const createApiClient = protectedRoute({
  method: "post",
  path: "/v1/api-clients",
  operationId: "createApiClient",
  tags,
  summary: "Register a district system as an OAuth 2.0 client",
  description: `The client gets access tokens from \`POST /v1/oauth/token\` (client credentials) carrying the roles and org given here, valid ${accessTokenTtlSeconds / 60} minutes. The \`clientSecret\` is in this response only; Hexi keeps its SHA-256.`,
  scope: "access:manage",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createApiClientSchema } } } },
  responses: { 201: clientResponse("The client and its secret, shown once.", createdApiClientSchema) },
});

const listApiClients = protectedRoute({
  method: "get",
  path: "/v1/api-clients",
  operationId: "listApiClients",
  tags,
  summary: "The tenant's API clients (never the secrets)",
  scope: "access:manage",
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of API clients, oldest first.",
      content: { "application/json": { schema: pageOf(apiClientSchema, "ApiClientPage") } },
    },
  },
});

const getApiClient = protectedRoute({
  method: "get",
  path: "/v1/api-clients/{id}",
  operationId: "getApiClient",
  tags,
  summary: "One API client (never the secret)",
  scope: "access:manage",
  errors: [404],
  request: { params: idParams },
  responses: { 200: clientResponse("The API client.") },
});

const revokeApiClient = protectedRoute({
  method: "post",
  path: "/v1/api-clients/{id}/revoke",
  operationId: "revokeApiClient",
  tags,
  summary: "Revoke an API client",
  description: `Final. The token endpoint refuses the client at once; tokens it already holds stop working within ${credentialCacheTtlMs / 1000} s.`,
  scope: "access:manage",
  errors: [404, 409, 412],
  request: { params: idParams, headers: ifMatchHeader },
  responses: { 200: clientResponse("The revoked client.") },
});

function checkGrantableRoles(c: Context<AppEnv>, requested: readonly Role[]): Role[] {
  const mayGrant = new Set(c.get("principal").roles.flatMap((r) => grantableRoles[r] ?? []));
  const errors: FieldError[] = requested.flatMap((role, i) =>
    mayGrant.has(role)
      ? []
      : [{ in: "body" as const, pointer: `/roles/${i}`, detail: msg("access.role_not_grantable", { role }) }],
  );
  if (errors.length)
    throw new ApiError("validation_failed", msg("access.roles_not_grantable", { count: errors.length }), { errors });
  return [...new Set(requested)];
}

const eventOf = (type: string, row: ClientRow) => ({
  type: `api_client.${type}`,
  subjectType: "api_client",
  subjectId: row.id,
  payload: { id: row.id, name: row.name, clientId: row.clientId, roles: row.roles, orgId: row.orgId },
});

export const apiClientRoutes = createRouter()
  .openapi(createApiClient, async (c) => {
    requireTenantWideManager(c);
    const body = c.req.valid("json");
    const grantedRoles = checkGrantableRoles(c, body.roles);
    const division = body.orgId ? await requireDivisionForWrite(c, body.orgId, { pointer: "/orgId" }) : undefined;
    const now = c.get("clock").now();
    const secret = newClientSecret();
    const row: ClientRow = {
      id: newId("apc", now.getTime()),
      tenantId: c.get("principal").tenant,
      name: body.name,
      clientId: newClientId(),
      secretHash: await hashSecret(secret),
      roles: grantedRoles,
      orgId: division?.id ?? null,
      rateLimitPerMinute: body.rateLimitPerMinute,
      createdBy: createdBy(c),
      revokedAt: null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = { ...present(row), clientSecret: secret };
    const headers = { etag: etagOf(row.version), location: `/v1/api-clients/${row.id}` };
    await commitCreatedCredential(
      c,
      {
        writes: [c.get("db").insert(apiClients).values(row)],
        audit: {
          action: "api_client.create",
          targetType: "api_client",
          targetId: row.id,
          divisionPath: division?.path,
          changes: { fields: Object.keys(body), roles: grantedRoles },
        },
        events: [eventOf("created", row)],
      },
      response,
      "clientSecret",
      headers,
    );
    return c.json(response, 201, headers);
  })
  .openapi(listApiClients, async (c) => {
    requireTenantWideManager(c);
    const page = await listCredentials(c, apiClients, c.req.valid("query"));
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getApiClient, async (c) => {
    requireTenantWideManager(c);
    const row = await findWithinReach(c, apiClients, {}, c.req.valid("param").id, "API client");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(revokeApiClient, async (c) => {
    requireTenantWideManager(c);
    const expectedVersion = optionalIfMatch(c);
    const row = await findWithinReach(c, apiClients, {}, c.req.valid("param").id, "API client");
    clientMachine.next(stateOf(row), "revoke");
    const updated = await updateVersioned(c, {
      table: apiClients,
      row,
      expectedVersion,
      set: { revokedAt: c.get("clock").now().toISOString() },
      audit: { action: "api_client.revoke", targetType: "api_client", changes: { status: ["active", "revoked"] } },
      events: (u) => [eventOf("revoked", u)],
    });
    c.get("accessCache").forgetClient(row.clientId);
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
