/**
 * `npm run bench [-- --duration 10 --connections 50 --runs 3 --warmup 2 --dry-run]`
 *
 * Starts the real server process on a fresh database under bench/data/, mints a county_admin
 * token with scripts/token.ts, and loads two endpoints with autocannon over 127.0.0.1:
 *   healthz   GET /healthz — no auth, one `select 1`: the ceiling of the HTTP stack.
 *   division  GET /v1/divisions/{id} — JWT verification, tenant check, one indexed read.
 * Each run loads the ceiling and then the division route back to back, so the ratio compares
 * numbers taken under the same conditions. The median run (by req/s) of each scenario is reported.
 * Results go to bench/results/<YYYY-MM-DD>.json and the table in bench/README.md.
 */
import { readFileSync, rmSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mintToken, startServer, type ServerProcess } from "../test/helpers/server-process.js";

// ---- autocannon (CommonJS, no bundled types): the slice of its API used here ----

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  duration: number;
  requests: Histogram & { total: number; sent: number };
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (opts: AutocannonOptions) => Promise<AutocannonResult>;

// ---- settings ----

const usage = `Usage: npm run bench -- [--duration 10] [--connections 50] [--runs 3] [--warmup 2] [--dry-run]
  --duration     seconds per measured run (default 10)
  --connections  concurrent keep-alive connections (default 50)
  --runs         measured runs per scenario; the median is reported (default 3)
  --warmup       seconds of unmeasured load per scenario before the runs (default 2; 0 for none)
  --dry-run      print the results only; do not write bench/results/ or bench/README.md`;

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    runs: { type: "string", default: "3" },
    warmup: { type: "string", default: "2" },
    "dry-run": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
function positiveInt(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > 3600) {
    console.error(`--${name} must be a whole number from ${min} to 3600.\n\n${usage}`);
    process.exit(2);
  }
  return n;
}
const settings = {
  connections: positiveInt("connections", values.connections),
  durationSeconds: positiveInt("duration", values.duration),
  runs: positiveInt("runs", values.runs),
  warmupSeconds: positiveInt("warmup", values.warmup, 0),
};
const dryRun = values["dry-run"];

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const dataDir = join(benchDir, "data");
const resultsDir = join(benchDir, "results");
const readmePath = join(benchDir, "README.md");

// ---- scenarios ----

interface Scenario {
  key: "healthz" | "division";
  label: string;
  path: string;
  headers: Record<string, string>;
}

interface RunNumbers {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationSeconds: number;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

async function load(server: ServerProcess, scenario: Scenario, durationSeconds: number): Promise<RunNumbers> {
  const result = await autocannon({
    url: server.baseUrl + scenario.path,
    connections: settings.connections,
    duration: durationSeconds,
    headers: scenario.headers,
  });
  const requests = result.requests.total;
  return {
    requestsPerSecond: round(requests / result.duration),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    requests,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    durationSeconds: result.duration,
  };
}

/** The server's own memory, from /proc (Linux). VmHWM is the peak resident set since start. */
function memoryOf(pid: number): { peakRssMiB: number | null; rssMiB: number | null } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
      return match ? round(Number(match[1]) / 1024, 1) : null;
    };
    return { peakRssMiB: kib("VmHWM"), rssMiB: kib("VmRSS") };
  } catch {
    return { peakRssMiB: null, rssMiB: null };
  }
}

const median = <T>(items: T[], by: (item: T) => number): T => [...items].sort((a, b) => by(a) - by(b))[Math.floor((items.length - 1) / 2)]!;

// ---- the run ----

let server: ServerProcess | undefined;
const stopServer = async () => {
  const s = server;
  server = undefined;
  await s?.stop();
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the server.`);
    void stopServer().finally(() => process.exit(130));
  });
}

async function main() {
  const started = new Date();
  const machine = {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  console.log(
    `Hexi bench: ${settings.connections} connections, ${settings.runs} × ${settings.durationSeconds} s per scenario` +
      `${settings.warmupSeconds ? ` after ${settings.warmupSeconds} s warm-up` : ""}; ${machine.nproc} CPU(s), ${machine.cpuModel}, Node ${machine.node}`,
  );

  rmSync(dataDir, { recursive: true, force: true });
  server = await startServer({ dataDir });
  if (!server.baseUrl.startsWith("http://127.0.0.1:")) throw new Error(`Refusing to load ${server.baseUrl}: loopback only.`);
  const baseline = memoryOf(server.pid);
  console.log(`Server pid ${server.pid} at ${server.baseUrl} (database ${server.databaseUrl}), RSS after start ${baseline.rssMiB} MiB`);

  const totalSeconds = 2 * (settings.warmupSeconds + settings.runs * settings.durationSeconds);
  const token = await mintToken(server, { tenant: "620902", roles: ["county_admin"], ttlSeconds: Math.max(3600, totalSeconds * 2), sub: "bench" });
  const auth = { authorization: `Bearer ${token}` };

  // One division of the token's tenant, found through the API itself.
  const listing = await fetch(`${server.baseUrl}/v1/divisions?limit=100`, { headers: auth });
  if (listing.status !== 200) throw new Error(`GET /v1/divisions answered ${listing.status}: ${await listing.text()}`);
  const divisions = ((await listing.json()) as { data: { id: string; tenant: string; level: string; name: string }[] }).data;
  const division = divisions.find((d) => d.level === "community") ?? divisions[0];
  if (!division) throw new Error("The demo seed has no divisions for tenant 620902.");

  const scenarios: Scenario[] = [
    { key: "healthz", label: "GET /healthz (ceiling)", path: "/healthz", headers: {} },
    { key: "division", label: "GET /v1/divisions/{id} (JWT)", path: `/v1/divisions/${division.id}`, headers: auth },
  ];
  for (const s of scenarios) {
    const probe = await fetch(server.baseUrl + s.path, { headers: s.headers });
    if (probe.status !== 200) throw new Error(`${s.path} answered ${probe.status} before loading: ${await probe.text()}`);
  }
  console.log(`Division under test: ${division.id} (${division.level} ${division.name})`);

  if (settings.warmupSeconds > 0) {
    for (const s of scenarios) {
      console.log(`[${s.key}] warm-up ${settings.warmupSeconds} s`);
      await load(server, s, settings.warmupSeconds);
    }
  }

  const runs: Record<Scenario["key"], RunNumbers[]> = { healthz: [], division: [] };
  for (let i = 0; i < settings.runs; i++) {
    for (const s of scenarios) {
      const n = await load(server, s, settings.durationSeconds);
      runs[s.key].push(n);
      console.log(
        `[${s.key}] run ${i + 1}/${settings.runs}: ${n.requestsPerSecond} req/s, p50 ${n.latencyP50Ms} ms, p99 ${n.latencyP99Ms} ms` +
          `, non-2xx ${n.non2xx}, errors ${n.errors}`,
      );
    }
  }
  const memory = memoryOf(server.pid);
  await stopServer();

  const report = scenarios.map((s) => {
    const all = runs[s.key].map((n, i) => ({ run: i + 1, ...n, ratioToCeiling: round(n.requestsPerSecond / runs.healthz[i]!.requestsPerSecond, 3) }));
    const med = median(all, (r) => r.requestsPerSecond);
    return { key: s.key, label: s.label, path: s.key === "division" ? "/v1/divisions/{id}" : s.path, median: med, runs: all };
  });

  const results = {
    date: started.toISOString().slice(0, 10),
    startedAt: started.toISOString(),
    machine,
    settings: { ...settings, host: "127.0.0.1", tool: "autocannon 9 (in-process, same machine as the server)", latencyResolutionMs: 1 },
    server: {
      command: "node --import tsx src/server.ts",
      database: "embedded libSQL file, migrated and demo-seeded on start",
      rssAfterStartMiB: baseline.rssMiB,
      rssAtEndMiB: memory.rssMiB,
      peakRssMiB: memory.peakRssMiB,
    },
    scenarios: report,
  };

  const table = renderTable(results);
  console.log(`\n${table}`);
  const failures = report.flatMap((s) => s.runs.filter((r) => r.non2xx || r.errors).map((r) => `${s.key} run ${r.run}: ${r.non2xx} non-2xx, ${r.errors} errors`));
  if (failures.length) console.warn(`\nWARNING: not every response was a 2xx:\n  ${failures.join("\n  ")}`);

  if (dryRun) {
    console.log("\n--dry-run: nothing written.");
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `${results.date}.json`);
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + "\n");
  writeReadmeTable(table, `results/${results.date}.json`);
  console.log(`\nWrote ${resultsFile} and the table in ${readmePath}`);
}

type Results = {
  date: string;
  machine: { nproc: number; cpuModel: string; memoryGiB: number; node: string };
  settings: typeof settings;
  server: { peakRssMiB: number | null; rssAfterStartMiB: number | null };
  scenarios: { label: string; median: RunNumbers & { run: number; ratioToCeiling: number }; runs: unknown[] }[];
};

function renderTable(r: Results): string {
  const head = "| Scenario | req/s | p50 ms | p99 ms | non-2xx / errors | vs ceiling |\n|---|---:|---:|---:|---:|---:|";
  const rows = r.scenarios.map(
    (s) =>
      `| ${s.label} | ${Math.round(s.median.requestsPerSecond).toLocaleString("en-US")} | ${s.median.latencyP50Ms} | ${s.median.latencyP99Ms} | ` +
      `${s.median.non2xx} / ${s.median.errors} | ${s.median.ratioToCeiling.toFixed(2)} |`,
  );
  const about =
    `${r.date} · ${r.machine.nproc} CPU(s), ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB · Node ${r.machine.node} · ` +
    `${r.settings.connections} connections, median of ${r.settings.runs} × ${r.settings.durationSeconds} s runs` +
    `${r.settings.warmupSeconds ? ` after ${r.settings.warmupSeconds} s warm-up` : ""}`;
  const memory = `Server peak RSS (VmHWM): ${r.server.peakRssMiB ?? "n/a"} MiB (${r.server.rssAfterStartMiB ?? "n/a"} MiB after start).`;
  return `${about}\n\n${head}\n${rows.join("\n")}\n\n${memory}`;
}

const startMarker = "<!-- bench:results:start -->";
const endMarker = "<!-- bench:results:end -->";

/** Replaces the generated block in bench/README.md, leaving the hand-written text around it alone. */
function writeReadmeTable(table: string, resultsFile: string) {
  const block = `${startMarker}\n<!-- Generated by \`npm run bench\`; edits inside this block are overwritten. -->\n\n${table}\n\nFull numbers, every run: [${resultsFile}](${resultsFile}).\n\n${endMarker}`;
  const current = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : "";
  const start = current.indexOf(startMarker);
  const end = current.indexOf(endMarker);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + block + current.slice(end + endMarker.length)
      : `${current || "# Hexi benchmarks\n"}\n## Latest results\n\n${block}\n`;
  writeFileSync(readmePath, next);
}

try {
  await main();
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
} finally {
  await stopServer();
}
