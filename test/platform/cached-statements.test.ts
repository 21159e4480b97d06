import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { groupCommitCounts, withCachedStatements } from "../../src/node/cached-statements.js";
import type { CheckpointResult } from "../../src/node/checkpointer.js";

/** The embedded fast path must answer exactly what @libsql/client answers. */
const dir = mkdtempSync(join(tmpdir(), "hexi-cached-"));
const file = join(dir, "c.db");
const plain = createClient({ url: `file:${file}` });
let cached: ReturnType<typeof withCachedStatements>;

beforeAll(async () => {
  await plain.executeMultiple(`
    PRAGMA journal_mode = WAL;
    create table t (id text primary key, n integer, r real, s text, j text, maybe text);
    create table u (id text primary key, t_id text);
  `);
  for (let i = 0; i < 30; i++) {
    await plain.execute({
      sql: "insert into t values (?, ?, ?, ?, ?, ?)",
      args: [
        `t${String(i).padStart(2, "0")}`,
        i,
        i / 4,
        `名字 "${i}"`,
        JSON.stringify({ i, tags: ["a", "b"] }),
        i % 3 ? null : "x",
      ],
    });
    await plain.execute({ sql: "insert into u values (?, ?)", args: [`u${i}`, `t${String(i).padStart(2, "0")}`] });
  }
  cached = withCachedStatements(createClient({ url: `file:${file}` }), file, "full");
});
afterAll(() => {
  cached.close();
  plain.close();
  rmSync(dir, { recursive: true, force: true });
});

const rowsOf = async (client: typeof plain, sql: string, args: (string | number)[] = []) =>
  (await client.execute({ sql, args })).rows.map((row) => ({
    named: { ...row },
    indexed: Array.prototype.slice.call(row),
  }));

describe("cached statements", () => {
  it.each([
    ["select * from t order by id desc limit ?", [7]],
    ["select id, n, r, s, j, maybe from t where n > ? order by id", [20]],
    ["select count(*) as n, sum(r) as total from t", []],
    ["select * from t where id = ?", ["missing"]],
    ["select 1", []],
    // Duplicate column names cannot go through JSON: the plain read is used, with the same result.
    ["select t.id, u.id from t join u on u.t_id = t.id order by t.id limit 3", []],
  ] as const)("reads %s like the client", async (sql, args) => {
    expect(await rowsOf(cached, sql, [...args])).toEqual(await rowsOf(plain, sql, [...args]));
  });

  it("writes in a batch atomically and reads them back", async () => {
    await expect(
      cached.batch(["insert into u values ('new1', 't01')", "insert into u values ('new1', 't02')"], "write"),
    ).rejects.toThrow(/UNIQUE constraint failed/);
    expect((await rowsOf(cached, "select count(*) as n from u where id = 'new1'"))[0]!.named.n).toBe(0);
    const [inserted] = await cached.batch(["insert into u values ('new2', 't01')"], "write");
    expect(inserted!.rowsAffected).toBe(1);
    expect((await rowsOf(cached, "select t_id from u where id = ?", ["new2"]))[0]!.named).toEqual({ t_id: "t01" });
  });
});

describe("background checkpoints", () => {
  it("keep checkpoints out of the writer's commits and copy the WAL back from their own thread", async () => {
    const own = join(dir, "ck.db");
    const setup = createClient({ url: `file:${own}` });
    await setup.executeMultiple("PRAGMA journal_mode = WAL; create table w (id integer primary key, v text);");
    setup.close();
    const seen: CheckpointResult[] = [];
    const listen = (message: unknown) => seen.push(message as CheckpointResult);
    subscribe("hexi.checkpoint", listen);
    const client = withCachedStatements(createClient({ url: `file:${own}` }), own, "normal", "background");
    try {
      // The writer never checkpoints on its own: a commit cannot be the one that pays for it.
      expect((await client.execute("pragma wal_autocheckpoint")).rows[0]![0]).toBe(0);
      expect((await client.execute("pragma journal_size_limit")).rows[0]![0]).toBe(64 * 1024 * 1024);
      // WAL with synchronous=NORMAL: commits append to the WAL without an fsync; checkpoints sync.
      expect((await client.execute("pragma journal_mode")).rows[0]![0]).toBe("wal");
      expect((await client.execute("pragma synchronous")).rows[0]![0]).toBe(1);
      for (let i = 0; i < 20; i++) await client.batch([["insert into w (v) values (?)", ["x".repeat(4000)]]], "write");
      // The thread copies every frame back; with nothing written since, it empties the WAL.
      await expect
        .poll(() => seen.some((r) => r.mode === "PASSIVE" && r.log >= 20 && r.checkpointed === r.log), {
          timeout: 30_000,
        })
        .toBe(true);
      await expect.poll(() => seen.some((r) => r.mode === "TRUNCATE" && r.busy === 0), { timeout: 30_000 }).toBe(true);
      expect((await client.execute("select count(*) from w")).rows[0]![0]).toBe(20);
    } finally {
      unsubscribe("hexi.checkpoint", listen);
      client.close();
    }
  });

  it("leaves automatic checkpoints on elsewhere (scripts, tests)", async () => {
    expect((await cached.execute("pragma wal_autocheckpoint")).rows[0]![0]).toBe(10_000);
  });
});

describe("group commits", () => {
  const open = async (name: string) => {
    const own = join(dir, name);
    const setup = createClient({ url: `file:${own}` });
    await setup.executeMultiple(`PRAGMA journal_mode = WAL;
      create table g (id text primary key, v integer not null, version integer not null default 1);
      create table trail (id integer primary key, what text not null);
      insert into g (id, v) values ('a', 0), ('b', 0);`);
    setup.close();
    return withCachedStatements(createClient({ url: `file:${own}` }), own, "normal", "automatic", true);
  };
  const guard = "select case when changes() = 0 then json('hexi-guard') end";

  it("commits the write batches of one event-loop turn in one transaction, each failing alone", async () => {
    const client = await open("groups.db");
    try {
      const before = { ...groupCommitCounts(client)! };
      const outcomes = await Promise.allSettled([
        // Two writers of the same row with the same version: the first wins, the second's guard fails.
        client.batch(
          [
            "update g set v = 1, version = version + 1 where id = 'a' and version = 1",
            guard,
            "insert into trail (what) values ('a by first')",
          ],
          "write",
        ),
        client.batch(
          [
            "update g set v = 2, version = version + 1 where id = 'a' and version = 1",
            guard,
            "insert into trail (what) values ('a by second')",
          ],
          "write",
        ),
        // A statement that fails after one that wrote: only this batch's own writes are undone.
        client.batch(["insert into trail (what) values ('undone')", "insert into g (id, v) values ('a', 9)"], "write"),
        client.batch(
          ["update g set v = 3, version = version + 1 where id = 'b' and version = 1 returning v", guard],
          "write",
        ),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/malformed JSON/);
      expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
      // Each batch answers its own results (here an UPDATE … RETURNING).
      const returned = (outcomes[3] as PromiseFulfilledResult<Awaited<ReturnType<typeof client.batch>>>).value[0]!;
      expect(returned.rows.map((r) => r[0])).toEqual([3]);
      expect(
        (await client.execute("select id, v, version from g order by id")).rows.map((r) =>
          Array.prototype.slice.call(r),
        ),
      ).toEqual([
        ["a", 1, 2],
        ["b", 3, 2],
      ]);
      expect((await client.execute("select what from trail order by id")).rows.map((r) => r[0])).toEqual([
        "a by first",
      ]);
      // All four shared one transaction.
      const after = groupCommitCounts(client)!;
      expect(after.groups - before.groups).toBe(1);
      expect(after.batches - before.batches).toBe(4);
    } finally {
      client.close();
    }
  });

  it("runs reads at once and outside any group, and writes queued before close", async () => {
    const client = await open("groups-close.db");
    const write = client.batch(["insert into trail (what) values ('queued')"], "write");
    // Plain reads are not grouped: they run now, before the queued write.
    const [read] = await client.batch(["select count(*) from trail"]);
    expect(read!.rows[0]![0]).toBe(0);
    await write;
    const last = client.batch(["insert into trail (what) values ('at close')"], "write");
    client.close();
    await expect(last).resolves.toHaveLength(1);
    const check = createClient({ url: `file:${join(dir, "groups-close.db")}` });
    expect((await check.execute("select what from trail order by id")).rows.map((r) => r[0])).toEqual([
      "queued",
      "at close",
    ]);
    check.close();
  });

  it("is off unless asked for", () => {
    expect(groupCommitCounts(cached)).toBeUndefined();
  });
});
