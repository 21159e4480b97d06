import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { ledgerEntries } from "../../src/domains/activities/tables.js";
import { trendQueries } from "../../src/domains/stats/trends.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef, insertOpenNeed } from "../helpers/fixtures.js";

/** Months far from the demo seed's records, so every figure below is one this file wrote. */
let ctx: TestContext;
const now = Date.parse("2030-03-15T02:00:00Z");
let fukang: DivisionRef;
let yumenCommunity: DivisionRef;
const county = { tenant: "620902", roles: ["county_admin" as const] };
const city = { tenant: "620900", roles: ["city_admin" as const] };

const need = (community: DivisionRef, at: string) => insertOpenNeed(ctx, community, Date.parse(at));

async function hours(community: DivisionRef, at: string, value: number) {
  const ms = Date.parse(at);
  await ctx.db.insert(ledgerEntries).values({
    id: newId("led", ms),
    tenantId: community.tenantId,
    memberId: null,
    volunteerId: null,
    divisionPath: community.path,
    year: 2030,
    quarter: "2030-Q1",
    hours: value,
    points: 0,
    sourceType: "correction",
    sourceId: newId("src", ms),
    reversesId: null,
    reason: "test",
    createdBy: "test",
    createdAt: at,
  });
}

beforeAll(async () => {
  ctx = await createTestContext({ clock: { now: () => new Date(now) } });
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  yumenCommunity = await divisionNamed(ctx, "620981", "北坪社区");
  // 2030-01-31 23:59:59 and 2030-02-01 00:00:00 China Standard Time: January, then February.
  await need(fukang, "2030-01-31T15:59:59.999Z");
  await need(fukang, "2030-01-31T16:00:00.000Z");
  await need(yumenCommunity, "2030-03-01T00:00:00.000Z");
  await hours(fukang, "2030-03-02T00:00:00.000Z", 2.5);
  await hours(fukang, "2030-03-03T00:00:00.000Z", 1.25);
});
afterAll(() => ctx.close());

const zero = { memberReports: 0, orgReports: 0, needs: 0, projects: 0, serviceHours: 0, employerFeedback: 0 };

describe("GET /v1/stats/trends", () => {
  it("counts per local month, zeros included, in the caller's scope", async () => {
    const res = await ctx.call(county, "GET", "/v1/stats/trends?from=2029-12&to=2030-03");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: "2029-12",
      to: "2030-03",
      data: [
        { month: "2029-12", ...zero },
        { month: "2030-01", ...zero, needs: 1 },
        { month: "2030-02", ...zero, needs: 1 },
        { month: "2030-03", ...zero, serviceHours: 3.75 },
      ],
    });
    // The city sums the counties: 玉门's need too.
    const cityRes = await ctx.call(city, "GET", "/v1/stats/trends?from=2030-03&to=2030-03");
    expect(cityRes.body.data).toEqual([{ month: "2030-03", ...zero, needs: 1, serviceHours: 3.75 }]);
    // A street elsewhere in 肃州 sees none of 富康's.
    const elsewhere = await divisionNamed(ctx, "620902", "东南街街道");
    const street = { tenant: "620902", roles: ["street_admin" as const], org: elsewhere.id };
    const narrowed = await ctx.call(street, "GET", "/v1/stats/trends?from=2030-01&to=2030-03");
    expect(narrowed.body.data.map((p: { needs: number }) => p.needs)).toEqual([0, 0, 0]);
  });

  it("defaults to the twelve months up to this one", async () => {
    const res = await ctx.call(county, "GET", "/v1/stats/trends");
    expect(res.body.from).toBe("2029-04");
    expect(res.body.to).toBe("2030-03");
    expect(res.body.data).toHaveLength(12);
  });

  it("refuses a reversed or too long range, and a malformed month, at the field", async () => {
    const pointer = async (q: string) => {
      const res = await ctx.call(county, "GET", `/v1/stats/trends?${q}`);
      expect(res.status).toBe(400);
      return res.body.errors[0].pointer;
    };
    expect(await pointer("from=2030-03&to=2030-01")).toBe("/from");
    expect(await pointer("from=2028-01&to=2030-01")).toBe("/from");
    expect(await pointer("to=2030-13")).toBe("/to");
  });

  it("needs stats:read", async () => {
    const res = await ctx.call({ tenant: "620902", roles: ["member"] }, "GET", "/v1/stats/trends");
    expect(res.status).toBe(403);
  });

  it("reads each metric with one index range, on (tenant_id, id) or, in a subtree, (tenant_id, division_path)", async () => {
    for (const scope of [{}, { tenant: "620902" }, { tenant: "620902", path: fukang.path }]) {
      for (const [metric, query] of Object.entries(trendQueries(ctx.db, scope, { from: 24360, to: 24371 }))) {
        const plan = await ctx.db.all<{ detail: string }>(sql`explain query plan ${query.getSQL()}`);
        const steps = plan
          .map((p) => p.detail)
          .filter((d) => /^(SCAN|SEARCH) /.test(d) && !/^(SCAN|SEARCH) tenants\b/.test(d));
        expect(steps, `${metric} ${JSON.stringify(scope)} ${JSON.stringify(plan)}`).toHaveLength(1);
        expect(steps[0], `${metric} ${JSON.stringify(scope)}`).toMatch(
          "path" in scope
            ? /^SEARCH \w+ USING (COVERING )?INDEX \w+ \(tenant_id=\? AND (id>\? AND id<\?|division_path>\? AND division_path<\?)\)/
            : /^SEARCH \w+ USING (COVERING )?INDEX \w+_tenant_id_idx \(tenant_id=\? AND id>\? AND id<\?\)/,
        );
      }
    }
  });
});
