import { zodMessage } from "../../shared/http/messages.js";
import { z } from "@hono/zod-openapi";
import { newId } from "../../db/ids.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, updateVersioned } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { compoundId, tag, type CompoundRow, partyOrgId } from "./common.js";
import { requirePropertyCompany, requireTenantPartyOrg } from "./references.js";
import { compounds } from "./tables.js";

const unitId = idSchema("unit");

const compoundFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "富康家园" }),
  address: z.string().trim().min(1).max(300).openapi({ example: "酒泉市肃州区富康路 18 号" }),
  households: z.number().int().min(0).max(100_000).openapi({ description: "Households (户数).", example: 864 }),
  propertyUnitId: unitId.nullable().openapi({
    description:
      "The property company managing it: a unit of kind `property_company` in the tenant; null if self-managed.",
  }),
  partyOrgId: partyOrgId.nullable().openapi({ description: "The party organisation in the compound (小区党支部)." }),
};

export const compoundSchema = z
  .object({
    id: compoundId,
    tenant: z.string().openapi({ example: "620902" }),
    communityId: divisionIdSchema,
    ...compoundFields,
    ...timestampsSchema,
  })
  .openapi("Compound");

const createCompoundSchema = z
  .object({
    communityId: divisionIdSchema.openapi({ description: "The community it lies in." }),
    ...compoundFields,
    propertyUnitId: compoundFields.propertyUnitId.optional(),
    partyOrgId: compoundFields.partyOrgId.optional(),
  })
  .strict()
  .openapi("CreateCompound", {
    example: {
      communityId: "div_01KDVDNA011AKWK3RC504FTYF8",
      name: "富康家园",
      address: "酒泉市肃州区富康路 18 号",
      households: 864,
      propertyUnitId: "unit_01KDVDNA011AKWK3RC504FTYF8",
    },
  });

const patchCompoundSchema = z
  .object(compoundFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchCompound", { example: { households: 880 } });

export const presentCompound = (row: CompoundRow) => ({
  id: row.id,
  tenant: row.tenantId,
  communityId: row.communityId,
  name: row.name,
  address: row.address,
  households: row.households,
  propertyUnitId: row.propertyUnitId,
  partyOrgId: row.partyOrgId,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Administrators see their subtree; a property company the compounds it manages. */
export const compoundReach = { divisionPath: compounds.divisionPath, companyUnitId: compounds.propertyUnitId };
const compoundResponse = (description: string) => versionedResponse(compoundSchema, description);

const createCompound = protectedRoute({
  method: "post",
  path: "/v1/compounds",
  operationId: "createCompound",
  tags: [tag],
  summary: "Register a residential compound (小区)",
  scope: "property:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createCompoundSchema } } } },
  responses: { 201: compoundResponse("The compound was registered.") },
});

const listCompounds = protectedRoute({
  method: "get",
  path: "/v1/compounds",
  operationId: "listCompounds",
  tags: [tag],
  summary: "Compounds within reach",
  description:
    "Administrators see their subtree; a property company (role `property_company`) the compounds it manages.",
  scope: "property:read",
  request: {
    query: pageQuerySchema.extend({
      communityId: divisionIdSchema.optional(),
      propertyUnitId: unitId.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of compounds, in the requested `order`.",
      content: { "application/json": { schema: pageOf(compoundSchema, "CompoundPage") } },
    },
  },
});

const getCompound = protectedRoute({
  method: "get",
  path: "/v1/compounds/{id}",
  operationId: "getCompound",
  tags: [tag],
  summary: "One compound",
  scope: "property:read",
  errors: [404],
  request: { params: z.object({ id: compoundId }) },
  responses: { 200: compoundResponse("The compound.") },
});

const patchCompound = protectedRoute({
  method: "patch",
  path: "/v1/compounds/{id}",
  operationId: "updateCompound",
  tags: [tag],
  summary: "Change a compound's name, address, households, property company or party organisation",
  description:
    "A new property company sees complaints filed from then on; complaints filed before stay with the company they were filed under.",
  scope: "property:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: compoundId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchCompoundSchema } } },
  },
  responses: { 200: compoundResponse("The updated compound.") },
});

export const compoundRoutes = createRouter()
  .openapi(createCompound, async (c) => {
    const body = c.req.valid("json");
    const community = await requireDivisionForWrite(c, body.communityId, {
      pointer: "/communityId",
      levels: ["community"],
    });
    if (body.propertyUnitId) await requirePropertyCompany(c, body.propertyUnitId, "/propertyUnitId");
    if (body.partyOrgId) await requireTenantPartyOrg(c, body.partyOrgId, "/partyOrgId");
    const now = c.get("clock").now();
    const row: CompoundRow = {
      id: newId("cpd", now.getTime()),
      tenantId: c.get("principal").tenant,
      name: body.name,
      communityId: community.id,
      divisionPath: community.path,
      address: body.address,
      households: body.households,
      propertyUnitId: body.propertyUnitId ?? null,
      partyOrgId: body.partyOrgId ?? null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = presentCompound(row);
    const headers = await commitCreated(c, `/v1/compounds/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(compounds).values(row)],
      audit: {
        action: "compound.create",
        targetType: "compound",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body), propertyUnitId: row.propertyUnitId },
      },
    });
    return c.json(response, 201, headers);
  })
  .openapi(listCompounds, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, compounds, compoundReach, q, {
      communityId: [compounds.communityId, q.communityId],
      propertyUnitId: [compounds.propertyUnitId, q.propertyUnitId],
    });
    return c.json({ data: page.data.map(presentCompound), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getCompound, async (c) => {
    const row = await findWithinReach(c, compounds, compoundReach, c.req.valid("param").id, "compound");
    return c.json(presentCompound(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(patchCompound, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findWithinReach(c, compounds, compoundReach, c.req.valid("param").id, "compound");
    if (patch.propertyUnitId) await requirePropertyCompany(c, patch.propertyUnitId, "/propertyUnitId");
    if (patch.partyOrgId) await requireTenantPartyOrg(c, patch.partyOrgId, "/partyOrgId");
    const updated = await updateVersioned(c, {
      table: compounds,
      row,
      expectedVersion,
      set: patch,
      audit: {
        action: "compound.update",
        targetType: "compound",
        changes: {
          fields: Object.keys(patch),
          ...(patch.propertyUnitId !== undefined ? { propertyUnitId: [row.propertyUnitId, patch.propertyUnitId] } : {}),
        },
      },
    });
    return c.json(presentCompound(updated), 200, { etag: etagOf(updated.version) });
  });
