import { useState } from "preact/hooks";
import { api, create, type Page, type Principal } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { href, Loading, Problem, Section, Status, useAction, useLoad, Table } from "../ui.js";
import { CopySecret } from "./keys.js";

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  status: string;
  consecutiveFailures: number;
  version: number;
}
interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** The event catalogue comes from the public OpenAPI document, like any client would read it. */
async function eventTypes(): Promise<string[]> {
  const doc = await api<{
    components: { schemas: { CreateWebhookEndpoint: { properties: { eventTypes: { items: { enum: string[] } } } } } };
  }>("/openapi.json");
  return doc.components.schemas.CreateWebhookEndpoint.properties.eventTypes.items.enum;
}

function Deliveries({ endpoint }: { endpoint: Endpoint }) {
  const list = useLoad(
    () => api<Page<Delivery>>(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=50`),
    [endpoint.id],
  );
  const { error, act } = useAction(list.reload);
  const [note, setNote] = useState("");
  return (
    <Section title={`${t("hooks.deliveries")} · ${endpoint.url}`} id="deliveries">
      <button type="button" onClick={list.reload}>
        {t("refresh")}
      </button>
      {note && <p role="status">{note}</p>}
      {error !== undefined && <Problem error={error} />}
      {list.error !== undefined && <Problem error={list.error} />}
      <Table
        caption={t("hooks.deliveries")}
        columns={[
          t("hooks.event"),
          t("keys.status"),
          t("hooks.attempts"),
          t("hooks.code"),
          t("hooks.lastError"),
          t("hooks.next"),
          t("keys.created"),
          t("keys.actions"),
        ]}
      >
        {list.data?.data.map((d) => (
          <tr key={d.id} data-delivery={d.id}>
            <td>{d.eventType}</td>
            <td>
              <Status value={d.status} />
            </td>
            <td>{d.attempts}</td>
            <td>{d.lastStatusCode ?? "—"}</td>
            <td>{d.lastError ?? "—"}</td>
            <td>{formatTime(d.nextAttemptAt)}</td>
            <td>{formatTime(d.createdAt)}</td>
            <td>
              {(d.status === "dead" || d.status === "failed" || d.status === "succeeded") && (
                <button
                  type="button"
                  aria-label={`${t("hooks.replay")} ${d.eventType} ${d.id}`}
                  onClick={() =>
                    act(async () => {
                      await api(`/v1/webhook-deliveries/${d.id}/replay`, { method: "POST" });
                      setNote(t("hooks.replayed"));
                    })
                  }
                >
                  {t("hooks.replay")}
                </button>
              )}
            </td>
          </tr>
        ))}
      </Table>
      {list.loading && <Loading />}
      {list.data?.data.length === 0 && <p class="muted">{t("list.empty")}</p>}
    </Section>
  );
}

export function WebhooksScreen({ me, selectedId }: { me: Principal; selectedId?: string }) {
  const allowed = me.scopes.includes("webhooks:manage");
  const endpoints = useLoad(
    () =>
      allowed
        ? api<Page<Endpoint>>("/v1/webhook-endpoints?limit=100")
        : Promise.resolve({ data: [] as Endpoint[], nextCursor: null }),
    [allowed],
  );
  const catalogue = useLoad(() => (allowed ? eventTypes() : Promise.resolve([])), [allowed]);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<Set<string>>(new Set());
  const [secret, setSecret] = useState<string | null>(null);
  const { error, act } = useAction(endpoints.reload);
  const [note, setNote] = useState("");

  if (!allowed) return <p class="notice">{t("hooks.needsScope")}</p>;
  const selected = endpoints.data?.data.find((e) => e.id === selectedId);
  return (
    <div>
      <header class="page-head">
        <h1>{t("hooks.title")}</h1>
      </header>
      {error !== undefined && <Problem error={error} />}
      {note && <p role="status">{note}</p>}
      {secret && <CopySecret secret={secret} label={t("hooks.secret")} />}
      <Table
        caption={t("hooks.title")}
        columns={[t("hooks.url"), t("keys.status"), t("hooks.events"), t("hooks.failures"), t("keys.actions")]}
      >
        {endpoints.data?.data.map((e) => (
          <tr key={e.id} aria-current={e.id === selectedId ? "true" : undefined}>
            <td>
              <a href={href(`webhooks/${e.id}`)}>{e.url}</a>
              {e.description && <div class="muted">{e.description}</div>}
            </td>
            <td>
              <Status value={e.status} />
            </td>
            <td class="scope-list">{e.eventTypes.join(" ")}</td>
            <td>{e.consecutiveFailures}</td>
            <td class="actions">
              <a class="button" href={href(`webhooks/${e.id}`)}>
                {t("hooks.deliveries")}
              </a>{" "}
              {e.status === "active" && (
                <>
                  <button
                    type="button"
                    aria-label={`${t("hooks.test")} ${e.url}`}
                    onClick={() =>
                      act(async () => {
                        await api(`/v1/webhook-endpoints/${e.id}/test`, { method: "POST" });
                        setNote(t("hooks.testQueued"));
                        location.hash = href(`webhooks/${e.id}`);
                      })
                    }
                  >
                    {t("hooks.test")}
                  </button>{" "}
                </>
              )}
              <button
                type="button"
                onClick={() =>
                  act(() =>
                    api(`/v1/webhook-endpoints/${e.id}/${e.status === "active" ? "disable" : "enable"}`, {
                      method: "POST",
                      headers: { "if-match": `"v${e.version}"` },
                    }),
                  )
                }
              >
                {e.status === "active" ? t("hooks.disable") : t("hooks.enable")}
              </button>
            </td>
          </tr>
        ))}
      </Table>
      {endpoints.loading && <Loading />}
      {endpoints.error !== undefined && <Problem error={endpoints.error} />}
      {selected && <Deliveries endpoint={selected} />}
      <Section title={t("hooks.create")} id="create-hook">
        <p class="muted">{t("hooks.testSend")}</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              const created = await create<{ id: string; secret?: string }>("/v1/webhook-endpoints", {
                url,
                eventTypes: [...events],
                description: description || null,
              });
              setSecret(created.secret ?? null);
              setUrl("");
              setDescription("");
              location.hash = href(`webhooks/${created.id}`);
            });
          }}
        >
          <label class="field">
            {t("hooks.url")}
            <input
              name="url"
              type="url"
              required
              placeholder="https://hooks.example.com/hexi"
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            {t("hooks.description")}
            <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
          <fieldset class="events">
            <legend>{t("hooks.events")}</legend>
            {catalogue.data?.map((type) => (
              <label key={type}>
                <input
                  type="checkbox"
                  name="eventType"
                  value={type}
                  checked={events.has(type)}
                  onChange={() => {
                    const next = new Set(events);
                    if (next.has(type)) next.delete(type);
                    else next.add(type);
                    setEvents(next);
                  }}
                />{" "}
                {type}
              </label>
            ))}
          </fieldset>
          <button type="submit" class="primary" disabled={events.size === 0}>
            {t("hooks.submit")}
          </button>
        </form>
      </Section>
    </div>
  );
}
