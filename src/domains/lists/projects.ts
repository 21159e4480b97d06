import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq, exists, inArray, or, sql, type SQL } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import type { Principal } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import { actionRoutes, type ActionEffects } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, type FieldError } from "../../shared/http/errors.js";
import { createRouter, etagHeader, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, GuardFailed } from "../../shared/store/commit.js";
import { findVisible, readRows } from "../../shared/store/records.js";
import { requireReference, unknownReference } from "../../shared/store/references.js";
import { partyOrgs } from "../organisations/tables.js";
import { moveGuarded, tag, titleSchema } from "./common.js";
import { needMachine, projectMachine } from "./machines.js";
import { needEventPayload, needId } from "./needs.js";
import { resourceId, resourceReach } from "./resources.js";
import { needs, projectResources, projects, projectStatuses, resources } from "./tables.js";
import { msg, thing } from "../../shared/http/messages.js";

const projectId = idSchema("proj");
const orgId = idSchema("org");

const projectSchema = z
  .object({
    id: projectId,
    tenant: z.string().openapi({ example: "620902" }),
    needId,
    title: titleSchema.openapi({ example: "助餐送餐项目" }),
    ownerOrgId: orgId.nullable().openapi({ description: "The party organisation responsible for the project." }),
    resourceIds: z.array(resourceId).openapi({ description: "The resources matched to the need." }),
    status: z.enum(projectStatuses).openapi({
      description: "open → claimed → in_progress → done → closed; cancelled from open, claimed or in_progress.",
    }),
    ...timestampsSchema,
  })
  .openapi("Project");

const createProjectSchema = z
  .object({
    needId,
    resourceIds: z
      .array(resourceId)
      .min(1)
      .max(20)
      .openapi({ description: "1–20 resources within your reach, each once." }),
    ownerOrgId: orgId.openapi({ description: "A party organisation of your tenant." }),
    title: titleSchema.openapi({ example: "助餐送餐项目" }),
  })
  .strict()
  .openapi("CreateProject", {
    example: {
      needId: "need_01KDVDNA011AKWK3RC504FTYF8",
      resourceIds: ["res_01KDVDNA011AKWK3RC504FTYF8"],
      ownerOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      title: "助餐送餐项目",
    },
  });

type ProjectRow = typeof projects.$inferSelect;

const present = (row: ProjectRow, resourceIds: string[]) => ({
  id: row.id,
  tenant: row.tenantId,
  needId: row.needId,
  title: row.title,
  ownerOrgId: row.ownerOrgId,
  resourceIds,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
const eventPayload = (row: ProjectRow) => ({
  projectId: row.id,
  needId: row.needId,
  ownerOrgId: row.ownerOrgId,
  status: row.status,
});

/** The resources of a page of projects, in one query. */
async function resourceIdsOf(c: Context<AppEnv>, rows: ProjectRow[]): Promise<Map<string, string[]>> {
  const byProject = new Map<string, string[]>(rows.map((r) => [r.id, []]));
  if (rows.length === 0) return byProject;
  const links = await resourceLinks(
    c,
    inArray(projectResources.tenantId, [...new Set(rows.map((r) => r.tenantId))]),
    rows.map((r) => r.id),
  );
  for (const link of links) byProject.get(link.projectId)?.push(link.resourceId);
  return byProject;
}

const resourceLinks = (c: Context<AppEnv>, tenant: SQL, projectIds: string[]) =>
  c
    .get("db")
    .select({ projectId: projectResources.projectId, resourceId: projectResources.resourceId })
    .from(projectResources)
    .where(and(tenant, inArray(projectResources.projectId, projectIds)))
    .orderBy(asc(projectResources.projectId), asc(projectResources.resourceId));

const presentOne = async (row: ProjectRow, c: Context<AppEnv>) =>
  present(row, (await resourceIdsOf(c, [row])).get(row.id) ?? []);

/** `presentOne` with its resources read in an action's own batch. */
const presentAlong = {
  read: (c: Context<AppEnv>, id: string) =>
    resourceLinks(
      c,
      eq(projectResources.tenantId, sql`(select ${projects.tenantId} from ${projects} where ${projects.id} = ${id})`),
      [id],
    ),
  present: (row: ProjectRow, read: unknown) =>
    present(
      row,
      (read as { resourceId: string }[]).map((link) => link.resourceId),
    ),
};

/** A project one of whose resources this unit org or member offered. */
function offeredTo(c: Context<AppEnv>, who: { unitOrgId?: string; memberId?: string }): SQL | undefined {
  const offered = [
    who.unitOrgId ? eq(resources.unitOrgId, who.unitOrgId) : undefined,
    who.memberId ? eq(resources.memberId, who.memberId) : undefined,
  ].filter((s): s is SQL => s !== undefined);
  if (offered.length === 0) return undefined;
  return exists(
    c
      .get("db")
      .select({ one: sql`1` })
      .from(projectResources)
      .innerJoin(
        resources,
        and(eq(resources.tenantId, projectResources.tenantId), eq(resources.id, projectResources.resourceId)),
      )
      .where(
        and(
          eq(projectResources.tenantId, projects.tenantId),
          eq(projectResources.projectId, projects.id),
          or(...offered),
        ),
      ),
  );
}

/**
 * Administrators see the projects of their subtree. A unit admin sees the projects its org owns
 * or offered a resource to, a member those they offered a resource to.
 */
function projectReach(c: Context<AppEnv>, principal: Principal): SQL {
  const columns = { tenantId: projects.tenantId, divisionPath: projects.divisionPath };
  if (!principal.owner) return withinReach(principal, columns);
  const { unitOrgId } = principal.owner;
  const involved = or(unitOrgId ? eq(projects.ownerOrgId, unitOrgId) : undefined, offeredTo(c, principal.owner));
  return and(withinReach({ ...principal, owner: undefined }, columns), involved ?? sql`0`)!;
}

const findProject = (c: Context<AppEnv>, id: string): Promise<ProjectRow> =>
  findVisible(c, projects, id, "project", projectReach(c, c.get("principal")));

const createProject = protectedRoute({
  method: "post",
  path: "/v1/projects",
  operationId: "createProject",
  tags: [tag],
  summary: "Match an open need with resources and an owner (项目清单)",
  description:
    "Sets the need to matched in the same write, only if it is still open: of two concurrent projects for one need exactly one is created, the other gets 409.",
  scope: "lists:write",
  idempotent: true,
  errors: [409],
  request: { body: { required: true, content: { "application/json": { schema: createProjectSchema } } } },
  responses: {
    201: {
      description: "The project was created, open.",
      headers: etagHeader,
      content: { "application/json": { schema: projectSchema } },
    },
  },
});

const listProjects = protectedRoute({
  method: "get",
  path: "/v1/projects",
  operationId: "listProjects",
  tags: [tag],
  summary: "Projects within reach",
  scope: "lists:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(projectStatuses).optional(),
      needId: needId.optional(),
      ownerOrgId: orgId.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of projects, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(projectSchema, "ProjectPage") } },
    },
  },
});

const getProject = protectedRoute({
  method: "get",
  path: "/v1/projects/{id}",
  operationId: "getProject",
  tags: [tag],
  summary: "One project",
  scope: "lists:read",
  errors: [404],
  request: { params: z.object({ id: projectId }) },
  responses: {
    200: {
      description: "The project.",
      headers: etagHeader,
      content: { "application/json": { schema: projectSchema } },
    },
  },
});

/** Every listed resource must be within reach and listed once; all bad entries are reported at once. */
async function requireResources(c: Context<AppEnv>, ids: string[]) {
  const found = await c
    .get("db")
    .select({ id: resources.id })
    .from(resources)
    .where(
      and(
        inArray(resources.id, ids),
        eq(resources.tenantId, c.get("principal").tenant),
        withinReach(c.get("principal"), { tenantId: resources.tenantId, ...resourceReach }),
      ),
    );
  const known = new Set(found.map((r) => r.id));
  const errors: FieldError[] = [];
  ids.forEach((id, i) => {
    if (!known.has(id))
      errors.push({
        in: "body",
        pointer: `/resourceIds/${i}`,
        detail: msg("generic.no_such_within_reach", { what: thing("resource") }),
      });
    else if (ids.indexOf(id) !== i)
      errors.push({ in: "body", pointer: `/resourceIds/${i}`, detail: msg("field.listed_twice") });
  });
  if (errors.length)
    throw new ApiError("validation_failed", msg("lists.resources_unusable", { count: errors.length }), { errors });
}

async function requireOwnerOrg(c: Context<AppEnv>, id: string) {
  const [org] = await c
    .get("db")
    .select({ id: partyOrgs.id })
    .from(partyOrgs)
    .where(and(eq(partyOrgs.id, id), eq(partyOrgs.tenantId, c.get("principal").tenant)));
  if (!org) throw unknownReference("/ownerOrgId", "party organisation");
  return org;
}

const needOf = (row: ProjectRow) => and(eq(needs.tenantId, row.tenantId), eq(needs.id, row.needId))!;

/** A project's close closes its need, its cancel opens it again: guarded, in the project's batch. */
async function needFollows(
  c: Context<AppEnv>,
  row: ProjectRow,
  to: "closed" | "open",
): Promise<ActionEffects<ProjectRow>> {
  const [need] = await c.get("db").select().from(needs).where(needOf(row));
  const type = to === "closed" ? "need.closed" : "need.unmatched";
  return {
    writes: moveGuarded(c, needs, needOf(row), ["matched"], to, c.get("clock").now().toISOString()),
    events: need
      ? [
          {
            type,
            subjectType: "need",
            subjectId: need.id,
            payload: { ...needEventPayload({ ...need, status: to }), projectId: row.id },
          },
        ]
      : [],
    changes: { needId: row.needId, need: ["matched", to] },
  };
}

export const projectRoutes = createRouter()
  .openapi(createProject, async (c) => {
    const body = c.req.valid("json");
    const need = await requireReference(c, needs, { divisionPath: needs.divisionPath }, body.needId, {
      pointer: "/needId",
      what: "need",
    });
    needMachine.next(need.status, "match");
    await requireResources(c, body.resourceIds);
    await requireOwnerOrg(c, body.ownerOrgId);
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: ProjectRow = {
      id: newId("proj", now.getTime()),
      tenantId: c.get("principal").tenant,
      needId: need.id,
      divisionPath: need.divisionPath,
      title: body.title,
      ownerOrgId: body.ownerOrgId,
      status: "open",
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const response = present(row, [...body.resourceIds].sort());
    const headers = { etag: etagOf(row.version), location: `/v1/projects/${row.id}` };
    try {
      await commit(
        c,
        {
          writes: [
            // The need must still be open when this batch runs, or nothing is written.
            ...moveGuarded(
              c,
              needs,
              and(eq(needs.tenantId, need.tenantId), eq(needs.id, need.id))!,
              ["open"],
              "matched",
              at,
            ),
            c.get("db").insert(projects).values(row),
            c
              .get("db")
              .insert(projectResources)
              .values(
                body.resourceIds.map((resourceId) => ({ tenantId: row.tenantId, projectId: row.id, resourceId })),
              ),
          ],
          audit: [
            {
              action: "project.create",
              targetType: "project",
              targetId: row.id,
              divisionPath: row.divisionPath,
              changes: { fields: Object.keys(body) },
            },
            {
              action: "need.match",
              targetType: "need",
              targetId: need.id,
              divisionPath: need.divisionPath,
              changes: { status: ["open", "matched"], projectId: row.id },
            },
          ],
          events: [
            {
              type: "project.created",
              subjectType: "project",
              subjectId: row.id,
              payload: { ...eventPayload(row), resourceIds: body.resourceIds },
            },
            {
              type: "need.matched",
              subjectType: "need",
              subjectId: need.id,
              payload: { ...needEventPayload({ ...need, status: "matched" }), projectId: row.id },
            },
          ],
        },
        { status: 201, body: response, headers },
      );
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("conflict", msg("lists.need_taken"));
      throw err;
    }
    return c.json(response, 201, headers);
  })
  .openapi(listProjects, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(projects.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(projects)
        .where(
          and(
            projectReach(c, c.get("principal")),
            q.status ? eq(projects.status, q.status) : undefined,
            q.needId ? eq(projects.needId, q.needId) : undefined,
            q.ownerOrgId ? eq(projects.ownerOrgId, q.ownerOrgId) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    const links = await resourceIdsOf(c, page.data);
    return c.json({ data: page.data.map((r) => present(r, links.get(r.id) ?? [])), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getProject, async (c) => {
    const row = await findProject(c, c.req.valid("param").id);
    return c.json(await presentOne(row, c), 200, { etag: etagOf(row.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/projects",
      tag,
      idSchema: projectId,
      schema: projectSchema,
      targetType: "project",
      machine: projectMachine,
      table: projects,
      find: findProject,
      visible: (c) => projectReach(c, c.get("principal")),
      present: presentOne,
      presentAlong,
      eventPayload,
      actions: {
        claim: {
          operationId: "claimProject",
          summary: "Take a project on",
          description:
            "By a unit admin whose organisation offered one of the project's resources or owns the project, or by an administrator within reach acting for the owner.",
          scope: "projects:claim",
          event: "claimed",
          // Only to say why nothing was written: the update itself carries `allowed`.
          authorize: async (c, row) => {
            const [hit] = await c
              .get("db")
              .select({ id: projects.id })
              .from(projects)
              .where(and(eq(projects.id, row.id), mayClaim(c)));
            if (!hit) throw new ApiError("forbidden", msg("lists.project_claim_who"));
          },
          allowed: mayClaim,
        },
        start: {
          operationId: "startProject",
          summary: "Start work on a claimed project",
          scope: "lists:write",
          event: "started",
        },
        complete: {
          operationId: "completeProject",
          summary: "Mark a project done",
          scope: "lists:write",
          event: "completed",
        },
        close: {
          operationId: "closeProject",
          summary: "Close a done project, and its need with it",
          scope: "lists:write",
          event: "closed",
          effects: (c, row) => needFollows(c, row, "closed"),
        },
        cancel: {
          operationId: "cancelProject",
          summary: "Cancel a project; its need is open again",
          scope: "lists:write",
          event: "cancelled",
          effects: (c, row) => needFollows(c, row, "open"),
        },
      },
    }),
  );

/**
 * Who may claim a project, as a condition on it: an administrator within reach (acting for the
 * owner), or a unit admin whose organisation owns it or offered one of its resources.
 */
function mayClaim(c: Context<AppEnv>): SQL {
  const owner = c.get("principal").owner;
  if (!owner) return sql`1`;
  if (!owner.unitOrgId) return sql`0`;
  return or(eq(projects.ownerOrgId, owner.unitOrgId), offeredTo(c, { unitOrgId: owner.unitOrgId }))!;
}
