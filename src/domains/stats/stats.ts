import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, count, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client.js";
import { divisions, tenants } from "../../db/tables.js";
import { employerFeedback, feedbackStatuses, ledgerEntries } from "../activities/tables.js";
import { needStatuses, needs, projects, projectStatuses } from "../lists/tables.js";
import { members, partyOrgs } from "../organisations/tables.js";
import { isInSubtree, subtreeOf } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { localDate, localQuarter } from "../../shared/calendar.js";
import {
  agreements,
  fiveLinks,
  memberReports,
  memberReportStatuses,
  orgReports,
  orgReportStatuses,
} from "../reports/tables.js";
import { msg, thing } from "../../shared/http/messages.js";
import { trendRoutes } from "./trends.js";
import {
  type DrillFilter,
  drillQuery,
  emergencyStats,
  emergencyStatsSchema,
  teamStatsRoutes,
} from "./emergency-stats.js";

const countsOf = <const S extends readonly string[]>(statuses: S, name: string) =>
  z
    .object(Object.fromEntries(statuses.map((s) => [s, z.number().int()])) as { [K in S[number]]: z.ZodNumber })
    .openapi(name);

const tenantStatsSchema = z
  .object({
    tenant: z.string().openapi({ example: "620902" }),
    nameZh: z.string().openapi({ example: "肃州区" }),
    organisations: z.number().int().openapi({ description: "Party organisations.", example: 1210 }),
    members: z.number().int().openapi({ description: "Party members (by residence).", example: 26480 }),
    orgReports: countsOf(orgReportStatuses, "OrgReportCounts"),
    memberReports: countsOf(memberReportStatuses, "MemberReportCounts"),
    agreementsByLink: z.record(z.string(), z.number().int()).openapi({
      description: "Agreements in force today that commit to each five link (every link listed, zeros included).",
      example: { organisation: 12, venue: 9, activity: 7, resource: 3, service: 11 },
    }),
    openNeeds: z.number().int().openapi({ example: 42 }),
    needs: countsOf(needStatuses, "NeedCounts").openapi({ description: "Needs (需求清单) by status." }),
    projects: countsOf(projectStatuses, "ProjectCounts").openapi({ description: "Projects (项目清单) by status." }),
    employerFeedback: countsOf(feedbackStatuses, "EmployerFeedbackCounts").openapi({
      description: "Feedback cards to employers (双向反馈) by status, all quarters.",
    }),
    hoursThisQuarter: z.number().openapi({
      description: "Net service hours posted to the ledger this quarter (corrections included).",
      example: 1380.5,
    }),
    emergency: emergencyStatsSchema.openapi({
      description:
        "Team response to incidents: real ones by default, drills with `drill=true` (never mixed unless `drill=all`).",
    }),
  })
  .openapi("TenantStats");

const statsSchema = z
  .object({
    quarter: z.string().openapi({
      description: "The current quarter (China Standard Time) that `hoursThisQuarter` covers.",
      example: "2026-Q4",
    }),
    communityId: divisionIdSchema.nullable(),
    drill: drillQuery,
    data: z.array(tenantStatsSchema),
  })
  .openapi("Stats");

const getStats = protectedRoute({
  method: "get",
  path: "/v1/stats",
  operationId: "getStats",
  tags: ["stats"],
  summary: "Counts per tenant: organisations, members, reports, agreements, open needs, hours",
  description:
    "The city gets one row per county-level tenant (zeros included); anyone else one row for its tenant, narrowed to its division subtree. `communityId` narrows to one community. Counts only: no personal data. Counts may be up to 10 seconds old (computed at most once per 10 s per scope).",
  scope: "stats:read",
  request: {
    query: z.object({
      communityId: divisionIdSchema
        .optional()
        .openapi({ description: "Only this community (a division of level community within reach)." }),
      drill: drillQuery,
    }),
  },
  responses: { 200: { description: "The counts.", content: { "application/json": { schema: statsSchema } } } },
});

/** Where the counts come from: one tenant or all (the city), and optionally a division subtree. */
export interface StatsScope {
  /** One tenant, or every county-level tenant (the city). */
  tenant?: string;
  path?: string;
}

async function statsScope(c: Context<AppEnv>, communityId: string | undefined): Promise<StatsScope> {
  const { principal, db } = c.var;
  const own = { tenant: principal.crossTenant ? undefined : principal.tenant, path: principal.org?.path };
  if (!communityId) return own;
  const [community] = await db
    .select({ tenantId: divisions.tenantId, path: divisions.path, level: divisions.level })
    .from(divisions)
    .where(and(eq(divisions.id, communityId), own.tenant ? eq(divisions.tenantId, own.tenant) : undefined));
  if (community?.level !== "community" || (own.path && !isInSubtree(community.path, own.path))) {
    const detail = msg("generic.no_such_within_reach", { what: thing("community") });
    throw new ApiError("validation_failed", detail, {
      errors: [{ in: "query", pointer: "/communityId", detail }],
    });
  }
  return { tenant: community.tenantId, path: community.path };
}

/**
 * One grouped query per metric, whatever the number of tenants: each is restricted to one tenant or
 * to the county-level tenants (`tenant_id IN (…)`), so every one is an index SEARCH on an index
 * that starts with tenant_id, and counts come from GROUP BY, never from a query per tenant.
 */
export function statsQueries(db: Db, scope: StatsScope, at: { quarter: string; today: string }) {
  const countyTenants = db.select({ code: tenants.code }).from(tenants).where(eq(tenants.level, "county"));
  const where = (table: { tenantId: SQLiteColumn; divisionPath: SQLiteColumn }, ...more: SQL[]) =>
    and(
      scope.tenant ? eq(table.tenantId, scope.tenant) : inArray(table.tenantId, countyTenants),
      scope.path ? subtreeOf(table.divisionPath, scope.path) : undefined,
      ...more,
    );
  const perTenant = (table: typeof partyOrgs | typeof members) =>
    db.select({ tenant: table.tenantId, n: count() }).from(table).where(where(table)).groupBy(table.tenantId);
  const perStatus = (
    table: typeof orgReports | typeof memberReports | typeof needs | typeof projects | typeof employerFeedback,
  ) =>
    db
      .select({ tenant: table.tenantId, status: sql<string>`${table.status}`, n: count() })
      .from(table)
      .where(where(table))
      .groupBy(table.tenantId, table.status);
  return {
    organisations: perTenant(partyOrgs),
    members: perTenant(members),
    orgReports: perStatus(orgReports),
    memberReports: perStatus(memberReports),
    agreementsByLink: db.all<{ tenant: string; link: string; n: number }>(
      sql`select ${agreements.tenantId} as tenant, link.value as link, count(*) as n
          from ${agreements}, json_each(${agreements.links}) as link
          where ${where(agreements, lte(agreements.startsOn, at.today), gte(agreements.endsOn, at.today))}
          group by ${agreements.tenantId}, link.value`,
    ),
    needs: perStatus(needs),
    projects: perStatus(projects),
    employerFeedback: perStatus(employerFeedback),
    hours: db
      .select({
        tenant: ledgerEntries.tenantId,
        hours: sql<number>`coalesce(sum(${ledgerEntries.hours}), 0)`.mapWith(Number),
      })
      .from(ledgerEntries)
      .where(where(ledgerEntries, eq(ledgerEntries.quarter, at.quarter)))
      .groupBy(ledgerEntries.tenantId),
  };
}

export const statsRoutes = createRouter()
  .route("/", trendRoutes)
  .route("/", teamStatsRoutes)
  .openapi(getStats, async (c) => {
    const { communityId, drill } = c.req.valid("query");
    const scope = await statsScope(c, communityId);
    const now = c.get("clock").now();
    const quarter = localQuarter(now);
    const today = localDate(now);
    const key = `${scope.tenant ?? "*"}|${scope.path ?? ""}|${quarter}|${today}|${drill}`;
    const data = await c
      .get("recent")
      .get(`stats|${key}`, now.getTime(), statsMaxAgeMs, () => computeStats(c.get("db"), scope, quarter, today, drill));
    return c.json({ quarter, communityId: communityId ?? null, drill, data }, 200);
  });

/**
 * Counts are read by dashboards, often and by many at once, and are allowed to lag: each scope's
 * figures are computed at most once per `statsMaxAgeMs` per app instance, and concurrent readers
 * of a scope share one computation.
 */
export const statsMaxAgeMs = 10_000;

async function computeStats(db: Db, scope: StatsScope, quarter: string, today: string, drill: DrillFilter) {
  const q = statsQueries(db, scope, { quarter, today });
  const emergency = await emergencyStats(db, scope, drill);

  // One round trip and one consistent snapshot.
  const [
    tenantRows,
    links,
    orgs,
    people,
    orgReportRows,
    memberReportRows,
    agreementRows,
    needRows,
    projectRows,
    feedbackRows,
    hourRows,
  ] = await db.batch([
    db
      .select({ code: tenants.code, nameZh: tenants.nameZh })
      .from(tenants)
      .where(scope.tenant ? eq(tenants.code, scope.tenant) : eq(tenants.level, "county"))
      .orderBy(asc(tenants.code)),
    db.select({ code: fiveLinks.code }).from(fiveLinks).orderBy(asc(fiveLinks.position), asc(fiveLinks.code)),
    q.organisations,
    q.members,
    q.orgReports,
    q.memberReports,
    q.agreementsByLink,
    q.needs,
    q.projects,
    q.employerFeedback,
    q.hours,
  ]);

  const of = <T extends { tenant: string }>(rows: T[], tenant: string) => rows.filter((r) => r.tenant === tenant);
  const total = (rows: { tenant: string; n: number }[], tenant: string) => of(rows, tenant)[0]?.n ?? 0;
  const tally = <S extends string>(statuses: readonly S[], rows: { status: string; n: number }[]) =>
    Object.fromEntries(statuses.map((s) => [s, rows.find((r) => r.status === s)?.n ?? 0])) as Record<S, number>;

  return tenantRows.map(({ code, nameZh }) => {
    const agreed = of(agreementRows, code);
    const needCounts = tally(needStatuses, of(needRows, code));
    return {
      tenant: code,
      nameZh,
      organisations: total(orgs, code),
      members: total(people, code),
      orgReports: tally(orgReportStatuses, of(orgReportRows, code)),
      memberReports: tally(memberReportStatuses, of(memberReportRows, code)),
      agreementsByLink: Object.fromEntries(
        links.map(({ code: link }) => [link, Number(agreed.find((r) => r.link === link)?.n ?? 0)]),
      ),
      openNeeds: needCounts.open,
      needs: needCounts,
      projects: tally(projectStatuses, of(projectRows, code)),
      employerFeedback: tally(feedbackStatuses, of(feedbackRows, code)),
      hoursThisQuarter: Math.round((of(hourRows, code)[0]?.hours ?? 0) * 100) / 100,
      emergency: emergency(code),
    };
  });
}
