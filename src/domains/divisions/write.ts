import { msg, zodMessage } from "../../shared/http/messages.js";
import { z } from "@hono/zod-openapi";
import { and, count, eq, sql } from "drizzle-orm";
import { divisions } from "../../db/tables.js";
import { actionRoutes } from "../../shared/api/actions.js";
import { ApiError } from "../../shared/http/errors.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { commitCreated, guardHolds } from "../../shared/store/commit.js";
import { updateVersioned } from "../../shared/store/records.js";
import { divisionMachine } from "./machines.js";
import { findDivision } from "./read.js";
import {
  codeConflicts,
  fieldError,
  parentUnchanged,
  requireEditable,
  requireParent,
  requireUniqueName,
} from "./rules.js";
import { codeSchema, divisionSchema, editableLevelSchema, eventPayload, nameSchema, present, tag } from "./schemas.js";
import {
  holdsNoRecords,
  newDivision,
  recordTables,
  subtreeEndOf,
  tablesWithRecords,
  type DivisionRow,
} from "./tree.js";

const createDivisionSchema = z
  .object({ parentId: divisionIdSchema, level: editableLevelSchema, name: nameSchema, code: codeSchema.optional() })
  .strict()
  .openapi("CreateDivision", {
    example: { parentId: "div_01KDVDNA011AKWK3RC504FTYF8", level: "community", name: "富康社区", code: "620902001001" },
  });

const patchDivisionSchema = z
  .object({
    name: nameSchema,
    code: codeSchema.nullable(),
    parentId: divisionIdSchema.openapi({
      description:
        "Move the division (and its subtree) under another parent. Refused (409) while any record lies in the subtree: records carry their division path and the ledger is append-only.",
    }),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchDivision", { example: { name: "富康社区" } });

const divisionResponse = (description: string) => versionedResponse(divisionSchema, description);

const createDivision = protectedRoute({
  method: "post",
  path: "/v1/divisions",
  operationId: "createDivision",
  tags: [tag],
  summary: "Create a street, town, community or grid",
  description:
    "Under an active parent of the right level in the caller's tenant and subtree: street/town under the county, community under a street or town, grid under a community. Active siblings have distinct names; codes are unique in the tenant.",
  scope: "divisions:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createDivisionSchema } } } },
  responses: { 201: divisionResponse("The division was created, active.") },
});

const updateDivision = protectedRoute({
  method: "patch",
  path: "/v1/divisions/{id}",
  operationId: "updateDivision",
  tags: [tag],
  summary: "Rename a division, set its code, or move it",
  description:
    "A narrowed caller changes only divisions strictly below its own. A move keeps the level (the new parent must be able to hold it), is refused under the division itself or its own descendants (400), and while any record lies in the subtree (409); it rewrites the subtree's paths and versions in the same batch.",
  scope: "divisions:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: divisionIdSchema }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchDivisionSchema } } },
  },
  responses: { 200: divisionResponse("The updated division.") },
});

/** Where a moved division goes: its parent's path and its own id; no cycle (the parent is not in its subtree). */
function movedPath(row: DivisionRow, parent: DivisionRow): string {
  if (parent.path.startsWith(row.path)) {
    throw fieldError("/parentId", msg("divisions.move_under_itself"));
  }
  return `${parent.path}${row.id}/`;
}

export const divisionWriteRoutes = createRouter()
  .openapi(createDivision, async (c) => {
    const body = c.req.valid("json");
    const parent = await requireParent(c, body.parentId, body.level, "/parentId");
    await requireUniqueName(c, parent.tenantId, parent.id, body.name);
    const row = newDivision(
      parent,
      { level: body.level, name: body.name, code: body.code ?? null },
      c.get("clock").now(),
    );
    const response = present(row);
    const headers = await commitCreated(c, `/v1/divisions/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(divisions).values(row), guardHolds(c, parentUnchanged(parent))],
      audit: {
        action: "division.create",
        targetType: "division",
        targetId: row.id,
        divisionPath: row.path,
        changes: { fields: Object.keys(body) },
      },
      events: [{ type: "division.created", subjectType: "division", subjectId: row.id, payload: eventPayload(row) }],
      conflicts: codeConflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(updateDivision, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findDivision(c, c.req.valid("param").id);
    requireEditable(c, row);
    if (row.status !== "active") throw new ApiError("conflict", msg("divisions.retired_reinstate"));
    const db = c.get("db");
    const moves = patch.parentId !== undefined && patch.parentId !== row.parentId;
    const parent = moves ? await requireParent(c, patch.parentId!, row.level, "/parentId") : undefined;
    const path = parent ? movedPath(row, parent) : row.path;
    if (parent) {
      const holding = await tablesWithRecords(db, row.tenantId, row.path);
      if (holding.length) {
        throw new ApiError("conflict", msg("divisions.subtree_holds_records", { records: holding.join(", ") }));
      }
    }
    if (patch.name !== undefined || moves) {
      await requireUniqueName(c, row.tenantId, parent?.id ?? row.parentId!, patch.name ?? row.name, row.id);
    }
    const tables = parent ? await recordTables(db) : [];
    const now = c.get("clock").now().toISOString();
    const updated = await updateVersioned(c, {
      table: divisions,
      row,
      expectedVersion,
      set: { ...patch, path },
      audit: {
        action: "division.update",
        targetType: "division",
        divisionPath: path,
        changes: { fields: Object.keys(patch), ...(moves ? { parentId: [row.parentId, patch.parentId] } : {}) },
      },
      conflicts: codeConflicts,
      events: (u) => [
        {
          type: "division.updated",
          subjectType: "division",
          subjectId: u.id,
          payload: { ...eventPayload(u), fields: Object.keys(patch) },
        },
      ],
      // The subtree follows in the same batch, re-checked there: the parent still where we saw it,
      // still no record under the old path; descendants get the new prefix and a new version (so a
      // concurrent edit of one of them, or a move of an ancestor, fails on its version).
      alsoWrite: () =>
        parent
          ? [
              guardHolds(c, parentUnchanged(parent)),
              guardHolds(c, holdsNoRecords(tables, row.tenantId, row.path)),
              db.run(
                sql`update ${divisions} set path = ${path} || substr(path, ${row.path.length + 1}), version = version + 1, updated_at = ${now}
                    where tenant_id = ${row.tenantId} and path > ${row.path} and path < ${subtreeEndOf(row.path)}`,
              ),
            ]
          : [],
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/divisions",
      tag,
      idSchema: divisionIdSchema,
      schema: divisionSchema,
      targetType: "division",
      machine: divisionMachine,
      table: divisions,
      scope: "divisions:write",
      find: findDivision,
      present,
      eventPayload,
      actions: {
        retire: {
          operationId: "retireDivision",
          summary: "Retire a division",
          description:
            "It keeps its id, path and every record placed in it, stays readable and listed (`status=retired`), and takes no new records or sub-divisions. Its sub-divisions must be retired first (409).",
          event: "retired",
          authorize: async (c, row) => {
            requireEditable(c, row);
            const [active] = await c.get("db").select({ n: count() }).from(divisions).where(activeChildren(row));
            if (active?.n) throw new ApiError("conflict", msg("divisions.active_children", { count: active.n }));
          },
          effects: (c, row) => ({
            set: { retiredAt: c.get("clock").now().toISOString() },
            writes: [guardHolds(c, sql`not exists (select 1 from ${divisions} where ${activeChildren(row)})`)],
          }),
        },
        reinstate: {
          operationId: "reinstateDivision",
          summary: "Reinstate a retired division",
          description: "Its parent must be active (409 otherwise), and no active sibling may have taken its name.",
          event: "reinstated",
          authorize: async (c, row) => {
            requireEditable(c, row);
            const [parent] = await c.get("db").select().from(divisions).where(eq(divisions.id, row.parentId!));
            if (parent?.status !== "active") throw new ApiError("conflict", msg("divisions.parent_retired_reinstate"));
            await requireUniqueName(c, row.tenantId, row.parentId!, row.name, row.id);
          },
          effects: (c, row) => ({
            set: { retiredAt: null },
            writes: [
              guardHolds(
                c,
                sql`exists (select 1 from ${divisions} where ${divisions.id} = ${row.parentId} and ${divisions.status} = 'active')`,
              ),
            ],
          }),
        },
      },
    }),
  );

const activeChildren = (row: DivisionRow) =>
  and(eq(divisions.tenantId, row.tenantId), eq(divisions.parentId, row.id), eq(divisions.status, "active"))!;
