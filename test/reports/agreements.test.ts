import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../../src/db/tables.js";
import { agreements, orgReports } from "../../src/domains/reports/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import type { TokenOptions } from "../helpers/keys.js";
import { auditOf, eventsOf, expectPointer, ids, insertOrgReport, reportsWorld, type World } from "./helpers.js";

let ctx: TestContext;
let w: World;

beforeAll(async () => {
  ctx = await createTestContext();
  w = await reportsWorld(ctx);
});
afterAll(() => ctx.close());

const body = (over: Record<string, unknown> = {}) => ({
  unitOrgId: w.orgs.unitA.id,
  communityOrgId: w.orgs.fukang.id,
  startsOn: "2026-01-01",
  endsOn: "2028-12-31",
  liaisonName: "李强",
  links: ["organisation", "venue"],
  ...over,
});
const sign = (who: TokenOptions, over: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  ctx.call(who, "POST", "/v1/agreements", body(over), headers);
const patchLink = (code: string, patch: Record<string, unknown>, version: number) =>
  ctx.call(w.who.city, "PATCH", `/v1/five-links/${code}`, patch, { "if-match": `"v${version}"` });
const reportOf = async (id: string) => (await ctx.db.select().from(orgReports).where(eq(orgReports.id, id)))[0]!;

describe("five links", () => {
  it("lists the five seeded links in order for any authenticated principal", async () => {
    for (const who of [w.who.city, w.who.county, w.who.unitAdminA, { tenant: "620902", roles: ["member" as const] }]) {
      const res = await ctx.call(who, "GET", "/v1/five-links");
      expect(res.status).toBe(200);
      expect(res.body.data.map((l: { code: string }) => l.code)).toEqual([
        "organisation",
        "venue",
        "activity",
        "resource",
        "service",
      ]);
    }
    const one = await ctx.call(w.who.county, "GET", "/v1/five-links/venue");
    expect(one.body).toMatchObject({ code: "venue", nameZh: "阵地联用", active: true, version: 1 });
    expect(one.headers.get("etag")).toBe('"v1"');
    expect((await ctx.call(w.who.county, "GET", "/v1/five-links/nothing")).status).toBe(404);
  });

  it("is edited by the city only, with If-Match, audited in the city's trail", async () => {
    const edit = { nameZh: "治理联抓", nameEn: "Governance co-managed" };
    for (const who of [w.who.county, w.who.fukangAdmin, w.who.dunhuang, w.who.auditor]) {
      expect((await ctx.call(who, "PATCH", "/v1/five-links/service", edit, { "if-match": '"v1"' })).status).toBe(403);
    }
    expect((await ctx.call(w.who.city, "PATCH", "/v1/five-links/service", edit)).status).toBe(428);
    expect((await patchLink("service", edit, 3)).status).toBe(412);
    expectPointer(await patchLink("service", { position: 0 }, 1), "/position");
    expectPointer(await patchLink("service", { code: "x" }, 1), "/code");
    expect((await patchLink("nothing", edit, 1)).status).toBe(404);
    const ok = await patchLink("service", edit, 1);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ code: "service", ...edit, position: 5, active: true, version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');
    expect((await patchLink("service", { nameZh: "again" }, 1)).status).toBe(412);
    expect((await ctx.call(w.who.unitAdminA, "GET", "/v1/five-links/service")).body.nameZh).toBe("治理联抓");
    const trail = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetType, "five_link"), eq(auditEvents.targetId, "service")));
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ tenantId: "620900", action: "five_link.update", actor: "jwt:620900:city-1" });
  });
});

describe("agreements", () => {
  it("signs an agreement and activates the unit's received report to that community, in one write", async () => {
    const received = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.fukang, { status: "received" });
    const submitted = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.fukang, { status: "submitted" });
    const elsewhere = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.beiyuan, { status: "received" });
    const res = await sign(w.who.fukangAdmin);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      unitOrgId: w.orgs.unitA.id,
      communityOrgId: w.orgs.fukang.id,
      links: ["organisation", "venue"],
      version: 1,
    });
    expect(res.body.id).toMatch(/^agr_/);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/agreements/${res.body.id}`);
    expect((await eventsOf(ctx, res.body.id)).map((e) => e.type)).toEqual(["agreement.signed"]);

    expect(await reportOf(received.id)).toMatchObject({ status: "active", version: 2 });
    expect((await eventsOf(ctx, received.id)).map((e) => e.type)).toEqual(["org_report.activated"]);
    expect((await auditOf(ctx, received.id))[0]).toMatchObject({
      action: "org_report.activate",
      changes: { status: ["received", "active"], agreementId: res.body.id },
    });
    expect(await reportOf(submitted.id)).toMatchObject({ status: "submitted", version: 1 });
    expect(await reportOf(elsewhere.id)).toMatchObject({ status: "received", version: 1 });
  });

  it("validates links: non-empty, distinct, existing and active, with a pointer per link", async () => {
    expectPointer(await sign(w.who.county, { links: [] }), "/links");
    expectPointer(await sign(w.who.county, { links: ["organisation", "bogus"] }), "/links/1");
    expectPointer(await sign(w.who.county, { links: ["venue", "Venue!"] }), "/links/1");
    expectPointer(await sign(w.who.county, { links: ["venue", "activity", "venue"] }), "/links/2");
    const retired = await patchLink("resource", { active: false }, 1);
    expect(retired.body.active).toBe(false);
    const res = await sign(w.who.county, { links: ["organisation", "resource", "nope"] });
    expectPointer(res, "/links/1");
    expectPointer(res, "/links/2");
    expect(res.body.errors).toHaveLength(2);
    expect((await patchLink("resource", { active: true }, 2)).status).toBe(200);
    expect((await sign(w.who.county, { links: ["resource"] })).status).toBe(201);
  });

  it("checks the term, the organisations' category, tenant and reach", async () => {
    expectPointer(await sign(w.who.county, { endsOn: "2026-01-01" }), "/endsOn");
    expectPointer(await sign(w.who.county, { startsOn: "2026-02-30" }), "/startsOn");
    expectPointer(await sign(w.who.county, { unitOrgId: w.orgs.beiyuan.id }), "/unitOrgId");
    expectPointer(await sign(w.who.county, { communityOrgId: w.orgs.unitB.id }), "/communityOrgId");
    expectPointer(await sign(w.who.county, { communityOrgId: w.orgs.dhCommunity.id }), "/communityOrgId");
    expectPointer(await sign(w.who.dunhuang, { unitOrgId: w.orgs.dhUnit.id }), "/communityOrgId");
    expectPointer(await sign(w.who.dongyuanAdmin, { unitOrgId: w.orgs.unitB.id }), "/unitOrgId");
    expectPointer(await sign(w.who.dongnanStreet, { unitOrgId: w.orgs.unitB.id }), "/communityOrgId");
    expectPointer(await sign(w.who.county, { tenantId: "620982" }), "/tenantId");
    for (const who of [w.who.unitAdminA, w.who.city, w.who.auditor, { tenant: "620902", roles: ["member" as const] }]) {
      expect((await sign(who)).status).toBe(403);
    }
    expect(
      (
        await sign(w.who.dongnanStreet, {
          unitOrgId: w.orgs.unitB.id,
          communityOrgId: w.orgs.dongyuan.id,
          links: ["service"],
        })
      ).status,
    ).toBe(201);
  });

  it("replays an idempotent create", async () => {
    const headers = { "idempotency-key": "agr-create-0001" };
    const first = await sign(w.who.county, { liaisonName: "幂等" }, headers);
    const retry = await sign(w.who.county, { liaisonName: "幂等" }, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await ctx.db.select().from(agreements).where(eq(agreements.liaisonName, "幂等"))).toHaveLength(1);
  });

  it("reads within reach and filters by unit, community and link", async () => {
    const dongyuanDeal = await sign(w.who.county, {
      unitOrgId: w.orgs.unitB.id,
      communityOrgId: w.orgs.dongyuan.id,
      links: ["activity", "service"],
    });
    const list = (who: TokenOptions, q = "") => ctx.call(who, "GET", `/v1/agreements?limit=100${q}`);
    const get = (who: TokenOptions) => ctx.call(who, "GET", `/v1/agreements/${dongyuanDeal.body.id}`);
    for (const who of [w.who.county, w.who.dongnanStreet, w.who.dongyuanAdmin, w.who.unitAdminB, w.who.city])
      expect((await get(who)).status, JSON.stringify(who)).toBe(200);
    for (const who of [w.who.dunhuang, w.who.dongbeiStreet, w.who.fukangAdmin, w.who.unitAdminA])
      expect((await get(who)).status, JSON.stringify(who)).toBe(404);

    const unitA = (await list(w.who.unitAdminA)).body.data as { unitOrgId: string }[];
    expect(unitA.length).toBeGreaterThan(0);
    expect(unitA.every((a) => a.unitOrgId === w.orgs.unitA.id)).toBe(true);
    expect((await list(w.who.dunhuang)).body.data).toEqual([]);
    expect(ids(await list(w.who.county, `&communityOrgId=${w.orgs.dongyuan.id}&link=activity`))).toEqual([
      dongyuanDeal.body.id,
    ]);
    const withVenue = (await list(w.who.county, "&link=venue")).body.data as { links: string[] }[];
    expect(withVenue.length).toBeGreaterThan(0);
    expect(withVenue.every((a) => a.links.includes("venue"))).toBe(true);
    expect(ids(await list(w.who.county, `&unitOrgId=${w.orgs.unitB.id}`))).toContain(dongyuanDeal.body.id);
    expect(ids(await list(w.who.county, `&unitOrgId=${w.orgs.unitA.id}`))).not.toContain(dongyuanDeal.body.id);
    expectPointer(await list(w.who.county, "&link=NO"), "/link");
  });

  it("updates with If-Match: 428, 412, term and link checks; a retired link may stay but not be added", async () => {
    const created = await sign(w.who.county, { links: ["organisation", "activity"] });
    const path = `/v1/agreements/${created.body.id}`;
    const patch = (p: Record<string, unknown>, version: number, who = w.who.fukangAdmin) =>
      ctx.call(who, "PATCH", path, p, { "if-match": `"v${version}"` });
    expect((await ctx.call(w.who.fukangAdmin, "PATCH", path, { liaisonName: "赵六" })).status).toBe(428);
    expect((await patch({ liaisonName: "赵六" }, 4)).status).toBe(412);
    expectPointer(await patch({ endsOn: "2025-12-31" }, 1), "/endsOn");
    expectPointer(await patch({ links: ["organisation", "made_up"] }, 1), "/links/1");
    expectPointer(await patch({ unitOrgId: w.orgs.unitB.id }, 1), "/unitOrgId");
    expect((await patch({ liaisonName: "赵六" }, 1, w.who.dongyuanAdmin)).status).toBe(404);
    expect((await patch({ liaisonName: "赵六" }, 1, w.who.unitAdminA)).status).toBe(403);
    const ok = await patch({ endsOn: "2029-12-31", liaisonName: "赵六" }, 1);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ endsOn: "2029-12-31", liaisonName: "赵六", version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');

    const current = (await ctx.call(w.who.city, "GET", "/v1/five-links/activity")).body.version as number;
    expect((await patchLink("activity", { active: false }, current)).status).toBe(200);
    expect((await patch({ links: ["organisation", "activity", "venue"] }, 2)).status).toBe(200);
    const other = await sign(w.who.county, { links: ["organisation"] });
    expectPointer(
      await ctx.call(
        w.who.county,
        "PATCH",
        `/v1/agreements/${other.body.id}`,
        { links: ["organisation", "activity"] },
        { "if-match": '"v1"' },
      ),
      "/links/1",
    );
    expect((await patchLink("activity", { active: true }, current + 1)).status).toBe(200);
    expect((await ctx.call(w.who.county, "GET", path)).body).toMatchObject({
      links: ["organisation", "activity", "venue"],
      version: 3,
    });
  });
});
