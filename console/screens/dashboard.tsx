import { api, type Principal } from "../api.js";
import { Chart, type ChartOption } from "../charts.js";
import { formatNumber, lang, t } from "../i18n.js";
import { href, Loading, Problem, Section, useLoad, Table } from "../ui.js";

type Counts = Record<string, number>;
export interface TenantStats {
  tenant: string;
  nameZh: string;
  organisations: number;
  members: number;
  orgReports: Counts;
  memberReports: Counts;
  agreementsByLink: Counts;
  openNeeds: number;
  needs: Counts;
  projects: Counts;
  employerFeedback: Counts;
  hoursThisQuarter: number;
}
interface Stats {
  quarter: string;
  data: TenantStats[];
}

const sum = (rows: TenantStats[], pick: (r: TenantStats) => number) => rows.reduce((n, r) => n + pick(r), 0);
const sumCounts = (rows: TenantStats[], pick: (r: TenantStats) => Counts) => {
  const out: Counts = {};
  for (const r of rows) for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
  return out;
};
const go = (path: string, params: Record<string, string | undefined> = {}) => {
  location.hash = href(path, params);
};

/** Short county names for axes: 阿克塞哈萨克族自治县 → 阿克塞. */
const shortName = (name: string) => name.replace(/(蒙古族|哈萨克族)?自治县$/, "").replace(/(区|县|市)$/, "");

const tenantNamesEn: Record<string, string> = {
  "620902": "Suzhou",
  "620921": "Jinta",
  "620922": "Guazhou",
  "620923": "Subei",
  "620924": "Aksay",
  "620981": "Yumen",
  "620982": "Dunhuang",
};
const tenantName = (r: TenantStats) => (lang() === "en" ? (tenantNamesEn[r.tenant] ?? r.tenant) : shortName(r.nameZh));

function statusBars(counts: Counts, list: string): { option: ChartOption; onClick: (e: { name: string }) => void } {
  const keys = Object.keys(counts);
  return {
    option: {
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      xAxis: { type: "category", data: keys.map((k) => t(`status.${k}`)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        {
          type: "bar",
          data: keys.map((k) => ({ value: counts[k] ?? 0, name: k })),
          label: { show: true, position: "top" },
          barMaxWidth: 40,
        },
      ],
    },
    onClick: (e) => go(`list/${list}`, { status: (e as { data?: { name?: string } }).data?.name }),
  };
}

function statusPie(counts: Counts, list: string): { option: ChartOption; onClick: (e: { name: string }) => void } {
  const keys = Object.keys(counts);
  return {
    option: {
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [
        {
          type: "pie",
          radius: ["38%", "65%"],
          stillShowZeroSum: false,
          center: ["50%", "44%"],
          data: keys.map((k) => ({ value: counts[k] ?? 0, name: t(`status.${k}`), id: k })),
          label: { position: "inside", formatter: "{c}", color: "#fff", fontWeight: "bold" },
        },
      ],
    },
    onClick: (e) => go(`list/${list}`, { status: (e as { data?: { id?: string } }).data?.id }),
  };
}

interface TrendPoint {
  month: string;
  memberReports: number;
  orgReports: number;
  needs: number;
  projects: number;
  serviceHours: number;
  employerFeedback: number;
}

const trendCounts = ["memberReports", "orgReports", "needs", "projects", "employerFeedback"] as const;

/** Monthly counts as lines (left axis) and service hours as bars (right axis). */
function trendOption(points: TrendPoint[]): ChartOption {
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 56, bottom: 32 },
    xAxis: { type: "category", data: points.map((p) => p.month) },
    yAxis: [
      { type: "value", minInterval: 1 },
      { type: "value", name: t("trend.serviceHours"), splitLine: { show: false } },
    ],
    series: [
      {
        type: "bar",
        name: t("trend.serviceHours"),
        yAxisIndex: 1,
        data: points.map((p) => p.serviceHours),
        barMaxWidth: 24,
        itemStyle: { opacity: 0.35 },
      },
      ...trendCounts.map((k) => ({
        type: "line" as const,
        name: t(`trend.${k}`),
        data: points.map((p) => p[k]),
        symbolSize: 5,
      })),
    ],
  };
}

export function Dashboard({ me }: { me: Principal }) {
  const { data, error, loading } = useLoad(() => api<Stats>("/v1/stats"), [me.tenant]);
  const trends = useLoad(() => api<{ data: TrendPoint[] }>("/v1/stats/trends"), [me.tenant]);
  if (!me.scopes.includes("stats:read")) return <p class="notice">{t("dash.nostats")}</p>;
  if (error) return <Problem error={error} />;
  if (!data) return loading ? <Loading /> : null;
  const rows = data.data;
  const memberReports = sumCounts(rows, (r) => r.memberReports);
  const orgReports = sumCounts(rows, (r) => r.orgReports);
  const needs = sumCounts(rows, (r) => r.needs);
  const projects = sumCounts(rows, (r) => r.projects);
  const feedback = sumCounts(rows, (r) => r.employerFeedback);
  const links = sumCounts(rows, (r) => r.agreementsByLink);
  const hours = sum(rows, (r) => r.hoursThisQuarter);
  const empty = sum(rows, (r) => r.organisations + r.members + sum([r], (x) => x.openNeeds)) === 0;
  const names = rows.map(tenantName);

  const kpis: { key: string; value: number; link?: string; params?: Record<string, string> }[] = [
    { key: "dash.organisations", value: sum(rows, (r) => r.organisations), link: "party-orgs" },
    { key: "dash.members", value: sum(rows, (r) => r.members), link: "members" },
    {
      key: "dash.orgReportsActive",
      value: orgReports.active ?? 0,
      link: "org-reports",
      params: { status: "active" },
    },
    {
      key: "dash.memberReportsActive",
      value: memberReports.active ?? 0,
      link: "member-reports",
      params: { status: "active" },
    },
    { key: "dash.overdue", value: memberReports.overdue ?? 0, link: "member-reports", params: { status: "overdue" } },
    { key: "dash.openNeeds", value: needs.open ?? 0, link: "needs", params: { status: "open" } },
    { key: "dash.hours", value: hours },
    {
      key: "dash.feedbackAck",
      value: feedback.acknowledged ?? 0,
      link: "employer-feedback",
      params: { status: "acknowledged" },
    },
  ];

  const comparison: ChartOption = {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 36, bottom: 32 },
    xAxis: { type: "category", data: names },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { type: "bar", name: t("dash.organisations"), data: rows.map((r) => r.organisations) },
      { type: "bar", name: t("dash.members"), data: rows.map((r) => r.members) },
      { type: "bar", name: t("dash.memberReportsActive"), data: rows.map((r) => r.memberReports.active ?? 0) },
      { type: "bar", name: t("dash.overdue"), data: rows.map((r) => r.memberReports.overdue ?? 0) },
    ],
  };
  const byTenant = (values: number[]): ChartOption => ({
    tooltip: { trigger: "axis" },
    grid: { left: 56, right: 16, top: 16, bottom: 32 },
    xAxis: { type: "category", data: names },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: values, label: { show: true, position: "top" }, barMaxWidth: 36 }],
  });
  const linkKeys = Object.keys(links);
  const feedbackOption: ChartOption = {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 36, bottom: 32 },
    xAxis: { type: "category", data: names },
    yAxis: { type: "value", minInterval: 1 },
    series: ["generated", "sent", "acknowledged"].map((s) => ({
      type: "bar" as const,
      stack: "feedback",
      name: t(`status.${s}`),
      id: s,
      data: rows.map((r) => r.employerFeedback[s] ?? 0),
    })),
  };
  const mr = statusBars(memberReports, "member-reports");
  const or = statusBars(orgReports, "org-reports");
  const nd = statusPie(needs, "needs");
  const pj = statusBars(projects, "projects");

  return (
    <div class="dashboard">
      <header class="page-head">
        <h1>{t("app.title")}</h1>
        <p class="muted">
          {me.crossTenant ? t("city") : rows.map(tenantName).join("、")} · {t("dash.quarter")} {data.quarter}
        </p>
      </header>
      {empty && <p class="notice">{t("dash.empty")}</p>}
      <ul class="kpis">
        {kpis.map((k) => (
          <li key={k.key} class="kpi">
            {k.link ? (
              <a href={href(`list/${k.link}`, k.params)}>
                <span class="kpi-value">{formatNumber(k.value)}</span>
                <span class="kpi-label">{t(k.key)}</span>
              </a>
            ) : (
              <div>
                <span class="kpi-value">{formatNumber(k.value)}</span>
                <span class="kpi-label">{t(k.key)}</span>
              </div>
            )}
          </li>
        ))}
      </ul>
      <div class="grid">
        <Section title={t("dash.compare")} id="c-compare">
          <Chart option={comparison} label={t("dash.compare")} height={280} />
        </Section>
        <Section title={t("dash.trends")} id="c-trends" wide>
          {trends.error !== undefined && <Problem error={trends.error} />}
          {trends.data && <Chart option={trendOption(trends.data.data)} label={t("dash.trends")} height={280} />}
        </Section>
        <Section title={t("dash.memberReports")} id="c-mr">
          <Chart option={mr.option} onClick={mr.onClick} label={t("dash.memberReports")} />
        </Section>
        <Section title={t("dash.orgReports")} id="c-or">
          <Chart option={or.option} onClick={or.onClick} label={t("dash.orgReports")} />
        </Section>
        <Section title={t("dash.needs")} id="c-needs">
          <Chart option={nd.option} onClick={nd.onClick} label={t("dash.needs")} />
        </Section>
        <Section title={t("dash.projects")} id="c-projects">
          <Chart option={pj.option} onClick={pj.onClick} label={t("dash.projects")} />
        </Section>
        <Section title={t("dash.links")} id="c-links">
          <Chart
            option={{
              tooltip: { trigger: "axis" },
              grid: { left: 48, right: 16, top: 16, bottom: 32 },
              xAxis: { type: "category", data: linkKeys.map((k) => t(`link.${k}`)) },
              yAxis: { type: "value", minInterval: 1 },
              series: [
                {
                  type: "bar",
                  data: linkKeys.map((k) => ({ value: links[k] ?? 0, name: k })),
                  label: { show: true, position: "top" },
                  barMaxWidth: 40,
                },
              ],
            }}
            onClick={(e) => go("list/agreements", { link: (e.data as { name?: string } | undefined)?.name })}
            label={t("dash.links")}
          />
        </Section>
        <Section title={t("dash.hoursByTenant")} id="c-hours">
          <Chart option={byTenant(rows.map((r) => r.hoursThisQuarter))} label={t("dash.hoursByTenant")} />
        </Section>
        <Section title={t("dash.feedback")} id="c-feedback">
          <Chart
            option={feedbackOption}
            onClick={(e) => go("list/employer-feedback", { status: e.seriesId })}
            label={t("dash.feedback")}
          />
        </Section>
        <Section title={t("dash.table")} id="c-table">
          <Table
            columns={[
              t("dash.tenant"),
              t("dash.organisations"),
              t("dash.members"),
              t("dash.orgReportsActive"),
              t("dash.memberReportsActive"),
              t("dash.overdue"),
              t("dash.openNeeds"),
              t("dash.hours"),
            ]}
          >
            {rows.map((r) => (
              <tr key={r.tenant}>
                <th scope="row">{lang() === "en" ? (tenantNamesEn[r.tenant] ?? r.nameZh) : r.nameZh}</th>
                <td>{formatNumber(r.organisations)}</td>
                <td>{formatNumber(r.members)}</td>
                <td>{formatNumber(r.orgReports.active ?? 0)}</td>
                <td>{formatNumber(r.memberReports.active ?? 0)}</td>
                <td>{formatNumber(r.memberReports.overdue ?? 0)}</td>
                <td>{formatNumber(r.openNeeds)}</td>
                <td>{formatNumber(r.hoursThisQuarter)}</td>
              </tr>
            ))}
          </Table>
        </Section>
      </div>
    </div>
  );
}
