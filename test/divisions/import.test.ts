import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/db/seed/demo.js";
import { auditEvents, divisions, outboxEvents } from "../../src/db/tables.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"] };
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const importing = (body: unknown, who = county) => ctx.call(who, "POST", "/v1/divisions/import", body);
const countOf = async (table: typeof divisions | typeof auditEvents | typeof outboxEvents) =>
  (await ctx.db.select({ n: count() }).from(table))[0]!.n;

const tree = [
  { path: "西北街街道/玉管局社区/第一网格", level: "grid" },
  { path: "酒钢街道", level: "street", code: "620902007" },
  { path: "酒钢街道/钢城社区", level: "community", code: "620902007001" },
  { path: "酒钢街道/钢城社区/第一网格", level: "grid" },
  { path: "西北街街道/玉管局社区", level: "community", code: "620902004001" },
];

describe("importing a division tree", () => {
  it("lists the changes of a dry run and writes nothing", async () => {
    const before = await countOf(divisions);
    const res = await importing({ divisions: tree, dryRun: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(res.body.summary).toEqual({ create: 4, rename: 0, set_code: 1, unchanged: 0 });
    expect(res.body.changes.map((c: { line: number; action: string }) => [c.line, c.action])).toEqual([
      [1, "create"],
      [2, "create"],
      [3, "create"],
      [4, "create"],
      [5, "set_code"],
    ]);
    expect(await countOf(divisions)).toBe(before);
  });

  it("writes the tree in one batch with audit and events, and a second run changes nothing", async () => {
    const [divs, audits, events] = [await countOf(divisions), await countOf(auditEvents), await countOf(outboxEvents)];
    const res = await importing({ divisions: tree });
    expect(res.status).toBe(200);
    expect(await countOf(divisions)).toBe(divs + 4);
    expect(await countOf(auditEvents)).toBe(audits + 5);
    expect(await countOf(outboxEvents)).toBe(events + 5);
    const grid = res.body.changes.find((c: { path: string }) => c.path === "酒钢街道/钢城社区/第一网格");
    const [row] = await ctx.db.select().from(divisions).where(eq(divisions.id, grid.id));
    const community = await divisionNamed(ctx, "620902", "钢城社区");
    expect(row!.path).toBe(`${community.path}${grid.id}/`);
    const again = await importing({ divisions: tree });
    expect(again.body.summary).toEqual({ create: 0, rename: 0, set_code: 0, unchanged: 5 });
    expect(await countOf(auditEvents)).toBe(audits + 5);
  });

  it("reads CSV (BOM, quotes, CRLF), renames by code and names its descendants by the new name", async () => {
    const csv =
      '\uFEFFpath,level,code,note\r\n"酒钢街道/钢城社区（新）",community,620902007001,"renamed, by code"\r\n\r\n酒钢街道/钢城社区（新）/第一网格,grid,,\r\n酒钢街道/钢城社区（新）/第二网格,grid,,\r\n';
    const res = await importing({ csv });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.changes.map((c: { line: number; action: string }) => [c.line, c.action])).toEqual([
      [2, "rename"],
      [4, "unchanged"],
      [5, "create"],
    ]);
    expect((await divisionNamed(ctx, "620902", "钢城社区（新）")).level).toBe("community");
  });

  it("reports every bad line and writes nothing", async () => {
    const before = [await countOf(divisions), await countOf(auditEvents)];
    const csv = [
      "path,level,code",
      "东北街街道/新社区甲,community,",
      "不存在街道/某社区,community,",
      "东北街街道,grid,",
      "东北街街道/新社区乙,village,",
      "东北街街道/新社区丙,community,12ab",
      "东北街街道/新社区甲,community,",
      "东南街街道/改名,community,620902004001",
    ].join("\n");
    const res = await importing({ csv });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_failed");
    const details: string[] = res.body.errors.map((e: { detail: string }) => e.detail);
    expect(details.map((d) => d.split(":")[0])).toEqual(["line 3", "line 4", "line 5", "line 6", "line 7", "line 8"]);
    expect(details[0]).toContain("不存在街道");
    expect(details[5]).toContain("never moves");
    expect(res.body.errors[0].pointer).toBe("/csv");
    expect([await countOf(divisions), await countOf(auditEvents)]).toEqual(before);
    const header = await importing({ csv: "name,level\n东北街街道,street" });
    expect(header.body.errors[0].detail).toContain("line 1");
    const json = await importing({ divisions: [{ path: "", level: "street" }] });
    expect(json.body.errors[0]).toMatchObject({ pointer: "/divisions/0", detail: expect.stringContaining("line 1") });
  });

  it("keeps a street admin inside its subtree", async () => {
    const street = await divisionNamed(ctx, "620902", "东北街街道");
    const res = await importing(
      {
        divisions: [
          { path: "东南街街道/越界社区", level: "community" },
          { path: "东北街街道/街道社区", level: "community" },
        ],
      },
      { tenant: "620902", roles: ["street_admin"], org: street.id },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { detail: string }) => e.detail)).toEqual([
      expect.stringMatching(/^line 1: .*outside/),
    ]);
    expect((await importing({ divisions: [], dryRun: true }, { tenant: "620902", roles: ["member"] })).status).toBe(
      403,
    );
  });
});

describe("npm run divisions:import", () => {
  it("imports a file into DATABASE_URL, dry run first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hexi-import-"));
    try {
      const url = `file:${join(dir, "hexi.db")}`;
      const { client, db } = openDatabase(url);
      await migrateDatabase(db);
      await seedDemo(db);
      client.close();
      const file = join(dir, "tree.json");
      writeFileSync(
        file,
        JSON.stringify([
          { path: "嘉峪关路街道", level: "street" },
          { path: "嘉峪关路街道/一号社区", level: "community" },
        ]),
      );
      const run = (...args: string[]) =>
        promisify(execFile)("npx", ["tsx", "scripts/divisions-import.ts", "--tenant", "620921", file, ...args], {
          env: { ...process.env, DATABASE_URL: url },
        });
      const dry = await run("--dry-run");
      expect(dry.stdout).toContain("Dry run, nothing written: would create 2");
      const done = await run();
      expect(done.stdout).toContain("Done: create 2");
      const check = openDatabase(url);
      const rows = await check.db
        .select({ name: divisions.name })
        .from(divisions)
        .where(and(eq(divisions.tenantId, "620921"), eq(divisions.name, "一号社区")));
      const [audit] = await check.db.select().from(auditEvents).where(eq(auditEvents.action, "division.create"));
      check.client.close();
      expect(rows).toHaveLength(1);
      expect(audit!.actor).toMatch(/^jwt:620921:cli:divisions-import:/);
      writeFileSync(file, JSON.stringify([{ path: "无此街道/社区", level: "community" }]));
      const failed = await run().catch((err: { code: number; stderr: string }) => err);
      expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining("line 1: Its parent 无此街道") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
