import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Principal } from "../../shared/auth/principal.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import { commit, GuardFailed, guardChanged } from "../../shared/store/commit.js";
import { groupCommitStatements } from "../../shared/store/group-commit.js";
import { newId } from "../../db/ids.js";
import { siteId, tag, tokenPattern } from "./common.js";
import { checkInArea, incidentOfPage, liveStatuses } from "./incident-model.js";
import { incidents, notifications, sites } from "./tables.js";
import { renderAnswerPage, renderGonePage } from "./answer-page.js";
import { tasksOfPage } from "./tasks.js";
import { msg, type Message } from "../../shared/http/messages.js";

/**
 * The answer link `https://<answer host>/a/<token>`: volunteers answer a page without an account.
 * The token is the whole credential and does one thing: it reads the incident's public text and
 * writes this one volunteer's answer, ETA, check-in and check-out for this one incident. It expires
 * when the incident is closed or cancelled, reveals no personal data (not even the volunteer's
 * name), and is rate-limited per token (per address only loosely: carrier NAT puts many phones
 * behind one address). An unknown, malformed or expired token gets the same 404.
 *
 * These two operations are PUBLIC (`security: []` in the OpenAPI document): the security sweeps
 * must treat them as declared exceptions.
 */
export const answerPathPrefix = "/a/";

const tokenParam = z.object({
  token: z
    .string()
    .openapi({ param: { name: "token", in: "path" }, description: "12 base62 characters.", example: "Xq3LmN8pR2tZ" }),
});

const answerBodySchema = z
  .discriminatedUnion("action", [
    z
      .object({
        action: z.literal("answer"),
        answer: z.enum(["available", "unavailable"]),
        etaMinutes: z
          .number()
          .int()
          .min(0)
          .max(24 * 60)
          .optional(),
      })
      .strict(),
    z.object({ action: z.literal("check_in"), siteId }).strict(),
    z.object({ action: z.literal("check_out") }).strict(),
  ])
  .openapi("AnswerPage", {
    description: "能到 / 不能到 with an ETA, then check-in at a site, then check-out.",
    example: { action: "answer", answer: "available", etaMinutes: 20 },
  });

const answerStateSchema = z
  .object({
    answer: z.enum(["available", "unavailable"]).nullable(),
    etaMinutes: z.number().int().nullable(),
    siteId: siteId.nullable(),
    checkedInAt: z.string().nullable(),
    checkedOutAt: z.string().nullable(),
  })
  .openapi("AnswerState", { description: "This page's answer; nothing about the volunteer." });

const answerPageRoute = createRoute({
  method: "get",
  path: "/a/{token}",
  operationId: "showAnswerPage",
  tags: [tag],
  summary: "The answer page of one page (public: the token is the credential)",
  description:
    "A small mobile page in Chinese: the incident's headline and instruction, 能到 / 不能到 with an ETA, check-in at an open site of the affected area (the borrower's, for a lent team), check-out, and the tasks assigned to the volunteer or their team (accepted and marked done at `/a/{token}/tasks/…`). No personal data. Unknown or expired tokens: 404.",
  security: [],
  request: { params: tokenParam },
  responses: {
    200: { description: "The page.", content: { "text/html": { schema: z.string() } } },
    404: { description: "No live page has this token.", content: { "text/html": { schema: z.string() } } },
    ...errorResponses([429, 500]),
  },
});

const answerRoute = createRoute({
  method: "post",
  path: "/a/{token}",
  operationId: "answerPage",
  tags: [tag],
  summary: "Answer a page, check in or out (public: the token is the credential)",
  description:
    "Only while the incident is active (check-out also while standing down). Check-in needs an open site in the incident's affected area; it counts as available.",
  security: [],
  request: {
    params: tokenParam,
    body: { required: true, content: { "application/json": { schema: answerBodySchema } } },
  },
  responses: {
    200: { description: "The answer as recorded.", content: { "application/json": { schema: answerStateSchema } } },
    ...errorResponses([400, 404, 409, 415, 429, 500]),
  },
});

/** Per token: enough for a person tapping, far too few to matter for guessing (which the 71 bits forbid anyway). */
const perToken = { limit: 20, windowSeconds: 60 };
/** Per address: loose, since carrier NAT puts many phones behind one address. */
const perAddress = { limit: 3_000, windowSeconds: 60 };

export async function rateLimit(c: Context<AppEnv>, token: string) {
  const limiter = c.get("rateLimiter");
  const ip = c.get("clientIp")() ?? "unknown";
  for (const [bucket, rule] of [
    [`answer-ip:${ip}`, perAddress],
    [`answer:${token}`, perToken],
  ] as const) {
    const decision = await limiter.consume(bucket, rule);
    if (!decision.allowed)
      throw new ApiError("rate_limited", msg("emergency.answer_rate_limited"), {
        headers: { "retry-after": String(decision.retryAfterSeconds) },
      });
  }
}

const notFoundPage = (c: Context<AppEnv>) =>
  c.html(renderGonePage(), 404, { "cache-control": "no-store", "referrer-policy": "no-referrer" });

/** The live page (and its incident) this token opens, or nothing. */
export async function pageOf(c: Context<AppEnv>, token: string) {
  if (!tokenPattern.test(token)) return undefined;
  const [row] = await c
    .get("db")
    .select({ notification: notifications, incident: incidents })
    .from(notifications)
    .innerJoin(incidents, incidentOfPage)
    .where(and(eq(notifications.token, token), inArray(incidents.status, liveStatuses)));
  return row;
}

type Page = NonNullable<Awaited<ReturnType<typeof pageOf>>>;

/** Open sites inside the check-in area (the incident's affected area, or the borrower's for a lent team). */
function openSitesFor(c: Context<AppEnv>, area: { tenantId: string; paths: string[] }) {
  return c
    .get("db")
    .select({
      id: sites.id,
      name: sites.name,
      address: sites.address,
      capacity: sites.capacity,
      occupancy: sites.occupancy,
    })
    .from(sites)
    .where(
      and(
        eq(sites.tenantId, area.tenantId),
        eq(sites.status, "open"),
        sql`exists (select 1 from json_each(${JSON.stringify(area.paths)}) a
          where ${sites.divisionPath} >= a.value and ${sites.divisionPath} < substr(a.value, 1, length(a.value) - 1) || '0')`,
      ),
    )
    .limit(50);
}

const stateOf = (n: Page["notification"]) => ({
  answer: n.answer,
  etaMinutes: n.etaMinutes,
  siteId: n.siteId,
  checkedInAt: n.checkedInAt,
  checkedOutAt: n.checkedOutAt,
});

/** The volunteer acting through the link, as the audit trail names them: no account, no scopes. */
export function linkPrincipal(n: Page["notification"]): Principal {
  return {
    tenant: n.tenantId,
    subject: `volunteer:${n.volunteerId}`,
    roles: [],
    scopes: new Set(),
    credential: "ack_link",
    crossTenant: false,
  };
}

type AnswerBody = z.infer<typeof answerBodySchema>;
type CheckInArea = Awaited<ReturnType<typeof checkInArea>>;

/** What the action changes, or the 409 of an action the incident's state or the page's state forbids. */
async function changeFor(c: Context<AppEnv>, page: Page, body: AnswerBody, at: string, area: CheckInArea) {
  const { notification: n, incident } = page;
  const refuse = (detail: Message) => new ApiError("conflict", detail);
  if (body.action === "check_out") {
    if (!n.checkedInAt) throw refuse(msg("emergency.check_in_first"));
    if (n.checkedOutAt) throw refuse(msg("emergency.already_checked_out"));
    return { checkedOutAt: at };
  }
  if (incident.status !== "active") throw refuse(msg("emergency.answers_closed", { status: incident.status }));
  if (body.action === "answer") {
    if (n.checkedInAt && body.answer === "unavailable") throw refuse(msg("emergency.already_checked_in"));
    return { answer: body.answer, etaMinutes: body.etaMinutes ?? null, answeredAt: at };
  }
  if (n.checkedInAt) throw refuse(msg("emergency.already_checked_in"));
  const open = await openSitesFor(c, area);
  if (!open.some((s) => s.id === body.siteId))
    throw new ApiError("validation_failed", msg("emergency.no_open_site"), {
      errors: [{ in: "body", pointer: "/siteId", detail: msg("emergency.choose_open_site_field") }],
    });
  return { siteId: body.siteId, checkedInAt: at, answer: "available" as const, answeredAt: n.answeredAt ?? at };
}

export const answerRoutes = createRouter()
  .openapi(answerPageRoute, async (c) => {
    const { token } = c.req.valid("param");
    await rateLimit(c, token);
    const page = await pageOf(c, token);
    if (!page) return notFoundPage(c);
    const { html, csp } = renderAnswerPage({
      incident: page.incident,
      state: stateOf(page.notification),
      sites:
        page.incident.status === "active" ? await openSitesFor(c, await checkInArea(c.get("db"), page.incident)) : [],
      tasks: (await tasksOfPage(c.get("db"), page.notification)).map(({ task, siteName }) => ({
        id: task.id,
        title: task.title,
        detail: task.detail,
        siteName,
        status: task.status,
      })),
    });
    return c.html(html, 200, {
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-robots-tag": "noindex",
      "content-security-policy": csp,
    }) as never;
  })
  .openapi(answerRoute, async (c) => {
    const { token } = c.req.valid("param");
    await rateLimit(c, token);
    const body = c.req.valid("json");
    if (body.action === "answer")
      return c.json(await answerByToken(c, token, body), 200, { "cache-control": "no-store" });
    const page = await pageOf(c, token);
    if (!page) throw new ApiError("not_found", msg("emergency.link_unknown"));
    const n = page.notification;
    const at = c.get("clock").now().toISOString();
    // A lent team's volunteers check in at the borrower's sites: the site's tenant may differ from the page's.
    const area: CheckInArea = await checkInArea(c.get("db"), page.incident);
    const set = await changeFor(c, page, body, at, area);
    c.set("principal", linkPrincipal(n));
    const write = c
      .get("db")
      .update(notifications)
      .set({ ...set, version: n.version + 1, updatedAt: at })
      .where(and(eq(notifications.id, n.id), eq(notifications.version, n.version)));
    const audit = {
      action: `incident.volunteer_${body.action}`,
      targetType: "incident",
      targetId: n.incidentId,
      divisionPath: page.incident.divisionPath,
      changes: { notificationId: n.id, ...set },
    };
    // Check-ins and check-outs move a site's occupancy under a guard, which would roll back a whole
    // group: a commit each (answers share group commits: answerByToken).
    try {
      await commit(c, { writes: [write, guardChanged(), ...occupancyWrites(c, n, body, area.tenantId)], audit });
    } catch (err) {
      if (err instanceof GuardFailed) {
        if (body.action === "check_in" && (await siteFull(c, area.tenantId, body.siteId)))
          throw new ApiError("conflict", msg("emergency.site_full"));
        throw new ApiError("conflict", msg("emergency.answered_twice"));
      }
      throw err;
    }
    return c.json(stateOf({ ...n, ...set }), 200, { "cache-control": "no-store" });
  });

type AnswerAction = Extract<AnswerBody, { action: "answer" }>;

/** The answer's three statements (see answerByToken), fixed texts: prepared once, nothing built per request. */
const answerSql = {
  update: `update notifications
    set answer = ?, eta_minutes = ?, answered_at = ?, version = version + 1, updated_at = ?
    where token = ? and (checked_in_at is null or ? = 'available')
      and exists (select 1 from incidents i
        where i.tenant_id = notifications.tenant_id and i.id = notifications.incident_id and i.status = 'active')`,
  audit: `insert into audit_events
      (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
    select ?, n.tenant_id, 'ack_link:' || n.tenant_id || ':volunteer:' || n.volunteer_id, 'ack_link',
      'incident.volunteer_answer', 'incident', n.incident_id, i.division_path, ?,
      json_object('notificationId', n.id, 'answer', ?, 'etaMinutes', ?, 'answeredAt', ?), ?
    from notifications n join incidents i on i.tenant_id = n.tenant_id and i.id = n.incident_id
    where n.token = ? and changes() > 0`,
  state: "select answer, eta_minutes, site_id, checked_in_at, checked_out_at from notifications where token = ?",
};

/**
 * 能到 / 不能到, the hot path (a whole team answers within minutes): one write in the next group
 * commit that resolves the token itself, with no read before it. Three statements, a fixed SQL text
 * each (prepared once):
 *
 * 1. the UPDATE, by token, applies only while the token's incident is active and never turns a
 *    checked-in volunteer 不能到 (the conditions `changeFor` checks, here checked at write time, inside
 *    the transaction: nothing read earlier can be stale);
 * 2. the audit row, only if that UPDATE changed the row (`changes() > 0`), its tenant, actor (the
 *    link principal `ack_link:<tenant>:volunteer:<id>`), incident and path read from the row, its
 *    changes the same as `changeFor` would record;
 * 3. the page's state as written, for the response.
 *
 * When nothing applied (unknown or expired token, incident no longer active, 不能到 after check-in)
 * the page is read to answer why: the same 404 and 409s as before. An answer is evented through its
 * audit row as before: answers have no outbox event (the progress counts and stream read the rows).
 */
async function answerByToken(c: Context<AppEnv>, token: string, body: AnswerAction) {
  if (!tokenPattern.test(token)) throw new ApiError("not_found", msg("emergency.link_unknown"));
  const now = c.get("clock").now();
  const at = now.toISOString();
  const eta = body.etaMinutes ?? null;
  const [updated, audited, state] = await groupCommitStatements(c.get("db"), {
    key: token,
    statements: [
      { sql: answerSql.update, args: [body.answer, eta, at, at, token, body.answer] },
      {
        sql: answerSql.audit,
        args: [newId("aud", now.getTime()), c.get("requestId"), body.answer, eta, at, at, token],
      },
      { sql: answerSql.state, args: [token] },
    ],
  });
  if (updated?.rowsAffected === 1 && audited?.rowsAffected === 1) {
    const row = state?.rows[0];
    return {
      answer: body.answer,
      etaMinutes: eta,
      siteId: (row?.site_id ?? null) as string | null,
      checkedInAt: (row?.checked_in_at ?? null) as string | null,
      checkedOutAt: (row?.checked_out_at ?? null) as string | null,
    };
  }
  // Nothing written: why, as the other actions answer it.
  const page = await pageOf(c, token);
  if (!page) throw new ApiError("not_found", msg("emergency.link_unknown"));
  // An answer checks no site: the area is not looked up.
  await changeFor(c, page, body, at, { tenantId: page.notification.tenantId, paths: [] });
  throw new ApiError("conflict", msg("emergency.answered_twice"));
}

/**
 * Site occupancy follows check-ins, in the same batch as the notification's own write: a check-in
 * takes a place at the site only while it is open and below its capacity (else the whole batch rolls
 * back and the volunteer is told the site is full: choose another), a check-out gives the place back
 * and never takes occupancy below zero (an admin may have lowered it by hand in between).
 */
function occupancyWrites(c: Context<AppEnv>, n: Page["notification"], body: AnswerBody, siteTenant: string) {
  const db = c.get("db");
  const at = c.get("clock").now().toISOString();
  const bump = { version: sql`${sites.version} + 1`, updatedAt: at };
  if (body.action === "check_in")
    return [
      db
        .update(sites)
        .set({ occupancy: sql`${sites.occupancy} + 1`, ...bump })
        .where(
          and(
            eq(sites.tenantId, siteTenant),
            eq(sites.id, body.siteId),
            eq(sites.status, "open"),
            sql`${sites.occupancy} < ${sites.capacity}`,
          ),
        ),
      guardChanged(),
    ];
  if (body.action === "check_out" && n.siteId)
    return [
      db
        .update(sites)
        .set({ occupancy: sql`${sites.occupancy} - 1`, ...bump })
        .where(and(eq(sites.tenantId, siteTenant), eq(sites.id, n.siteId), sql`${sites.occupancy} > 0`)),
    ];
  return [];
}

async function siteFull(c: Context<AppEnv>, tenantId: string, id: string) {
  const [site] = await c
    .get("db")
    .select({ occupancy: sites.occupancy, capacity: sites.capacity, status: sites.status })
    .from(sites)
    .where(and(eq(sites.tenantId, tenantId), eq(sites.id, id)));
  return !site || site.status !== "open" || site.occupancy >= site.capacity;
}
