/**
 * `npx tsx bench/checkpoints.ts [--database bench/data/scale-1.db] [--writes 6000]`
 *
 * The write path's tail on the embedded database, without HTTP or a load generator: the same
 * batch a `PATCH /v1/members/{id}` commits (guarded update, audit event, outbox event) `--writes`
 * times in a row through the server's client (`openDatabase`), once with SQLite's automatic
 * checkpoints and once with the background checkpoint thread, each on a fresh copy of the
 * database. Every batch is synchronous, so its time is how long it holds the event loop.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createClient } from "@libsql/client";
import type { CheckpointResult } from "../src/node/checkpointer.js";
import { openDatabase } from "../src/node/database.js";

const { values } = parseArgs({
  options: {
    database: { type: "string", default: "bench/data/scale-1.db" },
    writes: { type: "string", default: "6000" },
    modes: { type: "string", default: "automatic,background,automatic,background" },
  },
});
const writes = Number(values.writes);

async function members(file: string, n: number) {
  const client = createClient({ url: `file:${file}` });
  const rows = await client.execute({ sql: "select id, tenant_id from members order by id limit ?", args: [n] });
  client.close();
  return rows.rows.map((r) => ({ id: String(r.id), tenant: String(r.tenant_id) }));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function measure(mode: "automatic" | "background") {
  const dir = mkdtempSync(join(tmpdir(), "hexi-checkpoints-"));
  const file = join(dir, "hexi.db");
  copyFileSync(values.database!, file);
  const targets = await members(file, writes);
  const { client } = openDatabase(`file:${file}`, undefined, { synchronous: "normal", checkpoints: mode });
  const times: number[] = [];
  const checkpoints: Record<string, number> = {};
  const onCheckpoint = (message: unknown) => {
    const { mode: kind } = message as CheckpointResult;
    checkpoints[kind] = (checkpoints[kind] ?? 0) + 1;
  };
  subscribe("hexi.checkpoint", onCheckpoint);
  const at = "2026-12-04T00:00:00.000Z";
  const started = performance.now();
  for (let i = 0; i < writes; i++) {
    const member = targets[i % targets.length]!;
    const t = performance.now();
    await client.batch([
      {
        sql: "update members set skills = ?, version = version + 1, updated_at = ? where id = ? and tenant_id = ?",
        args: [JSON.stringify(["法律咨询", `bench-${i}`]), at, member.id, member.tenant],
      },
      { sql: "select case when changes() = 0 then json('hexi-guard') end", args: [] },
      {
        sql: "insert into audit_events (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at) values (?, ?, 'bench', 'person', 'member.update', 'member', ?, null, ?, ?, ?)",
        args: [`aud_bench_${i}`, member.tenant, member.id, `req-${i}`, JSON.stringify({ fields: ["skills"] }), at],
      },
      {
        sql: "insert into outbox_events (id, tenant_id, type, subject_type, subject_id, payload, created_at) values (?, ?, 'member.updated', 'member', ?, ?, ?)",
        args: [`evt_bench_${i}`, member.tenant, member.id, JSON.stringify({ id: member.id }), at],
      },
    ]);
    const ms = performance.now() - t;
    times.push(ms);
    await yieldToLoop(); // as between requests: the checkpoint thread's messages and timers run
  }
  const seconds = (performance.now() - started) / 1000;
  const wal = statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  client.close();
  unsubscribe("hexi.checkpoint", onCheckpoint);
  rmSync(dir, { recursive: true, force: true });
  const sorted = [...times].sort((a, b) => a - b);
  const over = (ms: number) => times.filter((t) => t > ms).length;
  return {
    mode,
    writesPerSecond: Math.round(writes / seconds),
    p50: percentile(sorted, 0.5).toFixed(2),
    p99: percentile(sorted, 0.99).toFixed(2),
    p999: percentile(sorted, 0.999).toFixed(2),
    slowest: sorted
      .slice(-8)
      .reverse()
      .map((t) => Math.round(t))
      .join(" "),
    over20ms: over(20),
    over50ms: over(50),
    walMiB: (wal / 1024 ** 2).toFixed(1),
    // Background checkpoints (in their own thread): how many of each kind.
    checkpoints: Object.entries(checkpoints)
      .map(([kind, n]) => `${kind} ×${n}`)
      .join(", "),
  };
}

const results = [];
for (const mode of values.modes!.split(",") as ("automatic" | "background")[]) {
  const r = await measure(mode);
  console.log(JSON.stringify(r));
  results.push(r);
}
console.table(results);
