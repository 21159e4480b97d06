import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { divisions } from "../../db/tables.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, visibleWithinReach } from "../../shared/store/records.js";
import { divisionForWrite, readTogether, unknownReference, type Lookup } from "../../shared/store/references.js";
import { insertRow, type RowOf, selectOnce } from "../../shared/store/prepared.js";
import { addMonths, localDate } from "../../shared/calendar.js";
import { memberReportMachine } from "./machines.js";
import { idRangeOf, memberLookup } from "./references.js";
import { memberReportChannels, memberReports, memberReportStatuses } from "./tables.js";
import { msg } from "../../shared/http/messages.js";

const memberReportId = idSchema("mrep");
const memberIdSchema = idSchema("mem");
const endReasons = ["moved", "lapsed"] as const;
/** Members re-confirm their report every half year. */
const recheckMonths = 6;

const tags = z.array(z.string().trim().min(1).max(50)).max(20);

const memberReportSchema = z
  .object({
    id: memberReportId,
    tenant: z.string().openapi({ example: "620902" }),
    memberId: memberIdSchema,
    communityId: divisionIdSchema.openapi({
      description: "The community (division) the member lives in and reports to.",
    }),
    gridId: divisionIdSchema.nullable(),
    channel: z.enum(memberReportChannels),
    skills: z.array(z.string()).openapi({ example: ["法律咨询", "电脑维修"] }),
    intentions: z.array(z.string()).openapi({ example: ["社区治理", "安全宣传与治安巡逻"] }),
    status: z.enum(memberReportStatuses),
    endReason: z.enum(endReasons).nullable(),
    employerOrgId: z.string().nullable().openapi({
      description: "Snapshot of the member's employer party organisation: the addressee of quarterly feedback.",
    }),
    employerTenantId: z.string().nullable().openapi({ example: "620900" }),
    confirmedAt: z.string().nullable(),
    lastRecheckAt: z.string().nullable(),
    recheckDueOn: dateSchema
      .nullable()
      .openapi({ description: "Half-yearly re-confirmation due date, set on activation and on every recheck." }),
    ...timestampsSchema,
  })
  .openapi("MemberReport");

const createMemberReportSchema = z
  .object({
    memberId: memberIdSchema,
    communityId: divisionIdSchema,
    gridId: divisionIdSchema.optional(),
    channel: z.enum(memberReportChannels),
    skills: tags.default([]),
    intentions: tags.default([]),
  })
  .strict()
  .openapi("CreateMemberReport", {
    example: {
      memberId: "mem_01KDVDNA011AKWK3RC504FTYF8",
      communityId: "div_01KDVDNA02Q7M4V1Z8XG3H6J9K",
      channel: "online",
      skills: ["法律咨询"],
      intentions: ["社区治理"],
    },
  });

const endMemberReportSchema = z
  .object({
    reason: z.enum(endReasons).openapi({ description: "moved: left the community; lapsed: stopped taking part." }),
  })
  .strict()
  .openapi("EndMemberReport", { example: { reason: "moved" } });

type MemberReportRow = typeof memberReports.$inferSelect;
const present = (row: MemberReportRow) => ({
  id: row.id,
  tenant: row.tenantId,
  memberId: row.memberId,
  communityId: row.communityId,
  gridId: row.gridId,
  channel: row.channel,
  skills: row.skills,
  intentions: row.intentions,
  status: row.status,
  endReason: row.endReason,
  employerOrgId: row.employerOrgId,
  employerTenantId: row.employerTenantId,
  confirmedAt: row.confirmedAt,
  lastRecheckAt: row.lastRecheckAt,
  recheckDueOn: row.recheckDueOn,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
/**
 * Community/street admins reach a report through its division, a member their own, and a unit
 * admin the reports of members it employs (DOMAIN §7: "its members' reports").
 */
const reach = {
  divisionPath: memberReports.divisionPath,
  memberId: memberReports.memberId,
  unitOrgId: memberReports.employerOrgId,
};
const conflicts = {
  "member_reports.member_id": msg("unique.member_report_live"),
};
export const eventPayload = (row: MemberReportRow) => ({
  memberReportId: row.id,
  memberId: row.memberId,
  communityId: row.communityId,
  status: row.status,
  endReason: row.endReason,
  employerOrgId: row.employerOrgId,
  employerTenantId: row.employerTenantId,
});
/** The grid a report names, if any: a grid of the named community in the caller's tenant; answers its path. */
const gridSelect = selectOnce((qb) =>
  qb
    .select({ path: divisions.path })
    .from(divisions)
    .where(
      and(
        eq(divisions.id, sql.placeholder("id")),
        eq(divisions.tenantId, sql.placeholder("tenant")),
        eq(divisions.parentId, sql.placeholder("community")),
        eq(divisions.level, "grid"),
      ),
    ),
);

function gridLookup(c: Context<AppEnv>, gridId: string | undefined, communityId: string) {
  return {
    query: gridSelect({ id: gridId ?? "", tenant: c.get("principal").tenant, community: communityId }),
    accept(rows: unknown[]) {
      if (gridId === undefined) return undefined;
      const [grid] = rows as RowOf<typeof gridSelect>[];
      if (!grid) throw unknownReference("/gridId", "grid in this community");
      return grid.path;
    },
  } satisfies Lookup<unknown>;
}

const memberReportResponse = (description: string) => versionedResponse(memberReportSchema, description);

const createMemberReport = protectedRoute({
  method: "post",
  path: "/v1/member-reports",
  operationId: "createMemberReport",
  tags: ["reports"],
  summary: "File an in-service member's registration (报到登记表) with the community they live in",
  description:
    "A member files their own; a community (or street) admin may register one on behalf of a member of its tenant. A member has at most one live (not ended) report: a second is a 409. The employer organisation is snapshotted from the member record.",
  scope: "reports:submit",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createMemberReportSchema } } } },
  responses: { 201: memberReportResponse("The report was filed.") },
});

const timestampQuery = z.iso.datetime({ offset: true });

const listMemberReports = protectedRoute({
  method: "get",
  path: "/v1/member-reports",
  operationId: "listMemberReports",
  tags: ["reports"],
  summary: "Member reports within reach",
  scope: "reports:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(memberReportStatuses).optional(),
      communityId: divisionIdSchema.optional(),
      memberId: memberIdSchema.optional(),
      createdFrom: timestampQuery
        .optional()
        .openapi({ description: "Filed at or after (inclusive).", example: "2026-07-01T00:00:00+08:00" }),
      createdTo: timestampQuery
        .optional()
        .openapi({ description: "Filed at or before (inclusive).", example: "2026-12-31T23:59:59+08:00" }),
    }),
  },
  responses: {
    200: {
      description: "A page of member reports, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(memberReportSchema, "MemberReportPage") } },
    },
  },
});

const getMemberReport = protectedRoute({
  method: "get",
  path: "/v1/member-reports/{id}",
  operationId: "getMemberReport",
  tags: ["reports"],
  summary: "One member report",
  scope: "reports:read",
  errors: [404],
  request: { params: z.object({ id: memberReportId }) },
  responses: { 200: memberReportResponse("The member report.") },
});

const crudRoutes = createRouter()
  .openapi(createMemberReport, async (c) => {
    const body = c.req.valid("json");
    const { principal, db } = c.var;
    if (principal.owner) {
      // A member files only their own report; a unit admin does not file members' reports.
      if (!principal.owner.memberId) throw new ApiError("forbidden", msg("reports.member_only_self"));
      if (body.memberId !== principal.owner.memberId) throw unknownReference("/memberId", "party member");
    }
    // The member, the community and the grid in one round trip (with the Idempotency-Key's check).
    const [memberOf, communityOf, gridOf] = await readTogether(
      c,
      memberLookup(c, body.memberId, { pointer: "/memberId", inSubtree: false }),
      divisionForWrite(c, body.communityId, { pointer: "/communityId", levels: ["community"] }),
      gridLookup(c, body.gridId, body.communityId),
    );
    const member = memberOf();
    if (member.classification !== "in_service") {
      throw new ApiError("validation_failed", msg("reports.in_service_only"), {
        errors: [
          {
            in: "body",
            pointer: "/memberId",
            detail: msg("reports.in_service_only_field", { classification: member.classification }),
          },
        ],
      });
    }
    const community = communityOf();
    const divisionPath = gridOf() ?? community.path;
    const now = c.get("clock").now();
    const row: MemberReportRow = {
      id: newId("mrep", now.getTime()),
      tenantId: principal.tenant,
      memberId: member.id,
      communityId: community.id,
      gridId: body.gridId ?? null,
      divisionPath,
      channel: body.channel,
      skills: body.skills,
      intentions: body.intentions,
      status: "submitted",
      endReason: null,
      employerOrgId: member.employerOrgId,
      employerTenantId: member.employerTenantId,
      confirmedAt: null,
      lastRecheckAt: null,
      recheckDueOn: null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/member-reports/${row.id}`, row.version, response, {
      writes: [insertRow(db, memberReports, row)],
      audit: {
        action: "member_report.create",
        targetType: "member_report",
        targetId: row.id,
        divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "member_report.submitted",
          subjectType: "member_report",
          subjectId: row.id,
          payload: eventPayload(row),
        },
      ],
      conflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(listMemberReports, async (c) => {
    const q = c.req.valid("query");
    const period = idRangeOf("mrep", q.createdFrom, q.createdTo);
    // The dashboards' main list: prepared once per combination of filters, order and reach.
    const page = await listWithinReach(c, memberReports, reach, q, {
      status: [memberReports.status, q.status],
      communityId: [memberReports.communityId, q.communityId],
      memberId: [memberReports.memberId, q.memberId],
      createdMin: [memberReports.id, period.min, "gte"],
      createdMax: [memberReports.id, period.max, "lte"],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getMemberReport, async (c) => {
    const row = await findWithinReach(c, memberReports, reach, c.req.valid("param").id, "member report");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });

const nextRecheck = (now: Date) => addMonths(localDate(now), recheckMonths);

const transitions = actionRoutes({
  base: "/v1/member-reports",
  tag: "reports",
  idSchema: memberReportId,
  scope: "reports:manage",
  machine: memberReportMachine,
  table: memberReports,
  find: (c, id) => findWithinReach(c, memberReports, reach, id, "member report"),
  visible: visibleWithinReach(memberReports, reach),
  targetType: "member_report",
  schema: memberReportSchema,
  present,
  eventPayload,
  actions: {
    confirm: {
      operationId: "confirmMemberReport",
      summary: "Confirm a member's registration",
      requestEffects: (c) => ({ set: { confirmedAt: c.get("clock").now().toISOString() } }),
      event: "confirmed",
    },
    activate: {
      operationId: "activateMemberReport",
      summary: "Start a confirmed member's service (first recheck due in six months)",
      requestEffects: (c) => ({ set: { recheckDueOn: nextRecheck(c.get("clock").now()) } }),
      event: "activated",
    },
    recheck: {
      operationId: "recheckMemberReport",
      summary: "Record the half-yearly re-confirmation (keeps or makes the report active)",
      requestEffects: (c) => {
        const now = c.get("clock").now();
        return { set: { lastRecheckAt: now.toISOString(), recheckDueOn: nextRecheck(now) } };
      },
      event: "rechecked",
    },
    mark_overdue: {
      operationId: "markMemberReportOverdue",
      summary: "Mark an active report whose recheck is overdue",
      event: "overdue",
    },
    end: {
      operationId: "endMemberReport",
      summary: "End a member's report as moved or lapsed",
      body: endMemberReportSchema,
      requestEffects: (_c, body: z.infer<typeof endMemberReportSchema>) => ({
        set: { endReason: body.reason },
        changes: { endReason: body.reason },
      }),
      event: "ended",
    },
  },
});

export const memberReportRoutes = createRouter().route("/", crudRoutes).route("/", transitions);
