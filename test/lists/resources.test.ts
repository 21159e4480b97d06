import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resources } from "../../src/domains/lists/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let fukang: DivisionRef; // 富康社区
let beiyuan: DivisionRef; // 北苑社区
let unitOrg: { id: string }; // a unit party org located in 富康社区
let otherUnitOrg: { id: string }; // one in 北苑社区
let unitAdmin: TokenOptions;
let otherUnitAdmin: TokenOptions;
let member: { id: string; token: TokenOptions };
let otherMember: { id: string; token: TokenOptions };
let fukangAdmin: TokenOptions;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"] };
const otherCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"] };

const memberOf = async (residence: DivisionRef) => {
  const m = await insertMember(ctx, residence);
  return {
    id: m.id,
    token: { tenant: residence.tenantId, roles: ["member" as const], member: m.id, sub: `m-${m.id}` },
  };
};

beforeAll(async () => {
  ctx = await createTestContext();
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  unitOrg = await insertPartyOrg(ctx, fukang, { category: "unit", name: "市自然资源局机关党支部" });
  otherUnitOrg = await insertPartyOrg(ctx, beiyuan, { category: "unit", name: "市税务局机关党支部" });
  unitAdmin = { tenant: "620902", roles: ["unit_admin"], unit: unitOrg.id, sub: "unit-admin-1" };
  otherUnitAdmin = { tenant: "620902", roles: ["unit_admin"], unit: otherUnitOrg.id, sub: "unit-admin-2" };
  member = await memberOf(fukang);
  otherMember = await memberOf(beiyuan);
  fukangAdmin = { tenant: "620902", roles: ["community_admin"], org: fukang.id };
});
afterAll(() => ctx.close());

const body = (over: Record<string, unknown> = {}) => ({
  offeredBy: "unit_org",
  category: "场地",
  title: "会议室",
  description: "周末开放",
  quantity: 1,
  ...over,
});

describe("resources", () => {
  it("a unit admin offers for its own unit org; the resource sits in the org's division", async () => {
    const res = await ctx.call(unitAdmin, "POST", "/v1/resources", body());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      offeredBy: "unit_org",
      unitOrgId: unitOrg.id,
      memberId: null,
      category: "场地",
      quantity: 1,
      version: 1,
    });
    expect(res.headers.get("location")).toBe(`/v1/resources/${res.body.id}`);
    const [row] = await ctx.db.select().from(resources).where(eq(resources.id, res.body.id));
    expect(row!.divisionPath).toBe(fukang.path);
    // The community admin where the unit sits sees it; the neighbouring community's does not.
    expect((await ctx.call(fukangAdmin, "GET", `/v1/resources/${res.body.id}`)).status).toBe(200);
    expect(
      (
        await ctx.call(
          { tenant: "620902", roles: ["community_admin"], org: beiyuan.id },
          "GET",
          `/v1/resources/${res.body.id}`,
        )
      ).status,
    ).toBe(404);
  });

  it("a member offers for themselves", async () => {
    const res = await ctx.call(
      member.token,
      "POST",
      "/v1/resources",
      body({ offeredBy: "member", category: "法律咨询", title: "每月两小时法律咨询" }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ offeredBy: "member", memberId: member.id, unitOrgId: null });
  });

  it("ownership: a unit admin cannot offer for another unit, a member not for another member", async () => {
    const cases: [TokenOptions, Record<string, unknown>, string][] = [
      [unitAdmin, body({ unitOrgId: otherUnitOrg.id }), "/unitOrgId"],
      [member.token, body({ offeredBy: "member", memberId: otherMember.id }), "/memberId"],
      [member.token, body({ offeredBy: "unit_org", unitOrgId: unitOrg.id }), "/unitOrgId"],
      [member.token, body({ offeredBy: "unit_org" }), "/unitOrgId"],
      [unitAdmin, body({ offeredBy: "member" }), "/memberId"], // this unit admin's token names no member
    ];
    for (const [who, b, pointer] of cases) {
      const res = await ctx.call(who, "POST", "/v1/resources", b);
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(res.body.errors[0].pointer, JSON.stringify(b)).toBe(pointer);
    }
  });

  it("administrators record on behalf within reach, and must name who offers", async () => {
    const onBehalf = await ctx.call(fukangAdmin, "POST", "/v1/resources", body({ unitOrgId: unitOrg.id }));
    expect(onBehalf.status).toBe(201);
    expect(onBehalf.body.unitOrgId).toBe(unitOrg.id);
    const outside = await ctx.call(fukangAdmin, "POST", "/v1/resources", body({ unitOrgId: otherUnitOrg.id }));
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].pointer).toBe("/unitOrgId");
    const unnamed = await ctx.call(fukangAdmin, "POST", "/v1/resources", body());
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.errors[0].pointer).toBe("/unitOrgId");
    const byCounty = await ctx.call(
      county,
      "POST",
      "/v1/resources",
      body({ offeredBy: "member", memberId: otherMember.id }),
    );
    expect(byCounty.status).toBe(201);
    const foreign = await ctx.call(otherCounty, "POST", "/v1/resources", body({ unitOrgId: unitOrg.id }));
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].pointer).toBe("/unitOrgId");
    for (const roles of [["street_admin"], ["auditor"]] as const) {
      expect(
        (
          await ctx.call(
            { tenant: "620902", roles: [...roles] },
            "POST",
            "/v1/resources",
            body({ unitOrgId: unitOrg.id }),
          )
        ).status,
        roles[0],
      ).toBe(403);
    }
  });

  it("rejects bad bodies with pointers", async () => {
    for (const [b, pointer] of [
      [body({ offeredBy: "member", unitOrgId: unitOrg.id }), "/unitOrgId"],
      [body({ memberId: member.id }), "/memberId"],
      [body({ offeredBy: "street" }), "/offeredBy"],
      [body({ quantity: 0 }), "/quantity"],
      [body({ category: "x".repeat(51) }), "/category"],
      [body({ category: "  " }), "/category"],
      [body({ tenantId: "620981" }), "/tenantId"],
      [body({ unitOrgId: "org_bad" }), "/unitOrgId"],
    ] as const) {
      const res = await ctx.call(unitAdmin, "POST", "/v1/resources", b);
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        JSON.stringify(b),
      ).toContain(pointer);
    }
  });

  it("lists what each principal may see, with filters", async () => {
    const mine = await ctx.call(otherUnitAdmin, "POST", "/v1/resources", body({ category: "资金", title: "帮扶资金" }));
    expect(mine.status).toBe(201);
    const asOtherUnit = (await ctx.call(otherUnitAdmin, "GET", "/v1/resources?limit=100")).body.data as {
      id: string;
    }[];
    expect(asOtherUnit.map((r) => r.id)).toEqual([mine.body.id]);
    const asUnit = (await ctx.call(unitAdmin, "GET", "/v1/resources?limit=100")).body.data as { unitOrgId: string }[];
    expect(asUnit.length).toBeGreaterThan(0);
    expect(asUnit.every((r) => r.unitOrgId === unitOrg.id)).toBe(true);
    const asMember = (await ctx.call(member.token, "GET", "/v1/resources?limit=100")).body.data as {
      memberId: string;
    }[];
    expect(asMember.length).toBe(1);
    expect(asMember[0]!.memberId).toBe(member.id);
    const byCategory = (await ctx.call(county, "GET", "/v1/resources?category=资金")).body.data as { id: string }[];
    expect(byCategory.map((r) => r.id)).toEqual([mine.body.id]);
    const members = (await ctx.call(county, "GET", "/v1/resources?offeredBy=member&limit=100")).body.data as {
      offeredBy: string;
    }[];
    expect(members.length).toBe(2);
    expect(members.every((r) => r.offeredBy === "member")).toBe(true);
    expect(((await ctx.call(county, "GET", `/v1/resources?memberId=${member.id}`)).body.data as unknown[]).length).toBe(
      1,
    );
    expect(
      ((await ctx.call(county, "GET", `/v1/resources?unitOrgId=${otherUnitOrg.id}`)).body.data as unknown[]).length,
    ).toBe(1);
    expect((await ctx.call(otherCounty, "GET", "/v1/resources")).body.data).toEqual([]);
    expect((await ctx.call(county, "GET", "/v1/resources?offeredBy=bank")).body.errors[0].pointer).toBe("/offeredBy");
  });

  it("updates with If-Match (428, 412) only for whoever owns it, and replays idempotent creates", async () => {
    const created = await ctx.call(unitAdmin, "POST", "/v1/resources", body({ title: "待改资源" }), {
      "idempotency-key": "resource-0001",
    });
    const replay = await ctx.call(unitAdmin, "POST", "/v1/resources", body({ title: "待改资源" }), {
      "idempotency-key": "resource-0001",
    });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(created.body);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const path = `/v1/resources/${created.body.id}`;
    expect((await ctx.call(unitAdmin, "PATCH", path, { quantity: 3 })).status).toBe(428);
    const ok = await ctx.call(unitAdmin, "PATCH", path, { quantity: 3 }, { "if-match": '"v1"' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ quantity: 3, version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');
    expect((await ctx.call(unitAdmin, "PATCH", path, { quantity: 4 }, { "if-match": '"v1"' })).status).toBe(412);
    expect(
      (await ctx.call(unitAdmin, "PATCH", path, { unitOrgId: otherUnitOrg.id }, { "if-match": '"v2"' })).status,
    ).toBe(400);
    expect((await ctx.call(unitAdmin, "PATCH", path, {}, { "if-match": '"v2"' })).status).toBe(400);
    for (const who of [otherUnitAdmin, member.token, otherCounty]) {
      expect((await ctx.call(who, "PATCH", path, { quantity: 5 }, { "if-match": '"v2"' })).status).toBe(404);
      expect((await ctx.call(who, "GET", path)).status).toBe(404);
    }
    expect((await ctx.call(unitAdmin, "GET", path)).body.quantity).toBe(3);
  });
});
