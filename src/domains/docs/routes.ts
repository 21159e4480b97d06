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

export function docsRoutes(document: unknown, assets: StaticAssets) {
  const body = JSON.stringify(document);
  return new Hono<AppEnv>()
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
