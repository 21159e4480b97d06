import { z } from "@hono/zod-openapi";
import { newId } from "../../db/ids.js";
import { etagOf } from "../../shared/http/etag.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireReference } from "../../shared/store/references.js";
import { committeeId, compoundId, tag, partyOrgId } from "./common.js";
import { compoundReach } from "./compounds.js";
import { requireTenantPartyOrg } from "./references.js";
import { compounds, ownersCommittees } from "./tables.js";

const committeeFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "富康家园第二届业主委员会" }),
  partyOrgId: partyOrgId
    .nullable()
    .openapi({ description: "Its party organisation (业委会党支部), when there is one." }),
  termEndsOn: dateSchema.nullable().openapi({ description: "When its term ends (local date).", example: "2028-06-30" }),
};

const committeeSchema = z
  .object({ id: committeeId, tenant: z.string(), compoundId, ...committeeFields, ...timestampsSchema })
  .openapi("OwnersCommittee");

const createCommitteeSchema = z
  .object({
    compoundId,
    name: committeeFields.name,
    partyOrgId: committeeFields.partyOrgId.optional(),
    termEndsOn: committeeFields.termEndsOn.optional(),
  })
  .strict()
  .openapi("CreateOwnersCommittee", {
    example: {
      compoundId: "cpd_01KDVDNA011AKWK3RC504FTYF8",
      name: "富康家园第二届业主委员会",
      termEndsOn: "2028-06-30",
    },
  });

type CommitteeRow = typeof ownersCommittees.$inferSelect;
const present = (row: CommitteeRow) => ({
  id: row.id,
  tenant: row.tenantId,
  compoundId: row.compoundId,
  name: row.name,
  partyOrgId: row.partyOrgId,
  termEndsOn: row.termEndsOn,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
export const committeeReach = {
  divisionPath: ownersCommittees.divisionPath,
  companyUnitId: ownersCommittees.propertyUnitId,
};

const createCommittee = protectedRoute({
  method: "post",
  path: "/v1/owners-committees",
  operationId: "createOwnersCommittee",
  tags: [tag],
  summary: "Register a compound's owners' committee (业主委员会)",
  scope: "property:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createCommitteeSchema } } } },
  responses: { 201: versionedResponse(committeeSchema, "The committee was registered.") },
});

const listCommittees = protectedRoute({
  method: "get",
  path: "/v1/owners-committees",
  operationId: "listOwnersCommittees",
  tags: [tag],
  summary: "Owners' committees within reach",
  scope: "property:read",
  request: { query: pageQuerySchema.extend({ compoundId: compoundId.optional() }) },
  responses: {
    200: {
      description: "A page of owners' committees.",
      content: { "application/json": { schema: pageOf(committeeSchema, "OwnersCommitteePage") } },
    },
  },
});

const getCommittee = protectedRoute({
  method: "get",
  path: "/v1/owners-committees/{id}",
  operationId: "getOwnersCommittee",
  tags: [tag],
  summary: "One owners' committee",
  scope: "property:read",
  errors: [404],
  request: { params: z.object({ id: committeeId }) },
  responses: { 200: versionedResponse(committeeSchema, "The committee.") },
});

export const committeeRoutes = createRouter()
  .openapi(createCommittee, async (c) => {
    const body = c.req.valid("json");
    const compound = await requireReference(c, compounds, compoundReach, body.compoundId, {
      pointer: "/compoundId",
      what: "compound",
    });
    if (body.partyOrgId) await requireTenantPartyOrg(c, body.partyOrgId, "/partyOrgId");
    const now = c.get("clock").now();
    const row: CommitteeRow = {
      id: newId("ocm", now.getTime()),
      tenantId: compound.tenantId,
      compoundId: compound.id,
      divisionPath: compound.divisionPath,
      propertyUnitId: compound.propertyUnitId,
      name: body.name,
      partyOrgId: body.partyOrgId ?? null,
      termEndsOn: body.termEndsOn ?? null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/owners-committees/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(ownersCommittees).values(row)],
      audit: {
        action: "owners_committee.create",
        targetType: "owners_committee",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body), compoundId: row.compoundId },
      },
    });
    return c.json(response, 201, headers);
  })
  .openapi(listCommittees, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, ownersCommittees, committeeReach, q, {
      compoundId: [ownersCommittees.compoundId, q.compoundId],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getCommittee, async (c) => {
    const row = await findWithinReach(
      c,
      ownersCommittees,
      committeeReach,
      c.req.valid("param").id,
      "owners' committee",
    );
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });
