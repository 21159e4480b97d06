import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findPublished, listWithinReach, updateVersioned } from "../../shared/store/records.js";
import { requireDivisionForWrite, unknownReference } from "../../shared/store/references.js";
import { partyOrgs } from "../organisations/tables.js";
import { activities, activityKinds, lectureTalks } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

export const activityId = idSchema("act");
const partyOrgId = idSchema("org");

/** An instant with an offset (`2026-09-12T09:00:00+08:00`); stored and returned as UTC ISO. */
export const instantSchema = z.iso.datetime({ offset: true }).openapi({ example: "2026-09-12T09:00:00+08:00" });
export const utc = (instant: string) => new Date(instant).toISOString();

const activityFields = {
  organiserOrgId: partyOrgId.openapi({
    description: "The organising party organisation (community, unit or two-new), in the caller's tenant.",
  }),
  kind: z
    .enum(activityKinds)
    .openapi({ description: "service 志愿服务, lecture 五讲 lecture, theme_day 主题党日, drill 应急演练." }),
  lectureTalk: z.enum(lectureTalks).nullable().openapi({
    description:
      "Required when kind is lecture, absent otherwise. 五讲: leader_situation 领导讲形势, expert_theory 专家讲理论, secretary_policy 书记讲政策, model_deeds 先进讲事迹, member_experience 党员讲体会.",
    example: "expert_theory",
  }),
  title: z.string().trim().min(1).max(200).openapi({ example: "富康社区助老义诊" }),
  startsAt: instantSchema,
  endsAt: instantSchema.openapi({ description: "After startsAt.", example: "2026-09-12T11:30:00+08:00" }),
  place: z.string().trim().min(1).max(200).openapi({ example: "富康社区党群服务中心" }),
  capacity: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .openapi({ description: "Sign-ups are refused once this many members have signed up.", example: 30 }),
  pointsPerHour: z.number().int().min(0).max(1000).openapi({ description: "Points per verified hour.", example: 10 }),
};

const activitySchema = z
  .object({
    id: activityId,
    tenant: z.string(),
    communityId: divisionIdSchema,
    ...activityFields,
    startsAt: z.string().openapi({ example: "2026-09-12T01:00:00.000Z" }),
    endsAt: z.string().openapi({ example: "2026-09-12T03:30:00.000Z" }),
    ...timestampsSchema,
  })
  .openapi("Activity");

const createActivitySchema = z
  .object({
    communityId: divisionIdSchema.openapi({
      description: "The community (社区) holding the activity, within the caller's subtree.",
    }),
    ...activityFields,
    lectureTalk: activityFields.lectureTalk.optional(),
    pointsPerHour: activityFields.pointsPerHour.default(10),
  })
  .strict()
  .openapi("CreateActivity", {
    example: {
      communityId: "div_01KDVDNA011AKWK3RC504FTYF8",
      organiserOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      kind: "lecture",
      lectureTalk: "expert_theory",
      title: "专家讲理论：基层治理",
      startsAt: "2026-09-12T09:00:00+08:00",
      endsAt: "2026-09-12T11:30:00+08:00",
      place: "富康社区党群服务中心",
      capacity: 30,
      pointsPerHour: 10,
    },
  });

const patchActivitySchema = z
  .object(activityFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchActivity", {
    description:
      "Changing kind away from lecture needs lectureTalk: null. Lowering capacity below the sign-ups so far keeps them, and refuses new ones.",
    example: { place: "富康社区文化广场", capacity: 40 },
  });

export type ActivityRow = typeof activities.$inferSelect;
const present = (row: ActivityRow) => ({
  id: row.id,
  tenant: row.tenantId,
  communityId: row.communityId,
  organiserOrgId: row.organiserOrgId,
  kind: row.kind,
  lectureTalk: row.lectureTalk,
  title: row.title,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  place: row.place,
  capacity: row.capacity,
  pointsPerHour: row.pointsPerHour,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Activities are published to the tenant: members (and unit admins, for 活动联办) read every one, to sign up. */
export const findActivity = (c: Context<AppEnv>, id: string): Promise<ActivityRow> =>
  findPublished(c, activities, id, "activity");

/** Rules across fields, checked on the whole activity (as created, or as it would be after a PATCH). */
function checkActivity(a: Pick<ActivityRow, "kind" | "lectureTalk" | "startsAt" | "endsAt">) {
  const errors: FieldError[] = [];
  if (a.kind === "lecture" && !a.lectureTalk)
    errors.push({ in: "body", pointer: "/lectureTalk", detail: msg("activities.lecture_needs_talk") });
  if (a.kind !== "lecture" && a.lectureTalk)
    errors.push({ in: "body", pointer: "/lectureTalk", detail: msg("activities.only_lecture_talk") });
  if (a.startsAt >= a.endsAt)
    errors.push({ in: "body", pointer: "/endsAt", detail: msg("field.ends_at_after_starts_at") });
  if (errors.length)
    throw new ApiError("validation_failed", msg("activities.invalid_fields", { count: errors.length }), { errors });
}

async function requireOrganiser(c: Context<AppEnv>, id: string) {
  const [org] = await c
    .get("db")
    .select({ id: partyOrgs.id })
    .from(partyOrgs)
    .where(and(eq(partyOrgs.id, id), eq(partyOrgs.tenantId, c.get("principal").tenant)));
  if (!org) throw unknownReference("/organiserOrgId", "party organisation");
}

const activityResponse = (description: string) => versionedResponse(activitySchema, description);

const createActivity = protectedRoute({
  method: "post",
  path: "/v1/activities",
  operationId: "createActivity",
  tags: ["activities"],
  summary: "Announce an activity (service, 五讲 lecture, theme day, drill)",
  scope: "activities:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createActivitySchema } } } },
  responses: { 201: activityResponse("The activity was announced.") },
});

const listActivities = protectedRoute({
  method: "get",
  path: "/v1/activities",
  operationId: "listActivities",
  tags: ["activities"],
  summary: "Activities within reach",
  description: "Members see every activity of their tenant, to sign up; administrators their subtree.",
  scope: "activities:read",
  request: {
    query: pageQuerySchema.extend({
      communityId: divisionIdSchema.optional(),
      kind: z.enum(activityKinds).optional(),
      startsFrom: instantSchema.optional().openapi({ description: "Inclusive lower bound on startsAt." }),
      startsTo: instantSchema.optional().openapi({ description: "Inclusive upper bound on startsAt." }),
    }),
  },
  responses: {
    200: {
      description: "A page of activities, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(activitySchema, "ActivityPage") } },
    },
  },
});

const getActivity = protectedRoute({
  method: "get",
  path: "/v1/activities/{id}",
  operationId: "getActivity",
  tags: ["activities"],
  summary: "One activity",
  scope: "activities:read",
  errors: [404],
  request: { params: z.object({ id: activityId }) },
  responses: { 200: activityResponse("The activity.") },
});

const updateActivity = protectedRoute({
  method: "patch",
  path: "/v1/activities/{id}",
  operationId: "updateActivity",
  tags: ["activities"],
  summary: "Change an activity's details",
  description: "Hours already verified are not recomputed: corrections go through the ledger.",
  scope: "activities:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: activityId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchActivitySchema } } },
  },
  responses: { 200: activityResponse("The updated activity.") },
});

export const activityRoutes = createRouter()
  .openapi(createActivity, async (c) => {
    const body = c.req.valid("json");
    const community = await requireDivisionForWrite(c, body.communityId, {
      pointer: "/communityId",
      levels: ["community"],
    });
    const fields = {
      ...body,
      lectureTalk: body.lectureTalk ?? null,
      startsAt: utc(body.startsAt),
      endsAt: utc(body.endsAt),
    };
    checkActivity(fields);
    await requireOrganiser(c, body.organiserOrgId);
    const now = c.get("clock").now();
    const row: ActivityRow = {
      id: newId("act", now.getTime()),
      tenantId: c.get("principal").tenant,
      ...fields,
      communityId: community.id,
      divisionPath: community.path,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/activities/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(activities).values(row)],
      audit: {
        action: "activity.create",
        targetType: "activity",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
    });
    return c.json(response, 201, headers);
  })
  .openapi(listActivities, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(
      c,
      activities,
      { divisionPath: activities.divisionPath },
      q,
      {
        communityId: [activities.communityId, q.communityId],
        kind: [activities.kind, q.kind],
        startsFrom: [activities.startsAt, q.startsFrom && utc(q.startsFrom), "gte"],
        startsTo: [activities.startsAt, q.startsTo && utc(q.startsTo), "lte"],
      },
      "published",
    );
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getActivity, async (c) => {
    const row = await findActivity(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(updateActivity, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findActivity(c, c.req.valid("param").id);
    const set = {
      ...patch,
      ...(patch.startsAt ? { startsAt: utc(patch.startsAt) } : {}),
      ...(patch.endsAt ? { endsAt: utc(patch.endsAt) } : {}),
    };
    checkActivity({ ...row, ...set });
    if (patch.organiserOrgId) await requireOrganiser(c, patch.organiserOrgId);
    const updated = await updateVersioned(c, {
      table: activities,
      row,
      expectedVersion,
      set,
      audit: { action: "activity.update", targetType: "activity", changes: { fields: Object.keys(patch) } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
