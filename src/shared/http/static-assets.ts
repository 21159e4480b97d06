/**
 * The built static files (`npm run build:assets` → `public/`): the docs UI's files under `docs/`,
 * the console's under `console/`. Node reads the directory; the Worker asks its ASSETS binding
 * (wrangler.toml `[assets]`). Routes decide which files are published and under which URL.
 */
export interface StaticAssets {
  /** A file by its path inside the assets directory (e.g. `docs/swagger-ui.css`); null when absent. */
  get(path: string): Promise<Response | null>;
}

/** Answers one published asset with its content type and cache policy, or null when the file is absent. */
export async function assetResponse(
  assets: StaticAssets,
  path: string,
  contentType: string,
  cacheControl: string,
): Promise<Response | null> {
  const asset = await assets.get(path);
  if (!asset) return null;
  return new Response(asset.body, {
    status: 200,
    headers: { "content-type": contentType, "cache-control": cacheControl, "x-content-type-options": "nosniff" },
  });
}
