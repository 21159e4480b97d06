/**
 * `npm run bench [-- --duration 10 --connections 50 --runs 3 --warmup 2 --scale 1 --scale-check 10 --dry-run]`
 *
 * Loads the real server process on a Jiuquan-size database (`npm run seed -- --scale N`, reused
 * when present under bench/data/) with autocannon over 127.0.0.1 only, and measures the Worker
 * bundle. Machines here are shared and noisy, so every throughput is a ratio to the ceiling
 * (`GET /healthz`) measured in the same round, and each figure is the median of several rounds.
 * Results go to bench/results/<YYYY-MM-DD>.json and the table in bench/README.md.
 */
import { execFile, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { createClient } from "@libsql/client";
import { mintToken, repoRoot, startServer, type ServerProcess } from "../test/helpers/server-process.js";
import { autocannon, type AutocannonRequest } from "./autocannon.js";
import { ackBench, pageBench } from "./emergency.js";
import { loadOnOpenConnections, quantileMs } from "./open-connections.js";
import { residentScenarios, residentServerEnv } from "./residents.js";
import type { Scenario } from "./scenario.js";

// ---- settings ----

const usage = `Usage: npm run bench -- [--duration 10] [--connections 50] [--runs 3] [--warmup 2] [--scale 1] [--scale-check 10] [--writes 1000] [--only create,patch] [--skip-worker] [--skip-emergency] [--volunteers 2000] [--pages 20000] [--dry-run]
  --duration     seconds per measured run (default 10)
  --connections  concurrent keep-alive connections (default 50)
  --runs         measured rounds; the median round is reported (default 3)
  --warmup       seconds of unmeasured load per scenario first (default 2; 0 for none)
  --scale        the database size for the main scenarios (default 1 = Jiuquan's real counts)
  --scale-check  run scenarios 1, 3, 6 and 7-9 on this scale and again on --scale, the same way, and compare latency (default 10; 0 skips)
  --writes       idempotent creates per round in scenario 4 (default 1000)
  --only         measure only these scenarios (keys: report_jwt, report_api_key, list_page, create, patch,
                 stats_county, stats_city) besides the ceiling; a focused measurement, implies --dry-run.
                 Emergency keys: activation (one key per county), citywide (one city-wide declaration),
                 acks, pages; with emergency keys alone only those run (no server scenarios)
  --skip-worker  do not build the Worker bundle
  --skip-emergency  skip the emergency scenarios (one-key activation, city-wide activation, acknowledgements, pages)
  --volunteers   volunteers answering in the acknowledgement scenario (default 2000)
  --pages        pages sent through the SMS gateway channel in the paging scenario (default 20000)
  --dry-run      print the results only; do not write bench/results/ or bench/README.md`;

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    runs: { type: "string", default: "3" },
    warmup: { type: "string", default: "2" },
    scale: { type: "string", default: "1" },
    "scale-check": { type: "string", default: "10" },
    writes: { type: "string", default: "1000" },
    only: { type: "string" },
    "skip-worker": { type: "boolean", default: false },
    "skip-emergency": { type: "boolean", default: false },
    volunteers: { type: "string", default: "2000" },
    pages: { type: "string", default: "20000" },
    "dry-run": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
function wholeNumber(name: string, text: string, min = 1, max = 3600): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}.\n\n${usage}`);
    process.exit(2);
  }
  return n;
}
const settings = {
  connections: wholeNumber("connections", values.connections),
  durationSeconds: wholeNumber("duration", values.duration),
  runs: wholeNumber("runs", values.runs),
  warmupSeconds: wholeNumber("warmup", values.warmup, 0),
  scale: wholeNumber("scale", values.scale, 1, 100),
  scaleCheck: wholeNumber("scale-check", values["scale-check"], 0, 100),
  writesPerRun: wholeNumber("writes", values.writes, 1, 100_000),
  emergency: !values["skip-emergency"],
  ackVolunteers: wholeNumber("volunteers", values.volunteers, 100, 100_000),
  pages: wholeNumber("pages", values.pages, 100, 1_000_000),
};
const chosenKeys = values.only ? new Set(values.only.split(",").map((k) => k.trim())) : null;
/** The emergency scenarios, chosen with `--only` like the others. */
const emergencyKeys = ["activation", "citywide", "acks", "pages"] as const;
const emergencyChosen = (key: (typeof emergencyKeys)[number]) => !chosenKeys || chosenKeys.has(key);
const only = chosenKeys
  ? new Set([...chosenKeys].filter((k) => !(emergencyKeys as readonly string[]).includes(k)))
  : null;
/** `--only` named emergency scenarios alone: the server scenarios are skipped. */
const emergencyOnly = chosenKeys !== null && only!.size === 0;
const dryRun = values["dry-run"] || chosenKeys !== null;
/** The scenarios to run (`--only`), or every one. */
const isChosen = (s: { key: string }) => !only || only.has(s.key);

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const dataDir = join(benchDir, "data");
const resultsDir = join(benchDir, "results");
const readmePath = join(benchDir, "README.md");

/** Creates that warm the write path (page cache, statement cache) before scenario 4 is measured. */
const warmupWrites = 200;
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = <T>(items: T[], by: (item: T) => number): T =>
  [...items].sort((a, b) => by(a) - by(b))[Math.floor((items.length - 1) / 2)]!;
const log = (line: string) => console.log(line);

/** The budgets of the performance issue, checked against the medians. */
const budgets = {
  memberReportJwt: { minRatio: 0.55 },
  listPage: { minRatio: 0.35 },
  create: { minRatio: 0.08, maxP99Ms: 100 },
  patch: { minRatio: 0.08, maxP99Ms: 100 },
  peakRssMiB: 300,
  cityStatsP50Ms: 50,
  scaleLatencyRatio: 1.25,
  seedScale1Seconds: 30,
  bundleGzipKiB: 350,
  startupCpuMs: 50,
};

// ---- load ----

interface RunNumbers {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyMeanMs: number;
  latencyP99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Of `errors`, requests with no answer within autocannon's 10 s. */
  timeouts: number;
  statusCodes: Record<string, number>;
}

async function load(server: ServerProcess, scenario: Scenario, durationSeconds: number): Promise<RunNumbers> {
  const requests =
    scenario.requests?.() ?? scenario.paths?.map((path): AutocannonRequest => ({ method: "GET", path })) ?? [];
  // A fixed count (the writes) runs on connections opened before the clock starts (bench/open-connections.ts).
  if (scenario.amount) {
    const r = await loadOnOpenConnections({
      baseUrl: server.baseUrl,
      connections: settings.connections,
      amount: scenario.amount,
      headers: scenario.headers,
      requests,
    });
    const answered = r.latenciesMs.length;
    return {
      requestsPerSecond: round(answered / r.seconds),
      latencyP50Ms: quantileMs(r.latenciesMs, 0.5),
      latencyMeanMs: round(r.latenciesMs.reduce((a, b) => a + b, 0) / Math.max(1, answered), 2),
      latencyP99Ms: quantileMs(r.latenciesMs, 0.99),
      requests: answered,
      non2xx: Object.entries(r.statusCodes).reduce((n, [code, count]) => (code.startsWith("2") ? n : n + count), 0),
      errors: r.errors + r.timeouts,
      timeouts: r.timeouts,
      statusCodes: r.statusCodes,
    };
  }
  const result = await autocannon({
    url: server.baseUrl,
    connections: settings.connections,
    duration: durationSeconds,
    headers: scenario.headers,
    requests,
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    requestsPerSecond: round(result.requests.total / result.duration),
    latencyP50Ms: result.latency.p50,
    latencyMeanMs: round(result.latency.mean ?? result.latency.average, 2),
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    timeouts: result.timeouts,
    statusCodes,
  };
}

/** Measures each scenario `runs` times; every round first measures the ceiling, so ratios compare like with like. */
async function measure(server: ServerProcess, scenarios: Scenario[], tag: string) {
  const ceiling: Scenario = { key: "healthz", label: "GET /healthz (ceiling)", paths: ["/healthz"], headers: {} };
  if (settings.warmupSeconds > 0) {
    for (const s of [ceiling, ...scenarios]) {
      log(`[${tag}] ${s.key}: warm-up ${s.amount ? `${warmupWrites} requests` : `${settings.warmupSeconds} s`}`);
      await load(server, s.amount ? { ...s, amount: warmupWrites } : s, settings.warmupSeconds);
    }
  }
  const runs = new Map<string, (RunNumbers & { round: number; ratioToCeiling: number })[]>();
  for (let i = 0; i < settings.runs; i++) {
    const top = await load(server, ceiling, settings.durationSeconds);
    runs.set("healthz", [...(runs.get("healthz") ?? []), { ...top, round: i + 1, ratioToCeiling: 1 }]);
    log(
      `[${tag}] round ${i + 1}/${settings.runs} healthz: ${top.requestsPerSecond} req/s, p50 ${top.latencyP50Ms} ms, p99 ${top.latencyP99Ms} ms`,
    );
    for (const s of scenarios) {
      const n = await load(server, s, settings.durationSeconds);
      const ratio = round(n.requestsPerSecond / top.requestsPerSecond, 3);
      runs.set(s.key, [...(runs.get(s.key) ?? []), { ...n, round: i + 1, ratioToCeiling: ratio }]);
      log(
        `[${tag}] round ${i + 1}/${settings.runs} ${s.key}: ${n.requestsPerSecond} req/s (${(ratio * 100).toFixed(0)}% of ceiling), ` +
          `p50 ${n.latencyP50Ms} ms, p99 ${n.latencyP99Ms} ms, non-2xx ${n.non2xx}, errors ${n.errors} (timeouts ${n.timeouts})`,
      );
    }
  }
  return [ceiling, ...scenarios].map((s) => {
    const all = runs.get(s.key)!;
    return {
      key: s.key,
      label: s.label,
      median: median(all, (r) => r.ratioToCeiling * 1e6 + r.requestsPerSecond),
      runs: all,
    };
  });
}

// ---- database ----

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.once("exit", (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(" ")} exited with ${code}`)),
    );
  });
}

/** Seeds bench/data/scale-N.db once (timed) and reuses it afterwards. */
async function seeded(scale: number): Promise<{ file: string; seedSeconds: number | null }> {
  const file = join(dataDir, `scale-${scale}.db`);
  if (existsSync(file)) {
    log(`Reusing ${file}`);
    return { file, seedSeconds: null };
  }
  mkdirSync(dataDir, { recursive: true });
  log(`Seeding scale ${scale} into ${file} …`);
  const started = performance.now();
  // The generator holds a scale's rows in memory (peak RSS 0.7 GiB at scale 1, 3.5 GiB at scale 10,
  // near Node's default 4 GiB heap limit): its heap may grow with the scale, up to ¾ of the machine.
  const heapMiB = Math.min(Math.max(4096, 1536 * scale), Math.floor((totalmem() / 1024 ** 2) * 0.75));
  await run(process.execPath, [
    `--max-old-space-size=${heapMiB}`,
    "--import",
    "tsx",
    "scripts/seed.ts",
    "--scale",
    String(scale),
    "--database",
    `file:${file}`,
  ]);
  return { file, seedSeconds: round((performance.now() - started) / 1000, 1) };
}

/** A throwaway copy of a seeded database (scenario 4 writes), with the PII keys it was sealed with. */
function workingCopy(seedFile: string, name: string): string {
  const dir = join(dataDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(seedFile, join(dir, "hexi.db"));
  copyFileSync(join(dataDir, "dev-pii-keys.json"), join(dir, "dev-pii-keys.json"));
  // The seeded certificates verify only with the key that signed them (scenario 11).
  if (existsSync(join(dataDir, "dev-certificate-key.json")))
    copyFileSync(join(dataDir, "dev-certificate-key.json"), join(dir, "dev-certificate-key.json"));
  return dir;
}

/** Members of a tenant and their versions: scenario 6 updates each once, with its If-Match. */
async function patchPool(dbFile: string, tenant: string) {
  const client = createClient({ url: `file:${dbFile}` });
  const rows = await client.execute({
    sql: "select id, version from members where tenant_id = ? order by id desc",
    args: [tenant],
  });
  client.close();
  return rows.rows.map((r) => ({ id: String(r.id), version: Number(r.version) }));
}

/** In-service members of a tenant with no live report: who scenario 4 files reports for. */
async function writePool(dbFile: string, tenant: string) {
  const client = createClient({ url: `file:${dbFile}` });
  const rows = await client.execute({
    sql: `select m.id, m.residence_division_id as community from members m
          where m.tenant_id = ? and m.classification = 'in_service'
            and not exists (select 1 from member_reports r where r.member_id = m.id and r.status <> 'ended')
          order by m.id`,
    args: [tenant],
  });
  client.close();
  return rows.rows.map((r) => ({ memberId: String(r.id), communityId: String(r.community) }));
}

async function json<T>(
  server: ServerProcess,
  path: string,
  headers: Record<string, string>,
  init: RequestInit = {},
): Promise<T> {
  const res = await fetch(server.baseUrl + path, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string>) },
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

// ---- the Worker bundle ----

const execFileAsync = promisify(execFile);

async function workerNumbers() {
  const outdir = mkdtempSync(join(tmpdir(), "hexi-worker-"));
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  const wrangler = join(repoRoot, "node_modules/.bin/wrangler");
  try {
    log("Building the Worker bundle (wrangler deploy --dry-run --minify) …");
    await execFileAsync(wrangler, ["deploy", "--dry-run", "--outdir", outdir, "--minify"], {
      cwd: repoRoot,
      env,
      maxBuffer: 16 << 20,
    });
    const bundle = readFileSync(join(outdir, "worker.js"));
    // `check startup` takes the upload form (`--outfile`), not the plain script.
    await execFileAsync(wrangler, ["deploy", "--dry-run", "--outfile", join(outdir, "worker.bundle"), "--minify"], {
      cwd: repoRoot,
      env,
      maxBuffer: 16 << 20,
    });
    let startupCpuMs: number | null = null;
    let startupNote = "wrangler check startup, active CPU, measured locally";
    try {
      const { stdout, stderr } = await execFileAsync(
        wrangler,
        [
          "check",
          "startup",
          "--worker",
          join(outdir, "worker.bundle"),
          "--outfile",
          join(outdir, "startup.cpuprofile"),
        ],
        { cwd: repoRoot, env, maxBuffer: 16 << 20, timeout: 120_000 },
      );
      const cpu = /Active:\s*(\d+(?:\.\d+)?)\s*ms/.exec(stdout + stderr);
      startupCpuMs = cpu ? Number(cpu[1]) : null;
      if (startupCpuMs === null) startupNote += `: no CPU figure in its output`;
    } catch (err) {
      startupNote += ` failed: ${(err as Error).message.split("\n")[0]}`;
    }
    return {
      rawKiB: round(bundle.length / 1024, 1),
      gzipKiB: round(gzipSync(bundle, { level: 9 }).length / 1024, 1),
      startupCpuMs,
      startupNote,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function memoryOf(pid: number): { peakRssMiB: number | null } {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { peakRssMiB: match ? round(Number(match[1]) / 1024, 1) : null };
  } catch {
    return { peakRssMiB: null };
  }
}

// ---- the run ----

const servers = new Set<ServerProcess>();
/**
 * The emergency scenarios (bench/emergency.ts and bench/activation.ts), each on its own copy of the
 * seeded database: one-key activation of each county and one city-wide activation of every county
 * (each its own process: it prints a table and a JSON line), acknowledgements through the answer link
 * against a server process, and pages through the gateway channel. `--only` picks among them.
 */
async function emergencyNumbers(seededFile: string) {
  const activation = async (mode: "county" | "citywide") => {
    const dir = workingCopy(seededFile, `activation-${mode}`);
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(benchDir, "activation.ts"),
        "--database",
        `file:${join(dir, "hexi.db")}`,
        "--only",
        mode,
      ],
      { cwd: join(benchDir, ".."), maxBuffer: 16 * 1024 * 1024 },
    );
    log(stdout.trimEnd());
    rmSync(dir, { recursive: true, force: true });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as {
      counties: unknown[] | null;
      slowestCountyMs: number | null;
      citywide: { declareMs: number; roundTrips: number } | null;
    };
  };
  let county = null;
  if (emergencyChosen("activation")) {
    log("\nEmergency (i): one-key activation per county (bench/activation.ts --only county)");
    county = await activation("county");
  }
  let citywide = null;
  if (emergencyChosen("citywide")) {
    log("\nEmergency (iv): one city-wide activation, every county at once (bench/activation.ts --only citywide)");
    const numbers = (await activation("citywide")).citywide!;
    citywide = { ...numbers, budget: "< 1 s, round trips independent of size", met: numbers.declareMs < 1_000 };
  }
  let acks = null;
  if (emergencyChosen("acks")) {
    log(`\nEmergency (ii): acknowledgements through the answer link, ${settings.ackVolunteers} volunteers`);
    const numbers = await ackBench({
      volunteers: settings.ackVolunteers,
      durationSeconds: settings.durationSeconds,
      connections: settings.connections,
    });
    log(JSON.stringify(numbers));
    acks = { ...numbers, budget: "≥ 1,000 acknowledgements/s", met: numbers.acksPerSecond >= 1_000 };
  }
  let pages = null;
  if (emergencyChosen("pages")) {
    log(`\nEmergency (iii): ${settings.pages} pages through the SMS gateway channel to a stub gateway`);
    const numbers = await pageBench({ pages: settings.pages });
    log(JSON.stringify(numbers));
    pages = {
      ...numbers,
      budget: "20,000 pages within 60 s",
      met: numbers.pagedOnceEach && numbers.deliverSeconds <= 60,
    };
  }
  return { activation: county, citywide, acks, pages };
}

async function stopAll() {
  for (const s of [...servers]) {
    servers.delete(s);
    await s.stop();
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers.`);
    void stopAll().finally(() => process.exit(130));
  });
}

async function serve(dir: string): Promise<ServerProcess> {
  // The tenant's shared bucket for machine credentials is raised to the config's maximum, so the API-key scenario measures the work, not the quota.
  const server = await startServer({
    dataDir: dir,
    timeoutMs: 120_000,
    env: { HEXI_TENANT_RATE_LIMIT_PER_MINUTE: "1000000", ...residentServerEnv },
    // e.g. HEXI_BENCH_SERVER_WRAPPER=bench/profile.sh to run the server under `node --cpu-prof` (see README).
    wrapper: process.env.HEXI_BENCH_SERVER_WRAPPER?.split(" ").filter(Boolean),
  });
  servers.add(server);
  if (!server.baseUrl.startsWith("http://127.0.0.1:"))
    throw new Error(`Refusing to load ${server.baseUrl}: loopback only.`);
  return server;
}

const tenant = "620902";

/** Tokens and ids the read scenarios need, found through the API itself. */
async function readSetup(server: ServerProcess) {
  const ttlSeconds = 4 * 3600;
  const county = {
    authorization: `Bearer ${await mintToken(server, { tenant, roles: ["county_admin"], ttlSeconds, sub: "bench-county" })}`,
  };
  const city = {
    authorization: `Bearer ${await mintToken(server, { tenant: "620900", roles: ["city_admin"], ttlSeconds, sub: "bench-city" })}`,
  };
  const [report] = (
    await json<{ data: { id: string; communityId: string }[] }>(
      server,
      "/v1/member-reports?status=active&limit=1",
      county,
    )
  ).data;
  if (!report) throw new Error("The seeded database has no active member report in 620902.");
  const listPath = `/v1/member-reports?communityId=${report.communityId}&status=active&order=newest&limit=20`;
  const first = await json<{ data: unknown[]; nextCursor: string | null }>(server, listPath, county);
  if (first.data.length !== 20 || !first.nextCursor)
    throw new Error(`The list scenario needs two full pages; ${listPath} gave ${first.data.length} rows.`);
  // 随手拍: a community's quick reports, newest first, two pages (the community's staff list them daily).
  const [quick] = (
    await json<{ data: { communityId: string }[] }>(server, "/v1/quick-reports?status=closed&limit=1", county)
  ).data;
  // A database seeded before quick reports existed (a reused scale-10 file) has none: scenario (10) is left out there.
  let quickPaths: string[] = [];
  if (quick) {
    const quickPath = `/v1/quick-reports?communityId=${quick.communityId}&order=newest&limit=20`;
    const quickFirst = await json<{ data: unknown[]; nextCursor: string | null }>(server, quickPath, county);
    quickPaths = quickFirst.nextCursor
      ? [quickPath, `${quickPath}&cursor=${encodeURIComponent(quickFirst.nextCursor)}`]
      : [quickPath];
  }
  return {
    county,
    city,
    report,
    listPaths: [listPath, `${listPath}&cursor=${encodeURIComponent(first.nextCursor)}`],
    quickPaths,
  };
}

/** Scenario (6): each member of the pool updated once, with its current version in If-Match. */
function patchScenario(
  patches: { id: string; version: number }[],
  writer: Record<string, string>,
  onResponse: (status: number) => void,
): Scenario & { readonly sent: number } {
  let next = 0;
  return {
    key: "patch",
    label: "(6) PATCH /v1/members/{id} with If-Match",
    headers: { ...writer, "content-type": "application/json" },
    amount: settings.writesPerRun,
    get sent() {
      return next;
    },
    requests: () => [
      {
        method: "PATCH",
        path: "/v1/members",
        onResponse,
        setupRequest: (request) => {
          const member = patches[next++ % patches.length]!;
          return {
            ...request,
            path: `/v1/members/${member.id}`,
            body: JSON.stringify({ skills: ["法律咨询", `bench-${next}`] }),
            headers: { ...request.headers, "if-match": `"v${member.version}"` },
          };
        },
      },
    ],
  };
}

/**
 * 一核引领 reads: a county's admission requests (a page and the next), and the stats routes that
 * sum running totals (governance_counts) instead of scanning requests and rectifications.
 */
async function governanceScenarios(server: ServerProcess, setup: { county: Record<string, string> }) {
  const listPath = "/v1/admission-requests?limit=20";
  const first = await json<{ data: unknown[]; nextCursor: string | null }>(server, listPath, setup.county);
  if (first.data.length !== 20 || !first.nextCursor)
    throw new Error(`The admission list scenario needs two full pages; ${listPath} gave ${first.data.length} rows.`);
  const scenarios: Scenario[] = [
    {
      key: "gov_admission_list",
      label: "(7) list 20 admission requests, then page 2",
      paths: [listPath, `${listPath}&cursor=${encodeURIComponent(first.nextCursor)}`],
      headers: setup.county,
    },
    {
      key: "gov_admission_stats",
      label: "(8) GET /v1/admission-stats, county, one quarter",
      paths: ["/v1/admission-stats?quarter=2026-Q2"],
      headers: setup.county,
    },
    {
      key: "gov_standards_stats",
      label: "(9) GET /v1/standards-stats, county, one year",
      paths: ["/v1/standards-stats?year=2026"],
      headers: setup.county,
    },
  ];
  return scenarios;
}

/** The scale check's scenarios, measured on a fresh copy of `seedFile` by their own server. */
async function scaleCheckRun(seedFile: string, scale: number, tenant: string, chosen: (s: { key: string }) => boolean) {
  const dir = workingCopy(seedFile, `check-${scale}`);
  const server = await serve(dir);
  const setup = await readSetup(server);
  const writer = {
    authorization: `Bearer ${await mintToken(server, { tenant, roles: ["community_admin"], ttlSeconds: 4 * 3600, sub: "bench-writer" })}`,
  };
  const measured = await measure(
    server,
    [
      {
        key: "report_jwt",
        label: "(1) GET /v1/member-reports/{id}, JWT",
        paths: [`/v1/member-reports/${setup.report.id}`],
        headers: setup.county,
      },
      { key: "list_page", label: "(3) list page + next page", paths: setup.listPaths, headers: setup.county },
      // Writes too: a larger database must not make a commit (indexes, checkpoints) slower.
      patchScenario(await patchPool(join(dir, "hexi.db"), tenant), writer, () => {}),
      ...(await governanceScenarios(server, setup)),
    ].filter(chosen),
    `scale ${scale}, scale check`,
  );
  await server.stop();
  servers.delete(server);
  return measured;
}

/** The reads compared across scales: their p50 latency should not grow with the data. */
const scaleKeys = [
  "report_jwt",
  "list_page",
  "patch",
  "gov_admission_list",
  "gov_admission_stats",
  "gov_standards_stats",
];

async function apiKeyHeaders(
  server: ServerProcess,
  county: Record<string, string>,
): Promise<Record<string, string> | null> {
  const res = await fetch(`${server.baseUrl}/v1/api-keys`, {
    method: "POST",
    headers: { ...county, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench", scopes: ["reports:read"], rateLimitPerMinute: 600_000 }),
  });
  if (res.status === 404 || res.status === 405) return null;
  if (!res.ok) throw new Error(`POST /v1/api-keys answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { key: string };
  return { "x-api-key": body.key };
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
  log(
    `Hexi bench: scale ${settings.scale}, ${settings.connections} connections, ${settings.runs} rounds × ${settings.durationSeconds} s` +
      `${settings.warmupSeconds ? `, ${settings.warmupSeconds} s warm-up` : ""}; ${machine.nproc} CPU(s), ${machine.cpuModel}, Node ${machine.node}`,
  );

  // Main scenarios at the chosen scale.
  const main = await seeded(settings.scale);
  if (emergencyOnly) {
    // `--only` named emergency scenarios alone: those, printed, nothing written.
    log(JSON.stringify(await emergencyNumbers(main.file)));
    return;
  }
  const dir = workingCopy(main.file, `run-${settings.scale}`);
  const pool = await writePool(join(dir, "hexi.db"), tenant);
  const patches = await patchPool(join(dir, "hexi.db"), tenant);
  const server = await serve(dir);
  const setup = await readSetup(server);
  const community = {
    authorization: `Bearer ${await mintToken(server, { tenant, roles: ["community_admin"], ttlSeconds: 4 * 3600, sub: "bench-writer" })}`,
  };
  const apiKey = await apiKeyHeaders(server, setup.county);
  // Residents' side (bench/residents.ts): certificate verification, a community's complaints, Open311 filing.
  const residents = await residentScenarios(server, join(dir, "hexi.db"), {
    tenant,
    county: setup.county,
    writes: settings.writesPerRun,
    runTag: String(started.getTime()),
  });

  const writesNeeded = settings.writesPerRun * settings.runs + (settings.warmupSeconds > 0 ? warmupWrites : 0);
  if (isChosen({ key: "create" }) && pool.length < writesNeeded)
    throw new Error(
      `Scenario 4 needs ${writesNeeded} members without a live report; the database has ${pool.length}. Lower --writes.`,
    );
  let next = 0;
  let accepted201 = 0;
  let patched200 = 0;
  const created: { key: string; body: string }[] = [];
  const patched = patchScenario(patches, community, (status) => {
    if (status === 200) patched200 += 1;
  });
  const allScenarios: Scenario[] = [
    {
      key: "report_jwt",
      label: "(1) GET /v1/member-reports/{id}, JWT",
      paths: [`/v1/member-reports/${setup.report.id}`],
      headers: setup.county,
    },
    ...(apiKey
      ? [
          {
            key: "report_api_key",
            label: "(2) GET /v1/member-reports/{id}, API key",
            paths: [`/v1/member-reports/${setup.report.id}`],
            headers: apiKey,
          },
        ]
      : []),
    {
      key: "list_page",
      label: "(3) list 20 by community + status, newest first, then page 2",
      paths: setup.listPaths,
      headers: setup.county,
    },
    {
      key: "create",
      label: "(4) POST /v1/member-reports with Idempotency-Key",
      headers: { ...community, "content-type": "application/json" },
      amount: settings.writesPerRun,
      requests: () => [
        {
          method: "POST",
          path: "/v1/member-reports",
          onResponse: (status) => {
            if (status === 201) accepted201 += 1;
          },
          setupRequest: (request) => {
            const member = pool[next++ % pool.length]!;
            const body = JSON.stringify({
              memberId: member.memberId,
              communityId: member.communityId,
              channel: "online",
              skills: [],
              intentions: ["社区治理"],
            });
            const key = `bench-${started.getTime()}-${next}`;
            created.push({ key, body });
            return { ...request, body, headers: { ...request.headers, "idempotency-key": key } };
          },
        },
      ],
    },
    patched,
    ...(setup.quickPaths.length
      ? [
          {
            key: "quick_report_list",
            label: "(10) GET /v1/quick-reports by community, newest first, then page 2",
            paths: setup.quickPaths,
            headers: setup.county,
          },
        ]
      : []),
    { key: "stats_county", label: "(5a) GET /v1/stats, county", paths: ["/v1/stats"], headers: setup.county },
    { key: "stats_city", label: "(5b) GET /v1/stats, city (seven tenants)", paths: ["/v1/stats"], headers: setup.city },
    ...(await governanceScenarios(server, setup)),
    ...residents.scenarios,
  ];
  const scenarios = allScenarios.filter(isChosen);
  if (only && scenarios.length !== only.size)
    throw new Error(`--only: unknown scenario in ${values.only}; known: ${allScenarios.map((s) => s.key).join(", ")}`);
  for (const s of scenarios.filter((x) => x.paths)) {
    for (const path of s.paths!) {
      const probe = await fetch(server.baseUrl + path, { headers: s.headers });
      if (probe.status !== 200)
        throw new Error(`${path} answered ${probe.status} before loading: ${await probe.text()}`);
    }
  }
  const results = await measure(server, scenarios, `scale ${settings.scale}`);

  // Scenario 4's promise: every 201 wrote exactly one report, and a retry writes nothing.
  const [replayed] = created;
  let replay: { status: number; replayedHeader: string | null } | null = null;
  if (replayed) {
    const res = await fetch(`${server.baseUrl}/v1/member-reports`, {
      method: "POST",
      headers: { ...community, "content-type": "application/json", "idempotency-key": replayed.key },
      body: replayed.body,
    });
    replay = { status: res.status, replayedHeader: res.headers.get("idempotent-replayed") };
  }
  const memory = memoryOf(server.pid);
  await server.stop();
  servers.delete(server);
  const check = createClient({ url: `file:${join(dir, "hexi.db")}` });
  const used = [...new Set(created.map((c) => (JSON.parse(c.body) as { memberId: string }).memberId))];
  let written = 0;
  let duplicates = 0;
  for (let i = 0; i < used.length; i += 500) {
    const slice = used.slice(i, i + 500);
    const marks = slice.map(() => "?").join(",");
    const rows = await check.execute({
      sql: `select member_id, count(*) as n from member_reports where status <> 'ended' and member_id in (${marks}) group by member_id`,
      args: slice,
    });
    written += rows.rows.length;
    duplicates += rows.rows.filter((r) => Number(r.n) > 1).length;
  }
  check.close();
  // Warm-up creates wrote reports too: the check covers every create sent, measured or not.
  const writeCheck = {
    requests: created.length,
    accepted201,
    patched200,
    patchesSent: patched.sent,
    reportsWritten: written,
    membersWithTwoLiveReports: duplicates,
    replay,
  };
  log(
    `Scenario 4 check: ${writeCheck.accepted201} × 201 of ${created.length} creates, ${written} reports written, ${duplicates} duplicates, replay ${JSON.stringify(replay)}`,
  );
  const complaintCheck = await residents.check();
  if (complaintCheck) log(`Scenario 13 check: ${JSON.stringify(complaintCheck)}`);

  // Scale check: the same reads on a ten-times-larger database.
  let scaleCheck: null | {
    scale: number;
    seedSeconds: number | null;
    scenarios: typeof results;
    /** The same scenarios on the main scale, measured the same way just before. */
    baseline: typeof results;
    p50Ratio: Record<string, number | null>;
    meanRatio: Record<string, number | null>;
  } = null;
  if (settings.scaleCheck > 0 && settings.scaleCheck !== settings.scale) {
    // Both scales by the same procedure, one after the other on fresh servers: the main run's
    // figures come after other scenarios (PATCH after the creates), which moved a p50 of ~20 ms by a third.
    const chosen = (r: { key: string }) => isChosen(r) && results.some((x) => x.key === r.key);
    const small = await scaleCheckRun(main.file, settings.scale, tenant, chosen);
    const big = await seeded(settings.scaleCheck);
    const bigResults = await scaleCheckRun(big.file, settings.scaleCheck, tenant, chosen);
    const compared = scaleKeys.filter((k) => bigResults.some((r) => r.key === k));
    const ratio = (key: string, field: "latencyP50Ms" | "latencyMeanMs") =>
      round(
        bigResults.find((r) => r.key === key)!.median[field] /
          Math.max(0.01, small.find((r) => r.key === key)!.median[field]),
        2,
      );
    scaleCheck = {
      scale: settings.scaleCheck,
      seedSeconds: big.seedSeconds,
      scenarios: bigResults,
      baseline: small,
      p50Ratio: Object.fromEntries(compared.map((k) => [k, ratio(k, "latencyP50Ms")])),
      meanRatio: Object.fromEntries(compared.map((k) => [k, ratio(k, "latencyMeanMs")])),
    };
  }

  const emergency = settings.emergency ? await emergencyNumbers(main.file) : null;
  const worker = values["skip-worker"] ? null : await workerNumbers();

  const report = {
    date: started.toISOString().slice(0, 10),
    startedAt: started.toISOString(),
    machine,
    settings: {
      ...settings,
      host: "127.0.0.1",
      tool: "autocannon 9, in-process on the same machine as the server",
      latencyResolutionMs: 1,
    },
    database: {
      scale: settings.scale,
      file: `bench/data/scale-${settings.scale}.db`,
      bytes: statSync(main.file).size,
      seedSeconds: main.seedSeconds,
    },
    server: { command: "node --import tsx src/server.ts", peakRssMiB: memory.peakRssMiB },
    scenarios: results,
    writeCheck,
    complaintCheck,
    scaleCheck,
    emergency,
    worker,
    budgets,
  };
  const table = renderTable(report);
  console.log(`\n${table}`);
  if (dryRun) {
    console.log("\n--dry-run: nothing written.");
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `${report.date}.json`);
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  writeReadmeTable(table, `results/${report.date}.json`);
  // Formatted as the repository's check wants it (aligned table columns), so a run can be committed as it is.
  await execFileAsync(join(repoRoot, "node_modules/.bin/biome"), ["format", "--write", readmePath, resultsFile]);
  console.log(`\nWrote ${resultsFile} and the table in ${readmePath}`);
}

type Report = {
  date: string;
  machine: { nproc: number; cpuModel: string; memoryGiB: number; node: string };
  settings: typeof settings;
  database: { scale: number; seedSeconds: number | null; bytes: number };
  server: { peakRssMiB: number | null };
  scenarios: { key: string; label: string; median: RunNumbers & { ratioToCeiling: number } }[];
  writeCheck: {
    accepted201: number;
    patched200?: number;
    patchesSent?: number;
    reportsWritten: number;
    membersWithTwoLiveReports: number;
    replay: { status: number; replayedHeader: string | null } | null;
  };
  scaleCheck: null | {
    scale: number;
    seedSeconds: number | null;
    p50Ratio: Record<string, number | null>;
    meanRatio: Record<string, number | null>;
  };
  worker: null | { rawKiB: number; gzipKiB: number; startupCpuMs: number | null; startupNote: string };
};

const verdict = (ok: boolean | null) => (ok === null ? "–" : ok ? "met" : "**missed**");

function renderTable(r: Report): string {
  const byKey = new Map(r.scenarios.map((s) => [s.key, s]));
  const budgetOf: Record<string, [string, boolean | null]> = {
    report_jwt: [
      "≥ 55%, p99 ≤ 2 × the ceiling's",
      (byKey.get("report_jwt")?.median.ratioToCeiling ?? 0) >= budgets.memberReportJwt.minRatio &&
        (byKey.get("report_jwt")?.median.latencyP99Ms ?? 1e9) <= 2 * (byKey.get("healthz")?.median.latencyP99Ms ?? 0),
    ],
    report_api_key: [
      "≥ JWT's req/s",
      byKey.has("report_api_key")
        ? byKey.get("report_api_key")!.median.requestsPerSecond >= byKey.get("report_jwt")!.median.requestsPerSecond
        : null,
    ],
    list_page: ["≥ 35%", (byKey.get("list_page")?.median.ratioToCeiling ?? 0) >= budgets.listPage.minRatio],
    create: [
      `≥ 8%, p99 ≤ ${budgets.create.maxP99Ms} ms, 0 duplicates`,
      (byKey.get("create")?.median.ratioToCeiling ?? 0) >= budgets.create.minRatio &&
        (byKey.get("create")?.median.latencyP99Ms ?? 1e9) <= budgets.create.maxP99Ms &&
        r.writeCheck.membersWithTwoLiveReports === 0,
    ],
    patch: [
      `≥ 8%, p99 ≤ ${budgets.patch.maxP99Ms} ms`,
      (byKey.get("patch")?.median.ratioToCeiling ?? 0) >= budgets.patch.minRatio &&
        (byKey.get("patch")?.median.latencyP99Ms ?? 1e9) <= budgets.patch.maxP99Ms,
    ],
    stats_city: [
      `p50 ≤ ${budgets.cityStatsP50Ms} ms`,
      (byKey.get("stats_city")?.median.latencyP50Ms ?? 1e9) <= budgets.cityStatsP50Ms,
    ],
  };
  const head =
    "| Scenario | req/s | p50 ms | p99 ms | non-2xx / errors | vs ceiling | budget | |\n|---|---:|---:|---:|---:|---:|---|---|";
  const rows = r.scenarios.map((s) => {
    const [budget, ok] = budgetOf[s.key] ?? ["", null];
    return (
      `| ${s.label} | ${Math.round(s.median.requestsPerSecond).toLocaleString("en-US")} | ${s.median.latencyP50Ms} | ${s.median.latencyP99Ms} | ` +
      `${s.median.non2xx} / ${s.median.errors} | ${(s.median.ratioToCeiling * 100).toFixed(0)}% | ${budget} | ${budget ? verdict(ok) : ""} |`
    );
  });
  const about =
    `${r.date} · ${r.machine.nproc} CPU(s), ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB · Node ${r.machine.node} · scale ${r.settings.scale} · ` +
    `${r.settings.connections} connections, median of ${r.settings.runs} rounds × ${r.settings.durationSeconds} s (scenario 4: ${r.settings.writesPerRun} creates per round)`;
  const lines = [
    about,
    "",
    head,
    ...rows,
    "",
    `- Scenario 4 (warm-up included): ${r.writeCheck.accepted201} creates answered 201, ${r.writeCheck.reportsWritten} reports written, ${r.writeCheck.membersWithTwoLiveReports} members with two live reports; a retry with a used key answered ${r.writeCheck.replay?.status ?? "n/a"} (replayed: ${r.writeCheck.replay?.replayedHeader ?? "n/a"}).`,
    `- Scenario 6 (warm-up included): ${r.writeCheck.patched200 ?? "n/a"} of ${r.writeCheck.patchesSent ?? "n/a"} PATCHes with a current If-Match answered 200.`,
    `- Server peak RSS (VmHWM), no flags from the user: ${r.server.peakRssMiB ?? "n/a"} MiB (budget ≤ ${budgets.peakRssMiB}: ${verdict(r.server.peakRssMiB === null ? null : r.server.peakRssMiB <= budgets.peakRssMiB)}). Database: ${(r.database.bytes / 1024 ** 2).toFixed(0)} MiB` +
      (r.database.seedSeconds === null
        ? " (reused)."
        : `, seeded in ${r.database.seedSeconds} s (budget ≤ ${budgets.seedScale1Seconds} s at scale 1: ${verdict(r.settings.scale !== 1 ? null : r.database.seedSeconds <= budgets.seedScale1Seconds)}).`),
  ];
  if (r.scaleCheck) {
    const ok = Object.values(r.scaleCheck.p50Ratio).every((x) => x === null || x <= budgets.scaleLatencyRatio);
    lines.push(
      `- Scale ${r.scaleCheck.scale} against scale ${r.settings.scale} (each on its own fresh server, the same scenarios in the same order), p50 latency ratio: ` +
        Object.entries(r.scaleCheck.p50Ratio)
          .map(([key, p50]) => `${key} ${p50} (mean ${r.scaleCheck!.meanRatio[key]})`)
          .join(", ") +
        `; budget ≤ ${budgets.scaleLatencyRatio}: ${verdict(ok)}.` +
        (r.scaleCheck.seedSeconds === null
          ? ""
          : ` Seeding scale ${r.scaleCheck.scale} took ${r.scaleCheck.seedSeconds} s.`),
    );
  }
  if (r.worker) {
    lines.push(
      `- Worker bundle (wrangler deploy --dry-run --minify): ${r.worker.rawKiB} KiB raw, ${r.worker.gzipKiB} KiB gzip (budget ≤ ${budgets.bundleGzipKiB}: ${verdict(r.worker.gzipKiB <= budgets.bundleGzipKiB)}); ` +
        `start-up CPU ${r.worker.startupCpuMs ?? "n/a"} ms (${r.worker.startupNote}; budget ≤ ${budgets.startupCpuMs}: ${verdict(r.worker.startupCpuMs === null ? null : r.worker.startupCpuMs <= budgets.startupCpuMs)}).`,
    );
  }
  return lines.join("\n");
}

const startMarker = "<!-- bench:results:start -->";
const endMarker = "<!-- bench:results:end -->";

/** Replaces the generated block in bench/README.md, leaving the hand-written text around it alone. */
function writeReadmeTable(table: string, resultsFile: string) {
  const block = `${startMarker}\n<!-- Generated by \`npm run bench\`; edits inside this block are overwritten. -->\n\n${table}\n\nFull numbers, every round: [${resultsFile}](${resultsFile}).\n\n${endMarker}`;
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
  await stopAll();
}
