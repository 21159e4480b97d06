import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, patchWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite, requireReference } from "../../shared/store/references.js";
import { partyOrgs } from "../organisations/tables.js";
import { skillListSchema, tag, teamId } from "./common.js";
import { teamModes, teams, volunteerSources } from "./tables.js";
import { zodMessage } from "../../shared/http/messages.js";

const orgId = idSchema("org");

const teamFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "富康社区急时小分队" }),
  mode: z.enum(teamModes).openapi({
    description:
      "normal: 平时小分队 (paged only when an incident asks for them); emergency: 急时小分队; mobile: 应急志愿服务机动队伍.",
  }),
  divisionId: divisionIdSchema.openapi({
    description: "The owning division (county, street, town or community): incidents affecting its area page the team.",
  }),
  orgId: orgId.nullable().openapi({ description: "The organisation that fields the team, if any." }),
  source: z.enum(volunteerSources).nullable().openapi({
    description:
      "Whom the team draws on when it is one group's, e.g. `new_employment` for the couriers', riders' and drivers' teams (新就业群体); null for a mixed team.",
    example: null,
  }),
  skills: skillListSchema,
  quorum: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .openapi({ description: "Volunteers who must answer available by the deadline.", example: 3 }),
  responseDeadlineMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .openapi({ example: 30 }),
  active: z.boolean(),
};

const teamSchema = z
  .object({ id: teamId, tenant: z.string().openapi({ example: "620902" }), ...teamFields, ...timestampsSchema })
  .openapi("Team");

const createTeamSchema = z
  .object({
    ...teamFields,
    orgId: teamFields.orgId.unwrap().optional(),
    source: teamFields.source.unwrap().optional(),
    skills: skillListSchema.default([]),
    active: z.boolean().default(true),
  })
  .strict()
  .openapi("CreateTeam", {
    example: {
      name: "富康社区急时小分队",
      mode: "emergency",
      divisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
      skills: ["lifting", "driving"],
      quorum: 3,
      responseDeadlineMinutes: 30,
    },
  });

const patchTeamSchema = z
  .object({
    name: teamFields.name,
    mode: teamFields.mode,
    skills: teamFields.skills,
    quorum: teamFields.quorum,
    responseDeadlineMinutes: teamFields.responseDeadlineMinutes,
    active: teamFields.active,
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchTeam", { example: { quorum: 4 } });

export type TeamRow = typeof teams.$inferSelect;

const present = (row: TeamRow) => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  mode: row.mode,
  divisionId: row.divisionId,
  orgId: row.orgId,
  source: row.source,
  skills: row.skills as z.infer<typeof skillListSchema>,
  quorum: row.quorum,
  responseDeadlineMinutes: row.responseDeadlineMinutes,
  active: row.active,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const teamReach = { divisionPath: teams.divisionPath };
export const findTeam = (c: Context<AppEnv>, id: string) => findWithinReach(c, teams, teamReach, id, "team");
const teamResponse = (description: string) => versionedResponse(teamSchema, description);

const createTeam = protectedRoute({
  method: "post",
  path: "/v1/teams",
  operationId: "createTeam",
  tags: [tag],
  summary: "Form a volunteer team",
  scope: "emergency:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createTeamSchema } } } },
  responses: { 201: teamResponse("The team was formed (add members with `POST /v1/teams/{id}/members`).") },
});

const listTeams = protectedRoute({
  method: "get",
  path: "/v1/teams",
  operationId: "listTeams",
  tags: [tag],
  summary: "Teams within reach",
  scope: "emergency:read",
  request: {
    query: pageQuerySchema.extend({
      mode: z.enum(teamModes).optional(),
      divisionId: divisionIdSchema.optional(),
      source: z
        .enum(volunteerSources)
        .optional()
        .openapi({ description: "e.g. `new_employment`: the 新就业群体 teams." }),
    }),
  },
  responses: {
    200: {
      description: "A page of teams.",
      content: { "application/json": { schema: pageOf(teamSchema, "TeamPage") } },
    },
  },
});

const getTeam = protectedRoute({
  method: "get",
  path: "/v1/teams/{id}",
  operationId: "getTeam",
  tags: [tag],
  summary: "One team",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: teamId }) },
  responses: { 200: teamResponse("The team.") },
});

const updateTeam = protectedRoute({
  method: "patch",
  path: "/v1/teams/{id}",
  operationId: "updateTeam",
  tags: [tag],
  summary: "Change a team",
  description: "Changes apply to future activations; rosters already snapshotted by an incident stay as they were.",
  scope: "emergency:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: teamId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchTeamSchema } } },
  },
  responses: { 200: teamResponse("The updated team.") },
});

export const teamRoutes = createRouter()
  .openapi(createTeam, async (c) => {
    const body = c.req.valid("json");
    const division = await requireDivisionForWrite(c, body.divisionId, {
      pointer: "/divisionId",
      levels: ["county", "street", "town", "community"],
    });
    if (body.orgId)
      await requireReference(c, partyOrgs, { divisionPath: partyOrgs.divisionPath }, body.orgId, {
        pointer: "/orgId",
        what: "party organisation",
      });
    const now = c.get("clock").now();
    const row: TeamRow = {
      id: newId("team", now.getTime()),
      tenantId: c.get("principal").tenant,
      name: body.name,
      mode: body.mode,
      divisionId: division.id,
      divisionPath: division.path,
      divisionLevel: division.level,
      orgId: body.orgId ?? null,
      source: body.source ?? null,
      skills: body.skills,
      quorum: body.quorum,
      responseDeadlineMinutes: body.responseDeadlineMinutes,
      active: body.active,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/teams/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(teams).values(row)],
      audit: {
        action: "team.create",
        targetType: "team",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body), mode: row.mode },
      },
      events: [
        {
          type: "team.formed",
          subjectType: "team",
          subjectId: row.id,
          payload: { teamId: row.id, mode: row.mode, divisionId: row.divisionId },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listTeams, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, teams, teamReach, q, {
      mode: [teams.mode, q.mode],
      divisionId: [teams.divisionId, q.divisionId],
      source: [teams.source, q.source],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getTeam, async (c) => {
    const row = await findTeam(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(updateTeam, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    // Nothing here depends on the row as stored: one round trip checks reach and version and writes.
    const updated = await patchWithinReach(c, {
      table: teams,
      reach: teamReach,
      id: c.req.valid("param").id,
      what: "team",
      expectedVersion,
      set: patch,
      audit: { action: "team.update", targetType: "team", changes: { fields: Object.keys(patch) } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
