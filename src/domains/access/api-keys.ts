import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { and, eq } from "drizzle-orm";
import { roleScopes, scopes, type Scope } from "../../shared/auth/principal.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, optionalIfMatch } from "../../shared/http/etag.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { createRouter, etagHeader, ifMatchHeader, protectedRoute } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { parseCidr } from "../../shared/net/ip.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { findWithinReach, updateVersioned } from "../../shared/store/records.js";
import {
  commitCreatedCredential,
  createdBy,
  listCredentials,
  rateLimitSchema,
  requireTenantWideManager,
  shownOnce,
} from "./common.js";
import { credentialCacheTtlMs, scopesNeverForKeys } from "./credentials.js";
import { displayedKeyLength, hashSecret, newApiKey } from "./secrets.js";
import { apiKeys } from "./tables.js";
import { platformKinds, units } from "../organisations/tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

/** After a rotation the old key keeps working this long, so deployments can switch without downtime. */
export const rotationGraceMs = 24 * 60 * 60 * 1000;
export const defaultKeyRatePerMinute = 600;

const keyStates = ["active", "replaced", "expired", "revoked"] as const;
type KeyState = (typeof keyStates)[number];
/** A key's state is derived from its row (revokedAt, expiresAt, replacedBy) at the time of asking. */
const keyMachine = defineMachine("API key", keyStates, {
  rotate: { from: ["active"], to: "replaced" },
  revoke: { from: ["active", "replaced", "expired"], to: "revoked" },
});

type KeyRow = typeof apiKeys.$inferSelect;

function stateOf(row: KeyRow, now: Date): KeyState {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && Date.parse(row.expiresAt) <= now.getTime()) return "expired";
  return row.replacedBy ? "replaced" : "active";
}

const keyId = idSchema("key");
const revocationNote = `Revocation reaches every server within ${credentialCacheTtlMs / 1000} s (keys are cached in process that long).`;

const ipEntrySchema = z
  .string()
  .trim()
  .max(64)
  .refine((v) => parseCidr(v) !== undefined, zodMessage("field.ip_or_cidr"));

const apiKeySchema = z
  .object({
    id: keyId,
    tenant: z.string().openapi({ example: "620902" }),
    name: z.string().openapi({ example: "社区服务小程序" }),
    start: z
      .string()
      .openapi({ description: "The first characters of the key, to recognise it.", example: "hx_live_7GxQ" }),
    scopes: z.array(z.enum(scopes)),
    status: z
      .enum(keyStates)
      .openapi({ description: "`replaced`: rotated, still working until `expiresAt` (the grace period)." }),
    expiresAt: z.string().nullable().openapi({ example: "2027-06-30T00:00:00.000Z" }),
    ipAllowList: z
      .array(z.string())
      .nullable()
      .openapi({
        description: "Addresses/CIDRs the key may be used from; null allows any.",
        example: ["203.0.113.0/24"],
      }),
    rateLimitPerMinute: z.number().int().openapi({ example: defaultKeyRatePerMinute }),
    platformUnitId: idSchema("unit")
      .nullable()
      .openapi({ description: "The new-employment platform the key acts as (role `platform`), if bound to one." }),
    replacedBy: keyId.nullable().openapi({ description: "The key that replaced this one by rotation." }),
    lastUsedAt: z
      .string()
      .nullable()
      .openapi({ description: "Updated at most once a minute.", example: "2026-11-26T09:00:00.000Z" }),
    createdBy: z.string().openapi({ example: "jwt:620902:county-1" }),
    revokedAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("ApiKey");

const createdApiKeySchema = apiKeySchema
  .extend({ key: shownOnce("API key", "hx_live_7GxQp2LrV9sWc4Kd8ZbNm1Ty3fHe6u") })
  .openapi("CreatedApiKey");

const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "社区服务小程序" }),
    scopes: z
      .array(z.enum(scopes))
      .min(1)
      .max(scopes.length)
      .openapi({
        description: `A subset of your own scopes. ${scopesNeverForKeys.join(" and ")} are never granted to API keys.`,
        example: ["divisions:read", "lists:read"],
      }),
    expiresAt: z.iso.datetime({ offset: true }).optional().openapi({
      description: "When the key stops working; in the future. Default: never.",
      example: "2027-06-30T00:00:00Z",
    }),
    ipAllowList: z
      .array(ipEntrySchema)
      .min(1)
      .max(50)
      .optional()
      .openapi({ example: ["203.0.113.0/24", "2001:db8::/32"] }),
    rateLimitPerMinute: rateLimitSchema(defaultKeyRatePerMinute),
    platformUnitId: idSchema("unit").optional().openapi({
      description:
        "Bind the key to a new-employment platform (a unit of kind delivery_platform, courier_company or ride_hailing_platform): it then acts as that platform, like a `platform` token whose `unit` is this id (its workers and their quick reports only), for the platform's own system. Its scopes must be among the platform role's.",
    }),
  })
  .strict()
  .openapi("CreateApiKey");

const present = (row: KeyRow, now: Date) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  start: row.start,
  scopes: row.scopes,
  status: stateOf(row, now),
  expiresAt: row.expiresAt,
  ipAllowList: row.ipAllowList,
  rateLimitPerMinute: row.rateLimitPerMinute,
  platformUnitId: row.platformUnitId,
  replacedBy: row.replacedBy,
  lastUsedAt: row.lastUsedAt,
  createdBy: row.createdBy,
  revokedAt: row.revokedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const keyResponse = (description: string, schema: z.ZodType = apiKeySchema) => ({
  description,
  headers: etagHeader,
  content: { "application/json": { schema } },
});
const tags = ["access"];

const createApiKey = protectedRoute({
  method: "post",
  path: "/v1/api-keys",
  operationId: "createApiKey",
  tags,
  summary: "Create an API key for a third-party app",
  description: `The key (\`hx_live_…\`, with a checksum) is in this response only; Hexi keeps its SHA-256. Use it as \`Authorization: Bearer hx_…\` or \`X-API-Key: hx_…\`. An API key acts for the whole tenant with the scopes given here, never sees clear personal data, and is rate-limited. ${revocationNote}`,
  scope: "access:manage",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createApiKeySchema } } } },
  responses: { 201: keyResponse("The key, shown once.", createdApiKeySchema) },
});

const listApiKeys = protectedRoute({
  method: "get",
  path: "/v1/api-keys",
  operationId: "listApiKeys",
  tags,
  summary: "The tenant's API keys (never the secrets)",
  scope: "access:manage",
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of API keys, oldest first.",
      content: { "application/json": { schema: pageOf(apiKeySchema, "ApiKeyPage") } },
    },
  },
});

const idParams = z.object({ id: keyId });

const getApiKey = protectedRoute({
  method: "get",
  path: "/v1/api-keys/{id}",
  operationId: "getApiKey",
  tags,
  summary: "One API key (never the secret)",
  scope: "access:manage",
  errors: [404],
  request: { params: idParams },
  responses: { 200: keyResponse("The API key.") },
});

const revokeApiKey = protectedRoute({
  method: "post",
  path: "/v1/api-keys/{id}/revoke",
  operationId: "revokeApiKey",
  tags,
  summary: "Revoke an API key",
  description: `Final. ${revocationNote}`,
  scope: "access:manage",
  errors: [404, 409, 412],
  request: { params: idParams, headers: ifMatchHeader },
  responses: { 200: keyResponse("The revoked key.") },
});

const rotateApiKey = protectedRoute({
  method: "post",
  path: "/v1/api-keys/{id}/rotate",
  operationId: "rotateApiKey",
  tags,
  summary: "Replace an API key with a new one; the old one keeps working for 24 hours",
  description:
    "Creates a key with the same name, scopes, allow-list, quota and expiry, returned once. The old key becomes `replaced` and stops working 24 hours from now (or at its own expiry, if sooner): switch deployments over in that window. Only an `active` key can be rotated.",
  scope: "access:manage",
  errors: [404, 409, 412],
  request: { params: idParams, headers: ifMatchHeader },
  responses: { 201: keyResponse("The new key, shown once.", createdApiKeySchema) },
});

/**
 * Scopes must be a subset of the creator's (a platform's key: of the platform role's), and never the
 * ones keys cannot hold: a 400 per offending entry.
 */
function checkGrantableScopes(c: Context<AppEnv>, requested: readonly Scope[], forPlatform: boolean): Scope[] {
  const errors: FieldError[] = [];
  const platformScopes = roleScopes.platform;
  requested.forEach((scope, i) => {
    const pointer = `/scopes/${i}`;
    if (scopesNeverForKeys.includes(scope))
      errors.push({ in: "body", pointer, detail: msg("access.scope_never_for_keys", { scope }) });
    else if (forPlatform && !platformScopes.includes(scope))
      errors.push({
        in: "body",
        pointer,
        detail: msg("access.platform_scope", { scope, allowed: platformScopes.join(", ") }),
      });
    else if (!forPlatform && !c.get("principal").scopes.has(scope))
      errors.push({ in: "body", pointer, detail: msg("access.scope_not_held", { scope }) });
  });
  if (errors.length)
    throw new ApiError("validation_failed", msg("access.scopes_not_grantable", { count: errors.length }), { errors });
  return [...new Set(requested)];
}

/** A fresh key and the row that remembers it (by hash). */
async function newKeyRow(
  c: Context<AppEnv>,
  now: Date,
  fields: Pick<KeyRow, "name" | "scopes" | "expiresAt" | "ipAllowList" | "rateLimitPerMinute" | "platformUnitId">,
) {
  const key = newApiKey();
  const row: KeyRow = {
    id: newId("key", now.getTime()),
    tenantId: c.get("principal").tenant,
    ...fields,
    keyHash: await hashSecret(key),
    start: key.slice(0, displayedKeyLength),
    createdBy: createdBy(c),
    revokedAt: null,
    replacedBy: null,
    lastUsedAt: null,
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  return { key, row };
}

/** The platform a key is bound to: a unit of a platform kind in the caller's tenant, else a 400 on the field. */
async function platformOf(c: Context<AppEnv>, id: string): Promise<string> {
  const [unit] = await c
    .get("db")
    .select({ id: units.id, kind: units.kind })
    .from(units)
    .where(and(eq(units.id, id), eq(units.tenantId, c.get("principal").tenant)));
  if (!unit || !(platformKinds as readonly string[]).includes(unit.kind))
    throw new ApiError("validation_failed", msg("newemp.not_platform", { kind: unit?.kind ?? "none" }), {
      errors: [
        { in: "body", pointer: "/platformUnitId", detail: msg("newemp.not_platform", { kind: unit?.kind ?? "none" }) },
      ],
    });
  return unit.id;
}

const findKey = (c: Context<AppEnv>, id: string) => findWithinReach(c, apiKeys, {}, id, "API key");
const eventOf = (type: string, row: KeyRow, extra: Record<string, unknown> = {}) => ({
  type: `api_key.${type}`,
  subjectType: "api_key",
  subjectId: row.id,
  payload: { id: row.id, name: row.name, scopes: row.scopes, ...extra },
});

export const apiKeyRoutes = createRouter()
  .openapi(createApiKey, async (c) => {
    requireTenantWideManager(c);
    const body = c.req.valid("json");
    const platformUnitId = body.platformUnitId ? await platformOf(c, body.platformUnitId) : null;
    const grantedScopes = checkGrantableScopes(c, body.scopes, platformUnitId !== null);
    const now = c.get("clock").now();
    if (body.expiresAt && Date.parse(body.expiresAt) <= now.getTime()) {
      throw new ApiError("validation_failed", msg("access.expires_in_future"), {
        errors: [{ in: "body", pointer: "/expiresAt", detail: msg("field.must_be_future") }],
      });
    }
    const { key, row } = await newKeyRow(c, now, {
      name: body.name,
      scopes: grantedScopes,
      expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
      ipAllowList: body.ipAllowList ?? null,
      rateLimitPerMinute: body.rateLimitPerMinute,
      platformUnitId,
    });
    const response = { ...present(row, now), key };
    const headers = { etag: etagOf(row.version), location: `/v1/api-keys/${row.id}` };
    await commitCreatedCredential(
      c,
      {
        writes: [c.get("db").insert(apiKeys).values(row)],
        audit: {
          action: "api_key.create",
          targetType: "api_key",
          targetId: row.id,
          changes: { fields: Object.keys(body), scopes: grantedScopes, platformUnitId },
        },
        events: [eventOf("created", row)],
      },
      response,
      "key",
      headers,
    );
    return c.json(response, 201, headers);
  })
  .openapi(listApiKeys, async (c) => {
    requireTenantWideManager(c);
    const page = await listCredentials(c, apiKeys, c.req.valid("query"));
    const now = c.get("clock").now();
    return c.json({ data: page.data.map((r) => present(r, now)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getApiKey, async (c) => {
    requireTenantWideManager(c);
    const row = await findKey(c, c.req.valid("param").id);
    return c.json(present(row, c.get("clock").now()), 200, { etag: etagOf(row.version) });
  })
  .openapi(revokeApiKey, async (c) => {
    requireTenantWideManager(c);
    const expectedVersion = optionalIfMatch(c);
    const row = await findKey(c, c.req.valid("param").id);
    const now = c.get("clock").now();
    keyMachine.next(stateOf(row, now), "revoke");
    const updated = await updateVersioned(c, {
      table: apiKeys,
      row,
      expectedVersion,
      set: { revokedAt: now.toISOString() },
      audit: { action: "api_key.revoke", targetType: "api_key", changes: { status: [stateOf(row, now), "revoked"] } },
      events: (u) => [eventOf("revoked", u)],
    });
    c.get("accessCache").forgetKey(row.keyHash);
    return c.json(present(updated, now), 200, { etag: etagOf(updated.version) });
  })
  .openapi(rotateApiKey, async (c) => {
    requireTenantWideManager(c);
    const expectedVersion = optionalIfMatch(c);
    const old = await findKey(c, c.req.valid("param").id);
    const now = c.get("clock").now();
    keyMachine.next(stateOf(old, now), "rotate");
    const { key, row } = await newKeyRow(c, now, {
      name: old.name,
      scopes: old.scopes,
      expiresAt: old.expiresAt,
      ipAllowList: old.ipAllowList,
      rateLimitPerMinute: old.rateLimitPerMinute,
      platformUnitId: old.platformUnitId,
    });
    const graceEnds = new Date(
      Math.min(now.getTime() + rotationGraceMs, old.expiresAt ? Date.parse(old.expiresAt) : Infinity),
    ).toISOString();
    // The old row changes only if it is still at the version read (so still active): the new key is written in the same batch or not at all.
    await updateVersioned(c, {
      table: apiKeys,
      row: old,
      expectedVersion,
      set: { replacedBy: row.id, expiresAt: graceEnds },
      audit: { action: "api_key.rotate", targetType: "api_key", changes: { replacedBy: row.id, expiresAt: graceEnds } },
      events: () => [eventOf("rotated", old, { replacedBy: row.id, oldKeyExpiresAt: graceEnds })],
      alsoWrite: () => [c.get("db").insert(apiKeys).values(row)],
    });
    c.get("accessCache").forgetKey(old.keyHash);
    const headers = { etag: etagOf(row.version), location: `/v1/api-keys/${row.id}` };
    return c.json({ ...present(row, now), key }, 201, headers);
  });
