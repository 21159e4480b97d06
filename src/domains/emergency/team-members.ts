import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { requireReference } from "../../shared/store/references.js";
import { tag, teamId, teamMemberId, volunteerId } from "./common.js";
import { teamMembers, teamRoles, volunteers } from "./tables.js";
import { findTeam } from "./teams.js";
import { msg } from "../../shared/http/messages.js";
import { readRows } from "../../shared/store/records.js";

const teamMemberSchema = z
  .object({
    id: teamMemberId,
    teamId,
    volunteerId,
    role: z.enum(teamRoles).openapi({ description: "leader (队长), deputy (副队长) or member." }),
    createdAt: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
  })
  .openapi("TeamMember");

const addTeamMemberSchema = z
  .object({ volunteerId, role: z.enum(teamRoles).default("member") })
  .strict()
  .openapi("AddTeamMember", { example: { volunteerId: "vol_01KDVDNA011AKWK3RC504FTYF8", role: "leader" } });

type TeamMemberRow = typeof teamMembers.$inferSelect;
const present = (row: TeamMemberRow) => ({
  id: row.id,
  teamId: row.teamId,
  volunteerId: row.volunteerId,
  role: row.role,
  createdAt: row.createdAt,
});

const addTeamMember = protectedRoute({
  method: "post",
  path: "/v1/teams/{id}/members",
  operationId: "addTeamMember",
  tags: [tag],
  summary: "Add a volunteer to a team",
  description:
    "A volunteer may belong to several teams. Already a member: 409. Incidents already activated keep the roster they snapshotted.",
  scope: "emergency:write",
  idempotent: true,
  errors: [404],
  request: {
    params: z.object({ id: teamId }),
    body: { required: true, content: { "application/json": { schema: addTeamMemberSchema } } },
  },
  responses: {
    201: {
      description: "The membership.",
      headers: { Location: { description: "The team's member list.", schema: { type: "string" as const } } },
      content: { "application/json": { schema: teamMemberSchema } },
    },
  },
});

const listTeamMembers = protectedRoute({
  method: "get",
  path: "/v1/teams/{id}/members",
  operationId: "listTeamMembers",
  tags: [tag],
  summary: "A team's members",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: teamId }), query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of memberships, in the order they were added.",
      content: { "application/json": { schema: pageOf(teamMemberSchema, "TeamMemberPage") } },
    },
  },
});

const removeTeamMember = protectedRoute({
  method: "delete",
  path: "/v1/teams/{id}/members/{memberId}",
  operationId: "removeTeamMember",
  tags: [tag],
  summary: "Remove a volunteer from a team",
  description: "Audited. Rosters already snapshotted by incidents are not touched.",
  scope: "emergency:write",
  errors: [404, 409],
  request: { params: z.object({ id: teamId, memberId: teamMemberId }) },
  responses: { 204: { description: "Removed." } },
});

export const teamMemberRoutes = createRouter()
  .openapi(addTeamMember, async (c) => {
    const team = await findTeam(c, c.req.valid("param").id);
    const body = c.req.valid("json");
    const volunteer = await requireReference(
      c,
      volunteers,
      { divisionPath: volunteers.divisionPath },
      body.volunteerId,
      {
        pointer: "/volunteerId",
        what: "volunteer",
      },
    );
    const now = c.get("clock").now();
    const row: TeamMemberRow = {
      id: newId("tmem", now.getTime()),
      tenantId: team.tenantId,
      teamId: team.id,
      volunteerId: volunteer.id,
      role: body.role,
      divisionPath: team.divisionPath,
      createdAt: now.toISOString(),
    };
    const response = present(row);
    const location = `/v1/teams/${team.id}/members`;
    await commit(
      c,
      {
        writes: [c.get("db").insert(teamMembers).values(row)],
        audit: {
          action: "team.member_added",
          targetType: "team",
          targetId: team.id,
          divisionPath: team.divisionPath,
          changes: { volunteerId: volunteer.id, role: row.role },
        },
        events: [
          {
            type: "team.member_added",
            subjectType: "team",
            subjectId: team.id,
            payload: { teamId: team.id, volunteerId: volunteer.id, role: row.role },
          },
        ],
        conflicts: { "team_members.volunteer_id": msg("unique.team_member") },
      },
      { status: 201, body: response, headers: { location } },
    );
    return c.json(response, 201, { location });
  })
  .openapi(listTeamMembers, async (c) => {
    const team = await findTeam(c, c.req.valid("param").id);
    const keys = keyset(teamMembers.id, c.req.valid("query"));
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(teamMembers)
        .where(and(eq(teamMembers.tenantId, team.tenantId), eq(teamMembers.teamId, team.id), keys.after))
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(removeTeamMember, async (c) => {
    const { id, memberId } = c.req.valid("param");
    const team = await findTeam(c, id);
    const [membership] = await c
      .get("db")
      .select()
      .from(teamMembers)
      .where(
        and(eq(teamMembers.tenantId, team.tenantId), eq(teamMembers.teamId, team.id), eq(teamMembers.id, memberId)),
      );
    if (!membership) throw notFound("team member");
    try {
      await commit(c, {
        writes: [
          c
            .get("db")
            .delete(teamMembers)
            .where(and(eq(teamMembers.tenantId, team.tenantId), eq(teamMembers.id, membership.id))),
          guardChanged(),
        ],
        audit: {
          action: "team.member_removed",
          targetType: "team",
          targetId: team.id,
          divisionPath: team.divisionPath,
          changes: { volunteerId: membership.volunteerId },
        },
        events: [
          {
            type: "team.member_removed",
            subjectType: "team",
            subjectId: team.id,
            payload: { teamId: team.id, volunteerId: membership.volunteerId, role: membership.role },
          },
        ],
      });
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("conflict", msg("emergency.membership_removed"));
      throw err;
    }
    return c.body(null, 204);
  });
