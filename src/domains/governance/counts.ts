import type { Context } from "hono";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { divisions } from "../../db/tables.js";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { type admissionRequests, governanceCounts, type rectifications, type admissionStatuses } from "./tables.js";

/**
 * The running totals behind the governance stats (docs/governance-stats.md). Every write that
 * changes what a stats route counts adds these statements to its own batch, after its guard, so a
 * total moves exactly when the write commits: a 409, a 412 or a lost race writes nothing, counts
 * included. Reads sum the rows in reach: their number depends on the division tree and the
 * calendar (streets × departments, communities × quarters, branches' divisions × deadlines), never
 * on how many requests, inspections or rectifications there are.
 */

type Writer = { insert: Context<AppEnv>["var"]["db"]["insert"]; run: Context<AppEnv>["var"]["db"]["run"] };
type AdmissionStatus = (typeof admissionStatuses)[number];
type AdmissionRow = typeof admissionRequests.$inferSelect;
type RectificationRow = typeof rectifications.$inferSelect;

export const outcomes = ["admitted", "refused", "pending", "withdrawn"] as const;
export type Outcome = (typeof outcomes)[number];

/** A request's outcome in the per-department figures. */
export function outcomeOf(status: AdmissionStatus): Outcome {
  if (status === "approved" || status === "active" || status === "expired") return "admitted";
  if (status === "refused" || status === "rejected") return "refused";
  return status === "withdrawn" ? "withdrawn" : "pending";
}

const chinaOffsetMs = 8 * 60 * 60 * 1000;

/** The quarter (China time) of an instant: "2026-Q1". */
export function quarterOfInstant(iso: string): string {
  const d = new Date(Date.parse(iso) + chinaOffsetMs);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** The quarter of a calendar date "YYYY-MM-DD". */
export const quarterOfDate = (date: string) =>
  `${date.slice(0, 4)}-Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;

const key = [
  governanceCounts.tenantId,
  governanceCounts.metric,
  governanceCounts.period,
  governanceCounts.divisionPath,
  governanceCounts.dim,
];
const onConflict = " on conflict (tenant_id, metric, period, division_path, dim) do update set n = n + excluded.n";

interface CountKey {
  tenantId: string;
  metric: string;
  /** A value, or a subselect when only the batch knows it. */
  period: string | SQL;
  divisionPath: string;
  dim: string;
  label?: string | null;
}

/** Adds `n` (negative to take away) to one total, creating it at `n`. */
export function bump(db: Writer, k: CountKey, n: number): BatchItem<"sqlite"> {
  return db
    .insert(governanceCounts)
    .values({ ...k, label: k.label ?? null, n })
    .onConflictDoUpdate({
      target: key,
      set: {
        n: sql`${governanceCounts.n} + excluded.n`,
        label: sql`coalesce(excluded.label, ${governanceCounts.label})`,
      },
    });
}

// ---- SQL shared by the writes and the backfill (migration 0015, the seed) ----

const insertInto = "insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n)";
const outcomeSql = (status: string) =>
  `case when ${status} in ('approved', 'active', 'expired') then 'admitted' when ${status} in ('refused', 'rejected') then 'refused' when ${status} = 'withdrawn' then 'withdrawn' else 'pending' end`;
const createdQuarterSql = (column: string) =>
  `strftime('%Y', ${column}, '+8 hours') || '-Q' || ((cast(strftime('%m', ${column}, '+8 hours') as integer) + 2) / 3)`;
const dateQuarterSql = (column: string) =>
  `substr(${column}, 1, 4) || '-Q' || ((cast(substr(${column}, 6, 2) as integer) + 2) / 3)`;
const quarterIndexSql = (column: string) =>
  `(cast(substr(${column}, 1, 4) as integer) * 4 + (cast(substr(${column}, 6, 2) as integer) - 1) / 3)`;

/** Every quarter an admitted request's period overlaps, times each target community. */
const carriedHead = `with recursive spans(tenant_id, request_id, k, last) as (select tenant_id, id, ${quarterIndexSql("period_start")}, ${quarterIndexSql("period_end")} from admission_requests where`;
const carriedTail = (n: string) =>
  `union all select tenant_id, request_id, k + 1, last from spans where k < last) ${insertInto} select t.tenant_id, 'admission.carried', (s.k / 4) || '-Q' || (s.k % 4 + 1), t.division_path, t.community_id, null, ${n} from spans s join admission_targets t on t.tenant_id = s.tenant_id and t.request_id = s.request_id where true`;

/**
 * Rebuilds every total from the records (migration 0015 runs the same statements; the seed runs
 * them after inserting its rows). Each is one grouped scan: for loading, never for a request.
 */
export const governanceCountsBackfill: readonly string[] = [
  "delete from governance_counts",
  `${insertInto} select tenant_id, 'admission.department.' || ${outcomeSql("status")}, ${createdQuarterSql("created_at")}, division_path, department_id, max(department_name), count(*) from admission_requests where true group by 1, 2, 3, 4, 5`,
  `${insertInto} select t.tenant_id, 'admission.target.' || ${outcomeSql("r.status")}, ${createdQuarterSql("r.created_at")}, t.division_path, r.department_id, max(r.department_name), count(*) from admission_targets t join admission_requests r on r.tenant_id = t.tenant_id and r.id = t.request_id where true group by 1, 2, 3, 4, 5`,
  `${carriedHead} status in ('approved', 'active', 'expired') ${carriedTail("count(*)")} group by 1, 2, 3, 4, 5`,
  `${insertInto} select tenant_id, 'admission.refusals', ${dateQuarterSql("requested_on")}, division_path, community_id, null, count(*) from admission_refusals where true group by 1, 2, 3, 4, 5`,
  `${insertInto} select tenant_id, 'standards.inspections', substr(inspected_on, 1, 4), division_path, '', null, count(*) from inspections where true group by 1, 2, 3, 4, 5`,
  `${insertInto} select tenant_id, 'standards.score', substr(inspected_on, 1, 4), division_path, '', null, sum(total_score) from inspections where true group by 1, 2, 3, 4, 5`,
  `${insertInto} select tenant_id, 'standards.max_score', substr(inspected_on, 1, 4), division_path, '', null, sum(max_score) from inspections where true group by 1, 2, 3, 4, 5`,
  `${insertInto} select r.tenant_id, 'standards.rectification.' || r.status, substr(i.inspected_on, 1, 4), r.division_path, case when r.status = 'closed' then '' else substr(r.deadline, 1, 7) end, null, count(*) from rectifications r join inspections i on i.tenant_id = r.tenant_id and i.id = r.inspection_id where true group by 1, 2, 3, 4, 5`,
  `${insertInto} select r.tenant_id, 'standards.rectification.' || r.status || '.day.' || substr(r.deadline, 1, 7), substr(i.inspected_on, 1, 4), r.division_path, r.deadline, null, count(*) from rectifications r join inspections i on i.tenant_id = r.tenant_id and i.id = r.inspection_id where r.status <> 'closed' group by 1, 2, 3, 4, 5`,
];

// ---- admission ----

/**
 * The totals a request's move from `from` (null: it is being created) to `to` changes: its
 * department's outcome (per street, and per target community for the communities' own view) in the
 * quarter it was submitted, and, entering or leaving the admitted outcome, the work each target
 * community carries in every quarter of the period. Its targets must be written before these.
 */
export function admissionCountWrites(db: Writer, row: AdmissionRow, from: AdmissionStatus | null, to: AdmissionStatus) {
  const writes: BatchItem<"sqlite">[] = [];
  const quarter = quarterOfInstant(row.createdAt);
  const before = from ? outcomeOf(from) : null;
  const after = outcomeOf(to);
  if (before === after) return writes;
  const moves = [...(before ? ([[before, -1]] as const) : []), [after, 1] as const];
  for (const [outcome, n] of moves) {
    writes.push(
      bump(
        db,
        {
          tenantId: row.tenantId,
          metric: `admission.department.${outcome}`,
          period: quarter,
          divisionPath: row.divisionPath,
          dim: row.departmentId,
          label: row.departmentName,
        },
        n,
      ),
      db.run(
        sql`${sql.raw(insertInto)} select tenant_id, ${`admission.target.${outcome}`}, ${quarter}, division_path, ${row.departmentId}, ${row.departmentName}, ${n} from admission_targets where tenant_id = ${row.tenantId} and request_id = ${row.id}${sql.raw(`${onConflict}, label = coalesce(excluded.label, label)`)}`,
      ),
    );
  }
  if ((before === "admitted") !== (after === "admitted")) {
    const n = after === "admitted" ? 1 : -1;
    writes.push(
      db.run(
        sql`${sql.raw(carriedHead)} tenant_id = ${row.tenantId} and id = ${row.id} ${sql.raw(carriedTail(String(n)))}${sql.raw(onConflict)}`,
      ),
    );
  }
  return writes;
}

/** A refusal recorded in a community, in the quarter the work was asked. */
export function refusalCountWrite(
  db: Writer,
  refusal: { tenantId: string; communityId: string; divisionPath: string; requestedOn: string },
) {
  return bump(
    db,
    {
      tenantId: refusal.tenantId,
      metric: "admission.refusals",
      period: quarterOfDate(refusal.requestedOn),
      divisionPath: refusal.divisionPath,
      dim: refusal.communityId,
    },
    1,
  );
}

// ---- standards ----

/** An inspection's score and its new (open) rectifications, in the year it took place. */
export function inspectionCountWrites(
  db: Writer,
  row: { tenantId: string; divisionPath: string; inspectedOn: string; totalScore: number; maxScore: number },
  rectification: { count: number; deadline: string },
) {
  const at = { tenantId: row.tenantId, period: row.inspectedOn.slice(0, 4), divisionPath: row.divisionPath, dim: "" };
  return [
    bump(db, { ...at, metric: "standards.inspections" }, 1),
    bump(db, { ...at, metric: "standards.score" }, row.totalScore),
    bump(db, { ...at, metric: "standards.max_score" }, row.maxScore),
    ...(rectification.count > 0 ? byDeadline(db, at, "open", rectification.deadline, rectification.count) : []),
  ];
}

/**
 * Open and submitted rectifications are totalled twice: per deadline *month* (dimension `YYYY-MM`),
 * and per deadline *day* under a metric of the deadline's month (`….day.YYYY-MM`, dimension the
 * date). The stats read the month totals (a dozen a year per division) and only the current month's
 * days, so what they read does not grow with the number of rectifications: overdue is every month
 * before this one plus this month's days before today.
 */
function byDeadline(
  db: Writer,
  at: Omit<CountKey, "metric" | "dim">,
  status: "open" | "submitted",
  deadline: string,
  n: number,
) {
  const month = deadline.slice(0, 7);
  return [
    bump(db, { ...at, metric: `standards.rectification.${status}`, dim: month }, n),
    bump(db, { ...at, metric: `standards.rectification.${status}.day.${month}`, dim: deadline }, n),
  ];
}

/**
 * A rectification moving from its status to `to`, in its inspection's year: open and submitted ones
 * by deadline (`byDeadline`), closed ones in one row per division.
 */
export function rectificationCountWrites(db: Writer, row: RectificationRow, to: RectificationRow["status"]) {
  if (row.status === to) return [];
  const period = sql`(select substr(inspected_on, 1, 4) from inspections where tenant_id = ${row.tenantId} and id = ${row.inspectionId})`;
  const at = { tenantId: row.tenantId, period, divisionPath: row.divisionPath };
  const move = (status: RectificationRow["status"], n: number) =>
    status === "closed"
      ? [bump(db, { ...at, dim: "", metric: "standards.rectification.closed" }, n)]
      : byDeadline(db, at, status, row.deadline, n);
  return [...move(row.status, -1), ...move(to, 1)];
}

// ---- reads ----

export interface Total {
  metric: string;
  dim: string;
  label: string | null;
  n: number;
  /** The part of `n` whose dimension (a deadline) is before `before`, when asked. */
  nBefore: number;
}

/**
 * Sums the totals of `metrics` in `period` (every period when absent) within `reach`, grouped by
 * metric and, when `byDim`, by dimension.
 */
export async function sumTotals(
  c: Context<AppEnv>,
  options: { metrics: string[]; period?: string; reach: SQL; byDim: boolean; before?: string },
): Promise<Total[]> {
  const g = governanceCounts;
  const dim = options.byDim ? g.dim : sql<string>`''`.as("dim_all");
  const rows = await c
    .get("db")
    .select({
      metric: g.metric,
      dim,
      label: sql<string | null>`max(${g.label})`.as("label_max"),
      n: sql<number>`coalesce(sum(${g.n}), 0)`.as("n_sum"),
      nBefore: sql<number>`coalesce(sum(case when ${g.dim} < ${options.before ?? ""} then ${g.n} else 0 end), 0)`.as(
        "n_before",
      ),
    })
    .from(g)
    .where(
      and(inArray(g.metric, options.metrics), options.period ? eq(g.period, options.period) : undefined, options.reach),
    )
    .groupBy(...(options.byDim ? [g.metric, g.dim] : [g.metric]));
  return rows.map((r) => ({ ...r, dim: String(r.dim), n: Number(r.n), nBefore: Number(r.nBefore) }));
}

/** The totals' own reach: a caller's division subtree (the city: every tenant). */
export const countsReach = (c: Context<AppEnv>) =>
  withinReach(c.get("principal"), { tenantId: governanceCounts.tenantId, divisionPath: governanceCounts.divisionPath });

/**
 * Whether the caller's reach holds whole streets (no division, or a county, street or town), so
 * requests count by their street; a community or grid sees the requests that target it instead.
 */
export async function reachesStreets(c: Context<AppEnv>): Promise<boolean> {
  const org = c.get("principal").org;
  if (!org) return true;
  const [row] = await c.get("db").select({ level: divisions.level }).from(divisions).where(eq(divisions.id, org.id));
  return row?.level !== "community" && row?.level !== "grid";
}
