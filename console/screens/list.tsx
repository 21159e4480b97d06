import { useState } from "preact/hooks";
import { api, type Principal, queryString } from "../api.js";
import { fieldLabel, formatTime, t } from "../i18n.js";
import { href, Problem, Status, usePaged, More, Table } from "../ui.js";

/** Masked personal fields a list may reveal one at a time (the API audits each reveal), by list. */
const revealable: Record<string, { path: string; fields: string[] }> = {
  members: { path: "/v1/members", fields: ["idCard", "phone"] },
};

/** Clear personal data only for a signed-in person holding pii:read; an API key never gets it. */
const mayReveal = (me: Principal) => me.credential === "jwt" && me.scopes.includes("pii:read");

function Revealable({ list, row, name, value }: { list: string; row: Row; name: string; value: unknown }) {
  const [clear, setClear] = useState<string | null | undefined>();
  const [error, setError] = useState<unknown>();
  const spec = revealable[list]!;
  if (clear !== undefined) return <span data-revealed={name}>{clear ?? "—"}</span>;
  return (
    <span class="reveal">
      <Cell name={name} value={value} />{" "}
      {value !== null && value !== undefined && (
        <button
          type="button"
          class="small-button"
          aria-label={t("pii.revealLabel").replace("{field}", fieldLabel(name)).replace("{id}", String(row.id))}
          onClick={async () => {
            try {
              const body = await api<Row>(`${spec.path}/${String(row.id)}?reveal=pii&fields=${name}`);
              setClear((body[name] as string | null) ?? null);
            } catch (e) {
              setError(e);
            }
          }}
        >
          {t("pii.reveal")}
        </button>
      )}
      {error !== undefined && <Problem error={error} />}
    </span>
  );
}

type Row = Record<string, unknown>;

/** The lists the dashboard's numbers open: which columns to show and which filters the API takes. */
export const lists: Record<string, { columns: string[]; filters: Record<string, string[]> }> = {
  "member-reports": {
    columns: ["id", "memberId", "communityId", "channel", "status", "recheckDueOn", "createdAt"],
    filters: { status: ["submitted", "confirmed", "active", "overdue", "ended"] },
  },
  "org-reports": {
    columns: ["id", "unitOrgId", "communityOrgId", "slipNumber", "reportDate", "liaisonName", "status"],
    filters: { status: ["submitted", "received", "active", "ended"] },
  },
  needs: {
    columns: ["id", "title", "category", "quantity", "deadline", "status"],
    filters: { status: ["open", "matched", "closed", "cancelled"] },
  },
  projects: {
    columns: ["id", "title", "needId", "ownerOrgId", "status"],
    filters: { status: ["open", "claimed", "in_progress", "done", "closed", "cancelled"] },
  },
  "employer-feedback": {
    columns: ["id", "memberName", "quarter", "hours", "points", "recipientOrgId", "status", "sentAt", "acknowledgedAt"],
    filters: { status: ["generated", "sent", "acknowledged"] },
  },
  agreements: {
    columns: ["id", "unitOrgId", "communityOrgId", "startsOn", "endsOn", "links"],
    filters: { link: ["organisation", "venue", "activity", "resource", "service"] },
  },
  "party-orgs": { columns: ["id", "name", "type", "category", "secretaryName", "divisionId"], filters: {} },
  members: {
    columns: ["id", "name", "gender", "idCard", "phone", "classification", "status", "orgId"],
    filters: { status: [] },
  },
};

export function Cell({ name, value }: { name: string; value: unknown }) {
  if (value === null || value === undefined || value === "") return <span class="muted">—</span>;
  if (name === "status" && typeof value === "string") return <Status value={value} />;
  if (/At$/.test(name) && typeof value === "string") return <>{formatTime(value)}</>;
  if (Array.isArray(value)) return <>{value.join(", ")}</>;
  if (typeof value === "object") return <code>{JSON.stringify(value)}</code>;
  const text = String(value);
  return /^[a-z]+_[0-9A-Z]{26}$/.test(text) ? (
    <code title={text}>{`${text.slice(0, text.indexOf("_") + 1)}…${text.slice(-6)}`}</code>
  ) : (
    text
  );
}

export function ListScreen({ name, params, me }: { name: string; params: URLSearchParams; me: Principal }) {
  const config = lists[name];
  const filters = Object.fromEntries([...params.entries()]);
  const { rows, error, loading, more } = usePaged<Row>(
    config ? `/v1/${name}${queryString({ ...filters, limit: "50" })}` : null,
  );

  if (!config) return <Problem error={`unknown list ${name}`} />;
  const title = t(`list.${name}`);
  return (
    <div>
      <header class="page-head">
        <h1>{title}</h1>
        <a href="#/">{t("list.back")}</a>
      </header>
      {Object.entries(config.filters)
        .filter(([, values]) => values.length > 0)
        .map(([filter, values]) => (
          <nav class="chips" aria-label={`${t("list.filter")}: ${filter}`} key={filter}>
            <a href={href(`list/${name}`)} aria-current={!filters[filter] ? "page" : undefined}>
              {t("any")}
            </a>
            {values.map((v) => (
              <a
                key={v}
                href={href(`list/${name}`, { ...filters, [filter]: v })}
                aria-current={filters[filter] === v ? "page" : undefined}
              >
                {t(filter === "link" ? `link.${v}` : `status.${v}`)}
              </a>
            ))}
          </nav>
        ))}
      {error !== undefined && <Problem error={error} />}
      <Table caption={title} columns={config.columns.map(fieldLabel)}>
        {rows.map((row) => (
          <tr key={String(row.id)}>
            {config.columns.map((c) => (
              <td key={c}>
                {mayReveal(me) && revealable[name]?.fields.includes(c) ? (
                  <Revealable list={name} row={row} name={c} value={row[c]} />
                ) : (
                  <Cell name={c} value={row[c]} />
                )}
              </td>
            ))}
          </tr>
        ))}
      </Table>
      {!loading && rows.length === 0 && !error && <p class="muted">{t("list.empty")}</p>}
      <p class="muted">
        {rows.length} {t("list.count")}
      </p>
      <More loading={loading} more={more} />
    </div>
  );
}
