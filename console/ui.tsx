import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiProblem } from "./api.js";
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

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export const href = (path: string, params: Record<string, string | undefined> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ""}`;
};
