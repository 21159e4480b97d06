import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, commitCreated, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { findVisible, updateVersioned } from "../../shared/store/records.js";
import { keysetPage, tag } from "./common.js";
import {
  dutyListId,
  dutyListReach,
  findDutyList,
  findOwnDutyList,
  requireDraft,
  stillDraft,
  type DutyItemRow,
  type DutyListRow,
} from "./duty-lists.js";
import { dutyItems, dutyKinds, dutyLists, kindsByLevel, type DutyKind } from "./tables.js";
import { msg, thing, zodMessage } from "../../shared/http/messages.js";

export const dutyItemId = idSchema("ditem");

const itemFields = {
  area: z.string().trim().min(1).max(50).openapi({ example: "民生服务" }),
  number: z.number().int().min(1).max(9999).openapi({ description: "Unique within the list.", example: 12 }),
  name: z.string().trim().min(1).max(200).openapi({ example: "居民身份证办理协助" }),
  content: z.string().trim().max(4000).openapi({ example: "协助公安机关做好辖区居民身份证申领的政策宣传和信息采集。" }),
  legalBasis: z.string().trim().max(2000).openapi({ example: "《中华人民共和国居民身份证法》第八条" }),
  kind: z.enum(dutyKinds).openapi({
    description:
      "street lists: basic (基本履职), assisting (配合履职), returned (收回, returned to departments); community lists: statutory (依法履职), assisting (依法协助), negative (负面清单, must not be put on communities).",
    example: "assisting",
  }),
  leadDepartment: z.string().trim().min(1).max(100).nullable().openapi({ example: "区公安分局" }),
  effectiveDate: dateSchema.nullable(),
};

export const dutyItemSchema = z
  .object({
    id: dutyItemId,
    tenant: z.string().openapi({ example: "620902" }),
    listId: dutyListId,
    ...itemFields,
    templateItemId: dutyItemId
      .nullable()
      .openapi({ description: "The template item this one was copied from; null for an item the county added." }),
    ...timestampsSchema,
  })
  .openapi("DutyItem");

const createItemSchema = z
  .object({
    ...itemFields,
    leadDepartment: itemFields.leadDepartment.optional(),
    effectiveDate: itemFields.effectiveDate.optional(),
  })
  .strict()
  .openapi("CreateDutyItem", {
    example: {
      area: "民生服务",
      number: 38,
      name: "防沙治沙宣传",
      content: "配合林草部门开展防沙治沙宣传。",
      legalBasis: "《中华人民共和国防沙治沙法》第五条",
      kind: "assisting",
      leadDepartment: "区林业和草原局",
    },
  });

const patchItemSchema = z
  .object(itemFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchDutyItem", { example: { leadDepartment: "肃州区公安分局" } });

/** Event payloads: the item's ids, number and kind (its text is public anyway, but stays in the API). */
const dutyItemEvent = (type: "created" | "updated" | "deleted", row: DutyItemRow) => ({
  type: `duty_item.${type}`,
  subjectType: "duty_item",
  subjectId: row.id,
  payload: { dutyItemId: row.id, listId: row.listId, number: row.number, kind: row.kind },
});

export const presentDutyItem = (row: DutyItemRow) => ({
  id: row.id,
  tenant: row.tenantId,
  listId: row.listId,
  area: row.area,
  number: row.number,
  name: row.name,
  content: row.content,
  legalBasis: row.legalBasis,
  kind: row.kind,
  leadDepartment: row.leadDepartment,
  effectiveDate: row.effectiveDate,
  templateItemId: row.templateItemId,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** An item's kind must be one of its list level's kinds. */
function requireKind(list: DutyListRow, kind: DutyKind | undefined) {
  if (kind === undefined || kindsByLevel[list.level].includes(kind)) return;
  throw new ApiError("validation_failed", msg("governance.duty_kind", { level: list.level, kind: String(kind) }), {
    errors: [{ in: "body", pointer: "/kind", detail: msg("field.one_of", { values: kindsByLevel[list.level] }) }],
  });
}

const conflicts = { "duty_items.number": msg("unique.duty_item_number") };
const itemResponse = (description: string) => versionedResponse(dutyItemSchema, description);
const itemParam = z.object({ id: dutyItemId });

const createItem = protectedRoute({
  method: "post",
  path: "/v1/duty-lists/{id}/items",
  operationId: "createDutyItem",
  tags: [tag],
  summary: "Add an item to a draft duty list",
  scope: "duties:write",
  idempotent: true,
  errors: [404, 409],
  request: {
    params: z.object({ id: dutyListId }),
    body: { required: true, content: { "application/json": { schema: createItemSchema } } },
  },
  responses: { 201: itemResponse("The new item.") },
});

export const itemQuerySchema = pageQuerySchema.extend({
  kind: z.enum(dutyKinds).optional(),
  area: z.string().trim().min(1).max(50).optional(),
});

const listItems = protectedRoute({
  method: "get",
  path: "/v1/duty-lists/{id}/items",
  operationId: "listDutyItems",
  tags: [tag],
  summary: "A duty list's items",
  scope: "lists:read",
  errors: [404],
  request: { params: z.object({ id: dutyListId }), query: itemQuerySchema },
  responses: {
    200: {
      description:
        "A page of items, in the requested `order` (creation order; an adopted list keeps its template's order).",
      content: { "application/json": { schema: pageOf(dutyItemSchema, "DutyItemPage") } },
    },
  },
});

const getItem = protectedRoute({
  method: "get",
  path: "/v1/duty-items/{id}",
  operationId: "getDutyItem",
  tags: [tag],
  summary: "One duty list item",
  scope: "lists:read",
  errors: [404],
  request: { params: itemParam },
  responses: { 200: itemResponse("The item.") },
});

const patchItem = protectedRoute({
  method: "patch",
  path: "/v1/duty-items/{id}",
  operationId: "updateDutyItem",
  tags: [tag],
  summary: "Adjust an item of a draft duty list",
  scope: "duties:write",
  errors: [404, 409, 412, 428],
  request: {
    params: itemParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchItemSchema } } },
  },
  responses: { 200: itemResponse("The adjusted item.") },
});

const deleteItem = protectedRoute({
  method: "delete",
  path: "/v1/duty-items/{id}",
  operationId: "deleteDutyItem",
  tags: [tag],
  summary: "Remove an item from a draft duty list",
  scope: "duties:write",
  errors: [404, 409, 412, 428],
  request: { params: itemParam, headers: ifMatchHeader },
  responses: { 204: { description: "The item was removed." } },
});

/** One page of a list's items (shared with the public read). */
export async function pageOfItems(
  c: Context<AppEnv>,
  list: { id: string; tenantId: string },
  q: z.infer<typeof itemQuerySchema>,
) {
  return keysetPage(
    c,
    dutyItems,
    q,
    [
      eq(dutyItems.tenantId, list.tenantId),
      eq(dutyItems.listId, list.id),
      q.kind ? eq(dutyItems.kind, q.kind) : undefined,
      q.area ? eq(dutyItems.area, q.area) : undefined,
    ],
    presentDutyItem,
  );
}

/** An item the caller may change: of its own tenant's list, and that list must be a draft. */
async function findOwnItem(c: Context<AppEnv>, id: string) {
  const item = await findVisible(c, dutyItems, id, "duty item", eq(dutyItems.tenantId, c.get("principal").tenant));
  const list = await findOwnDutyList(c, item.listId);
  requireDraft(list);
  return { item, list };
}

export const dutyItemRoutes = createRouter()
  .openapi(createItem, async (c) => {
    const body = c.req.valid("json");
    const list = await findOwnDutyList(c, c.req.valid("param").id);
    requireDraft(list);
    requireKind(list, body.kind);
    const now = c.get("clock").now();
    const row: DutyItemRow = {
      id: newId("ditem", now.getTime()),
      tenantId: list.tenantId,
      listId: list.id,
      area: body.area,
      number: body.number,
      name: body.name,
      content: body.content,
      legalBasis: body.legalBasis,
      kind: body.kind,
      leadDepartment: body.leadDepartment ?? null,
      effectiveDate: body.effectiveDate ?? null,
      templateItemId: null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = presentDutyItem(row);
    const headers = await commitCreated(c, `/v1/duty-items/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(dutyItems).values(row), stillDraft(c, list.id)],
      audit: {
        action: "duty_item.create",
        targetType: "duty_item",
        targetId: row.id,
        changes: { listId: list.id, number: row.number, kind: row.kind },
      },
      events: [dutyItemEvent("created", row)],
      conflicts,
    }).catch(draftChanged);
    return c.json(response, 201, headers);
  })
  .openapi(listItems, async (c) => {
    const list = await findDutyList(c, c.req.valid("param").id);
    return c.json(await pageOfItems(c, list, c.req.valid("query")), 200);
  })
  .openapi(getItem, async (c) => {
    const item = await findVisible(c, dutyItems, c.req.valid("param").id, "duty item", sql`1`);
    // Visible exactly when its list is.
    await findVisible(c, dutyLists, item.listId, "duty item", dutyListReach(c.get("principal")));
    return c.json(presentDutyItem(item), 200, { etag: etagOf(item.version) });
  })
  .openapi(patchItem, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const { item, list } = await findOwnItem(c, c.req.valid("param").id);
    requireKind(list, patch.kind);
    const updated = await updateVersioned(c, {
      table: dutyItems,
      row: item,
      expectedVersion,
      set: patch,
      audit: { action: "duty_item.update", targetType: "duty_item", changes: { listId: list.id, ...patch } },
      alsoWrite: () => [stillDraft(c, list.id)],
      events: (u) => [dutyItemEvent("updated", u)],
      conflicts,
    });
    return c.json(presentDutyItem(updated), 200, { etag: etagOf(updated.version) });
  })
  .openapi(deleteItem, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const { item, list } = await findOwnItem(c, c.req.valid("param").id);
    if (expectedVersion !== item.version) {
      throw new ApiError(
        "precondition_failed",
        msg("generic.version_mismatch", { what: thing("duty item"), version: item.version, expected: expectedVersion }),
      );
    }
    await commit(c, {
      writes: [
        c
          .get("db")
          .delete(dutyItems)
          .where(and(eq(dutyItems.id, item.id), eq(dutyItems.version, item.version))),
        guardChanged(),
        stillDraft(c, list.id),
      ],
      audit: {
        action: "duty_item.delete",
        targetType: "duty_item",
        targetId: item.id,
        changes: { listId: list.id, number: item.number, name: item.name },
      },
      events: [dutyItemEvent("deleted", item)],
    }).catch(draftChanged);
    return c.body(null, 204);
  });

/** The list stopped being a draft (or the item changed) while the write was under way. */
function draftChanged(err: unknown): never {
  if (err instanceof GuardFailed) throw new ApiError("conflict", msg("governance.duty_changed"));
  throw err;
}
