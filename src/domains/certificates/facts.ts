import type { Context } from "hono";
import { and, desc, eq, gte, inArray, lt, ne, or, sql } from "drizzle-orm";
import { divisions, tenants } from "../../db/tables.js";
import { members, partyOrgs } from "../organisations/tables.js";
import { evaluations, memberReports } from "../reports/tables.js";
import { activities, ledgerEntries, participations } from "../activities/tables.js";
import { incidents, notifications, teamMembers, teams, volunteers } from "../emergency/tables.js";
import { canActInDivision } from "../../shared/auth/reach.js";
import { maskName } from "../../shared/crypto/pii.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { unknownReference } from "../../shared/store/references.js";
import type { CertificateKind } from "./tables.js";

/** Who a certificate is about, as resolved within the caller's reach. */
export interface Holder {
  kind: "member" | "volunteer";
  id: string;
  name: string;
  divisionPath: string;
  /** The party member (the holder, or the member a volunteer is). */
  memberId: string | null;
  volunteerId: string | null;
}

export interface Disclosure {
  name: "masked" | "full" | "none";
  hours: "total" | "per_activity";
}

export interface IssueInput {
  kind: CertificateKind;
  holder: { memberId?: string; volunteerId?: string };
  period?: { from: string; to: string };
  teamId?: string;
  evaluationId?: string;
  disclosure: Disclosure;
}

/**
 * The holder, if the caller may certify them: an administrator (certificates:issue) for a member or
 * volunteer of its tenant and subtree; a member (certificates:self) for themself, or for the
 * volunteer record that is them. Anyone else is the 400 that does not say whether the holder exists.
 */
export async function resolveHolder(c: Context<AppEnv>, input: IssueInput["holder"]): Promise<Holder> {
  const principal = c.get("principal");
  const db = c.get("db");
  const mayIssue = principal.scopes.has("certificates:issue");
  const self = principal.owner?.memberId;
  const allowed = (path: string, memberId: string | null) =>
    (mayIssue && canActInDivision(principal, { tenantId: principal.tenant, path })) ||
    (self !== undefined && memberId === self);
  if (input.memberId) {
    const [m] = await db
      .select({ id: members.id, name: members.name, divisionPath: members.divisionPath })
      .from(members)
      .where(and(eq(members.tenantId, principal.tenant), eq(members.id, input.memberId)));
    if (!m || !allowed(m.divisionPath, m.id)) throw unknownReference("/holder/memberId", "member");
    return { kind: "member", id: m.id, name: m.name, divisionPath: m.divisionPath, memberId: m.id, volunteerId: null };
  }
  const [v] = await db
    .select({
      id: volunteers.id,
      name: volunteers.name,
      divisionPath: volunteers.divisionPath,
      memberId: volunteers.memberId,
    })
    .from(volunteers)
    .where(and(eq(volunteers.tenantId, principal.tenant), eq(volunteers.id, input.volunteerId ?? "")));
  if (!v || !allowed(v.divisionPath, v.memberId)) throw unknownReference("/holder/volunteerId", "volunteer");
  return {
    kind: "volunteer",
    id: v.id,
    name: v.name,
    divisionPath: v.divisionPath,
    memberId: v.memberId,
    volunteerId: v.id,
  };
}

/** The facts the certificate states, no more than the disclosure allows, plus the record it is drawn from. */
export async function gatherFacts(
  c: Context<AppEnv>,
  holder: Holder,
  input: IssueInput,
): Promise<{ facts: Record<string, unknown>; sourceId: string | null }> {
  const tenant = c.get("principal").tenant;
  const [authority] = await c.get("db").select({ name: tenants.nameZh }).from(tenants).where(eq(tenants.code, tenant));
  const name =
    input.disclosure.name === "full"
      ? holder.name
      : input.disclosure.name === "masked"
        ? maskName(holder.name)
        : undefined;
  const common = { authority: authority?.name ?? tenant, holder: { kind: holder.kind, ...(name ? { name } : {}) } };
  const specific = await kindFacts[input.kind](c, holder, input);
  return { facts: { ...common, ...specific.facts }, sourceId: specific.sourceId };
}

type Gather = (
  c: Context<AppEnv>,
  holder: Holder,
  input: IssueInput,
) => Promise<{ facts: Record<string, unknown>; sourceId: string | null }>;

const noRecord = (pointer: string) =>
  new ApiError("conflict", msg("certificate.no_record"), {
    errors: [{ in: "body", pointer, detail: msg("certificate.no_record") }],
  });

const kindFacts: Record<CertificateKind, Gather> = {
  service_hours: serviceHours,
  async team_membership(c, holder, input) {
    const db = c.get("db");
    const tenant = c.get("principal").tenant;
    // A member holder's volunteer records (a member may be a volunteer of several teams under one record).
    const volunteerIds = holder.volunteerId ? [holder.volunteerId] : await volunteerIdsOf(c, holder.memberId!);
    const [row] = volunteerIds.length
      ? await db
          .select({ team: teams.name, mode: teams.mode, role: teamMembers.role, since: teamMembers.createdAt })
          .from(teamMembers)
          .innerJoin(teams, and(eq(teams.tenantId, teamMembers.tenantId), eq(teams.id, teamMembers.teamId)))
          .where(
            and(
              eq(teamMembers.tenantId, tenant),
              eq(teamMembers.teamId, input.teamId ?? ""),
              inArray(teamMembers.volunteerId, volunteerIds),
            ),
          )
      : [];
    if (!row) throw noRecord("/teamId");
    return {
      facts: { team: { name: row.team, mode: row.mode }, role: row.role, since: row.since.slice(0, 10) },
      sourceId: input.teamId!,
    };
  },
  async dual_report(c, holder) {
    if (!holder.memberId) throw noRecord("/holder");
    const [row] = await c
      .get("db")
      .select({
        id: memberReports.id,
        status: memberReports.status,
        confirmedAt: memberReports.confirmedAt,
        community: divisions.name,
      })
      .from(memberReports)
      .innerJoin(divisions, eq(divisions.id, memberReports.communityId))
      .where(
        and(
          eq(memberReports.tenantId, c.get("principal").tenant),
          eq(memberReports.memberId, holder.memberId),
          ne(memberReports.status, "ended"),
        ),
      )
      .orderBy(desc(memberReports.id))
      .limit(1);
    if (!row) throw noRecord("/holder");
    return {
      facts: { community: row.community, status: row.status, since: row.confirmedAt?.slice(0, 10) ?? null },
      sourceId: row.id,
    };
  },
  async evaluation(c, holder, input) {
    const [row] = holder.memberId
      ? await c
          .get("db")
          .select({ id: evaluations.id, year: evaluations.year, grade: evaluations.grade, community: partyOrgs.name })
          .from(evaluations)
          .innerJoin(partyOrgs, eq(partyOrgs.id, evaluations.communityOrgId))
          .where(
            and(
              eq(evaluations.tenantId, c.get("principal").tenant),
              eq(evaluations.id, input.evaluationId ?? ""),
              eq(evaluations.subjectKind, "member"),
              eq(evaluations.subjectId, holder.memberId),
            ),
          )
      : [];
    if (!row) throw noRecord("/evaluationId");
    return { facts: { year: row.year, grade: row.grade, evaluatedBy: row.community }, sourceId: row.id };
  },
};

async function volunteerIdsOf(c: Context<AppEnv>, memberId: string): Promise<string[]> {
  const rows = await c
    .get("db")
    .select({ id: volunteers.id })
    .from(volunteers)
    .where(and(eq(volunteers.tenantId, c.get("principal").tenant), eq(volunteers.memberId, memberId)));
  return rows.map((r) => r.id);
}

/** The start of a local (Beijing time) day, as the UTC instant the ledger's `createdAt` compares with. */
const localDayStart = (day: string) => new Date(`${day}T00:00:00+08:00`).toISOString();
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Hours credited in the period (by the ledger's entry time, local days inclusive): entries credited
 * to the member, or to any volunteer record that is the member (emergency hours), or to the
 * volunteer. Corrections count against the activity they correct.
 */
async function serviceHours(c: Context<AppEnv>, holder: Holder, input: IssueInput) {
  const db = c.get("db");
  const tenant = c.get("principal").tenant;
  const period = input.period!;
  const volunteerIds = holder.volunteerId
    ? [holder.volunteerId]
    : holder.memberId
      ? await volunteerIdsOf(c, holder.memberId)
      : [];
  const credited = or(
    holder.memberId ? eq(ledgerEntries.memberId, holder.memberId) : undefined,
    volunteerIds.length ? inArray(ledgerEntries.volunteerId, volunteerIds) : undefined,
  );
  const entries = await db
    .select({
      id: ledgerEntries.id,
      hours: ledgerEntries.hours,
      sourceType: ledgerEntries.sourceType,
      sourceId: ledgerEntries.sourceId,
      reversesId: ledgerEntries.reversesId,
      createdAt: ledgerEntries.createdAt,
    })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.tenantId, tenant),
        credited ?? sql`0`,
        gte(ledgerEntries.createdAt, localDayStart(period.from)),
        lt(ledgerEntries.createdAt, localDayStart(nextDay(period.to))),
      ),
    )
    .limit(5000);
  const totalHours = round2(entries.reduce((sum, e) => sum + e.hours, 0));
  const facts: Record<string, unknown> = { period, totalHours };
  if (input.disclosure.hours === "per_activity") facts.activities = await perActivity(c, entries);
  return { facts, sourceId: null };
}

type Entry = { id: string; hours: number; sourceType: string; sourceId: string; reversesId: string | null };

/** Hours per activity or incident (title, date, hours), a correction counted with what it corrects. */
async function perActivity(c: Context<AppEnv>, entries: Entry[]) {
  const db = c.get("db");
  const tenant = c.get("principal").tenant;
  const byId = new Map(entries.map((e) => [e.id, e]));
  const missing = entries.filter((e) => e.reversesId && !byId.has(e.reversesId)).map((e) => e.reversesId!);
  if (missing.length) {
    const originals = await db
      .select({
        id: ledgerEntries.id,
        hours: ledgerEntries.hours,
        sourceType: ledgerEntries.sourceType,
        sourceId: ledgerEntries.sourceId,
        reversesId: ledgerEntries.reversesId,
      })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.tenantId, tenant), inArray(ledgerEntries.id, missing)));
    for (const o of originals) byId.set(o.id, o);
  }
  const sourceOf = (e: Entry) => (e.reversesId ? (byId.get(e.reversesId) ?? e) : e);
  const sources = entries.map(sourceOf);
  const participationIds = sources.filter((s) => s.sourceType === "participation").map((s) => s.sourceId);
  const notificationIds = sources.filter((s) => s.sourceType === "emergency").map((s) => s.sourceId);
  const titles = new Map<string, { title: string; date: string }>();
  if (participationIds.length) {
    const rows = await db
      .select({ id: participations.id, title: activities.title, startsAt: activities.startsAt })
      .from(participations)
      .innerJoin(activities, eq(activities.id, participations.activityId))
      .where(and(eq(participations.tenantId, tenant), inArray(participations.id, participationIds)));
    for (const r of rows) titles.set(r.id, { title: r.title, date: r.startsAt.slice(0, 10) });
  }
  if (notificationIds.length) {
    const rows = await db
      .select({ id: notifications.id, title: incidents.headline, at: incidents.createdAt })
      .from(notifications)
      .innerJoin(incidents, eq(incidents.id, notifications.incidentId))
      .where(and(eq(notifications.tenantId, tenant), inArray(notifications.id, notificationIds)));
    for (const r of rows) titles.set(r.id, { title: r.title, date: r.at.slice(0, 10) });
  }
  const grouped = new Map<string, { title: string; date: string; hours: number }>();
  for (const e of entries) {
    const source = sourceOf(e);
    const known = titles.get(source.sourceId) ?? { title: "", date: "" };
    const line = grouped.get(source.sourceId) ?? { ...known, hours: 0 };
    line.hours = round2(line.hours + e.hours);
    grouped.set(source.sourceId, line);
  }
  return [...grouped.values()].filter((l) => l.hours !== 0).sort((a, b) => a.date.localeCompare(b.date));
}
