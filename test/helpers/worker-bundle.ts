import { join } from "node:path";
import { build } from "esbuild";
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
  });
  const file = join(dir, "hexi.db");
  const database = openDatabase(`file:${file}`);
  await migrateDatabase(database.db);
  await seedDemo(database.db);
  return { scriptPath, file, ...database };
}
