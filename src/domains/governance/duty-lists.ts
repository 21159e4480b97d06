import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq, max, ne, or, sql, type SQL } from "drizzle-orm";
import { CITY_TENANT } from "../../db/reference.js";
import { newId } from "../../db/ids.js";
import type { Principal } from "../../shared/auth/principal.js";
import { localDate } from "../../shared/calendar.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated, guardChanged, guardHolds } from "../../shared/store/commit.js";
import { findVisible, updateVersioned } from "../../shared/store/records.js";
import { unknownReference } from "../../shared/store/references.js";
import { chunks, keysetPage, tag, tenantCodeSchema } from "./common.js";
import { dutyListMachine } from "./machines.js";
import { dutyItems, dutyLevels, dutyListStatuses, dutyLists } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

export const dutyListId = idSchema("dlist");
export type DutyListRow = typeof dutyLists.$inferSelect;
export type DutyItemRow = typeof dutyItems.$inferSelect;

export const dutyListSchema = z
  .object({
    id: dutyListId,
    tenant: z.string().openapi({ description: "620900 for the city's templates.", example: "620902" }),
    level: z.enum(dutyLevels).openapi({ description: "street (街道职责清单) or community (社区职责事项清单)." }),
    title: z.string().openapi({ example: "肃州区社区职责事项清单（2026 年版）" }),
    edition: z.number().int().openapi({ description: "Version number per tenant and level: 1, 2, 3…", example: 2 }),
    status: z.enum(dutyListStatuses).openapi({
      description: "draft (editable) → published → superseded (when the next edition is published).",
    }),
    template: z.boolean().openapi({ description: "True for a city template (a list of tenant 620900)." }),
    templateId: dutyListId.nullable().openapi({ description: "The city template version this list adopted." }),
    effectiveDate: dateSchema.nullable(),
    publishedAt: z.string().nullable(),
    supersededAt: z.string().nullable(),
    supersededBy: dutyListId.nullable(),
    ...timestampsSchema,
  })
  .openapi("DutyList");

const createDutyListSchema = z
  .object({
    level: z.enum(dutyLevels),
    title: z.string().trim().min(1).max(200),
    templateId: dutyListId.optional().openapi({
      description:
        "A county adopts a published city template version: its items are copied into the new draft, each remembering the template item it came from. Not allowed for the city's own lists.",
    }),
    effectiveDate: dateSchema.optional(),
  })
  .strict()
  .openapi("CreateDutyList", {
    example: {
      level: "community",
      title: "肃州区社区职责事项清单（2026 年版）",
      templateId: "dlist_01KDVDNA011AKWK3RC504FTYF8",
      effectiveDate: "2026-01-01",
    },
  });

const patchDutyListSchema = z
  .object({ title: z.string().trim().min(1).max(200), effectiveDate: dateSchema.nullable() })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchDutyList", { example: { effectiveDate: "2026-03-01" } });

export const presentDutyList = (row: DutyListRow) => ({
  id: row.id,
  tenant: row.tenantId,
  level: row.level,
  title: row.title,
  edition: row.edition,
  status: row.status,
  template: row.tenantId === CITY_TENANT,
  templateId: row.templateId,
  effectiveDate: row.effectiveDate,
  publishedAt: row.publishedAt,
  supersededAt: row.supersededAt,
  supersededBy: row.supersededBy,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const dutyListEventPayload = (row: DutyListRow) => ({
  dutyListId: row.id,
  tenant: row.tenantId,
  level: row.level,
  edition: row.edition,
  status: row.status,
  templateId: row.templateId,
});

/**
 * Who reads which lists: the city every tenant's; anyone else its own tenant's and the city's
 * templates once published. Drafts are seen only by those who edit lists (`duties:write`) in the
 * list's own tenant. Lists are tenant-wide, so a principal narrowed to a division reads them too.
 */
export function dutyListReach(principal: Principal): SQL {
  if (principal.crossTenant) return sql`1`;
  const own = principal.scopes.has("duties:write")
    ? eq(dutyLists.tenantId, principal.tenant)
    : and(eq(dutyLists.tenantId, principal.tenant), ne(dutyLists.status, "draft"));
  return or(own, and(eq(dutyLists.tenantId, CITY_TENANT), ne(dutyLists.status, "draft")))!;
}

export const findDutyList = (c: Context<AppEnv>, id: string) =>
  findVisible(c, dutyLists, id, "duty list", dutyListReach(c.get("principal")));

/**
 * A list the caller may change: only one of its own tenant. The city writes its templates as rows
 * of the city tenant (a city-tenant write, never a write into a county's records); a county writes
 * only its own lists.
 */
export const findOwnDutyList = (c: Context<AppEnv>, id: string) =>
  findVisible(c, dutyLists, id, "duty list", eq(dutyLists.tenantId, c.get("principal").tenant));

/** The list must still be a draft for its items or fields to change; otherwise a 409 naming its state. */
export function requireDraft(list: DutyListRow) {
  if (list.status !== "draft") {
    throw new ApiError("invalid_transition", msg("governance.duty_list_not_draft", { status: list.status }), {
      currentState: list.status,
      allowedActions: dutyListMachine.allowedFrom(list.status),
    });
  }
}

/** A guard in the write batch: the list is still a draft when the batch runs. */
export const stillDraft = (c: Context<AppEnv>, listId: string) =>
  guardHolds(
    c,
    sql`exists (select 1 from ${dutyLists} where ${dutyLists.id} = ${listId} and ${dutyLists.status} = 'draft')`,
  );

const listResponse = (description: string) => versionedResponse(dutyListSchema, description);
const idParam = z.object({ id: dutyListId });

const createDutyList = protectedRoute({
  method: "post",
  path: "/v1/duty-lists",
  operationId: "createDutyList",
  tags: [tag],
  summary: "Start a new edition of a duty list (职责清单), as a draft",
  description:
    "The city (tenant 620900) writes templates; a county writes its own lists, usually by adopting a published city template version (`templateId`), whose items are copied into the draft. The edition is the next number for the tenant and level.",
  scope: "duties:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createDutyListSchema } } } },
  responses: { 201: listResponse("The new draft.") },
});

const listDutyLists = protectedRoute({
  method: "get",
  path: "/v1/duty-lists",
  operationId: "listDutyLists",
  tags: [tag],
  summary: "Duty lists: the tenant's own and the city's published templates",
  description:
    "The city reads every tenant's lists. Drafts are visible only to those who may edit lists, in the list's own tenant.",
  scope: "lists:read",
  request: {
    query: pageQuerySchema.extend({
      level: z.enum(dutyLevels).optional(),
      status: z.enum(dutyListStatuses).optional(),
      tenant: tenantCodeSchema.optional().openapi({ description: "Only this tenant's lists (620900: the templates)." }),
    }),
  },
  responses: {
    200: {
      description: "A page of duty lists, in the requested `order`.",
      content: { "application/json": { schema: pageOf(dutyListSchema, "DutyListPage") } },
    },
  },
});

const getDutyList = protectedRoute({
  method: "get",
  path: "/v1/duty-lists/{id}",
  operationId: "getDutyList",
  tags: [tag],
  summary: "One duty list",
  scope: "lists:read",
  errors: [404],
  request: { params: idParam },
  responses: { 200: listResponse("The duty list.") },
});

const patchDutyList = protectedRoute({
  method: "patch",
  path: "/v1/duty-lists/{id}",
  operationId: "updateDutyList",
  tags: [tag],
  summary: "Rename a draft or change its effective date",
  scope: "duties:write",
  errors: [404, 409, 412, 428],
  request: {
    params: idParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchDutyListSchema } } },
  },
  responses: { 200: listResponse("The updated draft.") },
});

const itemDiffSchema = z.object({
  id: idSchema("ditem"),
  area: z.string(),
  number: z.number().int(),
  name: z.string(),
  kind: z.string(),
});

const differencesSchema = z
  .object({
    listId: dutyListId,
    templateId: dutyListId.nullable(),
    templateEdition: z.number().int().nullable(),
    summary: z.object({
      added: z.number().int(),
      removed: z.number().int(),
      changed: z.number().int(),
      unchanged: z.number().int(),
    }),
    added: z.array(itemDiffSchema).openapi({ description: "Items the county added (not from the template)." }),
    removed: z
      .array(itemDiffSchema)
      .openapi({ description: "Template items the county dropped (their ids are the template's)." }),
    changed: z.array(
      z.object({
        itemId: idSchema("ditem"),
        templateItemId: idSchema("ditem"),
        number: z.number().int(),
        name: z.string(),
        fields: z.array(
          z.object({
            field: z.string().openapi({ example: "leadDepartment" }),
            template: z.unknown(),
            county: z.unknown(),
          }),
        ),
      }),
    ),
  })
  .openapi("DutyListDifferences", {
    example: {
      listId: "dlist_01KDVDNA011AKWK3RC504FTYF8",
      templateId: "dlist_01KDVDN9ZZ1AKWK3RC504FTYF8",
      templateEdition: 1,
      summary: { added: 1, removed: 0, changed: 1, unchanged: 35 },
      added: [
        {
          id: "ditem_01KDVDNA011AKWK3RC504FTYF8",
          area: "民生服务",
          number: 38,
          name: "防沙治沙宣传",
          kind: "assisting",
        },
      ],
      removed: [],
      changed: [
        {
          itemId: "ditem_01KDVDNA021AKWK3RC504FTYF8",
          templateItemId: "ditem_01KDVDN9Z21AKWK3RC504FTYF8",
          number: 12,
          name: "居民身份证办理协助",
          fields: [{ field: "leadDepartment", template: "市公安局", county: "肃州区公安分局" }],
        },
      ],
    },
  });

const getDifferences = protectedRoute({
  method: "get",
  path: "/v1/duty-lists/{id}/differences",
  operationId: "getDutyListDifferences",
  tags: [tag],
  summary: "How a county's list differs from the template version it adopted",
  description:
    "Items added by the county, template items it removed, and items whose fields it adjusted (area, number, name, content, legal basis, kind, lead department, effective date). A list adopted from no template shows every item as added.",
  scope: "lists:read",
  errors: [404],
  request: { params: idParam },
  responses: {
    200: {
      description: "The differences, whole (a list has a few hundred items at most).",
      content: { "application/json": { schema: differencesSchema } },
    },
  },
});

const comparedFields = [
  "area",
  "number",
  "name",
  "content",
  "legalBasis",
  "kind",
  "leadDepartment",
  "effectiveDate",
] as const satisfies readonly (keyof DutyItemRow)[];

export function itemsOf(c: Context<AppEnv>, list: { id: string; tenantId: string }) {
  return c
    .get("db")
    .select()
    .from(dutyItems)
    .where(and(eq(dutyItems.tenantId, list.tenantId), eq(dutyItems.listId, list.id)))
    .orderBy(asc(dutyItems.number));
}

async function differences(c: Context<AppEnv>, list: DutyListRow) {
  const items = await itemsOf(c, list);
  const [template] = list.templateId
    ? await c.get("db").select().from(dutyLists).where(eq(dutyLists.id, list.templateId))
    : [];
  const templateItems = template ? await itemsOf(c, template) : [];
  const brief = (i: DutyItemRow) => ({ id: i.id, area: i.area, number: i.number, name: i.name, kind: i.kind });
  const byTemplateItem = new Map(items.filter((i) => i.templateItemId).map((i) => [i.templateItemId!, i]));
  const templateIds = new Set(templateItems.map((t) => t.id));
  const added = items.filter((i) => !i.templateItemId || !templateIds.has(i.templateItemId));
  const removed = templateItems.filter((t) => !byTemplateItem.has(t.id));
  const changed = templateItems.flatMap((t) => {
    const own = byTemplateItem.get(t.id);
    if (!own) return [];
    const fields = comparedFields
      .filter((f) => own[f] !== t[f])
      .map((field) => ({ field, template: t[field], county: own[field] }));
    return fields.length ? [{ itemId: own.id, templateItemId: t.id, number: own.number, name: own.name, fields }] : [];
  });
  return {
    listId: list.id,
    templateId: template?.id ?? null,
    templateEdition: template?.edition ?? null,
    summary: {
      added: added.length,
      removed: removed.length,
      changed: changed.length,
      unchanged: items.length - added.length - changed.length,
    },
    added: added.map(brief),
    removed: removed.map(brief),
    changed,
  };
}

/** The published city template a county adopts: same level, published (not a draft, not superseded). */
async function requireTemplate(c: Context<AppEnv>, templateId: string, level: DutyListRow["level"]) {
  const [template] = await c
    .get("db")
    .select()
    .from(dutyLists)
    .where(
      and(
        eq(dutyLists.id, templateId),
        eq(dutyLists.tenantId, CITY_TENANT),
        eq(dutyLists.level, level),
        eq(dutyLists.status, "published"),
      ),
    );
  if (!template) throw unknownReference("/templateId", `published city ${level} template`);
  return template;
}

async function nextEdition(c: Context<AppEnv>, tenant: string, level: DutyListRow["level"]) {
  const [row] = await c
    .get("db")
    .select({ last: max(dutyLists.edition) })
    .from(dutyLists)
    .where(and(eq(dutyLists.tenantId, tenant), eq(dutyLists.level, level)));
  return (row?.last ?? 0) + 1;
}

const conflicts = { "duty_lists.edition": msg("unique.duty_list_edition") };

export const dutyListRoutes = createRouter()
  .openapi(createDutyList, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    if (body.templateId && principal.tenant === CITY_TENANT) {
      throw new ApiError("validation_failed", msg("governance.city_adopts_none"), {
        errors: [{ in: "body", pointer: "/templateId", detail: msg("governance.city_adopts_none_field") }],
      });
    }
    const template = body.templateId ? await requireTemplate(c, body.templateId, body.level) : undefined;
    const copied = template ? await itemsOf(c, template) : [];
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: DutyListRow = {
      id: newId("dlist", now.getTime()),
      tenantId: principal.tenant,
      level: body.level,
      title: body.title,
      edition: await nextEdition(c, principal.tenant, body.level),
      status: "draft",
      templateId: template?.id ?? null,
      effectiveDate: body.effectiveDate ?? null,
      publishedAt: null,
      supersededAt: null,
      supersededBy: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const itemRows: DutyItemRow[] = copied.map((t, i) => ({
      ...t,
      // Ids in the template's number order, so the copy lists in the same order.
      id: newId("ditem", now.getTime() + i),
      tenantId: row.tenantId,
      listId: row.id,
      templateItemId: t.id,
      version: 1,
      createdAt: at,
      updatedAt: at,
    }));
    const db = c.get("db");
    const response = presentDutyList(row);
    const headers = await commitCreated(c, `/v1/duty-lists/${row.id}`, row.version, response, {
      writes: [db.insert(dutyLists).values(row), ...chunks(itemRows).map((part) => db.insert(dutyItems).values(part))],
      audit: {
        action: "duty_list.create",
        targetType: "duty_list",
        targetId: row.id,
        changes: { level: row.level, edition: row.edition, templateId: row.templateId, itemsCopied: itemRows.length },
      },
      events: [
        { type: "duty_list.created", subjectType: "duty_list", subjectId: row.id, payload: dutyListEventPayload(row) },
      ],
      conflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(listDutyLists, async (c) => {
    const q = c.req.valid("query");
    const page = await keysetPage(
      c,
      dutyLists,
      q,
      [
        dutyListReach(c.get("principal")),
        q.level ? eq(dutyLists.level, q.level) : undefined,
        q.status ? eq(dutyLists.status, q.status) : undefined,
        q.tenant ? eq(dutyLists.tenantId, q.tenant) : undefined,
      ],
      presentDutyList,
    );
    return c.json(page, 200);
  })
  .openapi(getDutyList, async (c) => {
    const row = await findDutyList(c, c.req.valid("param").id);
    return c.json(presentDutyList(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(patchDutyList, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findOwnDutyList(c, c.req.valid("param").id);
    requireDraft(row);
    const updated = await updateVersioned(c, {
      table: dutyLists,
      row,
      expectedVersion,
      set: patch,
      audit: { action: "duty_list.update", targetType: "duty_list", changes: patch },
      events: (u) => [
        { type: "duty_list.updated", subjectType: "duty_list", subjectId: u.id, payload: dutyListEventPayload(u) },
      ],
    });
    return c.json(presentDutyList(updated), 200, { etag: etagOf(updated.version) });
  })
  .openapi(getDifferences, async (c) => {
    const list = await findDutyList(c, c.req.valid("param").id);
    return c.json(await differences(c, list), 200);
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/duty-lists",
      tag,
      idSchema: dutyListId,
      schema: dutyListSchema,
      targetType: "duty_list",
      machine: dutyListMachine,
      table: dutyLists,
      scope: "duties:write",
      find: findOwnDutyList,
      present: presentDutyList,
      eventPayload: dutyListEventPayload,
      actions: {
        publish: {
          operationId: "publishDutyList",
          summary: "Publish a draft duty list",
          description:
            "The list becomes the tenant's published list of its level; the edition published before it becomes superseded in the same write. A list without items cannot be published (409). The effective date defaults to today (China time).",
          event: "published",
          effects: (c, row) => publishEffects(c, row),
        },
      },
    }),
  );

async function publishEffects(c: Context<AppEnv>, row: DutyListRow) {
  const db = c.get("db");
  const [{ items } = { items: 0 }] = await db
    .select({ items: sql<number>`count(*)` })
    .from(dutyItems)
    .where(and(eq(dutyItems.tenantId, row.tenantId), eq(dutyItems.listId, row.id)));
  if (items === 0) throw new ApiError("conflict", msg("governance.duty_list_empty"));
  const [current] = await db
    .select()
    .from(dutyLists)
    .where(
      and(eq(dutyLists.tenantId, row.tenantId), eq(dutyLists.level, row.level), eq(dutyLists.status, "published")),
    );
  const now = c.get("clock").now();
  const at = now.toISOString();
  const hasItems = guardHolds(
    c,
    sql`exists (select 1 from ${dutyItems} where ${dutyItems.tenantId} = ${row.tenantId} and ${dutyItems.listId} = ${row.id})`,
  );
  if (!current) {
    return {
      set: { publishedAt: at, effectiveDate: row.effectiveDate ?? localDate(now) },
      writes: [hasItems],
      changes: { edition: row.edition },
    };
  }
  const superseded = { ...current, status: "superseded" as const, supersededAt: at, supersededBy: row.id };
  return {
    set: { publishedAt: at, effectiveDate: row.effectiveDate ?? localDate(now) },
    writes: [
      hasItems,
      db
        .update(dutyLists)
        .set({
          status: "superseded",
          supersededAt: at,
          supersededBy: row.id,
          version: sql`${dutyLists.version} + 1`,
          updatedAt: at,
        })
        .where(and(eq(dutyLists.id, current.id), eq(dutyLists.status, "published"))),
      guardChanged(),
    ],
    events: [
      {
        type: "duty_list.superseded",
        subjectType: "duty_list",
        subjectId: current.id,
        payload: dutyListEventPayload(superseded),
      },
    ],
    changes: { edition: row.edition, superseded: current.id },
  };
}
