/**
 * One key at Jiuquan's size: each county declares a county-wide drill (every emergency and mobile
 * team whose area intersects the county, every one of their active volunteers), through the real
 * app on the embedded database. Prints, per county, the teams and volunteers paged, the time of the
 * declaration request, the database round trips it made and the statements in its commit batch,
 * then the time until the development channel has taken every page.
 *
 *   npm run seed -- --scale 1 --database file:./bench/data/scale-1.db   # once
 *   npx tsx bench/activation.ts --database file:./bench/data/scale-1.db
 *
 * It writes to the database: run it on a copy.
 */
import { systemClock } from "../src/shared/clock.js";
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config.js";
import { createDb } from "../src/db/client.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { nodeDeps } from "../src/node/deps.js";
import { devKeyPath, ensureDevKey, importPrivateKey } from "../src/node/dev-key.js";

const { values } = parseArgs({ options: { database: { type: "string", default: "file:./bench/data/scale-1.db" } } });
const source = values.database!.slice("file:".length);
if (!existsSync(source)) throw new Error(`${source} does not exist: seed it first (see the header).`);
// A copy beside the original keeps its development keys (PII, signing) next to it.
const dir = mkdtempSync(join(tmpdir(), "hexi-activation-"));
const file = join(dir, "scale.db");
copyFileSync(source, file);
for (const keyFile of ["dev-pii-keys.json", "dev-signing-key.json"]) {
  const from = join(source, "..", keyFile);
  if (existsSync(from)) copyFileSync(from, join(dir, keyFile));
}
const url = `file:${file}`;
const config = parseConfig({ ...process.env, DATABASE_URL: url });
const { client: raw } = openDatabase(url);

// Round trips: every call into the libSQL client (what would be one HTTP request each on Turso).
const counted = { trips: 0, lastBatch: 0, batchMs: 0 };
const client = new Proxy(raw, {
  get(target, property) {
    const value = Reflect.get(target, property) as unknown;
    if (typeof value !== "function") return value;
    if (!["execute", "batch", "executeMultiple", "transaction"].includes(String(property))) return value.bind(target);
    return async (...args: unknown[]) => {
      counted.trips++;
      const started = performance.now();
      const result = await value.apply(target, args);
      if (property === "batch" && (args[0] as unknown[]).length > counted.lastBatch) {
        counted.lastBatch = (args[0] as unknown[]).length;
        counted.batchMs = performance.now() - started;
      }
      return result;
    };
  },
});
const db = createDb(client);
await migrateDatabase(db);

const devKey = await ensureDevKey(devKeyPath(url), systemClock);
const deps = await nodeDeps(config, db, devKey);
const app = createApp(deps);
const privateKey = await importPrivateKey(devKey);
const token = (tenant: string) =>
  new SignJWT({ tenant, roles: ["county_admin"] })
    .setProtectedHeader({ alg: devKey.privateJwk.alg as string, kid: devKey.privateJwk.kid as string, typ: "JWT" })
    .setIssuer(config.HEXI_JWT_ISSUER)
    .setAudience(config.HEXI_JWT_AUDIENCE)
    .setSubject("bench")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);

const counties = (
  await client.execute("select tenant_id, id from divisions where level = 'county' order by tenant_id")
).rows.map((r) => ({ tenant: String(r.tenant_id), root: String(r.id) }));
const queued = async () =>
  Number((await client.execute("select count(*) as n from notifications where status = 'queued'")).rows[0]!.n);

// Warm-up: one small declaration (a community of the last county), so start-up costs stay out of the figures.
const warmCommunity = String(
  (await client.execute("select id from divisions where level = 'community' and tenant_id = '620982' limit 1")).rows[0]!
    .id,
);
await declare(await token("620982"), warmCommunity, "warm-up");
while ((await queued()) > 0) await new Promise((r) => setTimeout(r, 20));

function declare(bearer: string, division: string, key: string) {
  return app.request("/v1/incidents", {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify({
      type: "snow_sandstorm",
      level: "II",
      affectedDivisionIds: [division],
      headline: "全县雨雪沙尘应急演练",
      instruction: "请各队按预案集结。",
      drill: true,
      dedupKey: `bench-${key}-${Date.now()}`,
    }),
  });
}

const rows = [];
for (const { tenant, root } of counties) {
  const bearer = await token(tenant);
  counted.trips = 0;
  counted.lastBatch = 0;
  const started = performance.now();
  counted.batchMs = 0;
  const res = await declare(bearer, root, tenant);
  const ms = performance.now() - started;
  const trips = counted.trips;
  const statements = counted.lastBatch;
  const body = (await res.json()) as { activation?: { teams: number; volunteers: number } };
  if (res.status !== 201) throw new Error(`${tenant}: ${res.status} ${JSON.stringify(body)}`);
  const deliveryStarted = performance.now();
  while ((await queued()) > 0) await new Promise((r) => setTimeout(r, 20));
  rows.push({
    tenant,
    teams: body.activation!.teams,
    volunteers: body.activation!.volunteers,
    declareMs: Math.round(ms),
    roundTrips: trips,
    commitStatements: statements,
    commitMs: Math.round(counted.batchMs),
    deliveredAfterMs: Math.round(performance.now() - deliveryStarted),
  });
}
console.table(rows);
const total = rows.reduce((s, r) => s + r.volunteers, 0);
console.log(
  `${rows.length} county-wide activations: ${rows.reduce((s, r) => s + r.teams, 0)} teams, ${total} volunteers paged; slowest declaration ${Math.max(...rows.map((r) => r.declareMs))} ms`,
);
client.close();
