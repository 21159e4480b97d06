/**
 * One key at Jiuquan's size, through the real app on the embedded database, two scenarios:
 *
 *  (county)   each county declares a county-wide drill (every emergency and mobile team whose area
 *             intersects the county, every one of their active volunteers);
 *  (citywide) the city declares ONE city-wide drill (`POST /v1/citywide-incidents`, city_admin)
 *             over every county's root division: every emergency and mobile team of the city, every
 *             one of their volunteers, in one commit.
 *
 * Prints, per declaration, the teams and volunteers paged, the time of the declaration request, the
 * database round trips it made, the statements in its commit batch and that batch's time, then the
 * time until the development channel has taken every page. The last line is one JSON object.
 *
 *   npm run seed -- --scale 1 --database file:./bench/data/scale-1.db   # once
 *   npx tsx bench/activation.ts --database file:./bench/data/scale-1.db [--only county|citywide]
 *
 * It works on a copy of the database (the development keys beside it are copied too).
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

const { values } = parseArgs({
  options: { database: { type: "string", default: "file:./bench/data/scale-1.db" }, only: { type: "string" } },
});
if (values.only !== undefined && !["county", "citywide"].includes(values.only))
  throw new Error(`--only: county or citywide, not ${values.only}`);
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
// Opened as the server opens it (src/server.ts): its durability and its checkpoints (background by
// default: a commit that grows the WAL past 10,000 pages does not run the checkpoint itself).
const { client: raw } = openDatabase(url, undefined, {
  synchronous: config.HEXI_DB_SYNCHRONOUS,
  checkpoints: config.HEXI_DB_CHECKPOINTS,
});

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
const token = (tenant: string, role = "county_admin") =>
  new SignJWT({ tenant, roles: [role] })
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

function declare(bearer: string, division: string | string[], key: string, path = "/v1/incidents") {
  return app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify({
      type: "snow_sandstorm",
      level: "II",
      affectedDivisionIds: Array.isArray(division) ? division : [division],
      headline: Array.isArray(division) ? "全域雨雪沙尘应急演练" : "全县雨雪沙尘应急演练",
      instruction: "请各队按预案集结。",
      drill: true,
      dedupKey: `bench-${key}-${Date.now()}`,
    }),
  });
}

/** One declaration, timed: the request, its round trips, its largest batch and that batch's time, then the delivery. */
async function timed(request: () => Response | Promise<Response>) {
  counted.trips = 0;
  counted.lastBatch = 0;
  counted.batchMs = 0;
  const started = performance.now();
  const res = await request();
  const ms = performance.now() - started;
  const trips = counted.trips;
  const statements = counted.lastBatch;
  const batchMs = counted.batchMs;
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  const deliveryStarted = performance.now();
  while ((await queued()) > 0) await new Promise((r) => setTimeout(r, 20));
  return {
    body,
    declareMs: Math.round(ms),
    roundTrips: trips,
    commitStatements: statements,
    commitMs: Math.round(batchMs),
    deliveredAfterMs: Math.round(performance.now() - deliveryStarted),
  };
}

const rows = [];
if (values.only !== "citywide") {
  for (const { tenant, root } of counties) {
    const bearer = await token(tenant);
    const { body, ...numbers } = await timed(() => declare(bearer, root, tenant));
    const activation = body.activation as { teams: number; volunteers: number };
    rows.push({ tenant, teams: activation.teams, volunteers: activation.volunteers, ...numbers });
  }
  console.table(rows);
  const total = rows.reduce((s, r) => s + r.volunteers, 0);
  console.log(
    `${rows.length} county-wide activations: ${rows.reduce((s, r) => s + r.teams, 0)} teams, ${total} volunteers paged; slowest declaration ${Math.max(...rows.map((r) => r.declareMs))} ms`,
  );
}

let citywide = null;
if (values.only !== "county") {
  const city = String(
    (await client.execute("select code from tenants where level = 'city' limit 1")).rows[0]?.code ?? "620900",
  );
  const bearer = await token(city, "city_admin");
  const { body, ...numbers } = await timed(() =>
    declare(
      bearer,
      counties.map((c) => c.root),
      "citywide",
      "/v1/citywide-incidents",
    ),
  );
  const parts = body.parts as { tenant: string; activation: { teams: number; volunteers: number } | null }[];
  citywide = {
    tenants: parts.length,
    teams: parts.reduce((s, p) => s + (p.activation?.teams ?? 0), 0),
    volunteers: parts.reduce((s, p) => s + (p.activation?.volunteers ?? 0), 0),
    ...numbers,
  };
  console.log(
    `City-wide activation (one request, ${citywide.tenants} counties): ${citywide.teams} teams, ${citywide.volunteers} volunteers paged in ${citywide.declareMs} ms (commit ${citywide.commitMs} ms, ${citywide.commitStatements} statements), ${citywide.roundTrips} round trips; pages taken ${citywide.deliveredAfterMs} ms later`,
  );
}
console.log(
  JSON.stringify({
    counties: rows.length ? rows : null,
    slowestCountyMs: rows.length ? Math.max(...rows.map((r) => r.declareMs)) : null,
    citywide,
  }),
);
client.close();
