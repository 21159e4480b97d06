// Measuring aid for the write path (bench/README.md, round four); not part of the server.
//
//   NODE_OPTIONS="--import $PWD/bench/write-probe.mjs" npx tsx bench/run.ts --only create,patch …
//
// The server inherits NODE_OPTIONS and writes, per process, to $PROBE_DIR/probe-<pid>.log (default
// /tmp): each second the longest event-loop stall (LOOP), GC count and time (SEC), server-side
// request times (HTTP, REQ over 250 ms), CPU time and requests by method (CPU); every libsql call
// over $PROBE_MS ms (SLOW, default 15); every WAL checkpoint (CKPT). With PROBE_PROFILE=<ms>, a CPU
// profile of the server from its first POST /v1/member-reports on, for that long, to
// $PROBE_DIR/server-<pid>.cpuprofile, followed by the time spent per SQL text (SQL).
import { createRequire } from "node:module";
import { monitorEventLoopDelay, PerformanceObserver, performance } from "node:perf_hooks";
import { appendFile } from "node:fs";
import { isMainThread } from "node:worker_threads";

import { subscribe } from "node:diagnostics_channel";
const require = createRequire(process.cwd() + "/package.json");
const Database = require("libsql");
const dir = process.env.PROBE_DIR ?? "/tmp";
const out = `${dir}/probe-${process.pid}.log`;
let buf = [];
const t0 = performance.now();
const log = !isMainThread ? () => {} : (s) => buf.push(`${((performance.now() - t0) / 1000).toFixed(3)} ${s}`);
setInterval(() => {
  if (buf.length) {
    const b = buf.join("\n") + "\n";
    buf = [];
    appendFile(out, b, () => {});
  }
}, 500).unref();
const threshold = Number(process.env.PROBE_MS ?? 15);
const sqlOf = new WeakMap();
const counts = { slow: 0 };
const P = Database.prototype;
const perSql = new Map();
globalThis.__perSql = perSql;
const origPrepare = P.prepare,
  origExec = P.exec,
  origPragma = P.pragma;
P.prepare = function (sql) {
  const s = origPrepare.call(this, sql);
  sqlOf.set(s, sql);
  wrapStmt(s);
  return s;
};
P.exec = function (sql) {
  const a = performance.now();
  try {
    return origExec.call(this, sql);
  } finally {
    const d = performance.now() - a;
    {
      const k = "exec " + sql.slice(0, 30);
      const e = perSql.get(k) ?? [0, 0];
      e[0]++;
      e[1] += d;
      perSql.set(k, e);
    }
    if (d > threshold) log(`SLOW exec ${d.toFixed(1)}ms ${sql.slice(0, 60)}`);
  }
};
function wrapStmt(s) {
  for (const m of ["run", "get", "all"]) {
    const orig = s[m];
    if (typeof orig !== "function") continue;
    s[m] = function (...args) {
      const a = performance.now();
      try {
        return orig.apply(this, args);
      } finally {
        const d = performance.now() - a;
        const k = m + " " + String(sqlOf.get(s)).replace(/\s+/g, " ").slice(0, 110);
        const e = perSql.get(k) ?? [0, 0];
        e[0]++;
        e[1] += d;
        perSql.set(k, e);
        if (d > threshold)
          log(`SLOW ${m} ${d.toFixed(1)}ms ${String(sqlOf.get(s)).replace(/\s+/g, " ").slice(0, 100)}`);
      }
    };
  }
}
const h = monitorEventLoopDelay({ resolution: 5 });
h.enable();
setInterval(() => {
  const max = h.max / 1e6;
  if (max > 30)
    log(
      `LOOP max ${max.toFixed(0)}ms p99 ${(h.percentile(99) / 1e6).toFixed(0)}ms mean ${(h.mean / 1e6).toFixed(1)} rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}MiB heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)}MiB`,
    );
  h.reset();
}, 1000).unref();
const gc = { n: 0, ms: 0, minor: 0, minorMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.n++;
    gc.ms += e.duration;
    if (e.detail?.kind === 1) {
      gc.minor++;
      gc.minorMs += e.duration;
    }
    if (e.duration > 40) log(`GC kind=${e.detail?.kind} ${e.duration.toFixed(1)}ms`);
  }
}).observe({ entryTypes: ["gc"] });
setInterval(() => {
  log(`SEC gc ${gc.n} (${gc.ms.toFixed(0)}ms; minor ${gc.minor} ${gc.minorMs.toFixed(0)}ms)`);
  gc.n = gc.ms = gc.minor = gc.minorMs = 0;
}, 1000).unref();
subscribe("hexi.checkpoint", (m) => {
  if (m.log > 0 || m.mode !== "PASSIVE") log(`CKPT ${m.mode} busy=${m.busy} log=${m.log} done=${m.checkpointed}`);
});
log(`probe start pid ${process.pid} argv ${process.execArgv.join(" ")}`);
import http from "node:http";
if (isMainThread) {
  const origEmit = http.Server.prototype.emit;
  const lat = [];
  http.Server.prototype.emit = function (ev, req, res) {
    if (ev === "request") {
      const a = performance.now();
      res.once("finish", () => {
        const d = performance.now() - a;
        lat.push(d);
        if (d > 250) log(`REQ ${d.toFixed(0)}ms ${req.method} ${req.url.slice(0, 40)}`);
      });
    }
    return origEmit.apply(this, arguments);
  };
  setInterval(() => {
    if (!lat.length) return;
    lat.sort((x, y) => x - y);
    log(
      `HTTP n=${lat.length} p50 ${lat[Math.floor(lat.length / 2)].toFixed(0)} p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(0)} max ${lat[lat.length - 1].toFixed(0)}`,
    );
    lat.length = 0;
  }, 1000).unref();
}
import inspector from "node:inspector";
import { writeFileSync } from "node:fs";
if (isMainThread && process.env.PROBE_PROFILE && process.execArgv.some((a) => a.includes("max-old-space"))) {
  let started = false;
  const origEmit2 = http.Server.prototype.emit;
  http.Server.prototype.emit = function (ev, req) {
    if (ev === "request" && !started && req.method === "POST" && req.url.startsWith("/v1/member-reports")) {
      started = true;
      const s = new inspector.Session();
      s.connect();
      s.post("Profiler.enable", () =>
        s.post("Profiler.setSamplingInterval", { interval: 200 }, () =>
          s.post("Profiler.start", () => {
            log("PROFILE start");
            globalThis.__perSql.clear();
            setTimeout(
              () =>
                s.post("Profiler.stop", (err, { profile }) => {
                  writeFileSync(`${dir}/server-${process.pid}.cpuprofile`, JSON.stringify(profile));
                  log("PROFILE written");
                  for (const [k, [n, t]] of [...globalThis.__perSql].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25))
                    log(`SQL ${t.toFixed(0)}ms n=${n} avg ${((t / n) * 1000).toFixed(0)}us ${k}`);
                  globalThis.__perSql.clear();
                }),
              Number(process.env.PROBE_PROFILE),
            );
          }),
        ),
      );
    }
    return origEmit2.apply(this, arguments);
  };
}
if (isMainThread && process.execArgv.some((a) => a.includes("max-old-space"))) {
  const counts = {};
  let last = process.cpuUsage();
  const origEmit3 = http.Server.prototype.emit;
  http.Server.prototype.emit = function (ev, req) {
    if (ev === "request") counts[req.method] = (counts[req.method] ?? 0) + 1;
    return origEmit3.apply(this, arguments);
  };
  setInterval(() => {
    const u = process.cpuUsage(last);
    last = process.cpuUsage();
    const n = Object.entries(counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    for (const k in counts) delete counts[k];
    if (n) log(`CPU ${((u.user + u.system) / 1000).toFixed(0)}ms ${n}`);
  }, 1000).unref();
}
