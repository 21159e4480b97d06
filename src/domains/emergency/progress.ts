import { z } from "@hono/zod-openapi";
import { and, eq, sql, type SQL } from "drizzle-orm";
import { streamSSE } from "hono/streaming";
import type { Db } from "../../db/client.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema } from "../../shared/http/schemas.js";
import { incidentId, siteId, tag, teamId, volunteerId } from "./common.js";
import { findIncident, redactToken } from "./incident-model.js";
import { answers, notifications, notificationStatuses, rosterEntries, teamActivations, teamModes } from "./tables.js";
import { readRows } from "../../shared/store/records.js";

const notificationSchema = z
  .object({
    id: idSchema("ntf"),
    volunteerId,
    channel: z.string().openapi({ example: "dev" }),
    message: z.string().openapi({
      description:
        "The page as sent through the channel, its answer token masked (`************`): the token is the volunteer's credential, and an admin must not answer for them. Only a development server (`HEXI_ENV=development`) shows the development channel's messages in full.",
      example: "【酒泉志愿服务】演练：东北街暴雨内涝，能否到岗请点 https://a.hexi.dev/a/************",
    }),
    status: z.enum(notificationStatuses).openapi({ description: "queued → sent → delivered, or failed." }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    answer: z.enum(answers).nullable(),
    etaMinutes: z.number().int().nullable(),
    answeredAt: z.string().nullable(),
    siteId: siteId.nullable(),
    checkedInAt: z.string().nullable(),
    checkedOutAt: z.string().nullable(),
  })
  .openapi("Notification");

type NotificationRow = typeof notifications.$inferSelect;
const presentNotification = (n: NotificationRow, showDevelopmentMessages: boolean) => ({
  id: n.id,
  volunteerId: n.volunteerId,
  channel: n.channel,
  message: showDevelopmentMessages && n.channel === "dev" ? n.message : redactToken(n.message, n.token),
  status: n.status,
  attempts: n.attempts,
  lastError: n.lastError,
  answer: n.answer,
  etaMinutes: n.etaMinutes,
  answeredAt: n.answeredAt,
  siteId: n.siteId,
  checkedInAt: n.checkedInAt,
  checkedOutAt: n.checkedOutAt,
});

export const countsShape = {
  paged: z.number().int().openapi({ example: 12 }),
  delivered: z.number().int().openapi({ example: 12 }),
  failed: z.number().int().openapi({ example: 0 }),
  available: z.number().int().openapi({ example: 7 }),
  unavailable: z.number().int().openapi({ example: 2 }),
  noAnswer: z.number().int().openapi({ example: 3 }),
  checkedIn: z.number().int().openapi({ example: 5 }),
};

const teamProgressSchema = z
  .object({
    teamId,
    name: z.string(),
    mode: z.enum(teamModes),
    quorum: z.number().int(),
    deadlineAt: z.string(),
    quorumMet: z.boolean().openapi({ description: "available ≥ quorum." }),
    firstAnswerSeconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Seconds from the team's activation to its first answer.", example: 95 }),
    quorum50Seconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Seconds until available answers reached 50 % of the quorum.", example: 240 }),
    quorum90Seconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Seconds until available answers reached 90 % of the quorum.", example: 610 }),
    ...countsShape,
  })
  .openapi("TeamProgress");

const progressSchema = z
  .object({
    overall: z.object(countsShape).openapi({ description: "Every volunteer paged, each once." }),
    data: z.array(teamProgressSchema),
    nextCursor: z.string().nullable(),
  })
  .openapi("IncidentProgress");

const listNotifications = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/notifications",
  operationId: "listIncidentNotifications",
  tags: [tag],
  summary: "The pages of an incident (the development channel's record), with their answers",
  description: "Failures are visible per volunteer (`status: failed`, `lastError`).",
  scope: "emergency:read",
  errors: [404],
  request: {
    params: z.object({ id: incidentId }),
    query: pageQuerySchema.extend({
      status: z.enum(notificationStatuses).optional(),
      answer: z.enum(answers).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of notifications.",
      content: { "application/json": { schema: pageOf(notificationSchema, "NotificationPage") } },
    },
  },
});

const getProgress = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/progress",
  operationId: "getIncidentProgress",
  tags: [tag],
  summary: "Progress per team and overall",
  description:
    "Paged, delivered, available, unavailable, no answer and checked in — overall (each volunteer once) and per activated team (a page of teams, in activation order).",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }), query: pageQuerySchema },
  responses: { 200: { description: "The progress.", content: { "application/json": { schema: progressSchema } } } },
});

const streamProgress = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/progress/stream",
  operationId: "streamIncidentProgress",
  tags: [tag],
  summary: "The progress as Server-Sent Events, for a command-centre screen",
  description:
    "Authenticated like any call (read it with fetch streaming: a browser's EventSource cannot send Authorization). An `event: progress` (the same body as `GET …/progress`, first 100 teams) whenever the counts change, its `id` naming the state; `Last-Event-ID` resumes without repeating it. The server polls every 2 s, sends a heartbeat comment every 15 s, and ends the stream after 10 minutes: reconnect with `Last-Event-ID`.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }) },
  responses: {
    200: {
      description: "The event stream.",
      content: {
        "text/event-stream": {
          schema: z
            .string()
            .openapi({ example: 'event: progress\nid: p12d12f0a7u2c5\ndata: {"overall":{…},"data":[…]}\n\n' }),
        },
      },
    },
  },
});

export const tally = {
  paged: sql<number>`count(n.id)`,
  delivered: sql<number>`coalesce(sum(n.status = 'delivered'), 0)`,
  failed: sql<number>`coalesce(sum(n.status = 'failed'), 0)`,
  available: sql<number>`coalesce(sum(n.answer = 'available'), 0)`,
  unavailable: sql<number>`coalesce(sum(n.answer = 'unavailable'), 0)`,
  noAnswer: sql<number>`coalesce(sum(n.id is not null and n.answer is null), 0)`,
  checkedIn: sql<number>`coalesce(sum(n.checked_in_at is not null), 0)`,
};
export const tallySql = sql.join(
  Object.entries(tally).map(([name, expr]) => sql`${expr} as ${sql.identifier(name)}`),
  sql`, `,
);
export const numbers = <T extends Record<string, unknown>>(row: T) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k in tally ? Number(v ?? 0) : v])) as T;

export const progressRoutes = createRouter()
  .openapi(listNotifications, async (c) => {
    const incident = await findIncident(c, c.req.valid("param").id);
    const q = c.req.valid("query");
    const keys = keyset(notifications.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.tenantId, incident.tenantId),
            eq(notifications.incidentId, incident.id),
            q.status ? eq(notifications.status, q.status) : undefined,
            q.answer ? eq(notifications.answer, q.answer) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    const show = c.get("paging").showDevelopmentMessages === true;
    return c.json({ data: page.data.map((n) => presentNotification(n, show)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getProgress, async (c) => {
    const incident = await findIncident(c, c.req.valid("param").id);
    return c.json(await readProgress(c.get("db"), incident, c.req.valid("query")), 200);
  })
  .openapi(streamProgress, async (c) => {
    const incident = await findIncident(c, c.req.valid("param").id);
    const db = c.get("db");
    const resumeFrom = c.req.header("last-event-id");
    return streamSSE(c, async (stream) => {
      let last = resumeFrom;
      let sinceHeartbeat = 0;
      for (let polls = 0; polls * streamTiming.pollMs < streamTiming.maxMs && !stream.aborted; polls++) {
        const progress = await readProgress(db, incident, { limit: 100, order: "oldest" });
        const id = stateId(progress.overall);
        if (id !== last) {
          await stream.writeSSE({ event: "progress", id, data: JSON.stringify(progress) });
          last = id;
          sinceHeartbeat = 0;
        } else {
          sinceHeartbeat += streamTiming.pollMs;
          if (sinceHeartbeat >= streamTiming.heartbeatMs) {
            await stream.write(": heartbeat\n\n");
            sinceHeartbeat = 0;
          }
        }
        await stream.sleep(streamTiming.pollMs);
      }
    }) as never;
  });

/** The stream polls the database; a heartbeat keeps proxies from closing it; it ends after 10 minutes (Workers' limits). */
export const streamTiming = { pollMs: 2_000, heartbeatMs: 15_000, maxMs: 10 * 60_000 };

/** An event id that names the state: a client resuming with `Last-Event-ID` gets nothing until it changes. */
const stateId = (o: Record<string, number>) =>
  `p${o.paged}d${o.delivered}f${o.failed}a${o.available}u${o.unavailable}c${o.checkedIn}`;

/**
 * When the `nth` answer of the team's roster meeting `which` came (answers in time order): the first
 * answer, and the available answers reaching 50 % and 90 % of the quorum (rounded up).
 */
const answeredAt = (which: SQL, nth: SQL) => sql`(select at from (
    select n2.answered_at as at, row_number() over (order by n2.answered_at) as k
    from ${rosterEntries} r2 join ${notifications} n2
      on n2.tenant_id = r2.tenant_id and n2.incident_id = r2.incident_id and n2.volunteer_id = r2.volunteer_id
    where r2.tenant_id = ta.tenant_id and r2.team_activation_id = ta.id and ${which})
  where k = ${nth})`;
const secondsAfter = (from: SQL, to: SQL) =>
  sql`cast(round((julianday(${to}) - julianday(${from})) * 86400) as integer)`;

/** Overall counts (each volunteer once) and a page of teams with theirs. */
export async function readProgress(
  db: Db,
  incident: { id: string; tenantId: string },
  q: { limit: number; cursor?: string; order?: "oldest" | "newest" },
) {
  const keys = keyset(teamActivations.id, q);
  const [overall] = await db.all<Record<keyof typeof tally, number>>(sql`select ${tallySql}
    from ${notifications} n where n.tenant_id = ${incident.tenantId} and n.incident_id = ${incident.id}`);
  const after =
    keys.afterKey === undefined
      ? sql`1`
      : q.order === "newest"
        ? sql`ta.id < ${keys.afterKey}`
        : sql`ta.id > ${keys.afterKey}`;
  const teams = await db.all<
    {
      id: string;
      teamId: string;
      name: string;
      mode: (typeof teamModes)[number];
      quorum: number;
      deadlineAt: string;
      firstAnswerSeconds: number | null;
      quorum50Seconds: number | null;
      quorum90Seconds: number | null;
    } & Record<keyof typeof tally, number>
  >(sql`select ta.id as id, ta.team_id as teamId, ta.team_name as name,
      ta.mode as mode, ta.quorum as quorum, ta.deadline_at as deadlineAt, ${tallySql},
      ${secondsAfter(sql`ta.created_at`, answeredAt(sql`n2.answered_at is not null`, sql`1`))} as firstAnswerSeconds,
      ${secondsAfter(sql`ta.created_at`, answeredAt(sql`n2.answer = 'available'`, sql`(ta.quorum + 1) / 2`))} as quorum50Seconds,
      ${secondsAfter(sql`ta.created_at`, answeredAt(sql`n2.answer = 'available'`, sql`(ta.quorum * 9 + 9) / 10`))} as quorum90Seconds
    from ${teamActivations} ta
    left join ${rosterEntries} r on r.tenant_id = ta.tenant_id and r.team_activation_id = ta.id
    left join ${notifications} n on n.tenant_id = r.tenant_id and n.incident_id = r.incident_id and n.volunteer_id = r.volunteer_id
    where ta.tenant_id = ${incident.tenantId} and ta.incident_id = ${incident.id} and ${after}
    group by ta.id order by ta.id ${sql.raw(q.order === "newest" ? "desc" : "asc")} limit ${keys.limit}`);
  const page = keys.of(teams);
  return {
    overall: numbers(overall ?? Object.fromEntries(Object.keys(tally).map((k) => [k, 0]))) as Record<
      keyof typeof tally,
      number
    >,
    data: page.data.map(({ id: _id, ...t }) => {
      const counts = numbers(t);
      return { ...counts, quorumMet: counts.available >= t.quorum };
    }),
    nextCursor: page.nextCursor,
  };
}
