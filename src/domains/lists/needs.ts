import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, inArray } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { localDate } from "../../shared/calendar.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findPublished, listWithinReach, patchWithinReach, visiblePublished } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { categorySchema, descriptionSchema, moveGuarded, tag, titleSchema } from "./common.js";
import { needMachine } from "./machines.js";
import { needStatuses, needs, projects } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

export const needId = idSchema("need");

const needFields = {
  category: categorySchema,
  title: titleSchema.openapi({ example: "独居老人助餐志愿者" }),
  description: descriptionSchema.openapi({ example: "每周一至周五中午为 12 位独居老人送餐。" }),
  quantity: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .openapi({ description: "How many (people, items, hours…), at least 1.", example: 4 }),
  deadline: dateSchema
    .nullable()
    .openapi({ description: "Local date (UTC+8) by which it is needed; not in the past.", example: "2026-12-31" }),
};

const needSchema = z
  .object({
    id: needId,
    tenant: z.string().openapi({ example: "620902" }),
    communityId: divisionIdSchema,
    ...needFields,
    status: z.enum(needStatuses).openapi({
      description:
        "open → matched (a project takes it on) → closed (the project closes); cancelled while open or matched.",
    }),
    ...timestampsSchema,
  })
  .openapi("Need");

const createNeedSchema = z
  .object({ communityId: divisionIdSchema, ...needFields, deadline: needFields.deadline.optional() })
  .strict()
  .openapi("CreateNeed", {
    example: {
      communityId: "div_01KDVDNA011AKWK3RC504FTYF8",
      category: "助老服务",
      title: "独居老人助餐志愿者",
      description: "每周一至周五中午为 12 位独居老人送餐。",
      quantity: 4,
      deadline: "2026-12-31",
    },
  });

const patchNeedSchema = z
  .object({
    title: needFields.title,
    description: needFields.description,
    quantity: needFields.quantity,
    deadline: needFields.deadline,
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchNeed", { example: { quantity: 6 } });

export type NeedRow = typeof needs.$inferSelect;

const present = (row: NeedRow) => ({
  id: row.id,
  tenant: row.tenantId,
  communityId: row.communityId,
  category: row.category,
  title: row.title,
  description: row.description,
  quantity: row.quantity,
  deadline: row.deadline,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
export const needEventPayload = (row: NeedRow) => ({
  needId: row.id,
  communityId: row.communityId,
  status: row.status,
});

/** A deadline is a local calendar date and may be today, never earlier. */
function requireFutureDeadline(c: Context<AppEnv>, deadline: string | null | undefined) {
  const today = localDate(c.get("clock").now());
  if (deadline && deadline < today) {
    throw new ApiError("validation_failed", msg("lists.deadline_past"), {
      errors: [{ in: "body", pointer: "/deadline", detail: msg("field.date_or_later", { date: today }) }],
    });
  }
}

const needResponse = (description: string) => versionedResponse(needSchema, description);

const createNeed = protectedRoute({
  method: "post",
  path: "/v1/needs",
  operationId: "createNeed",
  tags: [tag],
  summary: "Publish a community need (需求清单)",
  scope: "lists:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createNeedSchema } } } },
  responses: { 201: needResponse("The need was published, open.") },
});

const listNeeds = protectedRoute({
  method: "get",
  path: "/v1/needs",
  operationId: "listNeeds",
  tags: [tag],
  summary: "Needs within reach",
  description:
    "Members and unit admins see every need of their tenant (they answer them); administrators see their subtree.",
  scope: "lists:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(needStatuses).optional(),
      communityId: divisionIdSchema.optional(),
      category: categorySchema.optional(),
      deadlineFrom: dateSchema.optional().openapi({ description: "Deadline on or after this date." }),
      deadlineTo: dateSchema.optional().openapi({ description: "Deadline on or before this date." }),
    }),
  },
  responses: {
    200: {
      description: "A page of needs, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(needSchema, "NeedPage") } },
    },
  },
});

const getNeed = protectedRoute({
  method: "get",
  path: "/v1/needs/{id}",
  operationId: "getNeed",
  tags: [tag],
  summary: "One need",
  scope: "lists:read",
  errors: [404],
  request: { params: z.object({ id: needId }) },
  responses: { 200: needResponse("The need.") },
});

const patchNeed = protectedRoute({
  method: "patch",
  path: "/v1/needs/{id}",
  operationId: "updateNeed",
  tags: [tag],
  summary: "Change an open need's title, description, quantity or deadline",
  description: "Only while the need is open; otherwise a 409 naming its state.",
  scope: "lists:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: needId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchNeedSchema } } },
  },
  responses: { 200: needResponse("The updated need.") },
});

export const needRoutes = createRouter()
  .openapi(createNeed, async (c) => {
    const body = c.req.valid("json");
    const community = await requireDivisionForWrite(c, body.communityId, {
      pointer: "/communityId",
      levels: ["community"],
    });
    requireFutureDeadline(c, body.deadline);
    const now = c.get("clock").now();
    const row: NeedRow = {
      id: newId("need", now.getTime()),
      tenantId: c.get("principal").tenant,
      communityId: community.id,
      divisionPath: community.path,
      category: body.category,
      title: body.title,
      description: body.description,
      quantity: body.quantity,
      deadline: body.deadline ?? null,
      status: "open",
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/needs/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(needs).values(row)],
      audit: {
        action: "need.create",
        targetType: "need",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "need.published",
          subjectType: "need",
          subjectId: row.id,
          payload: { ...needEventPayload(row), category: row.category },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listNeeds, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(
      c,
      needs,
      { divisionPath: needs.divisionPath },
      q,
      {
        status: [needs.status, q.status],
        communityId: [needs.communityId, q.communityId],
        category: [needs.category, q.category],
        deadlineFrom: [needs.deadline, q.deadlineFrom, "gte"],
        deadlineTo: [needs.deadline, q.deadlineTo, "lte"],
      },
      "published",
    );
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getNeed, async (c) => {
    const row = await findPublished(c, needs, c.req.valid("param").id, "need");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(patchNeed, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    if (patch.deadline !== undefined) requireFutureDeadline(c, patch.deadline);
    // One round trip: the update carries reach, version and "still open"; a refused one is read to say why.
    const updated = await patchWithinReach(c, {
      table: needs,
      visible: visiblePublished(needs)(c),
      find: (c, id) => findPublished(c, needs, id, "need"),
      condition: eq(needs.status, "open"),
      refuse: (row) => {
        if (row.status !== "open")
          throw new ApiError("invalid_transition", msg("lists.need_not_open", { status: row.status }), {
            currentState: row.status,
            allowedActions: needMachine.allowedFrom(row.status),
          });
      },
      id: c.req.valid("param").id,
      what: "need",
      expectedVersion,
      set: patch,
      audit: { action: "need.update", targetType: "need", changes: { fields: Object.keys(patch) } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/needs",
      tag,
      idSchema: needId,
      schema: needSchema,
      targetType: "need",
      machine: needMachine,
      table: needs,
      find: (c, id) => findPublished(c, needs, id, "need"),
      present,
      eventPayload: needEventPayload,
      actions: {
        cancel: {
          operationId: "cancelNeed",
          summary: "Cancel a need",
          description:
            "A matched need's project is cancelled with it, unless the project is already done (409: close the project instead).",
          scope: "lists:write",
          event: "cancelled",
          effects: async (c, row) => {
            if (row.status !== "matched") return {};
            const project = await liveProjectOf(c, row);
            if (!project) return {};
            if (project.status === "done") {
              throw new ApiError("conflict", msg("lists.need_project_done"));
            }
            return {
              writes: moveGuarded(
                c,
                projects,
                and(eq(projects.tenantId, row.tenantId), eq(projects.id, project.id))!,
                ["open", "claimed", "in_progress"],
                "cancelled",
                c.get("clock").now().toISOString(),
              ),
              events: [
                {
                  type: "project.cancelled",
                  subjectType: "project",
                  subjectId: project.id,
                  payload: { projectId: project.id, needId: row.id, status: "cancelled", reason: "need_cancelled" },
                },
              ],
              changes: { projectId: project.id, project: [project.status, "cancelled"] },
            };
          },
        },
      },
    }),
  );

/** The project currently working on a matched need (at most one is neither closed nor cancelled). */
async function liveProjectOf(c: Context<AppEnv>, need: NeedRow) {
  const [project] = await c
    .get("db")
    .select({ id: projects.id, status: projects.status })
    .from(projects)
    .where(
      and(
        eq(projects.tenantId, need.tenantId),
        eq(projects.needId, need.id),
        inArray(projects.status, ["open", "claimed", "in_progress", "done"]),
      ),
    );
  return project;
}
