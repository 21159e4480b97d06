import { useEffect, useRef, useState } from "preact/hooks";
import { roles, roleScopes, scopes, type Role } from "../../src/shared/auth/principal.js";
import { api, create, type Page, type Principal } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { Loading, Problem, Section, Status, useAction, useLoad, Table } from "../ui.js";

interface ApiKey {
  id: string;
  name: string;
  start: string;
  scopes: string[];
  status: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  version: number;
  createdAt: string;
}

/** The API refuses these for keys whatever the caller holds. */
const neverForKeys = new Set(["pii:read", "access:manage"]);

export function CopySecret({ secret, label }: { secret: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  // Shown once: bring it into view and give it focus, so nobody misses it.
  useEffect(() => {
    box.current?.scrollIntoView({ block: "center" });
    box.current?.focus();
  }, [secret]);
  return (
    <div class="secret" role="status" tabIndex={-1} ref={box}>
      <p>{label}</p>
      <code data-secret>{secret}</code>
      <button
        type="button"
        onClick={async () => {
          await navigator.clipboard?.writeText(secret).catch(() => undefined);
          setCopied(true);
        }}
      >
        {copied ? t("keys.copied") : t("keys.copy")}
      </button>
    </div>
  );
}

function ScopePicker({
  me,
  selected,
  onChange,
}: {
  me: Principal;
  selected: Set<string>;
  onChange: (s: Set<string>) => void;
}) {
  const grantable = (s: string) => me.scopes.includes(s) && !neverForKeys.has(s);
  const toggle = (s: string) => {
    const next = new Set(selected);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    onChange(next);
  };
  const pickRole = (role: Role) => onChange(new Set(roleScopes[role].filter(grantable)));
  return (
    <fieldset class="scopes">
      <legend>{t("keys.scopes")}</legend>
      <p class="muted">{t("keys.matrixHint")}</p>
      <fieldset class="chips">
        <legend>{t("keys.role")}</legend>
        {roles.map((role) => (
          <button type="button" key={role} onClick={() => pickRole(role)}>
            {role}
          </button>
        ))}
      </fieldset>
      <div class="table-wrap matrix" tabIndex={0}>
        <table>
          <caption>{t("keys.matrix")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("keys.scopes")}</th>
              {roles.map((role) => (
                <th scope="col" key={role}>
                  {role}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {scopes.map((s) => (
              <tr key={s}>
                <th scope="row">
                  <label>
                    <input
                      type="checkbox"
                      name="scope"
                      value={s}
                      checked={selected.has(s)}
                      disabled={!grantable(s)}
                      onChange={() => toggle(s)}
                    />{" "}
                    <code>{s}</code>
                  </label>
                </th>
                {roles.map((role) => (
                  <td key={role} class="tick">
                    {roleScopes[role].includes(s) ? (
                      <>
                        <span aria-hidden="true">✓</span>
                        <span class="sr-only">{`${role}: ${s}`}</span>
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </fieldset>
  );
}

export function KeysScreen({ me }: { me: Principal }) {
  const allowed = me.scopes.includes("access:manage");
  const keys = useLoad(
    () => (allowed ? api<Page<ApiKey>>("/v1/api-keys?limit=100") : Promise.resolve({ data: [], nextCursor: null })),
    [allowed],
  );
  const [name, setName] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set(["stats:read"]));
  const [secret, setSecret] = useState<string | null>(null);
  const { error, act } = useAction(keys.reload);

  if (!allowed) return <p class="notice">{t("keys.needsScope")}</p>;
  return (
    <div>
      <header class="page-head">
        <h1>{t("keys.title")}</h1>
      </header>
      {error !== undefined && <Problem error={error} />}
      {secret && <CopySecret secret={secret} label={t("keys.secret")} />}
      <Table
        caption={t("keys.title")}
        columns={[
          t("keys.name"),
          t("keys.start"),
          t("keys.status"),
          t("keys.scopes"),
          t("keys.lastUsed"),
          t("keys.expires"),
          t("keys.actions"),
        ]}
      >
        {keys.data?.data.map((k) => (
          <tr key={k.id} data-key={k.id}>
            <td>{k.name}</td>
            <td>
              <code>{k.start}…</code>
            </td>
            <td>
              <Status value={k.status} />
            </td>
            <td class="scope-list">{k.scopes.join(" ")}</td>
            <td>{formatTime(k.lastUsedAt)}</td>
            <td>{formatTime(k.expiresAt)}</td>
            <td class="actions">
              {k.status === "active" && (
                <>
                  <button
                    type="button"
                    aria-label={`${t("keys.rotate")} ${k.name}`}
                    onClick={() =>
                      act(async () => {
                        const rotated = await api<{ key: string | null }>(`/v1/api-keys/${k.id}/rotate`, {
                          method: "POST",
                          headers: { "if-match": `"v${k.version}"`, "idempotency-key": crypto.randomUUID() },
                        });
                        setSecret(rotated.key);
                      })
                    }
                  >
                    {t("keys.rotate")}
                  </button>{" "}
                </>
              )}
              {(k.status === "active" || k.status === "replaced") && (
                <button
                  type="button"
                  class="danger"
                  aria-label={`${t("keys.revoke")} ${k.name}`}
                  onClick={() =>
                    confirm(t("keys.confirmRevoke")) &&
                    act(() =>
                      api(`/v1/api-keys/${k.id}/revoke`, {
                        method: "POST",
                        headers: { "if-match": `"v${k.version}"` },
                      }),
                    )
                  }
                >
                  {t("keys.revoke")}
                </button>
              )}
            </td>
          </tr>
        ))}
      </Table>
      {keys.loading && <Loading />}
      {keys.error !== undefined && <Problem error={keys.error} />}
      <Section title={t("keys.create")} id="create-key">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              const created = await create<{ key: string | null }>("/v1/api-keys", { name, scopes: [...selected] });
              setSecret(created.key);
              setName("");
            });
          }}
        >
          <label class="field">
            {t("keys.name")}
            <input name="name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <ScopePicker me={me} selected={selected} onChange={setSelected} />
          <button type="submit" class="primary" disabled={selected.size === 0}>
            {t("keys.submit")}
          </button>
        </form>
      </Section>
    </div>
  );
}
