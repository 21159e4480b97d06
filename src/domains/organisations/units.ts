import { z } from "@hono/zod-openapi";
import { newId } from "../../db/ids.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, patchWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { unitKinds, units } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const unitId = idSchema("unit");

const unitFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "酒泉市自然资源局" }),
  creditCode: z
    .string()
    .regex(/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/, zodMessage("field.credit_code_format"))
    .nullable()
    .openapi({ description: "统一社会信用代码, unique within the tenant.", example: "11620900013921234X" }),
  kind: z.enum(unitKinds),
};

const unitSchema = z
  .object({ id: unitId, tenant: z.string(), ...unitFields, divisionId: divisionIdSchema, ...timestampsSchema })
  .openapi("Unit");

const createUnitSchema = z
  .object({ ...unitFields, creditCode: unitFields.creditCode.optional(), divisionId: divisionIdSchema })
  .strict()
  .openapi("CreateUnit", {
    example: {
      name: "酒泉市自然资源局",
      creditCode: "11620900013921234X",
      kind: "organ",
      divisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
    },
  });

const patchUnitSchema = z
  .object(unitFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchUnit", { example: { name: "酒泉市自然资源局（新）" } });

type UnitRow = typeof units.$inferSelect;
const present = (row: UnitRow) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  creditCode: row.creditCode,
  kind: row.kind,
  divisionId: row.divisionId,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
const reach = { divisionPath: units.divisionPath };
const conflicts = {
  "units.credit_code": msg("unique.unit_credit_code"),
};
const unitResponse = (description: string) => versionedResponse(unitSchema, description);

const createUnit = protectedRoute({
  method: "post",
  path: "/v1/units",
  operationId: "createUnit",
  tags: ["organisations"],
  summary: "Register a unit (机关企事业单位 or two-new organisation)",
  scope: "orgs:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createUnitSchema } } } },
  responses: { 201: unitResponse("The unit was registered.") },
});

const listUnits = protectedRoute({
  method: "get",
  path: "/v1/units",
  operationId: "listUnits",
  tags: ["organisations"],
  summary: "Units within reach",
  scope: "orgs:read",
  request: {
    query: pageQuerySchema.extend({ kind: z.enum(unitKinds).optional(), divisionId: divisionIdSchema.optional() }),
  },
  responses: {
    200: {
      description: "A page of units, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(unitSchema, "UnitPage") } },
    },
  },
});

const getUnit = protectedRoute({
  method: "get",
  path: "/v1/units/{id}",
  operationId: "getUnit",
  tags: ["organisations"],
  summary: "One unit",
  scope: "orgs:read",
  errors: [404],
  request: { params: z.object({ id: unitId }) },
  responses: { 200: unitResponse("The unit.") },
});

const patchUnit = protectedRoute({
  method: "patch",
  path: "/v1/units/{id}",
  operationId: "updateUnit",
  tags: ["organisations"],
  summary: "Change a unit's name, credit code or kind",
  scope: "orgs:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: unitId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchUnitSchema } } },
  },
  responses: { 200: unitResponse("The updated unit.") },
});

export const unitRoutes = createRouter()
  .openapi(createUnit, async (c) => {
    const body = c.req.valid("json");
    const division = await requireDivisionForWrite(c, body.divisionId, { pointer: "/divisionId" });
    const now = c.get("clock").now();
    const row: UnitRow = {
      id: newId("unit", now.getTime()),
      tenantId: c.get("principal").tenant,
      name: body.name,
      creditCode: body.creditCode ?? null,
      kind: body.kind,
      divisionId: division.id,
      divisionPath: division.path,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/units/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(units).values(row)],
      audit: {
        action: "unit.create",
        targetType: "unit",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      conflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(listUnits, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, units, reach, q, {
      kind: [units.kind, q.kind],
      divisionId: [units.divisionId, q.divisionId],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getUnit, async (c) => {
    const row = await findWithinReach(c, units, reach, c.req.valid("param").id, "unit");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(patchUnit, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    // Nothing here depends on the row as stored: one round trip checks reach and version and writes.
    const updated = await patchWithinReach(c, {
      table: units,
      reach,
      id: c.req.valid("param").id,
      what: "unit",
      expectedVersion,
      set: patch,
      audit: { action: "unit.update", targetType: "unit", changes: { fields: Object.keys(patch) } },
      conflicts,
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
