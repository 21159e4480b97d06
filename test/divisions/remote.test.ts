import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@libsql/client";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createDb, type Db } from "../../src/db/client.js";
import { seedDemo } from "../../src/db/seed/demo.js";
import { divisions } from "../../src/db/tables.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { startLibsqlHttpServer } from "../libsql-http-server.js";

/** The same edits and import against a remote libSQL database (the Hrana HTTP protocol Turso speaks). */
const dir = mkdtempSync(join(tmpdir(), "hexi-remote-divisions-"));
let ctx: TestContext;
let hrana: Awaited<ReturnType<typeof startLibsqlHttpServer>>;
let remote: { close(): void };
let db: Db;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  const file = join(dir, "hexi.db");
  const local = openDatabase(`file:${file}`);
  await migrateDatabase(local.db);
  await seedDemo(local.db);
  local.client.close();
  hrana = await startLibsqlHttpServer({ file, authToken: "remote-token" });
  const client = createClient({ url: hrana.url, authToken: "remote-token" });
  remote = client;
  db = createDb(client);
  ctx = await createTestContext();
  app = createApp({ ...ctx.deps, database: () => db });
});
afterAll(async () => {
  remote?.close();
  await hrana?.close();
  ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const county = { tenant: "620902", roles: ["county_admin" as const] };
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${await ctx.token(county)}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { id: string; detail: string; summary: { create: number } },
  };
}
const named = async (name: string) =>
  (
    await db
      .select()
      .from(divisions)
      .where(and(eq(divisions.tenantId, "620902"), eq(divisions.name, name)))
  )[0]!;

describe("divisions over a remote libSQL database", () => {
  it("creates, moves (rewriting paths), refuses a move over records, retires and imports", async () => {
    const street = await named("东北街街道");
    const other = await named("东南街街道");
    const created = await call("POST", "/v1/divisions", { parentId: street.id, level: "community", name: "远程社区" });
    expect(created.status).toBe(201);
    const grid = await call("POST", "/v1/divisions", { parentId: created.body.id, level: "grid", name: "远程网格" });
    expect(grid.status).toBe(201);
    const moved = await call(
      "PATCH",
      `/v1/divisions/${created.body.id}`,
      { parentId: other.id },
      { "if-match": '"v1"' },
    );
    expect(moved.status).toBe(200);
    expect((await named("远程网格")).path).toBe(`${other.path}${created.body.id}/${grid.body.id}/`);
    // The demo's 富康社区 holds no records yet; a unit placed in it pins it where it is.
    const fukang = await named("富康社区");
    const unit = await call("POST", "/v1/units", { name: "远程单位", kind: "organ", divisionId: fukang.id });
    expect(unit.status).toBe(201);
    const pinned = await call("PATCH", `/v1/divisions/${fukang.id}`, { parentId: other.id }, { "if-match": '"v1"' });
    expect(pinned.status).toBe(409);
    expect(pinned.body.detail).toContain("units");
    expect((await call("POST", `/v1/divisions/${grid.body.id}/retire`)).status).toBe(200);
    const imported = await call("POST", "/v1/divisions/import", {
      divisions: [
        { path: "远程街道", level: "street" },
        { path: "远程街道/一号社区", level: "community" },
      ],
    });
    expect(imported.status).toBe(200);
    expect(imported.body.summary.create).toBe(2);
  });

  it("npm run divisions:import writes to a remote DATABASE_URL", async () => {
    const file = join(dir, "tree.csv");
    writeFileSync(file, "path,level,code\n远程街道/二号社区,community,620902099002\n");
    const { stdout } = await promisify(execFile)(
      "npx",
      ["tsx", "scripts/divisions-import.ts", "--tenant", "620902", file],
      {
        env: { ...process.env, DATABASE_URL: hrana.url, DATABASE_AUTH_TOKEN: "remote-token" },
      },
    );
    expect(stdout).toContain("Done: create 1");
    expect((await named("二号社区")).code).toBe("620902099002");
  }, 60_000);
});
