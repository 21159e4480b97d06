import { existsSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { certificateKeySet, parseConfig, piiKeyMaterial, runMode } from "../src/config.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { devCertificateKeyPath, ensureDevKey, ensureDevPiiKeys } from "../src/node/dev-key.js";
import { createCertificateKeys } from "../src/shared/auth/certificate-keys.js";
import { systemClock } from "../src/shared/clock.js";
import { redactUrl } from "../src/node/tokens.js";
import { createPiiVault } from "../src/shared/crypto/pii.js";
import { seedScale } from "../src/node/seed-scale.js";

const usage = `Usage: npm run seed -- [--scale 1] [--seed 813] [--database file:./data/scale-1.db] [--force]
Fills a NEW database with Jiuquan at real size (scale 1: 3,904 party organisations, 83,670 members, …),
deterministically from --seed. --scale N multiplies the records inside each community. Refuses to touch
an existing database file unless --force (which deletes it first). --database may also be a remote
libSQL URL (libsql://, https://, http://; DATABASE_AUTH_TOKEN from the environment): it must hold no
tenants yet (a remote database is never deleted). Demo data: development and benchmarks only.`;

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "1" },
    seed: { type: "string", default: "813" },
    database: { type: "string" },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const scale = Number(values.scale);
const seed = Number(values.seed);
if (!Number.isFinite(scale) || scale <= 0 || scale > 100)
  fail("--scale must be a number above 0 and at most 100 (0.01 makes a small demo).");
if (!Number.isInteger(seed)) fail("--seed must be a whole number.");

const databaseUrl = values.database ?? `file:./data/scale-${scale}.db`;
const remote = !databaseUrl.startsWith("file:");
if (!remote) {
  const file = databaseUrl.slice("file:".length);
  if (existsSync(file)) {
    if (!values.force) fail(`${file} exists. Pass --force to replace it.`);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  }
}

const config = parseConfig({ ...process.env, DATABASE_URL: databaseUrl });
if (runMode(config) === "production") fail("Demo data never goes into production (HEXI_ENV/NODE_ENV=production).");
const vault = await createPiiVault(piiKeyMaterial(config) ?? ensureDevPiiKeys(databaseUrl));
// Certificates are signed with the keys the server will verify them with: configured, or the development key beside the database.
const certificateKeys = await createCertificateKeys(
  certificateKeySet(config) ?? [
    (await ensureDevKey(devCertificateKeyPath(databaseUrl), systemClock, "cert-dev")).privateJwk,
  ],
  { issuer: config.HEXI_JWT_ISSUER, now: systemClock.now },
);
// A generated database: durability of each batch does not matter until the end, speed does.
const { client, db } = openDatabase(databaseUrl, config.DATABASE_AUTH_TOKEN, { synchronous: "off" });
await migrateDatabase(db);
if (remote) {
  const { rows } = await client.execute("select count(*) as n from tenants");
  if (Number(rows[0]?.n) > 0) {
    client.close();
    fail(`${redactUrl(databaseUrl)} already has tenants: seed a new, empty database.`);
  }
}

const started = performance.now();
const interactive = process.stderr.isTTY;
let lastStage = "";
let lastTenth = -1;
let stageStarted = performance.now();
const counts = await seedScale(client, vault, {
  scale,
  seed,
  now: new Date(),
  certificates: certificateKeys,
  progress(stage, done, total) {
    const width = 30;
    const filled = Math.round((done / total) * width);
    if (stage !== lastStage) stageStarted = performance.now();
    const elapsed = done === total ? `  ${((performance.now() - stageStarted) / 1000).toFixed(1)} s` : "";
    const line = `${stage.padEnd(20)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done.toLocaleString("en")}/${total.toLocaleString("en")}${elapsed}`;
    const tenth = Math.floor((done / total) * 10);
    if (interactive) process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
    // Logs (CI, pipes) get a line per tenth of each stage rather than a redrawn bar.
    else if (stage !== lastStage || tenth !== lastTenth) console.error(line);
    lastStage = stage;
    lastTenth = tenth;
  },
});
const seconds = (performance.now() - started) / 1000;
await client.executeMultiple(remote ? "ANALYZE;" : "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;");
client.close();
console.log(`Seeded ${redactUrl(databaseUrl)} at scale ${scale} (seed ${seed}) in ${seconds.toFixed(1)} s:`);
for (const [what, n] of Object.entries(counts)) console.log(`  ${what.padEnd(16)} ${n.toLocaleString("en")}`);
console.log(`Serve it: DATABASE_URL=${redactUrl(databaseUrl)}${remote ? " DATABASE_AUTH_TOKEN=…" : ""} npm start`);

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}
