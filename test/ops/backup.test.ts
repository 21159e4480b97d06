import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { count, eq } from "drizzle-orm";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { seedDemo } from "../../src/db/seed/demo.js";
import { auditEvents, divisions, tenants } from "../../src/db/tables.js";
import { integrityCheck } from "../../src/node/backup.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";

const dir = mkdtempSync(join(tmpdir(), "hexi-backup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Appends audit rows one by one, each its own commit, as a busy server would. */
function writer(db: ReturnType<typeof openDatabase>["db"]) {
  let written = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      await db.insert(auditEvents).values({
        id: newId("aud", 1_800_000_000_000 + written),
        tenantId: "620902",
        actor: "test",
        actorKind: "jwt",
        action: "backup.write",
        targetType: "test",
        targetId: String(written),
        requestId: "req",
        at: "2026-12-01T00:00:00.000Z",
      });
      written++;
      // The embedded client may answer without a macrotask: let the child process's exit be noticed.
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    get written() {
      return written;
    },
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe("npm run backup and restore", () => {
  it("copies the database consistently while writes go on, and restores it over a stale -wal/-shm", async () => {
    const live = join(dir, "live.db");
    const { client, db } = openDatabase(`file:${live}`);
    await migrateDatabase(db);
    await seedDemo(db);
    // What `npm start` leaves beside a development database: the backup names it.
    writeFileSync(join(dir, "dev-signing-key.json"), "{}");
    const writes = writer(db);
    // Some writes land before the copy starts, more while it runs.
    while (writes.written < 50) await new Promise((r) => setImmediate(r));
    const before = writes.written;
    const dest = join(dir, "backup.db");
    const { stdout } = await promisify(execFile)("npx", ["tsx", "scripts/backup.ts", dest], {
      env: { ...process.env, DATABASE_URL: `file:${live}` },
    });
    await writes.stop();
    expect(stdout).toContain("integrity ok");
    expect(stdout).toContain("dev-signing-key.json");
    expect(integrityCheck(dest)).toEqual(["ok"]);
    expect(writes.written).toBeGreaterThan(before);

    // The copy holds every write committed before it started and none half-written: ids run 0…n-1 without a gap.
    const copy = new Database(dest, { readonly: true });
    const rows = copy.prepare("select target_id as targetId from audit_events where action = 'backup.write'").all() as {
      targetId: string;
    }[];
    copy.close();
    expect(existsSync(`${dest}-wal`)).toBe(false);
    const ids = rows.map((r) => Number(r.targetId)).sort((a, b) => a - b);
    expect(ids.length).toBeGreaterThanOrEqual(before);
    expect(ids.length).toBeLessThanOrEqual(writes.written);
    expect(ids).toEqual(ids.map((_, i) => i));
    client.close();

    // Restore over a database whose stale log files would otherwise be replayed onto the copy.
    const target = join(dir, "target.db");
    const other = openDatabase(`file:${target}`);
    await migrateDatabase(other.db);
    other.client.close();
    writeFileSync(`${target}-wal`, "stale");
    writeFileSync(`${target}-shm`, "stale");
    const restored = await promisify(execFile)("npx", ["tsx", "scripts/backup.ts", "--restore", dest], {
      env: { ...process.env, DATABASE_URL: `file:${target}` },
    });
    expect(restored.stdout).toContain(`kept as ${target}.pre-restore`);
    expect(existsSync(`${target}.pre-restore`)).toBe(true);
    expect(existsSync(`${target}-wal`)).toBe(false);
    expect(existsSync(`${target}-shm`)).toBe(false);
    expect(integrityCheck(target)).toEqual(["ok"]);
    const back = openDatabase(`file:${target}`);
    await migrateDatabase(back.db);
    const [t] = await back.db.select({ n: count() }).from(tenants);
    const [d] = await back.db.select({ n: count() }).from(divisions);
    const [a] = await back.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.action, "backup.write"));
    back.client.close();
    expect(t!.n).toBe(8);
    expect(d!.n).toBeGreaterThan(20);
    expect(a!.n).toBe(ids.length);
  }, 120_000);

  it("refuses to overwrite a file and a remote database", async () => {
    const run = (dest: string, url: string) =>
      promisify(execFile)("npx", ["tsx", "scripts/backup.ts", dest], {
        env: { ...process.env, DATABASE_URL: url },
      }).catch((err: { code: number; stderr: string }) => err);
    const taken = join(dir, "taken.db");
    writeFileSync(taken, "");
    const [exists, remote] = await Promise.all([
      run(taken, `file:${join(dir, "live.db")}`),
      run(join(dir, "x.db"), "libsql://example.turso.io"),
    ]);
    expect(exists).toMatchObject({ code: 1, stderr: expect.stringContaining("never overwrites") });
    expect(remote).toMatchObject({ code: 1, stderr: expect.stringContaining("not an embedded database file") });
  }, 120_000);
});
