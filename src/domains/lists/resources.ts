import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, patchWithinReach } from "../../shared/store/records.js";
import { requireReference } from "../../shared/store/references.js";
import { members, partyOrgs } from "../organisations/tables.js";
import { categorySchema, descriptionSchema, tag, titleSchema } from "./common.js";
import { resources } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

export const resourceId = idSchema("res");
const orgId = idSchema("org");
const memberId = idSchema("mem");
const offeredByValues = ["unit_org", "member"] as const;

const resourceFields = {
  category: categorySchema.openapi({ example: "场地" }),
  title: titleSchema.openapi({ example: "单位会议室（周末开放）" }),
  description: descriptionSchema.openapi({ example: "可容纳 40 人，配投影，周六日全天可用。" }),
  quantity: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .openapi({ description: "How many (people, items, hours…), at least 1.", example: 1 }),
};

const resourceSchema = z
  .object({
    id: resourceId,
    tenant: z.string().openapi({ example: "620902" }),
    offeredBy: z
      .enum(offeredByValues)
      .openapi({ description: "A unit party organisation (单位党组织) or a party member." }),
    unitOrgId: orgId.nullable(),
    memberId: memberId.nullable(),
    ...resourceFields,
    ...timestampsSchema,
  })
  .openapi("Resource");

const createResourceSchema = z
  .object({
    offeredBy: z.enum(offeredByValues),
    unitOrgId: orgId.optional().openapi({
      description: "With offeredBy unit_org. A unit admin may omit it (its own org); administrators must send it.",
    }),
    memberId: memberId.optional().openapi({
      description: "With offeredBy member. A member may omit it (themselves); administrators must send it.",
    }),
    ...resourceFields,
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.offeredBy === "member" && body.unitOrgId !== undefined)
      ctx.addIssue({ code: "custom", path: ["unitOrgId"], message: zodMessage("lists.offered_by_unit_only") });
    if (body.offeredBy === "unit_org" && body.memberId !== undefined)
      ctx.addIssue({ code: "custom", path: ["memberId"], message: zodMessage("lists.offered_by_member_only") });
  })
  .openapi("CreateResource", {
    example: {
      offeredBy: "unit_org",
      unitOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      category: "场地",
      title: "单位会议室（周末开放）",
      description: "可容纳 40 人，配投影，周六日全天可用。",
      quantity: 1,
    },
  });

const patchResourceSchema = z
  .object(resourceFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchResource", { example: { quantity: 2 } });

export type ResourceRow = typeof resources.$inferSelect;

const present = (row: ResourceRow) => ({
  id: row.id,
  tenant: row.tenantId,
  offeredBy: row.offeredBy,
  unitOrgId: row.unitOrgId,
  memberId: row.memberId,
  category: row.category,
  title: row.title,
  description: row.description,
  quantity: row.quantity,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Unit admins see their unit org's resources, members their own, administrators their subtree. */
export const resourceReach = {
  divisionPath: resources.divisionPath,
  unitOrgId: resources.unitOrgId,
  memberId: resources.memberId,
};

const resourceResponse = (description: string) => versionedResponse(resourceSchema, description);

const createResource = protectedRoute({
  method: "post",
  path: "/v1/resources",
  operationId: "createResource",
  tags: [tag],
  summary: "Offer a resource (资源清单)",
  description:
    "A unit admin offers for its own unit party organisation, a member for themselves; community and county administrators may record one on behalf of an organisation or member within their reach.",
  scope: "resources:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createResourceSchema } } } },
  responses: { 201: resourceResponse("The resource was recorded.") },
});

const listResources = protectedRoute({
  method: "get",
  path: "/v1/resources",
  operationId: "listResources",
  tags: [tag],
  summary: "Resources within reach",
  scope: "lists:read",
  request: {
    query: pageQuerySchema.extend({
      offeredBy: z.enum(offeredByValues).optional(),
      unitOrgId: orgId.optional(),
      memberId: memberId.optional(),
      category: categorySchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of resources, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(resourceSchema, "ResourcePage") } },
    },
  },
});

const getResource = protectedRoute({
  method: "get",
  path: "/v1/resources/{id}",
  operationId: "getResource",
  tags: [tag],
  summary: "One resource",
  scope: "lists:read",
  errors: [404],
  request: { params: z.object({ id: resourceId }) },
  responses: { 200: resourceResponse("The resource.") },
});

const patchResource = protectedRoute({
  method: "patch",
  path: "/v1/resources/{id}",
  operationId: "updateResource",
  tags: [tag],
  summary: "Change a resource's category, title, description or quantity",
  scope: "resources:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: resourceId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchResourceSchema } } },
  },
  responses: { 200: resourceResponse("The updated resource.") },
});

function required(pointer: string): ApiError {
  return new ApiError("validation_failed", msg("field.required", { field: pointer.slice(1) }), {
    errors: [{ in: "body", pointer, detail: msg("lists.required_on_behalf_field") }],
  });
}

/**
 * Who offers: a unit admin's own org and a member's own self come from the credential; a body id
 * naming someone else is outside their ownership, the same 400 as a missing record. Administrators
 * name the org or member, which must be in their subtree.
 */
async function offerer(
  c: Context<AppEnv>,
  body: { offeredBy: "unit_org" | "member"; unitOrgId?: string; memberId?: string },
) {
  const owner = c.get("principal").owner;
  if (body.offeredBy === "unit_org") {
    const id = body.unitOrgId ?? owner?.unitOrgId;
    if (!id) throw required("/unitOrgId");
    const org = await requireReference(
      c,
      partyOrgs,
      { divisionPath: partyOrgs.divisionPath, unitOrgId: partyOrgs.id },
      id,
      {
        pointer: "/unitOrgId",
        what: "unit party organisation",
      },
    );
    return { unitOrgId: org.id, memberId: null, divisionPath: org.divisionPath };
  }
  const id = body.memberId ?? owner?.memberId;
  if (!id) throw required("/memberId");
  const member = await requireReference(c, members, { divisionPath: members.divisionPath, memberId: members.id }, id, {
    pointer: "/memberId",
    what: "party member",
  });
  return { unitOrgId: null, memberId: member.id, divisionPath: member.divisionPath };
}

export const resourceRoutes = createRouter()
  .openapi(createResource, async (c) => {
    const body = c.req.valid("json");
    const who = await offerer(c, body);
    const now = c.get("clock").now();
    const row: ResourceRow = {
      id: newId("res", now.getTime()),
      tenantId: c.get("principal").tenant,
      offeredBy: body.offeredBy,
      ...who,
      category: body.category,
      title: body.title,
      description: body.description,
      quantity: body.quantity,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/resources/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(resources).values(row)],
      audit: {
        action: "resource.create",
        targetType: "resource",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "resource.offered",
          subjectType: "resource",
          subjectId: row.id,
          payload: {
            resourceId: row.id,
            offeredBy: row.offeredBy,
            unitOrgId: row.unitOrgId,
            memberId: row.memberId,
            category: row.category,
          },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listResources, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, resources, resourceReach, q, {
      offeredBy: [resources.offeredBy, q.offeredBy],
      unitOrgId: [resources.unitOrgId, q.unitOrgId],
      memberId: [resources.memberId, q.memberId],
      category: [resources.category, q.category],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getResource, async (c) => {
    const row = await findWithinReach(c, resources, resourceReach, c.req.valid("param").id, "resource");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(patchResource, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    // Nothing here depends on the row as stored: one round trip checks reach and version and writes.
    const updated = await patchWithinReach(c, {
      table: resources,
      reach: resourceReach,
      id: c.req.valid("param").id,
      what: "resource",
      expectedVersion,
      set: patch,
      audit: { action: "resource.update", targetType: "resource", changes: { fields: Object.keys(patch) } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
