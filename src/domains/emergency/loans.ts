import { z } from "@hono/zod-openapi";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { tenants } from "../../db/tables.js";
import { newId } from "../../db/ids.js";
import { actorOf } from "../../shared/auth/principal.js";
import { actionRoutes } from "../../shared/api/actions.js";
import { createRouter, etagHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { etagOf } from "../../shared/http/etag.js";
import { msg } from "../../shared/http/messages.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { type AuditEntry, commitCreated, type DomainEvent, guardChanged } from "../../shared/store/commit.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { unknownReference } from "../../shared/store/references.js";
import { activationWrites } from "./activation.js";
import { incidentId, tag, teamId } from "./common.js";
import { checkedInCount, postHours } from "./hours.js";
import {
  findIncident,
  incidentEventPayload,
  incidentMachine,
  newIncidentRow,
  type IncidentRow,
} from "./incident-model.js";
import { deliverLater } from "./delivery.js";
import { countsShape, numbers, type tally, tallySql } from "./progress.js";
import { incidents, loanStatuses, notifications, teamLoans, teams } from "./tables.js";

/**
 * Loans between counties (跨区县借调): a county asks another county for one of its mobile teams
 * (机动队伍) for an incident; the lending county accepts or declines; the borrower may cancel while
 * it waits. On acceptance, in the same commit, the lender's tenant gets an incident of its own that
 * pages only the lent team (`incidents.loan_id`): its roster, pages, answers, check-ins and hours stay
 * in the lender's tenant, so the borrower sees the lent team's counts
 * (`GET /v1/incidents/{id}/lent-teams`) and never its volunteers. This is the only way a county
 * activates anyone in another county.
 */
export const loanId = idSchema("loan");

export const loanMachine = defineMachine("team loan", loanStatuses, {
  accept: { from: ["requested"], to: "accepted" },
  decline: { from: ["requested"], to: "declined" },
  cancel: { from: ["requested"], to: "cancelled" },
});

type LoanRow = typeof teamLoans.$inferSelect;

const loanSchema = z
  .object({
    id: loanId,
    tenant: z.string().openapi({ description: "The borrowing county.", example: "620902" }),
    incidentId,
    lenderTenant: z.string().openapi({ description: "The lending county.", example: "620981" }),
    teamId,
    teamName: z.string().openapi({ example: "玉门市应急志愿服务机动队" }),
    note: z.string().nullable(),
    status: z.enum(loanStatuses).openapi({ description: "requested → accepted | declined | cancelled." }),
    lenderIncidentId: incidentId.nullable().openapi({
      description: "Once accepted: the lender's incident paging the lent team (readable by the lender only).",
    }),
    decidedAt: z.string().nullable(),
    ...timestampsSchema,
  })
  .openapi("TeamLoan");

const requestLoanSchema = z
  .object({
    incidentId,
    teamId: teamId.openapi({ description: "An active mobile team of another county-level tenant." }),
    note: z.string().trim().max(500).optional(),
  })
  .strict()
  .openapi("RequestTeamLoan", {
    example: {
      incidentId: "inc_01KDVDNA011AKWK3RC504FTYF8",
      teamId: "team_01KDVDNA011AKWK3RC504FTYF8",
      note: "瓜州滞留旅客安置需要支援",
    },
  });

const present = (row: LoanRow) => ({
  id: row.id,
  tenant: row.tenantId,
  incidentId: row.incidentId,
  lenderTenant: row.lenderTenantId,
  teamId: row.teamId,
  teamName: row.teamName,
  note: row.note,
  status: row.status,
  lenderIncidentId: row.mirrorIncidentId,
  decidedAt: row.decidedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const eventPayload = (row: LoanRow) => ({
  loanId: row.id,
  incidentId: row.incidentId,
  borrowerTenant: row.tenantId,
  lenderTenant: row.lenderTenantId,
  teamId: row.teamId,
  status: row.status,
});

const requestLoan = protectedRoute({
  method: "post",
  path: "/v1/team-loans",
  operationId: "requestTeamLoan",
  tags: [tag],
  summary: "Ask another county for one of its mobile teams for an incident",
  description:
    "The incident must be within reach and declared or active (409 otherwise); the team an active mobile team of another county-level tenant (400 at `/teamId` otherwise). The lender is told by a `team_loan.requested` event in its outbox.",
  scope: "teams:lend",
  idempotent: true,
  errors: [409],
  request: { body: { required: true, content: { "application/json": { schema: requestLoanSchema } } } },
  responses: {
    201: {
      description: "The request.",
      headers: { ...etagHeader, Location: { description: "The loan.", schema: { type: "string" as const } } },
      content: { "application/json": { schema: loanSchema } },
    },
  },
});

const listLoans = protectedRoute({
  method: "get",
  path: "/v1/team-loans",
  operationId: "listTeamLoans",
  tags: [tag],
  summary: "Loans the caller's county asked for or was asked for",
  scope: "emergency:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(loanStatuses).optional(),
      side: z.enum(["borrower", "lender"]).optional().openapi({ description: "Only one side (default both)." }),
    }),
  },
  responses: {
    200: {
      description: "A page of loans.",
      content: { "application/json": { schema: pageOf(loanSchema, "TeamLoanPage") } },
    },
  },
});

const getLoan = protectedRoute({
  method: "get",
  path: "/v1/team-loans/{id}",
  operationId: "getTeamLoan",
  tags: [tag],
  summary: "One loan (the borrower's and the lender's county see it)",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: loanId }) },
  responses: { 200: versionedResponse(loanSchema, "The loan.") },
});

const lentTeamsRoute = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/lent-teams",
  operationId: "listIncidentLentTeams",
  tags: [tag],
  summary: "The teams lent to this incident by other counties, with their counts",
  description:
    "Counts only (paged, delivered, available, unavailable, no answer, checked in) per accepted loan: the lent volunteers' identities and answers stay with the lending county.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }), query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of lent teams.",
      content: {
        "application/json": {
          schema: pageOf(
            z
              .object({ loanId, teamId, teamName: z.string(), lenderTenant: z.string(), ...countsShape })
              .openapi("LentTeamProgress"),
            "LentTeamProgressPage",
          ),
        },
      },
    },
  },
});

/** Both sides' counties see a loan; the city sees every one. Divisions below the county do not. */
function loanReach(c: Context<AppEnv>) {
  const p = c.get("principal");
  if (p.crossTenant) return sql`1`;
  const side = or(eq(teamLoans.tenantId, p.tenant), eq(teamLoans.lenderTenantId, p.tenant))!;
  return p.org
    ? and(
        eq(teamLoans.tenantId, p.tenant),
        sql`${teamLoans.divisionPath} >= ${p.org.path}
    and ${teamLoans.divisionPath} < ${`${p.org.path.slice(0, -1)}0`}`,
      )!
    : side;
}

async function findLoan(c: Context<AppEnv>, id: string) {
  const [row] = await c
    .get("db")
    .select()
    .from(teamLoans)
    .where(and(eq(teamLoans.id, id), loanReach(c)));
  if (!row) throw notFound("team loan");
  return row;
}

/** Only the lending county decides; only the borrowing county withdraws (403 for the other side). */
const lenderOnly = (c: Context<AppEnv>, row: LoanRow) => {
  if (c.get("principal").tenant !== row.lenderTenantId)
    throw new ApiError("forbidden", msg("emergency.loan_lender_only"));
};
const borrowerOnly = (c: Context<AppEnv>, row: LoanRow) => {
  if (c.get("principal").tenant !== row.tenantId) throw new ApiError("forbidden", msg("emergency.loan_borrower_only"));
};

/** Events to both counties' outboxes. */
const bothSides = (row: LoanRow, status: LoanRow["status"], event: string) =>
  [row.tenantId, row.lenderTenantId].map((tenantId) => ({
    tenantId,
    type: `team_loan.${event}`,
    subjectType: "team_loan",
    subjectId: row.id,
    payload: eventPayload({ ...row, status }),
  }));

/**
 * The lender's trail records every move on a loan as the borrower's does (the record's own trail is
 * the borrower's): who decided or withdrew, and the status change, in the same commit.
 */
const lenderTrail = (
  row: LoanRow,
  action: keyof typeof loanMachine.transitions,
  changes: Record<string, unknown> = {},
) => ({
  action: `team_loan.${action}`,
  targetType: "team_loan",
  targetId: row.id,
  tenantId: row.lenderTenantId,
  changes: { status: [row.status, loanMachine.transitions[action].to], ...changes },
});

/** The lender's incident paging the lent team, as the borrower's incident says (headline, drill, type). */
async function lenderIncident(c: Context<AppEnv>, loan: LoanRow): Promise<IncidentRow> {
  const [borrowed] = await c
    .get("db")
    .select()
    .from(incidents)
    .where(and(eq(incidents.tenantId, loan.tenantId), eq(incidents.id, loan.incidentId)));
  if (borrowed?.status !== "active" && borrowed?.status !== "declared")
    throw new ApiError("conflict", msg("emergency.loan_incident_over"));
  const [team] = await c
    .get("db")
    .select({ divisionId: teams.divisionId, divisionPath: teams.divisionPath })
    .from(teams)
    .where(and(eq(teams.tenantId, loan.lenderTenantId), eq(teams.id, loan.teamId)));
  if (!team) throw new ApiError("conflict", msg("emergency.loan_team_gone"));
  const at = c.get("clock").now().toISOString();
  const row = newIncidentRow(
    { ...borrowed, dedupKey: `loan:${loan.id}` },
    { id: newId("inc", Date.parse(at)), tenantId: loan.lenderTenantId, divisions: [], divisionPath: team.divisionPath },
    {
      message: { prefix: borrowed.messagePrefix, suffix: borrowed.messageSuffix },
      activate: true,
      declaredBy: actorOf(c.get("principal")),
      at,
      loanId: loan.id,
    },
  );
  return row;
}

type FollowingMove = "stand_down" | "close" | "cancel";
const eventOf: Record<FollowingMove, string> = { stand_down: "stood_down", close: "closed", cancel: "cancelled" };
const stampOf = { stand_down: "stoodDownAt", close: "closedAt", cancel: "cancelledAt" } as const;

/**
 * When the borrower's incident stands down, closes or is cancelled, the loans follow in the same
 * commit, written through the loan (the only writes one county makes in another's tenant):
 * each lender's incident for an accepted loan makes the same move if its state allows it (standing
 * down keeps the lent volunteers' links for check-out; closing posts their hours to the lender's
 * ledger and expires the links; cancelling stops pages still queued), audited in the lender's trail
 * with an `incident.*` event in its outbox; a request still waiting is withdrawn (`cancelled`),
 * audited in both trails with `team_loan.cancelled` to both. A lender's incident the lender already
 * moved further is left alone. Each write is guarded by the version read, so a concurrent move by
 * the lender is a 409 and the borrower's retry follows the new state.
 */
export async function loansFollow(c: Context<AppEnv>, incident: IncidentRow, move: FollowingMove) {
  const db = c.get("db");
  const [mirrors, waiting] = await db.batch([
    db
      .select({ incident: incidents })
      .from(teamLoans)
      .innerJoin(
        incidents,
        and(eq(incidents.tenantId, teamLoans.lenderTenantId), eq(incidents.id, teamLoans.mirrorIncidentId)),
      )
      .where(
        and(
          eq(teamLoans.tenantId, incident.tenantId),
          eq(teamLoans.incidentId, incident.id),
          eq(teamLoans.status, "accepted"),
          inArray(incidents.status, [...incidentMachine.transitions[move].from]),
        ),
      ),
    db
      .select()
      .from(teamLoans)
      .where(
        and(
          eq(teamLoans.tenantId, incident.tenantId),
          eq(teamLoans.incidentId, incident.id),
          eq(teamLoans.status, "requested"),
        ),
      ),
  ]);
  const at = c.get("clock").now().toISOString();
  const to = incidentMachine.transitions[move].to;
  const writes: BatchItem<"sqlite">[] = [];
  const audit: AuditEntry[] = [];
  const events: DomainEvent[] = [];
  for (const { incident: m } of mirrors) {
    writes.push(
      db
        .update(incidents)
        .set({
          status: to,
          [stampOf[move]]: at,
          ...(move === "close" ? { servedBySite: [] } : {}),
          version: m.version + 1,
          updatedAt: at,
        })
        .where(and(eq(incidents.tenantId, m.tenantId), eq(incidents.id, m.id), eq(incidents.version, m.version))),
      guardChanged(),
    );
    const withHours = move === "close" ? await checkedInCount(c, m) : undefined;
    if (move === "close") writes.push(postHours(c, m));
    audit.push({
      action: `incident.${move}`,
      targetType: "incident",
      targetId: m.id,
      tenantId: m.tenantId,
      divisionPath: m.divisionPath,
      changes: {
        status: [m.status, to],
        loanId: m.loanId,
        borrowerTenant: incident.tenantId,
        ...(withHours === undefined ? {} : { volunteersWithHours: withHours }),
      },
    });
    events.push({
      tenantId: m.tenantId,
      type: `incident.${eventOf[move]}`,
      subjectType: "incident",
      subjectId: m.id,
      payload: {
        ...incidentEventPayload({ ...m, status: to }),
        ...(withHours === undefined ? {} : { volunteersWithHours: withHours }),
      },
    });
  }
  for (const loan of waiting) {
    writes.push(
      db
        .update(teamLoans)
        .set({ status: "cancelled", version: loan.version + 1, updatedAt: at })
        .where(and(eq(teamLoans.id, loan.id), eq(teamLoans.version, loan.version))),
      guardChanged(),
    );
    const changes = { status: ["requested", "cancelled"], incidentStatus: to };
    audit.push(
      {
        action: "team_loan.cancel",
        targetType: "team_loan",
        targetId: loan.id,
        divisionPath: loan.divisionPath,
        changes,
      },
      { ...lenderTrail(loan, "cancel"), changes },
    );
    events.push(...bothSides(loan, "cancelled", "cancelled"));
  }
  return { writes, audit, events };
}

export const loanRoutes = createRouter()
  .openapi(requestLoan, async (c) => {
    const body = c.req.valid("json");
    const incident = await findIncident(c, body.incidentId);
    if (incident.status !== "active" && incident.status !== "declared")
      throw new ApiError("conflict", msg("emergency.loan_incident_over"));
    const [team] = await c
      .get("db")
      .select({ id: teams.id, tenantId: teams.tenantId, name: teams.name })
      .from(teams)
      .innerJoin(tenants, and(eq(tenants.code, teams.tenantId), eq(tenants.level, "county")))
      .where(and(eq(teams.id, body.teamId), eq(teams.mode, "mobile"), eq(teams.active, true)));
    if (!team || team.tenantId === incident.tenantId) throw unknownReference("/teamId", "team");
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: LoanRow = {
      id: newId("loan", now.getTime()),
      tenantId: incident.tenantId,
      incidentId: incident.id,
      divisionPath: incident.divisionPath,
      lenderTenantId: team.tenantId,
      teamId: team.id,
      teamName: team.name,
      note: body.note ?? null,
      status: "requested",
      mirrorIncidentId: null,
      requestedBy: actorOf(c.get("principal")),
      decidedBy: null,
      decidedAt: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const response = present(row);
    const audit = { action: "team_loan.request", targetType: "team_loan", targetId: row.id };
    const changes = { incidentId: row.incidentId, teamId: row.teamId, lenderTenant: row.lenderTenantId };
    const headers = await commitCreated(c, `/v1/team-loans/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(teamLoans).values(row)],
      audit: [
        { ...audit, divisionPath: row.divisionPath, changes },
        { ...audit, tenantId: row.lenderTenantId, changes },
      ],
      events: bothSides(row, "requested", "requested"),
    });
    return c.json(response, 201, headers);
  })
  .openapi(listLoans, async (c) => {
    const q = c.req.valid("query");
    const p = c.get("principal");
    const keys = keyset(teamLoans.id, q);
    const rows = await c
      .get("db")
      .select()
      .from(teamLoans)
      .where(
        and(
          loanReach(c),
          q.status ? eq(teamLoans.status, q.status) : undefined,
          q.side === "borrower" ? eq(teamLoans.tenantId, p.tenant) : undefined,
          q.side === "lender" ? eq(teamLoans.lenderTenantId, p.tenant) : undefined,
          keys.after,
        ),
      )
      .orderBy(keys.orderBy)
      .limit(keys.limit);
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getLoan, async (c) => {
    const row = await findLoan(c, c.req.valid("param").id);
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .openapi(lentTeamsRoute, async (c) => {
    const incident = await findIncident(c, c.req.valid("param").id);
    const keys = keyset(teamLoans.id, c.req.valid("query"));
    const after = keys.afterKey === undefined ? sql`1` : sql`l.id > ${keys.afterKey}`;
    const rows = await c
      .get("db")
      .all<
        { loanId: string; teamId: string; teamName: string; lenderTenant: string } & Record<keyof typeof tally, number>
      >(sql`select l.id as loanId, l.team_id as teamId, l.team_name as teamName, l.lender_tenant_id as lenderTenant, ${tallySql}
      from ${teamLoans} l
      left join ${notifications} n on n.tenant_id = l.lender_tenant_id and n.incident_id = l.mirror_incident_id
      where l.tenant_id = ${incident.tenantId} and l.incident_id = ${incident.id} and l.status = 'accepted' and ${after}
      group by l.id order by l.id limit ${keys.limit}`);
    const page = keys.of(rows);
    return c.json({ data: page.data.map(numbers), nextCursor: page.nextCursor }, 200);
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/team-loans",
      tag,
      idSchema: loanId,
      schema: loanSchema,
      targetType: "team_loan",
      machine: loanMachine,
      table: teamLoans,
      scope: "teams:lend",
      find: findLoan,
      present,
      eventPayload,
      actions: {
        accept: {
          operationId: "acceptTeamLoan",
          summary: "Lend the team: it is paged for the borrower's incident at once",
          description:
            "The lending county only (403 for the borrower). In the same commit, the lender's tenant gets an incident (`lenderIncidentId`, linked by `loanId`) that pages the lent team's roster with the borrower's headline; the borrower sees its counts at `GET /v1/incidents/{id}/lent-teams`.",
          authorize: lenderOnly,
          effects: async (c, row) => {
            const mirror = await lenderIncident(c, row);
            const now = c.get("clock").now();
            const db = c.get("db");
            return {
              set: {
                mirrorIncidentId: mirror.id,
                decidedAt: now.toISOString(),
                decidedBy: actorOf(c.get("principal")),
              },
              writes: [
                db.insert(incidents).values(mirror),
                ...activationWrites(
                  db,
                  mirror,
                  { iso: now.toISOString(), ms: now.getTime() },
                  c.get("paging").channel,
                  "loan",
                ),
              ],
              changes: { lenderIncidentId: mirror.id },
              audit: [
                lenderTrail(row, "accept", { lenderIncidentId: mirror.id }),
                {
                  action: "incident.declare",
                  targetType: "incident",
                  targetId: mirror.id,
                  tenantId: mirror.tenantId,
                  divisionPath: mirror.divisionPath,
                  changes: { loanId: row.id, teamId: row.teamId, borrowerTenant: row.tenantId, activate: true },
                },
              ],
              events: [
                ...bothSides(row, "accepted", "accepted"),
                {
                  tenantId: mirror.tenantId,
                  type: "incident.declared",
                  subjectType: "incident",
                  subjectId: mirror.id,
                  payload: incidentEventPayload(mirror),
                },
              ],
            };
          },
          after: (c, updated) => deliverLater(c, { id: updated.mirrorIncidentId!, tenantId: updated.lenderTenantId }),
        },
        decline: {
          operationId: "declineTeamLoan",
          summary: "Decline to lend the team",
          description: "The lending county only (403 for the borrower).",
          authorize: lenderOnly,
          effects: (c, row) => ({
            set: { decidedAt: c.get("clock").now().toISOString(), decidedBy: actorOf(c.get("principal")) },
            audit: [lenderTrail(row, "decline")],
            events: bothSides(row, "declined", "declined"),
          }),
        },
        cancel: {
          operationId: "cancelTeamLoan",
          summary: "Withdraw a request not yet decided",
          description: "The borrowing county only (403 for the lender).",
          authorize: borrowerOnly,
          effects: (_c, row) => ({
            audit: [lenderTrail(row, "cancel")],
            events: bothSides(row, "cancelled", "cancelled"),
          }),
        },
      },
    }),
  );
