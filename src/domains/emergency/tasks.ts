import { z } from "@hono/zod-openapi";
import { and, eq, inArray, or } from "drizzle-orm";
import type { Context } from "hono";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { actorOf } from "../../shared/auth/principal.js";
import { actionRoutes } from "../../shared/api/actions.js";
import { createRouter, etagHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { etagOf } from "../../shared/http/etag.js";
import { msg, zodMessage } from "../../shared/http/messages.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, visibleWithinReach } from "../../shared/store/records.js";
import { unknownReference } from "../../shared/store/references.js";
import { incidentId, siteId, tag, teamId, volunteerId } from "./common.js";
import { findIncident, type IncidentRow } from "./incident-model.js";
import { incidentTasks, notifications, rosterEntries, sites, taskStatuses, teamActivations } from "./tables.js";

/**
 * Tasks (任务) of an incident: to an activated team or a paged volunteer, assigned → accepted → done,
 * or cancelled while open. Who may assign, accept, complete and cancel is `tasks:assign` in the role
 * table (county, street and community admins, within their subtree: the incident's reach).
 */
export const taskId = idSchema("task");

export const taskMachine = defineMachine("task", taskStatuses, {
  accept: { from: ["assigned"], to: "accepted" },
  complete: { from: ["accepted"], to: "done" },
  cancel: { from: ["assigned", "accepted"], to: "cancelled" },
});

export type TaskRow = typeof incidentTasks.$inferSelect;

const taskSchema = z
  .object({
    id: taskId,
    incidentId,
    title: z.string().openapi({ example: "转运滞留旅客至富康社区党群服务中心" }),
    detail: z.string().nullable(),
    teamId: teamId.nullable().openapi({ description: "The team it is assigned to (or null)." }),
    volunteerId: volunteerId.nullable().openapi({ description: "The volunteer it is assigned to (or null)." }),
    siteId: siteId.nullable(),
    status: z.enum(taskStatuses).openapi({ description: "assigned → accepted → done, or cancelled." }),
    acceptedAt: z.string().nullable(),
    doneAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("IncidentTask");

const createTaskSchema = z
  .object({
    title: z.string().trim().min(1).max(100),
    detail: z.string().trim().max(1000).optional(),
    teamId: teamId.optional().openapi({ description: "A team activated for this incident." }),
    volunteerId: volunteerId.optional().openapi({ description: "A volunteer paged for this incident." }),
    siteId: siteId.optional(),
  })
  .strict()
  .refine((b) => (b.teamId === undefined) !== (b.volunteerId === undefined), {
    message: zodMessage("emergency.task_one_assignee"),
    path: ["teamId"],
  })
  .openapi("CreateIncidentTask", {
    example: { title: "转运滞留旅客至富康社区党群服务中心", teamId: "team_01KDVDNA011AKWK3RC504FTYF8" },
  });

const present = (row: TaskRow) => ({
  id: row.id,
  incidentId: row.incidentId,
  title: row.title,
  detail: row.detail,
  teamId: row.teamId,
  volunteerId: row.volunteerId,
  siteId: row.siteId,
  status: row.status,
  acceptedAt: row.acceptedAt,
  doneAt: row.doneAt,
  cancelledAt: row.cancelledAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const taskEventPayload = (row: TaskRow) => ({
  taskId: row.id,
  incidentId: row.incidentId,
  teamId: row.teamId,
  volunteerId: row.volunteerId,
  status: row.status,
});

const createTask = protectedRoute({
  method: "post",
  path: "/v1/incidents/{id}/tasks",
  operationId: "createIncidentTask",
  tags: [tag],
  summary: "Assign a task to an activated team or a paged volunteer",
  description:
    "Exactly one of `teamId` (a team activated for this incident) and `volunteerId` (a volunteer paged for it). Only while the incident is declared or active (409 otherwise).",
  scope: "tasks:assign",
  idempotent: true,
  errors: [404, 409],
  request: {
    params: z.object({ id: incidentId }),
    body: { required: true, content: { "application/json": { schema: createTaskSchema } } },
  },
  responses: {
    201: {
      description: "The task.",
      headers: { ...etagHeader, Location: { description: "The task.", schema: { type: "string" as const } } },
      content: { "application/json": { schema: taskSchema } },
    },
  },
});

const listTasks = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/tasks",
  operationId: "listIncidentTasks",
  tags: [tag],
  summary: "The tasks of an incident",
  scope: "emergency:read",
  errors: [404],
  request: {
    params: z.object({ id: incidentId }),
    query: pageQuerySchema.extend({
      status: z.enum(taskStatuses).optional(),
      teamId: teamId.optional(),
      volunteerId: volunteerId.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of tasks.",
      content: { "application/json": { schema: pageOf(taskSchema, "IncidentTaskPage") } },
    },
  },
});

const getTask = protectedRoute({
  method: "get",
  path: "/v1/tasks/{id}",
  operationId: "getIncidentTask",
  tags: [tag],
  summary: "One task",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: taskId }) },
  responses: { 200: versionedResponse(taskSchema, "The task.") },
});

const findTask = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, incidentTasks, { divisionPath: incidentTasks.divisionPath }, id, "task");

/** The assignee and site named by the body: on this incident's roster, in its tenant (400 at the field otherwise). */
async function requireAssignee(c: Context<AppEnv>, incident: IncidentRow, body: z.infer<typeof createTaskSchema>) {
  const db = c.get("db");
  const [team, paged, site] = await db.batch([
    db
      .select({ id: teamActivations.id })
      .from(teamActivations)
      .where(
        and(
          eq(teamActivations.tenantId, incident.tenantId),
          eq(teamActivations.incidentId, incident.id),
          eq(teamActivations.teamId, body.teamId ?? ""),
        ),
      ),
    db
      .select({ id: notifications.id })
      .from(notifications)
      .where(
        and(
          eq(notifications.tenantId, incident.tenantId),
          eq(notifications.incidentId, incident.id),
          eq(notifications.volunteerId, body.volunteerId ?? ""),
        ),
      ),
    db
      .select({ id: sites.id })
      .from(sites)
      .where(and(eq(sites.tenantId, incident.tenantId), eq(sites.id, body.siteId ?? ""))),
  ]);
  if (body.teamId && !team.length) throw unknownReference("/teamId", "team");
  if (body.volunteerId && !paged.length) throw unknownReference("/volunteerId", "volunteer");
  if (body.siteId && !site.length) throw unknownReference("/siteId", "site");
}

/**
 * The tasks a page's volunteer sees on the answer page: open or done tasks of that incident assigned
 * to them or to a team whose roster for the incident they are on (at most 20, oldest first), with
 * the site's name. Nothing about other volunteers.
 */
export function tasksOfPage(
  db: Db,
  page: { tenantId: string; incidentId: string; volunteerId: string },
  taskId?: string,
) {
  const teamsOnRoster = db
    .select({ teamId: teamActivations.teamId })
    .from(rosterEntries)
    .innerJoin(
      teamActivations,
      and(eq(teamActivations.tenantId, rosterEntries.tenantId), eq(teamActivations.id, rosterEntries.teamActivationId)),
    )
    .where(
      and(
        eq(rosterEntries.tenantId, page.tenantId),
        eq(rosterEntries.incidentId, page.incidentId),
        eq(rosterEntries.volunteerId, page.volunteerId),
      ),
    );
  return db
    .select({ task: incidentTasks, siteName: sites.name })
    .from(incidentTasks)
    .leftJoin(sites, and(eq(sites.tenantId, incidentTasks.tenantId), eq(sites.id, incidentTasks.siteId)))
    .where(
      and(
        eq(incidentTasks.tenantId, page.tenantId),
        eq(incidentTasks.incidentId, page.incidentId),
        taskId === undefined ? undefined : eq(incidentTasks.id, taskId),
        inArray(incidentTasks.status, ["assigned", "accepted", "done"]),
        or(eq(incidentTasks.volunteerId, page.volunteerId), inArray(incidentTasks.teamId, teamsOnRoster)),
      ),
    )
    .orderBy(incidentTasks.id)
    .limit(20);
}

export const taskRoutes = createRouter()
  .openapi(createTask, async (c) => {
    const incident = await findIncident(c, c.req.valid("param").id);
    if (incident.status !== "declared" && incident.status !== "active")
      throw new ApiError("conflict", msg("emergency.tasks_closed", { status: incident.status }));
    const body = c.req.valid("json");
    await requireAssignee(c, incident, body);
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: TaskRow = {
      id: newId("task", now.getTime()),
      tenantId: incident.tenantId,
      incidentId: incident.id,
      divisionPath: incident.divisionPath,
      title: body.title,
      detail: body.detail ?? null,
      teamId: body.teamId ?? null,
      volunteerId: body.volunteerId ?? null,
      siteId: body.siteId ?? null,
      status: "assigned",
      assignedBy: actorOf(c.get("principal")),
      acceptedAt: null,
      doneAt: null,
      cancelledAt: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/tasks/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(incidentTasks).values(row)],
      audit: {
        action: "task.assign",
        targetType: "task",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { incidentId: row.incidentId, teamId: row.teamId, volunteerId: row.volunteerId, siteId: row.siteId },
      },
      events: [{ type: "task.assigned", subjectType: "task", subjectId: row.id, payload: taskEventPayload(row) }],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listTasks, async (c) => {
    const incident = await findIncident(c, c.req.valid("param").id);
    const q = c.req.valid("query");
    const keys = keyset(incidentTasks.id, q);
    const rows = await c
      .get("db")
      .select()
      .from(incidentTasks)
      .where(
        and(
          eq(incidentTasks.tenantId, incident.tenantId),
          eq(incidentTasks.incidentId, incident.id),
          q.status ? eq(incidentTasks.status, q.status) : undefined,
          q.teamId ? eq(incidentTasks.teamId, q.teamId) : undefined,
          q.volunteerId ? eq(incidentTasks.volunteerId, q.volunteerId) : undefined,
          keys.after,
        ),
      )
      .orderBy(keys.orderBy)
      .limit(keys.limit);
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getTask, async (c) => {
    const row = await findTask(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/tasks",
      tag,
      idSchema: taskId,
      schema: taskSchema,
      targetType: "task",
      machine: taskMachine,
      table: incidentTasks,
      scope: "tasks:assign",
      find: findTask,
      visible: visibleWithinReach(incidentTasks, { divisionPath: incidentTasks.divisionPath }),
      present,
      eventPayload: taskEventPayload,
      actions: {
        accept: {
          operationId: "acceptIncidentTask",
          summary: "Record that the team or volunteer took the task on",
          event: "accepted",
          requestEffects: (c) => ({ set: { acceptedAt: c.get("clock").now().toISOString() } }),
        },
        complete: {
          operationId: "completeIncidentTask",
          summary: "Record the task done",
          event: "done",
          requestEffects: (c) => ({ set: { doneAt: c.get("clock").now().toISOString() } }),
        },
        cancel: {
          operationId: "cancelIncidentTask",
          summary: "Cancel an open task",
          event: "cancelled",
          requestEffects: (c) => ({ set: { cancelledAt: c.get("clock").now().toISOString() } }),
        },
      },
    }),
  );
