import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { tenants } from "../../db/tables.js";
import { incidents, notifications, rosterEntries, teamActivations, teamModes } from "../emergency/tables.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";

/** One tenant or every county-level tenant (the city), optionally a division subtree (as `StatsScope` in stats.ts). */
type StatsScope = { tenant?: string; path?: string };

/**
 * Emergency response figures for `/v1/stats`: drills and real incidents are never mixed unless asked
 * (`drill=false`, the default: real only; `drill=true`: drills only; `drill=all`). Per team
 * activation: acknowledgements (any answer) among its roster, and the time from activation to the
 * quorum-th `available` answer (time to quorum), aggregated per tenant here and per team at
 * `GET /v1/stats/teams`.
 */
export const drillQuery = z.enum(["false", "true", "all"]).default("false").openapi({
  description: "`false` (default): real incidents only; `true`: drills only; `all`: both together.",
});
export type DrillFilter = z.infer<typeof drillQuery>;

export const emergencyStatsSchema = z
  .object({
    incidents: z
      .number()
      .int()
      .openapi({ description: "Incidents declared (drills or real, per `drill`).", example: 3 }),
    activations: z.number().int().openapi({ description: "Team activations.", example: 12 }),
    rostered: z.number().int().openapi({ description: "Roster places paged.", example: 96 }),
    acknowledged: z.number().int().openapi({ description: "Roster places answered (能到 or 不能到).", example: 80 }),
    ackRate: z
      .number()
      .nullable()
      .openapi({ description: "acknowledged / rostered (null: nobody paged).", example: 0.83 }),
    quorumReached: z
      .number()
      .int()
      .openapi({ description: "Activations whose quorum answered available.", example: 10 }),
    avgSecondsToQuorum: z
      .number()
      .nullable()
      .openapi({ description: "Mean seconds from activation to quorum, over those reaching it.", example: 540 }),
  })
  .openapi("EmergencyStats");

const perActivation = (scope: StatsScope, drill: DrillFilter) => {
  const where: SQL[] = [
    scope.tenant
      ? sql`ta.tenant_id = ${scope.tenant}`
      : sql`ta.tenant_id in (select ${tenants.code} from ${tenants} where ${tenants.level} = 'county')`,
  ];
  if (scope.path)
    where.push(sql`ta.division_path >= ${scope.path} and ta.division_path < ${`${scope.path.slice(0, -1)}0`}`);
  if (drill !== "all") where.push(sql`i.drill = ${drill === "true" ? 1 : 0}`);
  const answered = (which: SQL) => sql`from ${rosterEntries} r join ${notifications} n
      on n.tenant_id = r.tenant_id and n.incident_id = r.incident_id and n.volunteer_id = r.volunteer_id
      where r.tenant_id = ta.tenant_id and r.team_activation_id = ta.id and ${which}`;
  return sql`select ta.tenant_id as tenant, ta.team_id as teamId, ta.team_name as name, ta.mode as mode,
      ta.roster_size as rostered, ta.incident_id as incidentId,
      (select count(*) ${answered(sql`n.answer is not null`)}) as acknowledged,
      (julianday((select at from (select n.answered_at as at, row_number() over (order by n.answered_at) as k
        ${answered(sql`n.answer = 'available'`)}) where k = ta.quorum)) - julianday(ta.created_at)) * 86400 as toQuorum
    from ${teamActivations} ta join ${incidents} i on i.tenant_id = ta.tenant_id and i.id = ta.incident_id
    where ${sql.join(where, sql` and `)}`;
};

const summary = sql`count(distinct incidentId) as incidents, count(*) as activations,
  coalesce(sum(rostered), 0) as rostered, coalesce(sum(acknowledged), 0) as acknowledged,
  count(toQuorum) as quorumReached, avg(toQuorum) as avgSecondsToQuorum`;

type Summary = {
  incidents: number;
  activations: number;
  rostered: number;
  acknowledged: number;
  quorumReached: number;
  avgSecondsToQuorum: number | null;
};

const present = (row: Summary | undefined): z.infer<typeof emergencyStatsSchema> => {
  const rostered = Number(row?.rostered ?? 0);
  const acknowledged = Number(row?.acknowledged ?? 0);
  const avg = row?.avgSecondsToQuorum;
  return {
    incidents: Number(row?.incidents ?? 0),
    activations: Number(row?.activations ?? 0),
    rostered,
    acknowledged,
    ackRate: rostered ? Math.round((acknowledged / rostered) * 1000) / 1000 : null,
    quorumReached: Number(row?.quorumReached ?? 0),
    avgSecondsToQuorum: avg === null || avg === undefined ? null : Math.round(Number(avg)),
  };
};

/** Per tenant: one grouped query over the activations in scope. */
export async function emergencyStats(db: Db, scope: StatsScope, drill: DrillFilter) {
  const rows = await db.all<Summary & { tenant: string }>(
    sql`select tenant, ${summary} from (${perActivation(scope, drill)}) group by tenant`,
  );
  return (tenant: string) => present(rows.find((r) => r.tenant === tenant));
}

const teamStatsSchema = emergencyStatsSchema
  .extend({ tenant: z.string(), teamId: z.string(), name: z.string(), mode: z.enum(teamModes) })
  .openapi("TeamResponseStats");

const teamStats = protectedRoute({
  method: "get",
  path: "/v1/stats/teams",
  operationId: "getTeamResponseStats",
  tags: ["stats"],
  summary: "Per team: acknowledgement rate and time to quorum (drill results with `drill=true`)",
  description:
    "One row per team paged in scope (the caller's tenant and subtree; the city every county), in team id order. Drills and real incidents are never mixed unless `drill=all`.",
  scope: "stats:read",
  request: { query: pageQuerySchema.extend({ drill: drillQuery }) },
  responses: {
    200: {
      description: "A page of teams.",
      content: { "application/json": { schema: pageOf(teamStatsSchema, "TeamResponseStatsPage") } },
    },
  },
});

export const teamStatsRoutes = createRouter().openapi(teamStats, async (c) => {
  const q = c.req.valid("query");
  const p = c.get("principal");
  const scope: StatsScope = { tenant: p.crossTenant ? undefined : p.tenant, path: p.org?.path };
  const keys = keyset(teamActivations.teamId, { ...q, order: "oldest" });
  const after = keys.afterKey === undefined ? sql`1` : sql`teamId > ${keys.afterKey}`;
  const rows = await c.get("db").all<Summary & { tenant: string; teamId: string; name: string; mode: string }>(
    sql`select tenant, teamId, max(name) as name, max(mode) as mode, ${summary}
      from (${perActivation(scope, q.drill)}) where ${after}
      group by tenant, teamId order by teamId limit ${keys.limit}`,
  );
  const page = keys.of(rows, (r) => r.teamId);
  return c.json(
    {
      data: page.data.map((r) => ({
        tenant: r.tenant,
        teamId: r.teamId,
        name: r.name,
        mode: r.mode as (typeof teamModes)[number],
        ...present(r),
      })),
      nextCursor: page.nextCursor,
    },
    200,
  );
});
