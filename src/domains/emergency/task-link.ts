import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import { notFound } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { ApiError } from "../../shared/http/errors.js";
import { transition } from "../../shared/store/records.js";
import { linkPrincipal, pageOf, rateLimit } from "./answer.js";
import { tag } from "./common.js";
import { incidentTasks, taskStatuses } from "./tables.js";
import { taskEventPayload, taskId, taskMachine, tasksOfPage, type TaskRow } from "./tasks.js";

/**
 * A paged volunteer's tasks through the answer link (`POST /a/{token}/tasks/{taskId}/accept|complete`):
 * the page's token is the credential, as for answers (PUBLIC: `security: []`). It moves only a task of
 * the page's incident assigned to this volunteer or to a team whose roster for the incident they are
 * on, while the link is live; rate-limited with the page's answers (the same per-token bucket);
 * audited as the volunteer (`ack_link:<tenant>:volunteer:<id>`) with the same `task.*` events as an
 * admin's move. The answer names the task only: nothing about the volunteer or the team's members.
 */
const linkTaskSchema = z
  .object({
    id: taskId,
    title: z.string().openapi({ example: "转运滞留旅客至富康社区党群服务中心" }),
    detail: z.string().nullable(),
    status: z.enum(taskStatuses),
  })
  .openapi("AnswerLinkTask", { description: "A task as its volunteer sees it through the link." });

const params = z.object({
  token: z
    .string()
    .openapi({ param: { name: "token", in: "path" }, description: "12 base62 characters.", example: "Xq3LmN8pR2tZ" }),
  taskId,
});

const moves = {
  accept: { operationId: "acceptTaskByLink", summary: "Accept a task from the answer link (public: the token)" },
  complete: { operationId: "completeTaskByLink", summary: "Mark a task done from the answer link (public: the token)" },
} as const;

const stampOf = { accept: "acceptedAt", complete: "doneAt" } as const;
const eventOf = { accept: "accepted", complete: "done" } as const;

export const taskLinkRoutes = createRouter();
for (const move of ["accept", "complete"] as const) {
  const { from, to } = taskMachine.transitions[move];
  const route = createRoute({
    method: "post",
    path: `/a/{token}/tasks/{taskId}/${move}`,
    operationId: moves[move].operationId,
    tags: [tag],
    summary: moves[move].summary,
    description: `Only a task assigned to this page's volunteer or to a team they are rostered in for the incident (404 otherwise, as for an unknown or expired link), while the link is live. Allowed from: ${from.join(", ")}; leads to ${to}. Any other state is a 409 \`invalid_transition\`.`,
    security: [],
    request: { params },
    responses: {
      200: { description: "The task after the move.", content: { "application/json": { schema: linkTaskSchema } } },
      ...errorResponses([404, 409, 429, 500]),
    },
  });
  taskLinkRoutes.openapi(route, async (c) => {
    const { token, taskId: id } = c.req.valid("param");
    await rateLimit(c, token);
    const page = await pageOf(c, token);
    if (!page) throw new ApiError("not_found", msg("emergency.link_unknown"));
    const [found] = await tasksOfPage(c.get("db"), page.notification, id);
    if (!found) throw notFound("task");
    c.set("principal", linkPrincipal(page.notification));
    const updated = await transition<TaskRow["status"], "accept" | "complete" | "cancel", TaskRow>(c, {
      table: incidentTasks,
      row: found.task,
      machine: taskMachine,
      action: move,
      set: { [stampOf[move]]: c.get("clock").now().toISOString() },
      targetType: "task",
      changes: { via: "ack_link" },
      events: (u) => [
        { type: `task.${eventOf[move]}`, subjectType: "task", subjectId: u.id, payload: taskEventPayload(u) },
      ],
    });
    return c.json({ id: updated.id, title: updated.title, detail: updated.detail, status: updated.status }, 200, {
      "cache-control": "no-store",
    });
  });
}
