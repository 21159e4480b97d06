import { Hono } from "hono";
import type { AppEnv } from "../../shared/request/context.js";
import { notFound } from "../../shared/http/errors.js";
import { assetResponse, type StaticAssets } from "../../shared/http/static-assets.js";

/**
 * The console: a single-page client of the public API (console/ in the repository, built into
 * `console/` of the assets directory). This router only serves its page and files; everything the
 * console shows comes from /v1 with the signed-in person's own token.
 */
const consoleFiles = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
} as const;
type ConsoleFile = keyof typeof consoleFiles;

/** A tenant identity provider the console may sign people in with (OIDC authorization code + PKCE, public client). */
export interface ConsoleSignInProvider {
  /** Absent for one identity provider serving the whole city (its claim mapping names the tenant). */
  tenant?: string;
  issuer: string;
  name: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/**
 * Scripts and styles only from this origin, no inline code, no eval, no framing; API calls only to
 * this origin (and the configured identity providers' token endpoints, for the code exchange).
 * The token lives in the tab's sessionStorage, which no other origin can read.
 */
export function consoleContentSecurityPolicy(providers: readonly ConsoleSignInProvider[] = []) {
  const tokenOrigins = [...new Set(providers.map((p) => new URL(p.tokenEndpoint).origin))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...tokenOrigins].join(" "),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const securityHeaders = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-store",
};

const escapeAttribute = (value: string) => value.replace(/[&"<>']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const consolePage = (providers: readonly ConsoleSignInProvider[]) => `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<meta name="hexi-sign-in" content="${escapeAttribute(JSON.stringify(providers))}">
<title>合习 · 城市基层党建综合体驾驶舱</title>
<link rel="stylesheet" href="/console/assets/app.css">
<script type="module" src="/console/assets/app.js"></script>
</head>
<body>
<div id="app"><p class="boot">正在加载… Loading…</p></div>
<noscript>本控制台需要启用 JavaScript。 The console needs JavaScript.</noscript>
</body>
</html>`;

export function consoleRoutes(assets: StaticAssets, providers: readonly ConsoleSignInProvider[] = []) {
  const html = consolePage(providers);
  const headers = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": consoleContentSecurityPolicy(providers),
    ...securityHeaders,
  };
  const page = (c: { body: (body: string, status: 200, headers: Record<string, string>) => Response }) =>
    c.body(html, 200, headers);
  return new Hono<AppEnv>()
    .get("/console", (c) => page(c))
    .get("/console/", (c) => page(c))
    .get("/console/assets/:file", async (c) => {
      const file = c.req.param("file");
      if (!Object.hasOwn(consoleFiles, file)) throw notFound("asset");
      // Not fingerprinted: revalidate on each load, so a new build is picked up at once.
      const asset = await assetResponse(assets, `console/${file}`, consoleFiles[file as ConsoleFile], "no-cache");
      if (!asset) throw notFound("asset");
      return asset;
    });
}
