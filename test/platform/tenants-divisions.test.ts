import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countyTenantCodes } from "../../src/db/reference.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

interface Division {
  id: string;
  tenant: string;
  parentId: string | null;
  level: string;
  name: string;
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

async function getJson<T>(who: TokenOptions, path: string): Promise<{ status: number; body: T }> {
  const res = await ctx.as(who)(path);
  return { status: res.status, body: (await res.json()) as T };
}

async function allDivisions(who: TokenOptions, query = ""): Promise<Division[]> {
  const seen: Division[] = [];
  let cursor: string | null = null;
  do {
    const { status, body }: { status: number; body: Page<Division> } = await getJson<Page<Division>>(
      who,
      `/v1/divisions?limit=4${query}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(status).toBe(200);
    expect(body.data.length).toBeLessThanOrEqual(4);
    seen.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor);
  return seen;
}

describe("tenants", () => {
  it("a county sees only itself", async () => {
    const { body } = await getJson<Page<{ code: string }>>({ tenant: "620922" }, "/v1/tenants");
    expect(body.data.map((t) => t.code)).toEqual(["620922"]);
  });

  it("the city sees itself and all seven county-level tenants", async () => {
    const { body } = await getJson<Page<{ code: string; nameZh: string }>>(
      { tenant: "620900", roles: ["city_admin"] },
      "/v1/tenants?limit=100",
    );
    expect(body.data.map((t) => t.code).sort()).toEqual(["620900", ...countyTenantCodes].sort());
    expect(body.data.find((t) => t.code === "620923")?.nameZh).toBe("肃北蒙古族自治县");
  });

  it("pages the city's tenants in code order, keyed on the code", async () => {
    const city: TokenOptions = { tenant: "620900", roles: ["city_admin"] };
    const first = await getJson<Page<{ code: string }>>(city, "/v1/tenants?limit=5");
    const rest = await getJson<Page<{ code: string }>>(city, `/v1/tenants?limit=5&cursor=${first.body.nextCursor}`);
    expect(rest.body.nextCursor).toBeNull();
    expect([...first.body.data, ...rest.body.data].map((t) => t.code)).toEqual(["620900", ...countyTenantCodes].sort());
  });

  it("another tenant is a 404 identical to a tenant that does not exist", async () => {
    const other = await getJson<{ code: string; detail: string }>({ tenant: "620902" }, "/v1/tenants/620981");
    const missing = await getJson<{ code: string; detail: string }>({ tenant: "620902" }, "/v1/tenants/999999");
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.detail).toBe(missing.body.detail);
  });
});

describe("divisions", () => {
  it("pages through a tenant's tree with stable keyset cursors and no duplicates", async () => {
    const rows = await allDivisions({ tenant: "620902" });
    expect(rows.length).toBeGreaterThan(8);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.every((r) => r.tenant === "620902")).toBe(true);
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort());
    const newest = await allDivisions({ tenant: "620902" }, "&order=newest");
    expect(newest.map((r) => r.id)).toEqual(rows.map((r) => r.id).reverse());
    expect(rows.filter((r) => r.level === "street").map((r) => r.name)).toEqual([
      "东北街街道",
      "东南街街道",
      "工业园街道",
      "西北街街道",
      "西南街街道",
      "新城街道",
    ]);
  });

  it("filters by parent and level", async () => {
    const [county] = await allDivisions({ tenant: "620902" }, "&level=county");
    const children = await allDivisions({ tenant: "620902" }, `&parentId=${county!.id}`);
    expect(children.length).toBe(7);
    expect(children.every((c) => c.parentId === county!.id)).toBe(true);
    const communities = await allDivisions({ tenant: "620902" }, "&level=community");
    expect(communities.every((c) => c.level === "community")).toBe(true);
  });

  it("never shows another tenant's divisions, by list or by id", async () => {
    const dunhuang = await allDivisions({ tenant: "620982" });
    const asSuzhou = await allDivisions({ tenant: "620902" }, "&tenant=620982");
    expect(asSuzhou).toEqual([]);
    for (const d of dunhuang.slice(0, 3)) {
      const res = await getJson<{ code: string }>({ tenant: "620902" }, `/v1/divisions/${d.id}`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
  });

  it("narrows an org-scoped principal to its subtree", async () => {
    const all = await allDivisions({ tenant: "620902" });
    const street = all.find((d) => d.name === "东北街街道")!;
    const inside = await allDivisions({ tenant: "620902", roles: ["street_admin"], org: street.id });
    const expected = new Set([street.id]);
    for (const d of all) if (d.parentId && expected.has(d.parentId)) expected.add(d.id);
    expect(new Set(inside.map((d) => d.id))).toEqual(expected);
    const sibling = all.find((d) => d.name === "东南街街道")!;
    expect(
      (await getJson({ tenant: "620902", roles: ["street_admin"], org: street.id }, `/v1/divisions/${sibling.id}`))
        .status,
    ).toBe(404);
    expect(
      (await getJson({ tenant: "620902", roles: ["street_admin"], org: street.id }, `/v1/divisions/${street.id}`))
        .status,
    ).toBe(200);
  });

  it("lets the city read across all seven tenants and narrow to one", async () => {
    const city = { tenant: "620900", roles: ["city_admin" as const] };
    const everything = await allDivisions(city, "&level=county");
    expect(everything.map((d) => d.tenant).sort()).toEqual([...countyTenantCodes].sort());
    const yumen = await allDivisions(city, "&tenant=620981");
    expect(yumen.length).toBeGreaterThan(0);
    expect(yumen.every((d) => d.tenant === "620981")).toBe(true);
  });

  it("rejects a cursor it did not issue", async () => {
    const res = await getJson<{ code: string }>({}, "/v1/divisions?cursor=eyJ4IjoxfQ");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_cursor");
  });
});
