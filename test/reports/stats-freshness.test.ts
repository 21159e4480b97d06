import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statsMaxAgeMs } from "../../src/domains/stats/stats.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertOpenNeed } from "../helpers/fixtures.js";

let ctx: TestContext;
let now = Date.parse("2026-11-26T02:00:00Z");
beforeAll(async () => {
  ctx = await createTestContext({ clock: { now: () => new Date(now) } });
});
afterAll(() => ctx.close());

const county = { tenant: "620922", roles: ["county_admin" as const] };
const openNeeds = async () => (await ctx.call(county, "GET", "/v1/stats")).body.data[0].openNeeds as number;

async function addOpenNeed() {
  await insertOpenNeed(ctx, await divisionNamed(ctx, "620922", "府前社区"), now);
}

describe("stats freshness", () => {
  it("serves counts at most statsMaxAgeMs old, then recomputes them", async () => {
    const before = await openNeeds();
    await addOpenNeed();
    now += statsMaxAgeMs - 1_000;
    expect(await openNeeds()).toBe(before);
    now += 2_000;
    expect(await openNeeds()).toBe(before + 1);
  });

  it("shares one computation between concurrent readers and never mixes scopes", async () => {
    now += statsMaxAgeMs * 2;
    const [a, b] = await Promise.all([ctx.call(county, "GET", "/v1/stats"), ctx.call(county, "GET", "/v1/stats")]);
    expect(a.body).toEqual(b.body);
    const other = await ctx.call({ tenant: "620921", roles: ["county_admin"] }, "GET", "/v1/stats");
    expect(other.body.data.map((r: { tenant: string }) => r.tenant)).toEqual(["620921"]);
  });
});
