import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { DocsAssets } from "../domains/docs/routes.js";

/** Serves the docs UI from the installed swagger-ui-dist package, read once and kept in memory. */
export function nodeDocsAssets(): DocsAssets {
  const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const cache = new Map<string, Uint8Array>();
  return {
    async get(file) {
      let bytes = cache.get(file);
      if (!bytes) {
        bytes = new Uint8Array(await readFile(join(dir, file)));
        cache.set(file, bytes);
      }
      return new Response(bytes);
    },
  };
}
