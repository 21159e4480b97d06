/**
 * Builds the one static assets directory both runtimes serve (`public/`, wrangler.toml `[assets]`):
 *   public/docs/     swagger-ui-dist's files for /docs (an npm package, never a CDN)
 *   public/console/  the console (console/ in the repository) bundled by esbuild: app.js, app.css
 * Runs on `npm ci`/`npm install` (prepare), before `npm start` and `npm test`; about a second.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { docsAssetFiles } from "../src/domains/docs/routes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "public");
const quiet = process.argv.includes("--quiet");

rmSync(join(out, "docs"), { recursive: true, force: true });
mkdirSync(join(out, "docs"), { recursive: true });

const swagger = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
for (const file of docsAssetFiles) copyFileSync(join(swagger, file), join(out, "docs", file));

// esbuild and the console's libraries are devDependencies: an install without them (npm ci --omit=dev)
// keeps whatever console build is already in public/console, or serves the docs alone.
const esbuild = await import("esbuild").catch(() => undefined);
if (!esbuild) {
  console.warn("build-assets: esbuild is not installed (npm ci --omit=dev?): the console was not built.");
  process.exit(0);
}

await esbuild.build({
  entryPoints: { app: join(root, "console/main.tsx") },
  outdir: join(out, "console"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  treeShaking: true,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

if (!quiet) {
  for (const file of ["console/app.js", "console/app.css"]) {
    const bytes = readFileSync(join(out, file));
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`${relative(root, join(out, file))}: ${kib(bytes.length)} (gzip ${kib(gzipSync(bytes).length)})`);
  }
}
