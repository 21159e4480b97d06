import { z } from "@hono/zod-openapi";
import { and, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { tenants } from "../../db/tables.js";
import { subtreeOf } from "../../shared/auth/reach.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg, zodMessage } from "../../shared/http/messages.js";
import { localDate } from "../../shared/calendar.js";
import { employerFeedback, ledgerEntries } from "../activities/tables.js";
import { needs, projects } from "../lists/tables.js";
import { memberReports, orgReports } from "../reports/tables.js";

/** Jiuquan's months are China Standard Time ones (UTC+8). */
const offsetMs = 8 * 60 * 60 * 1000;
export const maxTrendMonths = 24;

const monthSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, zodMessage("field.pattern", { pattern: "YYYY-MM" }))
  .openapi({ example: "2026-01" });

const trendPointSchema = z
  .object({
    month: z.string().openapi({ example: "2026-03" }),
    memberReports: z.number().int().openapi({ description: "Member reports (双报到, members) filed.", example: 118 }),
    orgReports: z.number().int().openapi({ description: "Unit reports filed.", example: 9 }),
    needs: z.number().int().openapi({ description: "Needs (需求清单) published.", example: 14 }),
    projects: z.number().int().openapi({ description: "Projects (项目清单) opened.", example: 6 }),
    serviceHours: z.number().openapi({
      description: "Net service hours posted to the ledger (corrections included).",
      example: 412.5,
    }),
    employerFeedback: z.number().int().openapi({ description: "Feedback cards to employers generated.", example: 40 }),
  })
  .openapi("TrendPoint");

const trendsSchema = z
  .object({
    from: z.string().openapi({ example: "2026-01" }),
    to: z.string().openapi({ example: "2026-03" }),
    data: z.array(trendPointSchema).openapi({ description: "One point per month, `from` to `to`, zeros included." }),
  })
  .openapi("StatsTrends", {
    example: {
      from: "2026-01",
      to: "2026-02",
      data: [
        {
          month: "2026-01",
          memberReports: 118,
          orgReports: 9,
          needs: 14,
          projects: 6,
          serviceHours: 412.5,
          employerFeedback: 0,
        },
        {
          month: "2026-02",
          memberReports: 96,
          orgReports: 4,
          needs: 11,
          projects: 5,
          serviceHours: 380,
          employerFeedback: 0,
        },
      ],
    },
  });

const getTrends = protectedRoute({
  method: "get",
  path: "/v1/stats/trends",
  operationId: "getStatsTrends",
  tags: ["stats"],
  summary: "Monthly counts: reports, needs, projects, service hours, feedback",
  description: `What was filed each month (China Standard Time), for the caller's scope as in \`GET /v1/stats\`: the city sums every county, anyone else its tenant narrowed to its division subtree. At most ${maxTrendMonths} months; without \`from\`/\`to\` the last 12 months up to this one. The cost is bounded by the months asked: one query per metric, each an index range over record ids (which start with their creation time). Counts only: no personal data.`,
  scope: "stats:read",
  request: {
    query: z.object({
      from: monthSchema.optional().openapi({ description: "First month (YYYY-MM)." }),
      to: monthSchema.optional().openapi({ description: "Last month (YYYY-MM), inclusive.", example: "2026-12" }),
    }),
  },
  responses: {
    200: { description: "One point per month.", content: { "application/json": { schema: trendsSchema } } },
  },
});

const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
const monthName = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
/** The instant a local month starts. */
const monthStartMs = (index: number) => Date.UTC(Math.floor(index / 12), index % 12, 1) - offsetMs;
/** The smallest id of a given prefix created at `ms`: ids at or after the instant sort at or after it. */
const lowestId = (prefix: string, ms: number) => newId(prefix, ms, (bytes) => bytes.fill(0));

function monthRange(q: { from?: string; to?: string }, now: Date) {
  const to = monthIndex(q.to ?? localDate(now).slice(0, 7));
  const from = q.from ? monthIndex(q.from) : to - 11;
  const problem = (detail: ReturnType<typeof msg>, pointer: string) =>
    new ApiError("validation_failed", detail, { errors: [{ in: "query", pointer, detail }] });
  if (from > to) throw problem(msg("stats.trend_order"), "/from");
  if (to - from + 1 > maxTrendMonths) throw problem(msg("stats.trend_too_long", { limit: maxTrendMonths }), "/from");
  return { from, to };
}

interface Metric {
  table: { id: SQLiteColumn; tenantId: SQLiteColumn; divisionPath: SQLiteColumn };
  prefix: string;
  value: SQL;
}

const metrics = {
  memberReports: { table: memberReports, prefix: "mrep", value: sql`count(*)` },
  orgReports: { table: orgReports, prefix: "orep", value: sql`count(*)` },
  needs: { table: needs, prefix: "need", value: sql`count(*)` },
  projects: { table: projects, prefix: "proj", value: sql`count(*)` },
  serviceHours: { table: ledgerEntries, prefix: "led", value: sql`coalesce(sum(${ledgerEntries.hours}), 0)` },
  employerFeedback: { table: employerFeedback, prefix: "fb", value: sql`count(*)` },
} satisfies Record<string, Metric>;
type MetricName = keyof typeof metrics;

/**
 * One grouped query per metric: `tenant_id` (one, or the county tenants) and an id range, so an index
 * range on (tenant_id, id); the month is a CASE over the same ids, never a per-month query.
 */
export function trendQueries(db: Db, scope: { tenant?: string; path?: string }, months: { from: number; to: number }) {
  const countyTenants = db.select({ code: tenants.code }).from(tenants).where(eq(tenants.level, "county"));
  return Object.fromEntries(
    Object.entries(metrics).map(([name, m]: [string, Metric]) => {
      const bound = (index: number) => lowestId(m.prefix, monthStartMs(index));
      const buckets = [];
      for (let i = months.from; i <= months.to; i++)
        buckets.push(sql`when ${m.table.id} < ${bound(i + 1)} then ${i - months.from}`);
      const bucket = sql`case ${sql.join(buckets, sql` `)} end`;
      return [
        name,
        db.all<{ bucket: number; value: number }>(sql`select ${bucket} as bucket, ${m.value} as value
          from ${m.table}
          where ${and(
            scope.tenant ? eq(m.table.tenantId, scope.tenant) : inArray(m.table.tenantId, countyTenants),
            gte(m.table.id, bound(months.from)),
            lt(m.table.id, bound(months.to + 1)),
            scope.path ? subtreeOf(m.table.divisionPath, scope.path) : undefined,
          )}
          group by bucket`),
      ];
    }),
  ) as Record<MetricName, ReturnType<typeof db.all<{ bucket: number; value: number }>>>;
}

export const trendRoutes = createRouter().openapi(getTrends, async (c) => {
  const { principal, db } = c.var;
  const now = c.get("clock").now();
  const months = monthRange(c.req.valid("query"), now);
  const scope = { tenant: principal.crossTenant ? undefined : principal.tenant, path: principal.org?.path };
  const names = Object.keys(metrics) as MetricName[];
  const q = trendQueries(db, scope, months);
  // One round trip and one consistent snapshot.
  const results = (await db.batch(names.map((n) => q[n]) as never)) as { bucket: number; value: number }[][];
  const data = [];
  for (let i = months.from; i <= months.to; i++) {
    const point: Record<string, string | number> = { month: monthName(i) };
    names.forEach((name, k) => {
      const value = Number(results[k]!.find((r) => Number(r.bucket) === i - months.from)?.value ?? 0);
      point[name] = name === "serviceHours" ? Math.round(value * 100) / 100 : value;
    });
    data.push(point as z.infer<typeof trendPointSchema>);
  }
  return c.json({ from: monthName(months.from), to: monthName(months.to), data }, 200);
});
