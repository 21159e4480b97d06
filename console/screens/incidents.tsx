import { useEffect, useState } from "preact/hooks";
import { api, type Page, type Principal, session } from "../api.js";
import { Chart, type ChartOption } from "../charts.js";
import { formatNumber, formatTime, t } from "../i18n.js";
import { openStream, type StreamState } from "../stream.js";
import { href, Loading, More, Problem, Section, Table, useLoad, usePaged } from "../ui.js";

interface Incident {
  id: string;
  type: string;
  level: string;
  headline: string;
  instruction: string;
  drill: boolean;
  status: string;
  affectedDivisionIds: string[];
  activatedAt: string | null;
  createdAt: string;
}
type Counts = Record<"paged" | "delivered" | "failed" | "available" | "unavailable" | "noAnswer" | "checkedIn", number>;
interface TeamProgress extends Counts {
  teamId: string;
  name: string;
  mode: string;
  quorum: number;
  deadlineAt: string;
  quorumMet: boolean;
  firstAnswerSeconds: number | null;
}
interface Progress {
  overall: Counts;
  data: TeamProgress[];
}
interface Notification {
  answer: "available" | "unavailable" | null;
  answeredAt: string | null;
  siteId: string | null;
}
interface Site {
  id: string;
  divisionId: string;
  name: string;
  kind: string;
  address: string;
  capacity: number;
  occupancy: number;
  status: string;
}

/** Sites the incident's volunteers checked in at, then those in its affected divisions, then the rest. */
function bySiteRelevance(sites: Site[], incident: Incident, pages: Notification[]) {
  const checkedIn = new Set(pages.map((p) => p.siteId).filter(Boolean));
  const affected = new Set(incident.affectedDivisionIds);
  const rank = (s: Site) => (checkedIn.has(s.id) ? 0 : affected.has(s.divisionId) ? 1 : 2);
  return [...sites].sort((a, b) => rank(a) - rank(b) || b.occupancy - a.occupancy);
}

const sitesShown = 6;

const overallKeys: (keyof Counts)[] = ["paged", "delivered", "available", "unavailable", "noAnswer", "checkedIn"];

/** Every answered page of the incident (at most 1,000, newest pages last), for the acknowledgement curve. */
async function answers(incidentId: string): Promise<Notification[]> {
  const out: Notification[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10; i++) {
    const page: Page<Notification> = await api(
      `/v1/incidents/${incidentId}/notifications?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    out.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/** Cumulative available and unavailable answers over time, one point per answer. */
function curve(pages: Notification[], since: string | null): ChartOption {
  const answered = pages
    .filter((n) => n.answeredAt && n.answer)
    .sort((a, b) => a.answeredAt!.localeCompare(b.answeredAt!));
  const start = since ?? answered[0]?.answeredAt ?? null;
  const series = (which: "available" | "unavailable") => {
    const points: [number, number][] = start ? [[0, 0]] : [];
    let n = 0;
    for (const a of answered) {
      if (a.answer !== which) continue;
      n++;
      points.push([Math.max(0, (Date.parse(a.answeredAt!) - Date.parse(start!)) / 60_000), n]);
    }
    return points;
  };
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 44, right: 16, top: 36, bottom: 40 },
    xAxis: { type: "value", name: t("inc.minutes"), nameLocation: "middle", nameGap: 26, min: 0 },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { type: "line", step: "end", name: t("inc.available"), data: series("available"), showSymbol: false },
      { type: "line", step: "end", name: t("inc.unavailable"), data: series("unavailable"), showSymbol: false },
    ],
  };
}

function Board({ incident }: { incident: Incident }) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [state, setState] = useState<StreamState>("connecting");
  const [pages, setPages] = useState<Notification[]>([]);
  const sites = useLoad(() => api<Page<Site>>("/v1/sites?status=open&limit=100"), [incident.id]);
  const [allSites, setAllSites] = useState(false);
  const ranked = bySiteRelevance(sites.data?.data ?? [], incident, pages);

  useEffect(() => {
    setProgress(null);
    const stream = openStream(
      `/v1/incidents/${incident.id}/progress/stream`,
      (e) => {
        if (e.event !== "progress") return;
        setProgress(JSON.parse(e.data) as Progress);
        // The counts changed: the curve's answers too.
        void answers(incident.id).then(setPages, () => {});
      },
      setState,
      session.token,
    );
    return stream.close;
  }, [incident.id]);

  return (
    <div class="board">
      <header class="page-head board-head">
        <h2 class="board-title">
          {incident.drill && <span class="badge badge-drill">{t("inc.drill")}</span>} {incident.headline}
        </h2>
        <span class={`badge badge-${incident.status}`}>{t(`inc.status.${incident.status}`)}</span>
        <span class={`live live-${state}`} role="status">
          {t(`inc.stream.${state}`)}
        </span>
      </header>
      <p class="muted">{incident.instruction}</p>
      {!progress ? (
        <Loading />
      ) : (
        <>
          <ul class="kpis kpis-board" aria-label={t("inc.overall")}>
            {overallKeys.map((k) => (
              <li key={k} class="kpi">
                <div>
                  <span class="kpi-value" data-count={k}>
                    {formatNumber(progress.overall[k])}
                  </span>
                  <span class="kpi-label">{t(`inc.${k}`)}</span>
                </div>
              </li>
            ))}
          </ul>
          <Section title={t("inc.teams")} id="inc-teams">
            <div class="teams-table">
              <Table
                caption={t("inc.teams")}
                columns={[
                  t("inc.team"),
                  t("inc.quorum"),
                  t("inc.available"),
                  t("inc.unavailable"),
                  t("inc.noAnswer"),
                  t("inc.checkedIn"),
                  t("inc.firstAnswer"),
                  t("inc.deadline"),
                ]}
              >
                {progress.data.map((team) => (
                  <tr key={team.teamId} data-team={team.teamId}>
                    <th scope="row">
                      {team.name} <span class="muted">({t(`inc.mode.${team.mode}`)})</span>
                    </th>
                    <td>
                      <meter
                        min={0}
                        max={Math.max(team.quorum, 1)}
                        value={Math.min(team.available, team.quorum)}
                        aria-label={`${team.name} ${t("inc.quorum")}`}
                      />{" "}
                      {team.available}/{team.quorum}{" "}
                      {team.quorumMet ? <span class="badge badge-active">{t("inc.quorumMet")}</span> : null}
                    </td>
                    <td data-team-count="available">{team.available}</td>
                    <td>{team.unavailable}</td>
                    <td>{team.noAnswer}</td>
                    <td>{team.checkedIn}</td>
                    <td>
                      {team.firstAnswerSeconds === null ? "—" : `${Math.round(team.firstAnswerSeconds / 6) / 10}′`}
                    </td>
                    <td>{formatTime(team.deadlineAt)}</td>
                  </tr>
                ))}
              </Table>
            </div>
            {progress.data.length === 0 && <p class="muted">{t("inc.noTeams")}</p>}
          </Section>
        </>
      )}
      <div class="grid grid-board">
        <Section title={t("inc.curve")} id="inc-curve">
          <Chart option={curve(pages, incident.activatedAt)} label={t("inc.curve")} height={240} />
          <p class="muted small">
            {t("inc.answered")}: <span data-curve-answers>{pages.filter((p) => p.answeredAt).length}</span>
          </p>
        </Section>
        <Section title={t("inc.sites")} id="inc-sites">
          {sites.error !== undefined && <Problem error={sites.error} />}
          <ul class="sites">
            {(allSites ? ranked : ranked.slice(0, sitesShown)).map((s) => (
              <li key={s.id}>
                <div class="site-name">
                  {s.name} <span class="muted">· {t(`inc.kind.${s.kind}`)}</span>
                </div>
                <meter
                  min={0}
                  max={Math.max(s.capacity, 1)}
                  high={Math.max(s.capacity, 1) * 0.9}
                  value={s.occupancy}
                  aria-label={`${s.name} ${t("inc.occupancy")}`}
                />{" "}
                <span data-site-occupancy={s.id}>
                  {formatNumber(s.occupancy)} / {formatNumber(s.capacity)}
                </span>
                <div class="muted small">{s.address}</div>
              </li>
            ))}
          </ul>
          {sites.data?.data.length === 0 && <p class="muted">{t("inc.noSites")}</p>}
          {!allSites && ranked.length > sitesShown && (
            <button type="button" onClick={() => setAllSites(true)}>
              {t("inc.allSites")} ({ranked.length})
            </button>
          )}
        </Section>
      </div>
    </div>
  );
}

export function IncidentsScreen({ me, selectedId }: { me: Principal; selectedId?: string }) {
  const allowed = me.scopes.includes("emergency:read");
  const list = usePaged<Incident>(allowed ? "/v1/incidents?order=newest&limit=20" : null);
  const selected = list.rows.find((i) => i.id === selectedId) ?? (selectedId ? undefined : list.rows[0]);
  if (!allowed) return <p class="notice">{t("inc.needsScope")}</p>;
  return (
    <div class="incidents">
      <header class="page-head">
        <h1 tabIndex={-1}>{t("incidents.title")}</h1>
      </header>
      {list.error !== undefined && <Problem error={list.error} />}
      <div class="incident-layout">
        <nav class="incident-list" aria-label={t("inc.list")}>
          <ul>
            {list.rows.map((i) => (
              <li key={i.id}>
                <a href={href(`incidents/${i.id}`)} aria-current={i === selected ? "page" : undefined}>
                  <span class="incident-headline">
                    {i.drill && <span class="badge badge-drill">{t("inc.drill")}</span>} {i.headline}
                  </span>
                  <span class="muted small">
                    {t(`inc.type.${i.type}`)} · {i.level} · {t(`inc.status.${i.status}`)} · {formatTime(i.createdAt)}
                  </span>
                </a>
              </li>
            ))}
          </ul>
          {!list.loading && list.rows.length === 0 && <p class="muted">{t("inc.none")}</p>}
          <More loading={list.loading} more={list.more} />
        </nav>
        {selected && <Board key={selected.id} incident={selected} />}
      </div>
    </div>
  );
}
