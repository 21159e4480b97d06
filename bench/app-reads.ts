/**
 * `npx tsx bench/app-reads.ts [--requests 20000] [--rounds 5] [--scale 1]`
 *
 * The app's own cost per read, without HTTP or a load generator: the server's app (Node
 * dependencies, the embedded database on a copy of bench/data/scale-N.db) answers `app.request()`
 * one request at a time, and each scenario is timed in turn, alternating, for several rounds.
 * On a shared machine this compares code paths far more steadily than autocannon: the socket
 * write, Hono's adapter and the load generator are the same for every scenario and left out.
 * Scenarios: read by id with a JWT, the same with an API key, the bench's list page (two pages,
 * alternating). Prints the process's CPU time per request (user + system, median round: on a loaded
 * machine wall time measures the other processes) and the API key's rate relative to the JWT's.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config.js";
import { openDatabase } from "../src/node/database.js";
import { devKeyPath, ensureDevKey, signDevToken } from "../src/node/dev-key.js";
import { nodeDeps } from "../src/node/deps.js";
import { systemClock } from "../src/shared/clock.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    scale: { type: "string", default: "1" },
    only: { type: "string" },
  },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const dataDir = fileURLToPath(new URL("data/", import.meta.url));
const seed = join(dataDir, `scale-${values.scale}.db`);
if (!existsSync(seed)) throw new Error(`${seed} is missing: npm run seed -- --scale ${values.scale} first.`);

const dir = mkdtempSync(join(tmpdir(), "hexi-app-reads-"));
try {
  copyFileSync(seed, join(dir, "hexi.db"));
  copyFileSync(join(dataDir, "dev-pii-keys.json"), join(dir, "dev-pii-keys.json"));
  const url = `file:${join(dir, "hexi.db")}`;
  const config = parseConfig({ ...process.env, DATABASE_URL: url, HEXI_TENANT_RATE_LIMIT_PER_MINUTE: "1000000" });
  const { client, db } = openDatabase(url, undefined, { synchronous: "normal", checkpoints: "automatic" });
  const devKey = await ensureDevKey(devKeyPath(url), systemClock);
  const app = createApp(await nodeDeps(config, db, devKey));
  const token = await signDevToken(
    devKey,
    { issuer: config.HEXI_JWT_ISSUER, audience: config.HEXI_JWT_AUDIENCE },
    { tenant: "620902", roles: ["county_admin"], sub: "bench-county" },
    3600,
    systemClock,
  );
  const jwt = { authorization: `Bearer ${token}` };
  const get = async (path: string, headers: Record<string, string>) => {
    const res = await app.request(path, { headers });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return res;
  };
  const created = await app.request("/v1/api-keys", {
    method: "POST",
    headers: { ...jwt, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench", scopes: ["reports:read"], rateLimitPerMinute: 600_000 }),
  });
  const apiKey = { "x-api-key": ((await created.json()) as { key: string }).key };
  const [report] = (
    (await (await get("/v1/member-reports?status=active&limit=1", jwt)).json()) as {
      data: { id: string; communityId: string }[];
    }
  ).data;
  const listPath = `/v1/member-reports?communityId=${report!.communityId}&status=active&order=newest&limit=20`;
  const first = (await (await get(listPath, jwt)).json()) as { nextCursor: string };
  const scenarios: { key: string; paths: string[]; headers: Record<string, string> }[] = [
    { key: "report_jwt", paths: [`/v1/member-reports/${report!.id}`], headers: jwt },
    { key: "report_api_key", paths: [`/v1/member-reports/${report!.id}`], headers: apiKey },
    {
      key: "list_page",
      paths: [listPath, `${listPath}&cursor=${encodeURIComponent(first.nextCursor)}`],
      headers: jwt,
    },
  ];
  const chosen = values.only ? scenarios.filter((s) => values.only!.split(",").includes(s.key)) : scenarios;
  const results = new Map<string, number[]>();
  for (let round = 0; round <= rounds; round++) {
    for (const s of round % 2 ? chosen : [...chosen].reverse()) {
      const n = round === 0 ? 2000 : s.key === "list_page" ? Math.ceil(requests / 4) : requests;
      const started = process.cpuUsage();
      for (let i = 0; i < n; i++) await (await get(s.paths[i % s.paths.length]!, s.headers)).arrayBuffer();
      const used = process.cpuUsage(started);
      const us = (used.user + used.system) / n;
      if (round > 0) results.set(s.key, [...(results.get(s.key) ?? []), us]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const best = (xs: number[]) => Math.min(...xs);
  for (const [key, xs] of results) {
    console.log(
      `${key.padEnd(15)} ${median(xs).toFixed(1).padStart(7)} µs CPU/request (rounds: ${xs.map((x) => x.toFixed(1)).join(", ")})`,
    );
  }
  if (results.has("report_jwt") && results.has("report_api_key")) {
    const [jwt, key] = [results.get("report_jwt")!, results.get("report_api_key")!];
    const percent = (of: (xs: number[]) => number) => ((of(jwt) / of(key)) * 100).toFixed(1);
    console.log(
      `API key's rate relative to the JWT's: ${percent(median)} % (medians), ${percent(best)} % (best rounds)`,
    );
  }
  console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
