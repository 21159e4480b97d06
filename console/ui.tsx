import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiProblem, api, type Page } from "./api.js";
import { t } from "./i18n.js";

/** Loads once per `key` change; exposes reload for after writes. */
export function useLoad<T>(load: () => Promise<T>, key: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const run = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => setState({ data, loading: false }),
      (error) => setState({ error, loading: false }),
    );
  }, key);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** A keyset-paged list: the first page when `url` changes, the next on `more()` (absent on the last page). */
export function usePaged<T>(url: string | null) {
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const load = async (from: string | null) => {
    if (!url) return;
    setLoading(true);
    try {
      const page = await api<Page<T>>(
        from ? `${url}${url.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(from)}` : url,
      );
      setRows((old) => (from ? [...old, ...page.data] : page.data));
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setRows([]);
    void load(null);
  }, [url]);
  return { rows, error, loading, more: cursor && !loading ? () => load(cursor) : undefined };
}

/** Runs a write, keeps its problem for display, then reloads the screen's data. */
export function useAction(reload: () => void) {
  const [error, setError] = useState<unknown>();
  const act = async (work: () => Promise<unknown>) => {
    try {
      setError(undefined);
      await work();
    } catch (e) {
      setError(e);
    }
    reload();
  };
  return { error, act };
}

export function Problem({ error }: { error: unknown }) {
  const message = error instanceof ApiProblem ? `${error.status} ${error.code}: ${error.message}` : String(error);
  return (
    <p class="problem" role="alert">
      {t("error")}: {message}
    </p>
  );
}

export function Loading() {
  return (
    <p class="muted" aria-live="polite">
      {t("loading")}
    </p>
  );
}

export function Status({ value }: { value: string }) {
  return <span class={`badge badge-${value}`}>{t(`status.${value}`)}</span>;
}

export function Section({
  title,
  children,
  id,
  wide,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
  wide?: boolean;
}) {
  return (
    <section class={wide ? "panel wide" : "panel"} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A data table in a keyboard-scrollable wrapper, with its header row and a caption for screen readers. */
export function Table({
  caption,
  columns,
  children,
}: {
  caption?: string;
  columns: string[];
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap" tabIndex={0}>
      <table>
        {caption && <caption class="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** The end of a paged list: a loading note, or the button that fetches the next page. */
export function More({ loading, more }: { loading: boolean; more?: () => void }) {
  return (
    <>
      {loading && <Loading />}
      {more && (
        <button type="button" onClick={more}>
          {t("list.more")}
        </button>
      )}
    </>
  );
}

export const href = (path: string, params: Record<string, string | undefined> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ""}`;
};
