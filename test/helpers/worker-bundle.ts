import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { seedDemo } from "../../src/db/seed/demo.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";

/**
 * The Worker bundled as wrangler bundles it for workerd (@libsql/client resolves to its web build
 * through the "workerd" condition), and a migrated, demo-seeded database file beside it for the
 * Hrana server to serve.
 */
export async function bundleWorkerWithDatabase(root: string, dir: string) {
  const scriptPath = join(dir, "worker.js");
  await build({
    entryPoints: [join(root, "src/worker.ts")],
    outfile: scriptPath,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "silent",
    plugins: [wranglerAliases(root)],
  });
  const file = join(dir, "hexi.db");
  const database = openDatabase(`file:${file}`);
  await migrateDatabase(database.db);
  await seedDemo(database.db);
  return { scriptPath, file, ...database };
}

/** wrangler.toml's `[alias]` entries, applied as wrangler applies them: to the import specifier exactly as written. */
function wranglerAliases(root: string): Plugin {
  const section = /^\[alias\]\n((?:"[^"]+"\s*=\s*"[^"]+"\n)*)/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"));
  const aliases = new Map(
    [...(section?.[1] ?? "").matchAll(/"([^"]+)"\s*=\s*"([^"]+)"/g)].map(([, from, to]) => [from!, join(root, to!)]),
  );
  return {
    name: "wrangler-aliases",
    setup(b) {
      for (const [from, to] of aliases)
        b.onResolve({ filter: new RegExp(`^${from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }, () => ({ path: to }));
    },
  };
}
