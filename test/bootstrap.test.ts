/**
 * `npm run bootstrap`'s tenants: another city is a JSON file, not a release. Its city tenant reads
 * across its counties like Jiuquan's does, with no code naming it; a second run changes nothing; a
 * second city in the same database is refused. And `GET /` says where the docs are.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { BootstrapError, bootstrapTenants, jiuquanTenantSpecs, tenantsFileSchema } from "../src/db/bootstrap.js";
import { divisions, tenants } from "../src/db/tables.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { createTestContext, type TestContext } from "./helpers/app.js";
import { signToken } from "./helpers/keys.js";
import { repoRoot } from "./helpers/server-process.js";

const zhangye = {
  tenants: [
    { code: "620700", level: "city", kind: "city", nameZh: "张掖市", nameEn: "Zhangye City" },
    {
      code: "620702",
      level: "county",
      kind: "district",
      nameZh: "甘州区",
      nameEn: "Ganzhou District",
      divisions: [
        {
          name: "东街街道",
          level: "street",
          children: [{ name: "南关社区", level: "community", children: [{ name: "南关社区第1网格", level: "grid" }] }],
        },
      ],
    },
    { code: "620722", level: "county", kind: "county", nameZh: "民乐县", nameEn: "Minle County" },
  ],
};

const dir = mkdtempSync(join(tmpdir(), "hexi-bootstrap-"));
const { client, db } = openDatabase(`file:${join(dir, "b.db")}`);
const now = new Date("2026-12-04T00:00:00Z");
afterAll(() => {
  client.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeAll(() => migrateDatabase(db));

describe("bootstrap", () => {
  it("creates another city's tenants from a file, each county with its root and first tree, once", async () => {
    const specs = tenantsFileSchema.parse(zhangye);
    const first = await bootstrapTenants(db, specs, now);
    expect(first).toMatchObject({ created: ["620700", "620702", "620722"], updated: [], divisions: 5 });
    const roots = await db.select().from(divisions);
    expect(roots.filter((d) => d.level === "county").map((d) => [d.tenantId, d.code, d.name])).toEqual([
      ["620702", "620702", "甘州区"],
      ["620722", "620722", "民乐县"],
    ]);
    const grid = roots.find((d) => d.level === "grid")!;
    expect(grid.path.split("/").filter(Boolean)).toHaveLength(4);

    const again = await bootstrapTenants(db, specs, now);
    expect(again).toMatchObject({ created: [], updated: [], unchanged: ["620700", "620702", "620722"], divisions: 0 });
    expect(await db.select().from(divisions)).toHaveLength(roots.length);

    // A renamed county is updated; a new county is added with its root.
    const renamed = tenantsFileSchema.parse({
      tenants: [
        ...zhangye.tenants.map((t) => (t.code === "620722" ? { ...t, nameEn: "Minle" } : t)),
        { code: "620723", level: "county", kind: "county", nameZh: "临泽县", nameEn: "Linze County" },
      ],
    });
    expect(await bootstrapTenants(db, renamed, now)).toMatchObject({
      created: ["620723"],
      updated: ["620722"],
      divisions: 1,
    });
  });

  it("takes the documented example file", () => {
    const example = JSON.parse(readFileSync(join(repoRoot, "docs/tenants.example.json"), "utf8"));
    expect(tenantsFileSchema.parse(example).map((t) => t.code)).toContain("620700");
  });

  it("refuses a second city in the same database, and files that are not one city", async () => {
    await expect(bootstrapTenants(db, jiuquanTenantSpecs, now)).rejects.toThrow(BootstrapError);
    expect((await db.select().from(tenants)).map((t) => t.code)).not.toContain("620900");
    const noCity = tenantsFileSchema.safeParse({ tenants: zhangye.tenants.slice(1) });
    expect(noCity.success).toBe(false);
    const wrongParent = tenantsFileSchema.safeParse([
      zhangye.tenants[0],
      { ...zhangye.tenants[2], parentCode: "620900" },
    ]);
    expect(wrongParent.success).toBe(false);
  });

  it("gives the file's city the city's reach: it reads across its counties, with no code naming it", async () => {
    const ctx = await createTestContext();
    try {
      const app = createApp({ ...ctx.deps, database: () => db });
      const as = async (tenant: string, roles: string[]) =>
        app.request("/v1/divisions?limit=100", {
          headers: {
            authorization: `Bearer ${await signToken(ctx.key, { tenant, roles: roles as never }, ctx.clock.now())}`,
          },
        });
      const city = await as("620700", ["city_admin"]);
      expect(city.status).toBe(200);
      const seen = new Set(((await city.json()) as { data: { tenant: string }[] }).data.map((d) => d.tenant));
      expect([...seen].sort()).toEqual(["620702", "620722", "620723"]);
      // County roles are refused in the city tenant, city roles in a county, as for Jiuquan.
      expect((await as("620700", ["county_admin"])).status).toBe(401);
      expect((await as("620702", ["city_admin"])).status).toBe(401);
      expect((await as("620702", ["county_admin"])).status).toBe(200);
    } finally {
      ctx.close();
    }
  });
});

describe("GET /", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it("answers the docs and OpenAPI links, as JSON or as a page for a browser", async () => {
    const json = await ctx.app.request("/");
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ links: { docs: "/docs", openapi: "/openapi.json" } });
    const html = await ctx.app.request("/", { headers: { accept: "text/html,application/xhtml+xml" } });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await html.text()).toContain('href="/docs"');
  });
});
