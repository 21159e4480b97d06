import { z } from "@hono/zod-openapi";
import { and, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated, guardHolds } from "../../shared/store/commit.js";
import { findWithinReach, updateVersioned, readRows } from "../../shared/store/records.js";
import { requireDivisionForWrite, requireReference } from "../../shared/store/references.js";
import { orgCategories, orgTypes, partyOrgs, units } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

export const partyOrgId = idSchema("org");
const unitId = idSchema("unit");

/** Who sees a party organisation: its division subtree; a unit admin sees its own unit party organisation. */
export const partyOrgReach = { divisionPath: partyOrgs.divisionPath, unitOrgId: partyOrgs.id };

/** A party organisation a body field names: same tenant, within the caller's reach, else 400 at the field. */
export const requirePartyOrg = (c: Context<AppEnv>, id: string, pointer: string) =>
  requireReference(c, partyOrgs, partyOrgReach, id, { pointer, what: "party organisation" });

const partyOrgFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "中共东北街街道富康社区委员会" }),
  type: z.enum(orgTypes).openapi({ description: "党委, 党工委, 党总支, 党支部 or 临时党支部." }),
  secretaryName: z.string().trim().min(1).max(100).nullable().openapi({ description: "书记.", example: "王芳" }),
  parentId: partyOrgId
    .nullable()
    .openapi({ description: "The superior party organisation, in the same tenant; null at the top of the tree." }),
};

const partyOrgSchema = z
  .object({
    id: partyOrgId,
    tenant: z.string(),
    ...partyOrgFields,
    category: z.enum(orgCategories),
    divisionId: divisionIdSchema,
    unitId: unitId
      .nullable()
      .openapi({ description: "The unit this is the party organisation of (unit and two-new organisations)." }),
    ...timestampsSchema,
  })
  .openapi("PartyOrg");

const createPartyOrgSchema = z
  .object({
    ...partyOrgFields,
    secretaryName: partyOrgFields.secretaryName.optional(),
    parentId: partyOrgFields.parentId.optional(),
    category: z.enum(orgCategories),
    divisionId: divisionIdSchema,
    unitId: unitId.optional(),
  })
  .strict()
  .openapi("CreatePartyOrg", {
    example: {
      name: "中共东北街街道富康社区委员会",
      type: "committee",
      category: "community",
      parentId: "org_01KDVDNA011AKWK3RC504FTYF8",
      divisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
      secretaryName: "王芳",
    },
  });

const patchPartyOrgSchema = z
  .object(partyOrgFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchPartyOrg", {
    description: "Moving an organisation (parentId) under itself or under one of its own descendants is refused.",
    example: { secretaryName: "李明" },
  });

type PartyOrgRow = typeof partyOrgs.$inferSelect;
const present = (row: PartyOrgRow) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  type: row.type,
  category: row.category,
  parentId: row.parentId,
  divisionId: row.divisionId,
  unitId: row.unitId,
  secretaryName: row.secretaryName,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
const partyOrgResponse = (description: string) => versionedResponse(partyOrgSchema, description);

/**
 * True when `ancestorId` is `startId` or above it: walks parent links up from `startId`. UNION
 * drops repeats, so the walk ends even if the tree already had a cycle.
 */
function chainContains(tenantId: string, startId: string, ancestorId: string): SQL {
  return sql`exists (
    with recursive chain(id) as (
      select ${startId}
      union
      select o.parent_id from ${partyOrgs} o join chain on o.id = chain.id
      where o.tenant_id = ${tenantId} and o.parent_id is not null
    )
    select 1 from chain where id = ${ancestorId}
  )`;
}

/** The new parent of `orgId`: within reach, and neither the org itself nor one of its descendants. */
async function requireParentFor(c: Context<AppEnv>, row: PartyOrgRow, parentId: string) {
  const parent = await requirePartyOrg(c, parentId, "/parentId");
  const [cycle] = await c
    .get("db")
    .all<{ cycle: number }>(sql`select ${chainContains(row.tenantId, parent.id, row.id)} as cycle`);
  if (cycle?.cycle) {
    throw new ApiError("validation_failed", msg("orgs.cycle"), {
      errors: [{ in: "body", pointer: "/parentId", detail: msg("orgs.cycle_field") }],
    });
  }
  return parent;
}

const createPartyOrg = protectedRoute({
  method: "post",
  path: "/v1/party-orgs",
  operationId: "createPartyOrg",
  tags: ["organisations"],
  summary: "Register a party organisation",
  description: "The parent and the unit must be in the caller's tenant and reach; the division in its subtree.",
  scope: "orgs:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createPartyOrgSchema } } } },
  responses: { 201: partyOrgResponse("The party organisation was registered.") },
});

const listPartyOrgs = protectedRoute({
  method: "get",
  path: "/v1/party-orgs",
  operationId: "listPartyOrgs",
  tags: ["organisations"],
  summary: "Party organisations within reach",
  description: "Navigate the tree with `root=true` (the top organisations) and then `parentId` (the children of one).",
  scope: "orgs:read",
  request: {
    query: pageQuerySchema.extend({
      parentId: partyOrgId.optional().openapi({ description: "Only the direct children of this organisation." }),
      root: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "`true`: only organisations without a parent; `false`: only those with one." }),
      category: z.enum(orgCategories).optional(),
      type: z.enum(orgTypes).optional(),
      unitId: unitId.optional(),
      divisionId: divisionIdSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of party organisations, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(partyOrgSchema, "PartyOrgPage") } },
    },
  },
});

const getPartyOrg = protectedRoute({
  method: "get",
  path: "/v1/party-orgs/{id}",
  operationId: "getPartyOrg",
  tags: ["organisations"],
  summary: "One party organisation",
  scope: "orgs:read",
  errors: [404],
  request: { params: z.object({ id: partyOrgId }) },
  responses: { 200: partyOrgResponse("The party organisation.") },
});

const updatePartyOrg = protectedRoute({
  method: "patch",
  path: "/v1/party-orgs/{id}",
  operationId: "updatePartyOrg",
  tags: ["organisations"],
  summary: "Rename, retype, change the secretary or move a party organisation in the tree",
  scope: "orgs:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: partyOrgId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchPartyOrgSchema } } },
  },
  responses: { 200: partyOrgResponse("The updated party organisation.") },
});

export const partyOrgRoutes = createRouter()
  .openapi(createPartyOrg, async (c) => {
    const body = c.req.valid("json");
    const division = await requireDivisionForWrite(c, body.divisionId, { pointer: "/divisionId" });
    if (body.parentId) await requirePartyOrg(c, body.parentId, "/parentId");
    if (body.unitId)
      await requireReference(c, units, { divisionPath: units.divisionPath }, body.unitId, {
        pointer: "/unitId",
        what: "unit",
      });
    const now = c.get("clock").now();
    const row: PartyOrgRow = {
      id: newId("org", now.getTime()),
      tenantId: c.get("principal").tenant,
      name: body.name,
      type: body.type,
      category: body.category,
      parentId: body.parentId ?? null,
      divisionId: division.id,
      divisionPath: division.path,
      unitId: body.unitId ?? null,
      secretaryName: body.secretaryName ?? null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/party-orgs/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(partyOrgs).values(row)],
      audit: {
        action: "party_org.create",
        targetType: "party_org",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
    });
    return c.json(response, 201, headers);
  })
  .openapi(listPartyOrgs, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(partyOrgs.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(partyOrgs)
        .where(
          and(
            withinReach(c.get("principal"), { tenantId: partyOrgs.tenantId, ...partyOrgReach }),
            q.parentId ? eq(partyOrgs.parentId, q.parentId) : undefined,
            q.root ? (q.root === "true" ? isNull(partyOrgs.parentId) : isNotNull(partyOrgs.parentId)) : undefined,
            q.category ? eq(partyOrgs.category, q.category) : undefined,
            q.type ? eq(partyOrgs.type, q.type) : undefined,
            q.unitId ? eq(partyOrgs.unitId, q.unitId) : undefined,
            q.divisionId ? eq(partyOrgs.divisionId, q.divisionId) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getPartyOrg, async (c) => {
    const row = await findWithinReach(c, partyOrgs, partyOrgReach, c.req.valid("param").id, "party organisation");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(updatePartyOrg, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findWithinReach(c, partyOrgs, partyOrgReach, c.req.valid("param").id, "party organisation");
    const moves = patch.parentId !== undefined && patch.parentId !== row.parentId;
    if (moves && patch.parentId) await requireParentFor(c, row, patch.parentId);
    const updated = await updateVersioned(c, {
      table: partyOrgs,
      row,
      expectedVersion,
      set: patch,
      audit: {
        action: "party_org.update",
        targetType: "party_org",
        changes: { fields: Object.keys(patch), ...(moves ? { parentId: [row.parentId, patch.parentId] } : {}) },
      },
      // Re-checked inside the write: a concurrent move elsewhere in the tree cannot close a cycle.
      alsoWrite: () =>
        moves && patch.parentId ? [guardHolds(c, sql`not ${chainContains(row.tenantId, patch.parentId, row.id)}`)] : [],
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
