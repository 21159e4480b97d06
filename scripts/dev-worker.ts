/**
 * Runs the Worker locally in workerd (`wrangler dev`) against a local libSQL database: a Hrana
 * HTTP server (test/libsql-http-server.ts, a stand-in for `turso dev`) on ./data/worker-dev.db,
 * migrated and demo-seeded first. Tokens from `npm run token` work: the Worker trusts the local
 * development key, under the same issuer and audience the token script signs with.
 *
 *   npm run dev:worker            # then: curl http://127.0.0.1:8788/healthz
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { parseConfig } from "../src/config.js";
import { seedDemo } from "../src/db/seed/demo.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { seedDemoRecords } from "../src/node/demo-records.js";
import { createPiiVault } from "../src/shared/crypto/pii.js";
import { devKeyPath, ensureDevKey, ensureDevPiiKeys } from "../src/node/dev-key.js";
import { systemClock } from "../src/shared/clock.js";
import { startLibsqlHttpServer } from "../test/libsql-http-server.js";

const port = 8788;
const file = resolve("data/worker-dev.db");
// The issuer and audience `npm run token` signs with (src/config.ts defaults unless set in the environment).
const config = parseConfig(process.env);

const pii = ensureDevPiiKeys(`file:${file}`); // the same development PII keys `npm start` uses
const { client, db } = openDatabase(`file:${file}`);
await migrateDatabase(db);
const { seeded } = await seedDemo(db);
if (seeded) await seedDemoRecords(client, db, await createPiiVault(pii), systemClock.now());
client.close();
// The token script reads the key beside its own database (default ./data); this database lives there too.
const key = await ensureDevKey(devKeyPath(`file:${file}`), systemClock);

const authToken = randomBytes(16).toString("hex"); // exercises DATABASE_AUTH_TOKEN like a Turso token would
const hrana = await startLibsqlHttpServer({ file, authToken });
console.log(`libSQL (Hrana over HTTP) on ${hrana.url} serving ${file}${seeded ? ", demo data seeded" : ""}`);

const vars = {
  DATABASE_URL: hrana.url,
  DATABASE_AUTH_TOKEN: authToken,
  HEXI_JWT_ISSUER: config.HEXI_JWT_ISSUER,
  HEXI_JWT_AUDIENCE: config.HEXI_JWT_AUDIENCE,
  // The development key signs the OAuth token endpoint's tokens here too, as under `npm start`.
  HEXI_SIGNING_JWKS: JSON.stringify({ keys: [key.privateJwk] }),
  HEXI_PII_KEYS: JSON.stringify(pii.encryptionKeys),
  HEXI_PII_KEY_ID: pii.currentKeyId,
  HEXI_PII_HMAC_KEY: pii.hmacKey,
};
const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin/wrangler.js");
const args = [
  wrangler,
  "dev",
  "--port",
  String(port),
  "--ip",
  "127.0.0.1",
  ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
];
console.log(
  [
    `Starting wrangler dev on http://127.0.0.1:${port}`,
    `  Get a token:  npm run token -- --tenant 620902 --roles county_admin`,
    `  Try it:       curl -H "Authorization: Bearer $(npm run -s token -- --tenant 620902 --roles county_admin)" http://127.0.0.1:${port}/v1/divisions`,
  ].join("\n"),
);
const child = spawn(process.execPath, args, {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
});

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  if (signal) console.error(`wrangler dev ended by ${signal}`);
  void hrana.close().finally(() => process.exit(code ?? 1));
});
child.on("error", (err) => {
  console.error(`Could not start wrangler: ${err.message}`);
  void hrana.close().finally(() => process.exit(1));
});
