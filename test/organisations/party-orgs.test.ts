import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../../src/db/tables.js";
import { partyOrgs } from "../../src/domains/organisations/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertPartyOrg, insertUnit, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let dongbei: DivisionRef; // 东北街街道, Suzhou
let fukang: DivisionRef; // 富康社区, under 东北街
let dongnan: DivisionRef; // 东南街街道, Suzhou
let shazhou: DivisionRef; // 沙州镇, Dunhuang
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const dunhuang: TokenOptions = { tenant: "620982", roles: ["county_admin"] };
let dongbeiStreet: TokenOptions;
let dongnanStreet: TokenOptions;

beforeAll(async () => {
  ctx = await createTestContext();
  dongbei = await divisionNamed(ctx, "620902", "东北街街道");
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  dongnan = await divisionNamed(ctx, "620902", "东南街街道");
  shazhou = await divisionNamed(ctx, "620982", "沙州镇");
  dongbeiStreet = { tenant: "620902", roles: ["street_admin"], org: dongbei.id };
  dongnanStreet = { tenant: "620902", roles: ["street_admin"], org: dongnan.id };
});
afterAll(() => ctx.close());

const orgBody = (over: Record<string, unknown> = {}) => ({
  name: "中共东北街街道工作委员会",
  type: "working_committee",
  category: "street_working_committee",
  divisionId: dongbei.id,
  ...over,
});

async function create(who: TokenOptions, over: Record<string, unknown> = {}) {
  const res = await ctx.call(who, "POST", "/v1/party-orgs", orgBody(over));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; version: number; parentId: string | null };
}
const ids = async (who: TokenOptions, query = "") =>
  ((await ctx.call(who, "GET", `/v1/party-orgs?limit=100${query}`)).body.data as { id: string }[]).map((o) => o.id);
const rowOf = async (id: string) => (await ctx.db.select().from(partyOrgs).where(eq(partyOrgs.id, id)))[0]!;

/** 东北街 working committee → 富康 community committee → a branch: a tree of three. */
async function tree() {
  const street = await create(county);
  const community = await create(county, {
    name: "中共富康社区委员会",
    type: "committee",
    category: "community",
    divisionId: fukang.id,
    parentId: street.id,
  });
  const branch = await create(county, {
    name: "富康社区第一党支部",
    type: "branch",
    category: "community",
    divisionId: fukang.id,
    parentId: community.id,
  });
  return { street, community, branch };
}

describe("party organisations", () => {
  it("creates an organisation with ETag, Location and its audit event", async () => {
    const res = await ctx.call(county, "POST", "/v1/party-orgs", orgBody({ secretaryName: "王芳" }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      type: "working_committee",
      category: "street_working_committee",
      parentId: null,
      unitId: null,
      secretaryName: "王芳",
      version: 1,
    });
    expect(res.body.id).toMatch(/^org_[0-9A-Z]{26}$/);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/party-orgs/${res.body.id}`);
    const audit = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, res.body.id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "party_org.create", targetType: "party_org", divisionPath: dongbei.path });
    const got = await ctx.call(county, "GET", `/v1/party-orgs/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    expect(got.headers.get("etag")).toBe('"v1"');
  });

  it("is a navigable tree: the top organisations, then each one's children", async () => {
    const { street, community, branch } = await tree();
    expect(await ids(county, "&root=true")).toContain(street.id);
    expect(await ids(county, "&root=true")).not.toContain(community.id);
    expect(await ids(county, "&root=false")).toEqual(expect.arrayContaining([community.id, branch.id]));
    expect(await ids(county, "&root=false")).not.toContain(street.id);
    expect(await ids(county, `&parentId=${street.id}`)).toEqual([community.id]);
    expect(await ids(county, `&parentId=${community.id}`)).toEqual([branch.id]);
    expect(await ids(county, `&parentId=${branch.id}`)).toEqual([]);
  });

  it("links a unit's party organisation to its unit and filters by unit, category, type and division", async () => {
    const unit = await insertUnit(ctx, dongbei);
    const org = await create(county, {
      name: "市自然资源局机关党委",
      type: "committee",
      category: "unit",
      unitId: unit.id,
    });
    expect(await ids(county, `&unitId=${unit.id}`)).toEqual([org.id]);
    const units = (await ctx.call(county, "GET", "/v1/party-orgs?limit=100&category=unit")).body.data as {
      category: string;
    }[];
    expect(units.length).toBeGreaterThan(0);
    expect(units.every((o) => o.category === "unit")).toBe(true);
    const branches = (await ctx.call(county, "GET", "/v1/party-orgs?limit=100&type=branch")).body.data as {
      type: string;
    }[];
    expect(branches.every((o) => o.type === "branch")).toBe(true);
    const inFukang = (await ctx.call(county, "GET", `/v1/party-orgs?limit=100&divisionId=${fukang.id}`)).body.data as {
      divisionId: string;
    }[];
    expect(inFukang.length).toBeGreaterThan(0);
    expect(inFukang.every((o) => o.divisionId === fukang.id)).toBe(true);
  });

  it("pages with a cursor", async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await ctx.call(
        county,
        "GET",
        `/v1/party-orgs?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      all.push(...page.body.data.map((o) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(await ids(county));
    expect(all.length).toBeGreaterThan(2);
  });

  it("rejects bad input and references outside the tenant or reach with pointers", async () => {
    const foreignOrg = await insertPartyOrg(ctx, shazhou);
    const foreignUnit = await insertUnit(ctx, shazhou);
    const dongnanOrg = await insertPartyOrg(ctx, dongnan);
    const cases: [TokenOptions, Record<string, unknown>, string][] = [
      [county, orgBody({ tenantId: "620982" }), "/tenantId"],
      [county, orgBody({ version: 3 }), "/version"],
      [county, orgBody({ type: "cell" }), "/type"],
      [county, orgBody({ category: "county" }), "/category"],
      [county, orgBody({ name: " " }), "/name"],
      [county, orgBody({ parentId: "not-an-org" }), "/parentId"],
      [county, orgBody({ parentId: foreignOrg.id }), "/parentId"],
      [county, orgBody({ unitId: foreignUnit.id }), "/unitId"],
      [county, orgBody({ divisionId: shazhou.id }), "/divisionId"],
      [dongbeiStreet, orgBody({ parentId: dongnanOrg.id }), "/parentId"],
      [dongbeiStreet, orgBody({ divisionId: dongnan.id }), "/divisionId"],
    ];
    for (const [who, body, pointer] of cases) {
      const res = await ctx.call(who, "POST", "/v1/party-orgs", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
  });

  it("needs orgs:write to write and orgs:read to read", async () => {
    for (const roles of [["community_admin"], ["unit_admin"], ["member"], ["auditor"]] as const) {
      expect(
        (await ctx.call({ tenant: "620902", roles: [...roles] }, "POST", "/v1/party-orgs", orgBody())).status,
        roles[0],
      ).toBe(403);
    }
    expect(
      (await ctx.call({ tenant: "620900", roles: ["city_admin"] }, "POST", "/v1/party-orgs", orgBody())).status,
    ).toBe(403);
    expect(
      (
        await ctx.call(
          { tenant: "620902", roles: ["member"], member: "mem_01KDVDNA011AKWK3RC504FTYF8" },
          "GET",
          "/v1/party-orgs",
        )
      ).status,
    ).toBe(403);
  });

  it("keeps tenants apart: another county's organisation is a 404 to read and to change", async () => {
    const org = await create(county, { name: "隔离测试党委" });
    const path = `/v1/party-orgs/${org.id}`;
    expect((await ctx.call(dunhuang, "GET", path)).status).toBe(404);
    expect((await ctx.call(dunhuang, "PATCH", path, { name: "x" }, { "if-match": '"v1"' })).status).toBe(404);
    expect(await ids(dunhuang)).not.toContain(org.id);
    expect((await rowOf(org.id)).name).toBe("隔离测试党委");
    expect((await ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", path)).status).toBe(200);
  });

  it("narrows a street to its subtree and a unit admin to its own unit organisation", async () => {
    const { street, community, branch } = await tree();
    const elsewhere = await create(county, { name: "中共东南街街道工作委员会", divisionId: dongnan.id });
    const dongbeiIds = await ids(dongbeiStreet);
    expect(dongbeiIds).toEqual(expect.arrayContaining([street.id, community.id, branch.id]));
    expect(dongbeiIds).not.toContain(elsewhere.id);
    expect((await ctx.call(dongnanStreet, "GET", `/v1/party-orgs/${branch.id}`)).status).toBe(404);
    expect(
      (await ctx.call(dongnanStreet, "PATCH", `/v1/party-orgs/${branch.id}`, { name: "x" }, { "if-match": '"v1"' }))
        .status,
    ).toBe(404);
    expect((await ctx.call(dongnanStreet, "GET", `/v1/party-orgs/${elsewhere.id}`)).status).toBe(200);

    const unitOrg = await create(county, { name: "某单位党支部", type: "branch", category: "unit" });
    const unitAdmin: TokenOptions = { tenant: "620902", roles: ["unit_admin"], unit: unitOrg.id };
    expect(await ids(unitAdmin)).toEqual([unitOrg.id]);
    expect((await ctx.call(unitAdmin, "GET", `/v1/party-orgs/${unitOrg.id}`)).status).toBe(200);
    expect((await ctx.call(unitAdmin, "GET", `/v1/party-orgs/${street.id}`)).status).toBe(404);
  });

  it("moves an organisation in the tree and refuses to make it its own ancestor", async () => {
    const { street, community, branch } = await tree();
    const path = `/v1/party-orgs/${street.id}`;
    for (const parentId of [street.id, community.id, branch.id]) {
      const res = await ctx.call(county, "PATCH", path, { parentId }, { "if-match": '"v1"' });
      expect(res.status, parentId).toBe(400);
      expect(res.body.errors[0].pointer).toBe("/parentId");
    }
    expect(await rowOf(street.id)).toMatchObject({ parentId: null, version: 1 });

    // The branch moves up under the street: legal, audited with where it came from.
    const moved = await ctx.call(
      county,
      "PATCH",
      `/v1/party-orgs/${branch.id}`,
      { parentId: street.id },
      { "if-match": '"v1"' },
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ parentId: street.id, version: 2 });
    const audit = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, branch.id), eq(auditEvents.action, "party_org.update")));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.changes).toEqual({ fields: ["parentId"], parentId: [community.id, street.id] });
    expect(await ids(county, `&parentId=${community.id}`)).toEqual([]);
    // And to the top of the tree.
    const top = await ctx.call(
      county,
      "PATCH",
      `/v1/party-orgs/${branch.id}`,
      { parentId: null },
      { "if-match": '"v2"' },
    );
    expect(top.body).toMatchObject({ parentId: null, version: 3 });
  });

  it("re-checks the tree inside the write: a concurrent move that would close a cycle rolls back", async () => {
    const { street, community } = await tree();
    const other = await create(county, { name: "另一棵树的根" });
    // A is moved under X; the check passes, then (before the write) someone moves X under A's child.
    const all = ctx.db.all.bind(ctx.db);
    ctx.db.all = (async (query: Parameters<typeof all>[0]) => {
      const result = await all(query);
      ctx.db.all = all;
      await ctx.db.update(partyOrgs).set({ parentId: community.id }).where(eq(partyOrgs.id, other.id));
      return result;
    }) as typeof ctx.db.all;
    const res = await ctx.call(
      county,
      "PATCH",
      `/v1/party-orgs/${street.id}`,
      { parentId: other.id },
      { "if-match": '"v1"' },
    );
    ctx.db.all = all;
    expect(res.status).toBe(412);
    expect(await rowOf(street.id)).toMatchObject({ parentId: null, version: 1 });
  });

  it("updates name, type and secretary only with a current If-Match", async () => {
    const org = await create(county, { name: "待改党组织" });
    const path = `/v1/party-orgs/${org.id}`;
    expect((await ctx.call(county, "PATCH", path, { name: "改名" })).status).toBe(428);
    const ok = await ctx.call(
      county,
      "PATCH",
      path,
      { name: "改名", type: "committee", secretaryName: "李明" },
      { "if-match": '"v1"' },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: "改名", type: "committee", secretaryName: "李明", version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');
    const stale = await ctx.call(county, "PATCH", path, { name: "再改" }, { "if-match": '"v1"' });
    expect(stale.status).toBe(412);
    expect(await rowOf(org.id)).toMatchObject({ name: "改名", version: 2 });
    for (const body of [{ category: "unit" }, { divisionId: fukang.id }, { tenantId: "620982" }, {}]) {
      expect((await ctx.call(county, "PATCH", path, body, { "if-match": '"v2"' })).status, JSON.stringify(body)).toBe(
        400,
      );
    }
  });
});
