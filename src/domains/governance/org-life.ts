import { z } from "@hono/zod-openapi";
import { and, count, eq, gte, inArray, lte, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import { localDate } from "../../shared/calendar.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireReference } from "../../shared/store/references.js";
import { members, partyOrgs } from "../organisations/tables.js";
import { chunks, tag } from "./common.js";
import { meetingAttendance, meetingKinds, orgMeetings } from "./tables.js";
import { msg, thing } from "../../shared/http/messages.js";

const meetingId = idSchema("meet");
const orgIdSchema = idSchema("org");
type MeetingRow = typeof orgMeetings.$inferSelect;

const meetingSchema = z
  .object({
    id: meetingId,
    tenant: z.string().openapi({ example: "620902" }),
    orgId: orgIdSchema,
    kind: z.enum(meetingKinds).openapi({
      description:
        "三会一课: branch_members_meeting (支部党员大会), committee_meeting (支委会), group_meeting (党小组会), party_lecture (党课); theme_party_day (主题党日).",
    }),
    heldOn: dateSchema,
    topic: z.string().openapi({ example: "学习贯彻党的二十届四中全会精神" }),
    expected: z.number().int().openapi({ description: "Members on the attendance list.", example: 24 }),
    present: z.number().int().openapi({ example: 21 }),
    attendanceRate: z.number().nullable().openapi({ description: "present / expected, 0–1.", example: 0.875 }),
    ...timestampsSchema,
  })
  .openapi("OrgMeeting");

const createMeetingSchema = z
  .object({
    orgId: orgIdSchema,
    kind: z.enum(meetingKinds),
    heldOn: dateSchema,
    topic: z.string().trim().min(1).max(200),
    attendance: z
      .array(z.object({ memberId: idSchema("mem"), present: z.boolean() }).strict())
      .min(1)
      .max(2000)
      .openapi({ description: "Every member of the branch expected, present or not." }),
  })
  .strict()
  .openapi("CreateOrgMeeting", {
    example: {
      orgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      kind: "theme_party_day",
      heldOn: "2026-11-05",
      topic: "学习贯彻党的二十届四中全会精神",
      attendance: [
        { memberId: "mem_01KDVDNA011AKWK3RC504FTYF8", present: true },
        { memberId: "mem_01KDVDNA021AKWK3RC504FTYF8", present: false },
      ],
    },
  });

const ratesSchema = z
  .object({
    orgId: orgIdSchema,
    from: dateSchema,
    to: dateSchema,
    meetings: z.number().int(),
    expected: z.number().int(),
    present: z.number().int(),
    rate: z.number().nullable().openapi({ example: 0.91 }),
    members: z.array(
      z.object({
        memberId: idSchema("mem"),
        meetings: z.number().int(),
        present: z.number().int(),
        rate: z.number().openapi({ example: 0.75 }),
      }),
    ),
  })
  .openapi("AttendanceRates");

const rate = (present: number, expected: number) =>
  expected > 0 ? Math.round((present / expected) * 1000) / 1000 : null;

const present = (row: MeetingRow) => ({
  id: row.id,
  tenant: row.tenantId,
  orgId: row.orgId,
  kind: row.kind,
  heldOn: row.heldOn,
  topic: row.topic,
  expected: row.expected,
  present: row.present,
  attendanceRate: rate(row.present, row.expected),
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const reach = { divisionPath: orgMeetings.divisionPath, unitOrgId: orgMeetings.orgId };

const createMeeting = protectedRoute({
  method: "post",
  path: "/v1/org-meetings",
  operationId: "createOrgMeeting",
  tags: [tag],
  summary: "Record a branch's organisational life meeting with its attendance",
  description: "Attendance lists members of the branch only (400 at each that is not), each once.",
  scope: "orglife:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createMeetingSchema } } } },
  responses: { 201: versionedResponse(meetingSchema, "The meeting.") },
});

const listMeetings = protectedRoute({
  method: "get",
  path: "/v1/org-meetings",
  operationId: "listOrgMeetings",
  tags: [tag],
  summary: "Organisational life meetings within reach",
  scope: "standards:read",
  request: {
    query: pageQuerySchema.extend({ orgId: orgIdSchema.optional(), kind: z.enum(meetingKinds).optional() }),
  },
  responses: {
    200: {
      description: "A page of meetings.",
      content: { "application/json": { schema: pageOf(meetingSchema, "OrgMeetingPage") } },
    },
  },
});

const getMeeting = protectedRoute({
  method: "get",
  path: "/v1/org-meetings/{id}",
  operationId: "getOrgMeeting",
  tags: [tag],
  summary: "One meeting",
  scope: "standards:read",
  errors: [404],
  request: { params: z.object({ id: meetingId }) },
  responses: { 200: versionedResponse(meetingSchema, "The meeting.") },
});

const getRates = protectedRoute({
  method: "get",
  path: "/v1/attendance-rates",
  operationId: "getAttendanceRates",
  tags: [tag],
  summary: "Attendance rate of a branch and of each of its members over a period",
  scope: "standards:read",
  errors: [404],
  request: {
    query: z.object({ orgId: orgIdSchema, from: dateSchema, to: dateSchema }),
  },
  responses: { 200: { description: "The rates.", content: { "application/json": { schema: ratesSchema } } } },
});

export const orgLifeRoutes = createRouter()
  .openapi(createMeeting, async (c) => {
    const body = c.req.valid("json");
    const org = await requireReference(
      c,
      partyOrgs,
      { divisionPath: partyOrgs.divisionPath, unitOrgId: partyOrgs.id },
      body.orgId,
      { pointer: "/orgId", what: "party organisation" },
    );
    const now = c.get("clock").now();
    if (body.heldOn > localDate(now)) {
      throw new ApiError("validation_failed", msg("governance.meeting_future"), {
        errors: [{ in: "body", pointer: "/heldOn", detail: msg("field.not_after_today") }],
      });
    }
    const ids = body.attendance.map((a) => a.memberId);
    const ofBranch = new Set(
      (
        await c
          .get("db")
          .select({ id: members.id })
          .from(members)
          .where(and(eq(members.tenantId, org.tenantId), eq(members.orgId, org.id), inArray(members.id, ids)))
      ).map((m) => m.id),
    );
    const errors: FieldError[] = ids.flatMap((id, i) =>
      ofBranch.has(id) && ids.indexOf(id) === i
        ? []
        : [
            {
              in: "body" as const,
              pointer: `/attendance/${i}/memberId`,
              detail: msg("governance.not_branch_member_field"),
            },
          ],
    );
    if (errors.length) throw new ApiError("validation_failed", msg("governance.not_branch_members"), { errors });
    const at = now.toISOString();
    const row: MeetingRow = {
      id: newId("meet", now.getTime()),
      tenantId: org.tenantId,
      orgId: org.id,
      divisionPath: org.divisionPath,
      kind: body.kind,
      heldOn: body.heldOn,
      topic: body.topic,
      expected: body.attendance.length,
      present: body.attendance.filter((a) => a.present).length,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const db = c.get("db");
    const response = present(row);
    const headers = await commitCreated(c, `/v1/org-meetings/${row.id}`, 1, response, {
      writes: [
        db.insert(orgMeetings).values(row),
        ...chunks(body.attendance, 500).map((part) =>
          db.insert(meetingAttendance).values(
            part.map((a) => ({
              tenantId: row.tenantId,
              meetingId: row.id,
              orgId: row.orgId,
              memberId: a.memberId,
              heldOn: row.heldOn,
              present: a.present,
            })),
          ),
        ),
      ],
      audit: {
        action: "org_meeting.create",
        targetType: "org_meeting",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { orgId: row.orgId, kind: row.kind, heldOn: row.heldOn, expected: row.expected, present: row.present },
      },
      events: [
        {
          type: "org_meeting.recorded",
          subjectType: "org_meeting",
          subjectId: row.id,
          payload: {
            meetingId: row.id,
            orgId: row.orgId,
            kind: row.kind,
            heldOn: row.heldOn,
            expected: row.expected,
            present: row.present,
          },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listMeetings, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, orgMeetings, reach, q, {
      orgId: [orgMeetings.orgId, q.orgId],
      kind: [orgMeetings.kind, q.kind],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getMeeting, async (c) => {
    const row = await findWithinReach(c, orgMeetings, reach, c.req.valid("param").id, "meeting");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(getRates, async (c) => {
    const q = c.req.valid("query");
    const principal = c.get("principal");
    const [org] = await c
      .get("db")
      .select({ id: partyOrgs.id, tenantId: partyOrgs.tenantId })
      .from(partyOrgs)
      .where(
        and(
          eq(partyOrgs.id, q.orgId),
          withinReach(principal, {
            tenantId: partyOrgs.tenantId,
            divisionPath: partyOrgs.divisionPath,
            unitOrgId: partyOrgs.id,
          }),
        ),
      );
    if (!org) throw new ApiError("not_found", msg("generic.no_such", { what: thing("party organisation") }));
    const rows = await c
      .get("db")
      .select({
        memberId: meetingAttendance.memberId,
        meetings: count(),
        present: sql<number>`sum(${meetingAttendance.present})`,
      })
      .from(meetingAttendance)
      .where(
        and(
          eq(meetingAttendance.tenantId, org.tenantId),
          eq(meetingAttendance.orgId, org.id),
          gte(meetingAttendance.heldOn, q.from),
          lte(meetingAttendance.heldOn, q.to),
        ),
      )
      .groupBy(meetingAttendance.memberId);
    const [meetings] = await c
      .get("db")
      .select({ n: count() })
      .from(orgMeetings)
      .where(
        and(
          eq(orgMeetings.tenantId, org.tenantId),
          eq(orgMeetings.orgId, org.id),
          gte(orgMeetings.heldOn, q.from),
          lte(orgMeetings.heldOn, q.to),
        ),
      );
    const expected = rows.reduce((n, r) => n + r.meetings, 0);
    const attended = rows.reduce((n, r) => n + Number(r.present), 0);
    return c.json(
      {
        orgId: org.id,
        from: q.from,
        to: q.to,
        meetings: meetings?.n ?? 0,
        expected,
        present: attended,
        rate: rate(attended, expected),
        members: rows.map((r) => ({
          memberId: r.memberId,
          meetings: r.meetings,
          present: Number(r.present),
          rate: rate(Number(r.present), r.meetings) ?? 0,
        })),
      },
      200,
    );
  });
