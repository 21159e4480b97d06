/**
 * The console talks to Hexi's public API only, with the signed-in person's own bearer token.
 * The token is kept in this tab's sessionStorage (gone when the tab closes; never localStorage,
 * never a cookie): only scripts of this origin can read it, and the page's CSP allows no others.
 */
const tokenKey = "hexi.console.token";

export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]!));
  // Drop the token from the address bar and the history entry.
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
}

export const session = {
  token: () => sessionStorage.getItem(tokenKey),
  signIn: (token: string) => sessionStorage.setItem(tokenKey, token.trim()),
  signOut: () => sessionStorage.removeItem(tokenKey),
};

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function api<T = unknown>(path: string, options: CallOptions = {}): Promise<T> {
  const token = session.token();
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "omit",
  });
  if (response.status === 204) return undefined as T;
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiProblem(response.status, body.code ?? "error", body.detail ?? body.title ?? response.statusText);
  }
  return body as T;
}

/** A create with an Idempotency-Key, so a retried click never creates twice. */
export const create = <T>(path: string, body: unknown) =>
  api<T>(path, { method: "POST", body, headers: { "idempotency-key": crypto.randomUUID() } });

/** A state transition on a versioned entity (If-Match on its version). */
export const transition = <T>(path: string, version?: number) =>
  api<T>(path, { method: "POST", headers: version === undefined ? {} : { "if-match": `"v${version}"` } });

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Principal {
  tenant: string;
  subject: string;
  roles: string[];
  scopes: string[];
  org: string | null;
  credential: "jwt" | "api_key";
  crossTenant: boolean;
}

export const queryString = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
};
