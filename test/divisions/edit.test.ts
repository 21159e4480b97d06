import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, divisions, outboxEvents } from "../../src/db/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import type { TestClock } from "../helpers/clock.js";
import { divisionNamed, insertUnit, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let county: DivisionRef;
let street: DivisionRef;
let otherStreet: DivisionRef;
let town: DivisionRef;
const countyAdmin: TokenOptions = { tenant: "620902", roles: ["county_admin"] };
let streetAdmin: TokenOptions;

beforeAll(async () => {
  ctx = await createTestContext();
  county = await divisionNamed(ctx, "620902", "肃州区");
  street = await divisionNamed(ctx, "620902", "东北街街道");
  otherStreet = await divisionNamed(ctx, "620902", "东南街街道");
  town = await divisionNamed(ctx, "620902", "银达镇");
  streetAdmin = { tenant: "620902", roles: ["street_admin"], org: street.id };
});
afterAll(() => ctx.close());

let n = 0;
async function create(who: TokenOptions, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return ctx.call(who, "POST", "/v1/divisions", body, headers);
}
async function newCommunity(parentId = street.id, who = countyAdmin) {
  const res = await create(who, { parentId, level: "community", name: `测试社区${++n}` });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; version: number; name: string };
}
const patch = (who: TokenOptions, id: string, body: unknown, version = 1) =>
  ctx.call(who, "PATCH", `/v1/divisions/${id}`, body, { "if-match": `"v${version}"` });
const pathOf = async (id: string) =>
  (await ctx.db.select({ path: divisions.path }).from(divisions).where(eq(divisions.id, id)))[0]!.path;

describe("creating divisions", () => {
  it("creates a community under a street with its path, an audit event and an outbox event, idempotently", async () => {
    const body = { parentId: street.id, level: "community", name: "新建社区", code: "620902001099" };
    const first = await create(countyAdmin, body, { "idempotency-key": "div-create-0001" });
    expect(first.status).toBe(201);
    expect(first.headers.get("etag")).toBe('"v1"');
    expect(first.body).toMatchObject({ parentId: street.id, level: "community", status: "active", tenant: "620902" });
    const again = await create(countyAdmin, body, { "idempotency-key": "div-create-0001" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect(await pathOf(first.body.id)).toBe(`${street.path}${first.body.id}/`);
    const audit = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, first.body.id));
    expect(audit.map((a) => a.action)).toEqual(["division.create"]);
    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, first.body.id));
    expect(events.map((e) => e.type)).toEqual(["division.created"]);
  });

  it("checks levels, names and codes", async () => {
    expect((await create(countyAdmin, { parentId: county.id, level: "grid", name: "错层网格" })).status).toBe(400);
    expect((await create(countyAdmin, { parentId: county.id, level: "county", name: "x" })).status).toBe(400);
    const dup = await create(countyAdmin, { parentId: street.id, level: "community", name: "富康社区" });
    expect(dup.status).toBe(409);
    const code = await create(countyAdmin, {
      parentId: street.id,
      level: "community",
      name: "重码",
      code: "620902001099",
    });
    expect(code.status).toBe(409);
    const town2 = await create(countyAdmin, { parentId: county.id, level: "town", name: "测试镇" });
    expect(town2.status).toBe(201);
  });

  it("keeps a street admin inside its subtree; another tenant's division is a 404", async () => {
    expect((await create(streetAdmin, { parentId: street.id, level: "community", name: "街道新社区" })).status).toBe(
      201,
    );
    const outside = await create(streetAdmin, { parentId: otherStreet.id, level: "community", name: "越界社区" });
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].pointer).toBe("/parentId");
    // Its own street is not its to rename; a division outside its subtree is not found at all.
    expect((await patch(streetAdmin, street.id, { name: "改名" })).status).toBe(403);
    expect((await patch(streetAdmin, otherStreet.id, { name: "改名" })).status).toBe(404);
    const dunhuang = await divisionNamed(ctx, "620982", "沙州镇");
    expect((await patch(countyAdmin, dunhuang.id, { name: "改名" })).status).toBe(404);
    expect((await ctx.call(countyAdmin, "POST", `/v1/divisions/${dunhuang.id}/retire`)).status).toBe(404);
    expect((await patch(countyAdmin, county.id, { name: "改名" })).status).toBe(409);
    const community = await newCommunity(street.id, streetAdmin);
    expect((await patch(streetAdmin, community.id, { name: `${community.name}甲` })).status).toBe(200);
  });

  it("answers 403 to roles without divisions:write and to the city", async () => {
    const member = await create(
      { tenant: "620902", roles: ["community_admin"] },
      { parentId: street.id, level: "community", name: "x" },
    );
    expect(member.status).toBe(403);
    const city = await create(
      { tenant: "620900", roles: ["city_admin"] },
      { parentId: street.id, level: "community", name: "x" },
    );
    expect(city.status).toBe(403);
  });
});

describe("renaming and moving", () => {
  it("renames with If-Match: 428 without, 412 when stale", async () => {
    const c = await newCommunity();
    expect((await ctx.call(countyAdmin, "PATCH", `/v1/divisions/${c.id}`, { name: "甲" })).status).toBe(428);
    const renamed = await patch(countyAdmin, c.id, { name: `${c.name}（更名）` });
    expect(renamed.status).toBe(200);
    expect(renamed.headers.get("etag")).toBe('"v2"');
    expect((await patch(countyAdmin, c.id, { name: "乙" }, 1)).status).toBe(412);
  });

  it("moves an empty community with its grids to another street, rewriting the subtree's paths", async () => {
    const c = await newCommunity();
    const grid = await create(countyAdmin, { parentId: c.id, level: "grid", name: "第一网格" });
    expect(grid.status).toBe(201);
    const moved = await patch(countyAdmin, c.id, { parentId: otherStreet.id });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.parentId).toBe(otherStreet.id);
    expect(await pathOf(c.id)).toBe(`${otherStreet.path}${c.id}/`);
    expect(await pathOf(grid.body.id)).toBe(`${otherStreet.path}${c.id}/${grid.body.id}/`);
    // The grid's version moved with its path.
    const gridNow = await ctx.call(countyAdmin, "GET", `/v1/divisions/${grid.body.id}`);
    expect(gridNow.headers.get("etag")).toBe('"v2"');
    // Levels still hold: a community never goes under a community or the county.
    const other = await newCommunity();
    expect((await patch(countyAdmin, other.id, { parentId: c.id })).status).toBe(400);
    expect((await patch(countyAdmin, other.id, { parentId: county.id })).status).toBe(400);
    expect((await patch(countyAdmin, c.id, { parentId: town.id }, 2)).status).toBe(200);
  });

  it("refuses a cycle: a division under itself or its own descendant", async () => {
    const c = await newCommunity();
    const grid = (await create(countyAdmin, { parentId: c.id, level: "grid", name: "环网格" })).body;
    // Levels make most cycles impossible; the path check refuses the rest, even for a same-level parent.
    const res = await patch(countyAdmin, c.id, { parentId: grid.id });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe("/parentId");
    const self = await patch(countyAdmin, c.id, { parentId: c.id });
    expect(self.status).toBe(400);
    expect(await pathOf(c.id)).toBe(`${street.path}${c.id}/`);
  });

  it("refuses to move a division whose subtree holds records", async () => {
    const c = await newCommunity();
    const grid = (await create(countyAdmin, { parentId: c.id, level: "grid", name: "有单位网格" })).body;
    await insertUnit(ctx, { id: grid.id, tenantId: "620902", path: await pathOf(grid.id), level: "grid", name: "g" });
    const res = await patch(countyAdmin, c.id, { parentId: otherStreet.id });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain("units");
    expect(await pathOf(c.id)).toBe(`${street.path}${c.id}/`);
    // Renaming it is fine.
    expect((await patch(countyAdmin, c.id, { name: `${c.name}乙` })).status).toBe(200);
  });
});

describe("the reach of a moved division's administrators", () => {
  it("follows the move within a minute (the directory caches a division's path that long)", async () => {
    const c = await newCommunity();
    const grid = (await create(countyAdmin, { parentId: c.id, level: "grid", name: "随迁网格" })).body;
    const admin: TokenOptions = { tenant: "620902", roles: ["community_admin"], org: c.id };
    expect((await ctx.call(admin, "GET", `/v1/divisions/${grid.id}`)).status).toBe(200);
    expect((await patch(countyAdmin, c.id, { parentId: otherStreet.id })).status).toBe(200);
    (ctx.clock as TestClock).advance(61_000);
    expect((await ctx.call(admin, "GET", `/v1/divisions/${grid.id}`)).status).toBe(200);
    const seen = await ctx.call(admin, "GET", `/v1/divisions?parentId=${c.id}`);
    expect(seen.body.data.map((d: { id: string }) => d.id)).toEqual([grid.id]);
  });
});

describe("retiring", () => {
  it("retires a division that keeps its records, takes no new ones, and can be reinstated", async () => {
    const c = await newCommunity();
    const grid = (await create(countyAdmin, { parentId: c.id, level: "grid", name: "退役网格" })).body;
    const unit = await insertUnit(ctx, {
      id: c.id,
      tenantId: "620902",
      path: await pathOf(c.id),
      level: "community",
      name: c.name,
    });
    // Sub-divisions first.
    const early = await ctx.call(countyAdmin, "POST", `/v1/divisions/${c.id}/retire`);
    expect(early.status).toBe(409);
    expect((await ctx.call(countyAdmin, "POST", `/v1/divisions/${grid.id}/retire`)).status).toBe(200);
    const retired = await ctx.call(countyAdmin, "POST", `/v1/divisions/${c.id}/retire`);
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ status: "retired", retiredAt: expect.any(String) });
    expect((await ctx.call(countyAdmin, "POST", `/v1/divisions/${c.id}/retire`)).status).toBe(409);
    // The record pointing at it still reads; new records and sub-divisions are refused.
    expect((await ctx.call(countyAdmin, "GET", `/v1/units/${unit.id}`)).status).toBe(200);
    const post = await ctx.call(countyAdmin, "POST", "/v1/units", { name: "新单位", kind: "organ", divisionId: c.id });
    expect(post.status).toBe(400);
    expect(post.body.errors[0]).toMatchObject({ pointer: "/divisionId", detail: expect.stringContaining("retired") });
    expect((await create(countyAdmin, { parentId: c.id, level: "grid", name: "新网格" })).status).toBe(400);
    expect((await patch(countyAdmin, c.id, { name: "改" }, 2)).status).toBe(409);
    const listed = await ctx.call(countyAdmin, "GET", `/v1/divisions?parentId=${street.id}&status=retired&limit=100`);
    expect(listed.body.data.map((d: { id: string }) => d.id)).toContain(c.id);
    expect((await ctx.call(countyAdmin, "POST", `/v1/divisions/${grid.id}/reinstate`)).status).toBe(409);
    const back = await ctx.call(countyAdmin, "POST", `/v1/divisions/${c.id}/reinstate`);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: "active", retiredAt: null });
    const events = await ctx.db
      .select({ type: outboxEvents.type })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.subjectId, c.id)));
    expect(events.map((e) => e.type)).toEqual(["division.created", "division.retired", "division.reinstated"]);
  });
});
