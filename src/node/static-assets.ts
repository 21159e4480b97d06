import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join, normalize } from "node:path";
import type { StaticAssets } from "../shared/http/static-assets.js";

/** The directory `npm run build:assets` writes (and wrangler.toml's `[assets]` publishes). */
export const staticAssetsDir = fileURLToPath(new URL("../../public/", import.meta.url));

/** Serves the built assets directory, each file read once and kept in memory. */
export function nodeStaticAssets(dir = staticAssetsDir): StaticAssets {
  const cache = new Map<string, Uint8Array>();
  return {
    async get(path) {
      const file = normalize(path);
      if (file.startsWith("..") || file.startsWith("/")) return null;
      let bytes = cache.get(file);
      if (!bytes) {
        try {
          bytes = new Uint8Array(await readFile(join(dir, file)));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
          throw err;
        }
        cache.set(file, bytes);
      }
      return new Response(bytes);
    },
  };
}
