import { and, asc, count, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { outboxEvents } from "../../db/tables.js";
import { channelNameFor, type MessageChannel } from "../../shared/messaging.js";
import { sqlNewId, sqlNewToken } from "./common.js";
import {
  incidents,
  notifications,
  rosterEntries,
  teamActivations,
  teamLoans,
  teamMembers,
  teams,
  volunteers,
} from "./tables.js";

/**
 * One key (一键响应), as four set-based statements that run in the incident's commit batch whatever
 * the number of teams and volunteers:
 *
 * 1. every active team of the incident's tenant whose mode is paged (emergency and mobile; normal-time
 *    squads when asked), with one of the requested skills if any, and whose area intersects an
 *    affected division — the team's division lies in an affected subtree, or is a street/town
 *    above an affected division (a county's own teams are its reserve for escalation) — gets a
 *    team activation with its deadline and the size of its roster;
 * 2. each activated team's active members are snapshotted into the roster (later membership
 *    changes do not touch it);
 * 3. each rostered volunteer gets ONE notification (several teams page a volunteer once), with a
 *    fresh answer token and the message rendered around it, queued for the channel;
 * 4. an `incident.activated` outbox event carries the counts (`incident.escalated` for an escalation).
 *
 * Every insert skips what exists (`on conflict do nothing`), so activating twice pages nobody twice.
 * The statements read the incident row itself, so they work in the batch that inserts it.
 */
export function activationWrites(
  db: Db,
  incident: { id: string; tenantId: string },
  at: { iso: string; ms: number },
  /** The channel (or its name) the pages leave by: its name for this tenant is recorded on each page. */
  channel: MessageChannel | string,
  /**
   * `area`: the one key; `county_reserve`: an escalation pages the county's own mobile teams;
   * `loan`: a lender's incident pages the one team its accepted loan lends (no escalation timer).
   */
  selection: "area" | "county_reserve" | "loan" = "area",
): BatchItem<"sqlite">[] {
  const { id, tenantId } = incident;
  const area = sql`exists (
      select 1 from json_each(i.affected_paths) a
      where (t.division_path >= a.value and t.division_path < substr(a.value, 1, length(a.value) - 1) || '0')
         or (t.division_level <> 'county' and substr(a.value, 1, length(t.division_path)) = t.division_path))`;
  const mode = sql`(t.mode in ('emergency', 'mobile') or (i.include_normal_teams = 1 and t.mode = 'normal'))`;
  const skill = sql`(json_array_length(i.skills) = 0 or exists (
      select 1 from json_each(t.skills) ts join json_each(i.skills) s on s.value = ts.value))`;
  const selected = {
    area: sql`${mode} and ${skill} and ${area}`,
    county_reserve: sql`t.mode = 'mobile' and t.division_level = 'county'`,
    loan: sql`t.id = (select l.team_id from ${teamLoans} l where l.lender_tenant_id = i.tenant_id and l.id = i.loan_id)`,
  }[selection];
  const rosterSize = sql`(select count(*) from ${teamMembers} m
      join ${volunteers} v on v.tenant_id = m.tenant_id and v.id = m.volunteer_id and v.active = 1
      where m.tenant_id = t.tenant_id and m.team_id = t.id)`;
  return [
    db.run(sql`insert into ${teamActivations}
        (id, tenant_id, incident_id, team_id, team_name, mode, division_path, quorum, deadline_at, roster_size, escalation, created_at)
      select ${sqlNewId("tact", at.ms)}, t.tenant_id, i.id, t.id, t.name, t.mode, t.division_path, t.quorum,
        strftime('%Y-%m-%dT%H:%M:%fZ', ${at.iso}, '+' || t.response_deadline_minutes || ' minutes'),
        ${rosterSize}, ${selection === "area" ? "pending" : "reserve"}, ${at.iso}
      from ${incidents} i join ${teams} t on t.tenant_id = i.tenant_id
      where i.tenant_id = ${tenantId} and i.id = ${id} and t.active = 1 and ${selected}
      on conflict do nothing`),
    db.run(sql`insert into ${rosterEntries} (id, tenant_id, incident_id, team_activation_id, volunteer_id, role, created_at)
      select ${sqlNewId("ros", at.ms)}, ta.tenant_id, ta.incident_id, ta.id, m.volunteer_id, m.role, ${at.iso}
      from ${teamActivations} ta
      join ${teamMembers} m on m.tenant_id = ta.tenant_id and m.team_id = ta.team_id
      join ${volunteers} v on v.tenant_id = m.tenant_id and v.id = m.volunteer_id and v.active = 1
      where ta.tenant_id = ${tenantId} and ta.incident_id = ${id}
      on conflict do nothing`),
    // Materialised, so each row's token is drawn once and the message carries the same token.
    db.run(sql`with paged as materialized (
        select r.volunteer_id, ${sqlNewToken()} as token
        from (select distinct volunteer_id from ${rosterEntries} where tenant_id = ${tenantId} and incident_id = ${id}) r
      )
      insert into ${notifications}
        (id, tenant_id, incident_id, volunteer_id, division_path, token, channel, message, status, attempts, version, created_at, updated_at)
      select ${sqlNewId("ntf", at.ms)}, i.tenant_id, i.id, p.volunteer_id, v.division_path, p.token, ${channelNameFor(channel, tenantId)},
        i.message_prefix || p.token || i.message_suffix, 'queued', 0, 1, ${at.iso}, ${at.iso}
      from paged p
      join ${incidents} i on i.tenant_id = ${tenantId} and i.id = ${id}
      join ${volunteers} v on v.tenant_id = i.tenant_id and v.id = p.volunteer_id
      where true
      on conflict do nothing`),
    db.run(sql`insert into ${outboxEvents} (id, tenant_id, type, subject_type, subject_id, payload, created_at)
      select ${newId("evt", at.ms)}, i.tenant_id, ${selection === "county_reserve" ? "incident.escalated" : "incident.activated"}, 'incident', i.id,
        json_object('incidentId', i.id, 'type', i.type, 'level', i.level,
          'drill', json(case when i.drill then 'true' else 'false' end), 'status', 'active',
          'teams', (select count(*) from ${teamActivations} where tenant_id = i.tenant_id and incident_id = i.id),
          'volunteers', (select count(*) from ${notifications} where tenant_id = i.tenant_id and incident_id = i.id)),
        ${at.iso}
      from ${incidents} i where i.tenant_id = ${tenantId} and i.id = ${id}`),
  ];
}

export interface ActivationSummary {
  teams: number;
  volunteers: number;
  byMode: { mode: "normal" | "emergency" | "mobile"; teams: number; rostered: number }[];
  byTeam: { teamId: string; name: string; mode: "normal" | "emergency" | "mobile"; rostered: number }[];
  /** True when more than the first 100 teams were activated: see the progress for every team. */
  byTeamTruncated: boolean;
}

/** What an activation paged: counts by mode, the first 100 teams, and the volunteers paged (each once). */
export async function activationSummary(
  db: Db,
  incident: { id: string; tenantId: string },
): Promise<ActivationSummary> {
  const [summary] = await activationSummaries(db, [incident]);
  return summary!;
}

/** The summaries of several activations (a city-wide declaration's parts) in ONE round trip, in order. */
export async function activationSummaries(
  db: Db,
  list: { id: string; tenantId: string }[],
): Promise<ActivationSummary[]> {
  if (!list.length) return [];
  const queries = list.flatMap((incident) => {
    const scope = and(eq(teamActivations.tenantId, incident.tenantId), eq(teamActivations.incidentId, incident.id));
    return [
      db
        .select({
          mode: teamActivations.mode,
          teams: count(),
          rostered: sql<number>`coalesce(sum(${teamActivations.rosterSize}), 0)`.mapWith(Number),
        })
        .from(teamActivations)
        .where(scope)
        .groupBy(teamActivations.mode)
        .orderBy(asc(teamActivations.mode)),
      db
        .select({
          teamId: teamActivations.teamId,
          name: teamActivations.teamName,
          mode: teamActivations.mode,
          rostered: teamActivations.rosterSize,
        })
        .from(teamActivations)
        .where(scope)
        .orderBy(asc(teamActivations.id))
        .limit(101),
      db
        .select({ n: count() })
        .from(notifications)
        .where(and(eq(notifications.tenantId, incident.tenantId), eq(notifications.incidentId, incident.id))),
    ];
  });
  const results = (await db.batch(queries as [(typeof queries)[number]])) as unknown[][];
  return list.map((_, i) => {
    const byMode = results[3 * i] as ActivationSummary["byMode"];
    const byTeam = results[3 * i + 1] as ActivationSummary["byTeam"];
    const [paged] = results[3 * i + 2] as { n: number }[];
    return {
      teams: byMode.reduce((sum, m) => sum + m.teams, 0),
      volunteers: paged?.n ?? 0,
      byMode,
      byTeam: byTeam.slice(0, 100),
      byTeamTruncated: byTeam.length > 100,
    };
  });
}
