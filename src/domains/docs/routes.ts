import { Hono } from "hono";
import type { AppEnv } from "../../shared/request/context.js";
import { notFound } from "../../shared/http/errors.js";
import { assetResponse, type StaticAssets } from "../../shared/http/static-assets.js";

/** The docs page's script and styles: swagger-ui-dist's files, copied under `docs/` in the assets directory, never a CDN. */

export const docsAssetFiles = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"] as const;
export type DocsAssetFile = (typeof docsAssetFiles)[number];

const contentTypes: Record<DocsAssetFile, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hexi API reference</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="api-reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#api-reference",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null,
  tryItOutEnabled: true
});
</script>
</body>
</html>`;

/** What `GET /` answers: where everything a newcomer needs is. */
export const entryPoint = {
  name: "Hexi API",
  description:
    "Multi-tenant API for Jiuquan's urban party-building complex (五联双报到). 合析：城市基层党建综合体接口。",
  links: {
    console: "/console/",
    docs: "/docs",
    openapi: "/openapi.json",
    jwks: "/.well-known/jwks.json",
    token: "/v1/oauth/token",
    health: "/healthz",
    me: "/v1/me",
  },
  authentication:
    "Send `Authorization: Bearer <token>` (a JWT from a trusted issuer or the OAuth token endpoint) or `X-API-Key: hx_…` on /v1/*.",
} as const;

const entryPage = `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Hexi API</title></head>
<body>
<h1>Hexi API 合析</h1>
<p>${entryPoint.description}</p>
<ul>
<li><a href="/console/">Console 控制台</a></li>
<li><a href="/docs">API reference 接口文档</a></li>
<li><a href="/openapi.json">OpenAPI 3.1 document</a></li>
<li><a href="/.well-known/jwks.json">Signing keys (JWKS)</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</body>
</html>`;

export function docsRoutes(document: unknown, assets: StaticAssets) {
  const body = JSON.stringify(document);
  return new Hono<AppEnv>()
    .get("/", (c) => {
      // Browsers get a page of links; everything else (curl, clients) the same links as JSON.
      const accept = c.req.header("accept") ?? "";
      c.header("vary", "Accept");
      return /text\/html/.test(accept) ? c.html(entryPage) : c.json(entryPoint);
    })
    .get("/openapi.json", (c) =>
      c.body(body, 200, { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300" }),
    )
    .get("/docs", (c) => c.html(docsPage))
    .get("/docs/assets/:file", async (c) => {
      const file = c.req.param("file") as DocsAssetFile;
      if (!docsAssetFiles.includes(file)) throw notFound("asset");
      const asset = await assetResponse(assets, `docs/${file}`, contentTypes[file], "public, max-age=86400");
      if (!asset) throw notFound("asset");
      return asset;
    });
}
