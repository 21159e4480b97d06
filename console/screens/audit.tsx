import { useState } from "preact/hooks";
import { type Principal, queryString } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { Problem, usePaged, Table, More } from "../ui.js";
import { Cell } from "./list.js";

interface AuditEvent {
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  changes: Record<string, unknown> | null;
  at: string;
}

const fields = ["action", "actor", "targetType", "targetId", "from", "to"] as const;
type Filters = Partial<Record<(typeof fields)[number], string>>;

export function AuditScreen({ me }: { me: Principal }) {
  const [draft, setDraft] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const toIso = (v?: string) => (v ? new Date(v).toISOString() : undefined);
  const { rows, error, loading, more } = usePaged<AuditEvent>(
    me.scopes.includes("audit:read")
      ? `/v1/audit-events${queryString({ ...filters, from: toIso(filters.from), to: toIso(filters.to), limit: "50" })}`
      : null,
  );

  if (!me.scopes.includes("audit:read")) return <p class="notice">{t("audit.needsScope")}</p>;
  const labels: Record<string, string> = {
    action: t("audit.action"),
    actor: t("audit.actor"),
    targetType: t("audit.targetType"),
    targetId: t("audit.targetId"),
    from: t("audit.from"),
    to: t("audit.to"),
  };
  return (
    <div>
      <header class="page-head">
        <h1>{t("audit.title")}</h1>
      </header>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...draft });
        }}
      >
        {fields.map((f) => (
          <label key={f}>
            {labels[f]}
            <input
              name={f}
              type={(f === "from" || f === "to" ? "datetime-local" : "text") as "text"}
              value={draft[f] ?? ""}
              onInput={(e) => setDraft({ ...draft, [f]: (e.target as HTMLInputElement).value })}
            />
          </label>
        ))}
        <button type="submit">{t("audit.apply")}</button>
      </form>
      {error !== undefined && <Problem error={error} />}
      <Table
        caption={t("audit.title")}
        columns={[t("audit.at"), t("audit.actor"), t("audit.action"), t("audit.target"), t("audit.changes")]}
      >
        {rows.map((r) => (
          <tr key={r.id}>
            <td>{formatTime(r.at)}</td>
            <td>
              <code>{r.actor}</code>
            </td>
            <td>{r.action}</td>
            <td>
              {r.targetType} <Cell name="targetId" value={r.targetId} />
            </td>
            <td>{r.changes ? Object.keys(r.changes).join(", ") : "—"}</td>
          </tr>
        ))}
      </Table>
      {!loading && rows.length === 0 && <p class="muted">{t("list.empty")}</p>}
      <More loading={loading} more={more} />
    </div>
  );
}
