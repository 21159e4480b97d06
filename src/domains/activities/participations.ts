import { z } from "@hono/zod-openapi";
import { and, eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import type { Scope } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { actionRoutes } from "../../shared/api/actions.js";
import { etagOf } from "../../shared/http/etag.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema, type PageQuery } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { findWithinReach, readRows, visibleWithinReach } from "../../shared/store/records.js";
import { unknownReference } from "../../shared/store/references.js";
import { members } from "../organisations/tables.js";
import { activityId, findActivity, type ActivityRow } from "./activities.js";
import { ledgerConflicts, ledgerEntry, quarterOf } from "./ledger.js";
import { participationMachine, type ParticipationAction } from "./machines.js";
import { activities, ledgerEntries, participations, participationStatuses } from "./tables.js";
import { msg } from "../../shared/http/messages.js";
import { missingScope } from "../../shared/api/authenticate.js";

const participationId = idSchema("part");
const memberId = idSchema("mem");

type ParticipationRow = typeof participations.$inferSelect;
/** Members reach their own participations; administrators those of activities in their subtree. */
const reach = { divisionPath: participations.divisionPath, memberId: participations.memberId };
const findParticipation = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, participations, reach, id, "participation");

const participationSchema = z
  .object({
    id: participationId,
    tenant: z.string(),
    activityId,
    memberId,
    status: z.enum(participationStatuses),
    checkedInAt: z.string().nullable().openapi({ example: "2026-09-12T00:58:00.000Z" }),
    checkedOutAt: z.string().nullable().openapi({ example: "2026-09-12T03:31:00.000Z" }),
    hours: z
      .number()
      .nullable()
      .openapi({ description: "Set on verification from check-in and check-out, never from a request.", example: 2.5 }),
    rating: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The residents' rating (1–5) recorded on verification.", example: 5 }),
    ...timestampsSchema,
  })
  .openapi("Participation");

const present = (row: ParticipationRow) => ({
  id: row.id,
  tenant: row.tenantId,
  activityId: row.activityId,
  memberId: row.memberId,
  status: row.status,
  checkedInAt: row.checkedInAt,
  checkedOutAt: row.checkedOutAt,
  hours: row.hours,
  rating: row.rating,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const signUpSchema = z
  .object({
    memberId: memberId.optional().openapi({
      description: "The member signed up by an administrator; a member signing up leaves it out (or names themself).",
    }),
  })
  .strict()
  .openapi("SignUp", { example: { memberId: "mem_01KDVDNA011AKWK3RC504FTYF8" } });

const verifySchema = z
  .object({
    rating: z
      .number()
      .int()
      .min(1)
      .max(5)
      .optional()
      .openapi({ description: "The residents' rating, 1–5.", example: 5 }),
  })
  .strict()
  .openapi("VerifyParticipation", { example: { rating: 5 } });

const participationPage = pageOf(participationSchema, "ParticipationPage");
const participationResponse = (description: string) => versionedResponse(participationSchema, description);
const selfOrAdmin: readonly [Scope, ...Scope[]] = ["participation:self", "activities:write"];

const signUp = protectedRoute({
  method: "post",
  path: "/v1/activities/{id}/participations",
  operationId: "signUpForActivity",
  tags: ["activities"],
  summary: "Sign a member up for an activity",
  description:
    "A member signs up themself (scope participation:self); an administrator signs up a member of the tenant on their behalf (scope activities:write, `memberId` required). " +
    "Refused with 409 once the activity has as many sign-ups as its capacity, and when the member is already signed up.",
  scope: selfOrAdmin,
  idempotent: true,
  errors: [404, 409],
  request: {
    params: z.object({ id: activityId }),
    body: { required: false, content: { "application/json": { schema: signUpSchema } } },
  },
  responses: { 201: participationResponse("The member is signed up.") },
});

const listActivityParticipations = protectedRoute({
  method: "get",
  path: "/v1/activities/{id}/participations",
  operationId: "listActivityParticipations",
  tags: ["activities"],
  summary: "Participations in an activity",
  description: "Administrators see everyone's; a member sees only their own.",
  scope: "activities:read",
  errors: [404],
  request: {
    params: z.object({ id: activityId }),
    query: pageQuerySchema.extend({ status: z.enum(participationStatuses).optional() }),
  },
  responses: {
    200: {
      description: "A page of participations, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: participationPage } },
    },
  },
});

const listParticipations = protectedRoute({
  method: "get",
  path: "/v1/participations",
  operationId: "listParticipations",
  tags: ["activities"],
  summary: "Participations within reach, e.g. one member's",
  description: "A member sees only their own (memberId may be left out).",
  scope: "activities:read",
  request: {
    query: pageQuerySchema.extend({ memberId: memberId.optional(), status: z.enum(participationStatuses).optional() }),
  },
  responses: {
    200: {
      description: "A page of participations, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: participationPage } },
    },
  },
});

const getParticipation = protectedRoute({
  method: "get",
  path: "/v1/participations/{id}",
  operationId: "getParticipation",
  tags: ["activities"],
  summary: "One participation",
  scope: "activities:read",
  errors: [404],
  request: { params: z.object({ id: participationId }) },
  responses: { 200: participationResponse("The participation.") },
});

/**
 * INSERT … SELECT <row> WHERE <condition>: the row goes in only if the condition still holds when the
 * batch runs. Follow it with `guardChanged` to roll the batch back when it did not.
 */
function insertWhere(c: Context<AppEnv>, row: ParticipationRow, condition: SQL) {
  const columns = Object.entries(getTableColumns(participations));
  const values = sql.join(
    columns.map(([key, column]) => sql`${sql.param(row[key as keyof ParticipationRow], column)}`),
    sql`, `,
  );
  return c.get("db").insert(participations).select(sql`select ${values} where ${condition}`);
}

/** A page of participations within reach, of the status asked for if any, that meet `filters`. */
async function readParticipations(
  c: Context<AppEnv>,
  q: PageQuery & { status?: ParticipationRow["status"] },
  ...filters: (SQL | undefined)[]
) {
  const keys = keyset(participations.id, q);
  const rows = await readRows(
    c,
    c
      .get("db")
      .select()
      .from(participations)
      .where(
        and(
          withinReach(c.get("principal"), { tenantId: participations.tenantId, ...reach }),
          q.status ? eq(participations.status, q.status) : undefined,
          ...filters,
          keys.after,
        ),
      )
      .orderBy(keys.orderBy)
      .limit(keys.limit),
  );
  const page = keys.of(rows);
  return { data: page.data.map(present), nextCursor: page.nextCursor };
}

/** Who is signed up: the member themself, or the one an administrator names. Both must be members of the activity's tenant. */
async function signUpMember(c: Context<AppEnv>, activity: ActivityRow, named: string | undefined): Promise<string> {
  const { principal } = c.var;
  let id: string;
  if (principal.owner) {
    const own = principal.owner.memberId;
    if (!own || !principal.scopes.has("participation:self"))
      throw new ApiError("forbidden", msg("activities.self_only"));
    if (named && named !== own) throw new ApiError("forbidden", msg("activities.self_only_named"));
    id = own;
  } else {
    if (!principal.scopes.has("activities:write")) throw missingScope(["activities:write"]);
    if (!named) {
      throw new ApiError("validation_failed", msg("activities.name_member"), {
        errors: [{ in: "body", pointer: "/memberId", detail: msg("activities.name_member_field") }],
      });
    }
    id = named;
  }
  const [member] = await c
    .get("db")
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.id, id), eq(members.tenantId, activity.tenantId)));
  if (!member) {
    if (principal.owner) throw new ApiError("forbidden", msg("activities.member_not_registered"));
    throw unknownReference("/memberId", "member");
  }
  return id;
}

const crudRoutes = createRouter()
  .openapi(signUp, async (c) => {
    const activity = await findActivity(c, c.req.valid("param").id);
    const memberOf = await signUpMember(c, activity, c.req.valid("json").memberId);
    const now = c.get("clock").now();
    const row: ParticipationRow = {
      id: newId("part", now.getTime()),
      tenantId: activity.tenantId,
      activityId: activity.id,
      memberId: memberOf,
      divisionPath: activity.divisionPath,
      status: "signed_up",
      checkedInAt: null,
      checkedOutAt: null,
      hours: null,
      rating: null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    // Capacity holds under concurrency: the count and the capacity are read by the INSERT itself.
    const hasRoom = sql`(select count(*) from ${participations} where ${participations.tenantId} = ${activity.tenantId} and ${participations.activityId} = ${activity.id})
      < (select ${activities.capacity} from ${activities} where ${activities.tenantId} = ${activity.tenantId} and ${activities.id} = ${activity.id})`;
    const response = present(row);
    const headers = { etag: etagOf(row.version), location: `/v1/participations/${row.id}` };
    try {
      await commit(
        c,
        {
          writes: [insertWhere(c, row, hasRoom), guardChanged()],
          audit: {
            action: "participation.sign_up",
            targetType: "participation",
            targetId: row.id,
            divisionPath: row.divisionPath,
            changes: { activityId: activity.id, memberId: row.memberId },
          },
          conflicts: { "participations.activity_id": msg("activities.already_signed_up") },
        },
        { status: 201, body: response, headers },
      );
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("conflict", msg("activities.full"));
      throw err;
    }
    return c.json(response, 201, headers);
  })
  .openapi(listActivityParticipations, async (c) => {
    const activity = await findActivity(c, c.req.valid("param").id);
    const q = c.req.valid("query");
    return c.json(
      await readParticipations(
        c,
        q,
        eq(participations.tenantId, activity.tenantId),
        eq(participations.activityId, activity.id),
      ),
      200,
    );
  })
  .openapi(listParticipations, async (c) => {
    const q = c.req.valid("query");
    return c.json(
      await readParticipations(c, q, q.memberId ? eq(participations.memberId, q.memberId) : undefined),
      200,
    );
  })
  .openapi(getParticipation, async (c) => {
    const row = await findParticipation(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });

/** Hours from check-in to check-out, to the nearest quarter hour, at most the activity's length (in whole quarter hours). */
export function verifiedHours(
  checkedInAt: string,
  checkedOutAt: string,
  activity: Pick<ActivityRow, "startsAt" | "endsAt">,
): number {
  const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 3_600_000;
  const worked = Math.round(Math.max(0, hoursBetween(checkedInAt, checkedOutAt)) * 4) / 4;
  const longest = Math.floor(hoursBetween(activity.startsAt, activity.endsAt) * 4) / 4;
  return Math.min(worked, longest);
}

async function activityOf(c: Context<AppEnv>, row: ParticipationRow): Promise<ActivityRow> {
  const [activity] = await c
    .get("db")
    .select()
    .from(activities)
    .where(and(eq(activities.tenantId, row.tenantId), eq(activities.id, row.activityId)));
  if (!activity) throw new Error(`participation ${row.id} names a missing activity`);
  return activity;
}

/** Check-in and check-out record the clock; verification computes hours from them and posts to the ledger. */
const transitions = actionRoutes<ParticipationRow["status"], ParticipationAction, ParticipationRow>({
  base: "/v1/participations",
  idSchema: participationId,
  machine: participationMachine,
  table: participations,
  find: findParticipation,
  visible: visibleWithinReach(participations, reach),
  targetType: "participation",
  tag: "activities",
  schema: participationSchema,
  present,
  actions: {
    check_in: {
      operationId: "checkInParticipation",
      summary: "Check in at the activity",
      description:
        "By the member themself (participation:self) or an administrator (activities:write); records the time.",
      scope: selfOrAdmin,
      requestEffects: (c) => ({ set: { checkedInAt: c.get("clock").now().toISOString() } }),
    },
    check_out: {
      operationId: "checkOutParticipation",
      summary: "Check out of the activity",
      description:
        "By the member themself (participation:self) or an administrator (activities:write); records the time.",
      scope: selfOrAdmin,
      requestEffects: (c) => ({ set: { checkedOutAt: c.get("clock").now().toISOString() } }),
    },
    verify: {
      operationId: "verifyParticipation",
      summary: "Verify the hours and post them to the ledger",
      description:
        "Hours come only from check-in and check-out: to the nearest quarter hour, at most the activity's length (rounded down to a quarter hour); " +
        "points = hours × the activity's points per hour, rounded. The ledger entry (year and quarter of the activity's start, China time) is written " +
        "in the same atomic write; a participation posts exactly once.",
      scope: "hours:verify",
      body: verifySchema,
      effects: async (c, row, body: { rating?: number }) => {
        const activity = await activityOf(c, row);
        const hours = verifiedHours(row.checkedInAt!, row.checkedOutAt!, activity);
        const points = Math.round(hours * activity.pointsPerHour);
        const rating = body.rating ?? null;
        const entry = ledgerEntry(c, {
          tenantId: row.tenantId,
          memberId: row.memberId,
          divisionPath: row.divisionPath,
          ...quarterOf(activity.startsAt),
          hours,
          points,
          sourceType: "participation",
          sourceId: row.id,
        });
        return {
          set: { hours, rating },
          writes: [c.get("db").insert(ledgerEntries).values(entry)],
          events: [
            {
              type: "participation.verified",
              subjectType: "participation",
              subjectId: row.id,
              payload: { activityId: row.activityId, memberId: row.memberId, hours, points, ledgerEntryId: entry.id },
            },
          ],
          changes: { hours, points, rating, ledgerEntryId: entry.id },
          conflicts: ledgerConflicts,
        };
      },
    },
    mark_no_show: {
      operationId: "markParticipationNoShow",
      summary: "Record that a signed-up member did not come",
      description: "No hours are posted.",
      scope: "hours:verify",
    },
  },
});

export const participationRoutes = createRouter().route("/", crudRoutes).route("/", transitions);
