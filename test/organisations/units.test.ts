import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let dongbei: DivisionRef; // 东北街街道, Suzhou
let dongnan: DivisionRef; // 东南街街道, Suzhou
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };

beforeAll(async () => {
  ctx = await createTestContext();
  dongbei = await divisionNamed(ctx, "620902", "东北街街道");
  dongnan = await divisionNamed(ctx, "620902", "东南街街道");
});
afterAll(() => ctx.close());

const unitBody = (over: Record<string, unknown> = {}) => ({
  name: "酒泉市自然资源局",
  kind: "organ",
  divisionId: dongbei.id,
  ...over,
});
const count = async (who: TokenOptions) =>
  (await ctx.call(who, "GET", "/v1/units?limit=100")).body.data.length as number;

describe("units", () => {
  it("creates a unit with ETag, Location and an audit event in the same write", async () => {
    const res = await ctx.call(county, "POST", "/v1/units", unitBody({ creditCode: "11620900013921234X" }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      name: "酒泉市自然资源局",
      kind: "organ",
      divisionId: dongbei.id,
      version: 1,
    });
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/units/${res.body.id}`);
    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${res.body.id}`);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      action: "unit.create",
      targetType: "unit",
      actor: "jwt:620902:county-1",
      requestId: res.headers.get("x-request-id"),
    });
  });

  it("rejects a duplicate credit code in the tenant with 409 and writes nothing", async () => {
    const before = await count(county);
    const res = await ctx.call(
      county,
      "POST",
      "/v1/units",
      unitBody({ creditCode: "11620900013921234X", name: "另一个" }),
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("conflict");
    expect(await count(county)).toBe(before);
  });

  it("replays an idempotent create and refuses the key with another body", async () => {
    const headers = { "idempotency-key": "unit-create-0001" };
    const first = await ctx.call(county, "POST", "/v1/units", unitBody({ name: "幂等单位" }), headers);
    const before = await count(county);
    const retry = await ctx.call(county, "POST", "/v1/units", unitBody({ name: "幂等单位" }), headers);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await count(county)).toBe(before);
    const other = await ctx.call(county, "POST", "/v1/units", unitBody({ name: "别的单位" }), headers);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("idempotency_key_reused");
    // The same key from another caller is that caller's own key.
    const otherCaller = await ctx.call(
      { ...county, sub: "county-2" },
      "POST",
      "/v1/units",
      unitBody({ name: "别的单位" }),
      headers,
    );
    expect(otherCaller.status).toBe(201);
  });

  it("rejects unknown fields, server-owned fields and bad values with pointers", async () => {
    for (const [body, pointer] of [
      [unitBody({ tenantId: "620981" }), "/tenantId"],
      [unitBody({ version: 9 }), "/version"],
      [unitBody({ kind: "bank" }), "/kind"],
      [unitBody({ creditCode: "123" }), "/creditCode"],
      [unitBody({ name: "" }), "/name"],
    ] as const) {
      const res = await ctx.call(county, "POST", "/v1/units", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    const broken = await ctx.app.request("/v1/units", {
      method: "POST",
      headers: { authorization: `Bearer ${await ctx.token(county)}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(broken.status).toBe(400);
  });

  it("refuses a division outside the caller's tenant or subtree", async () => {
    const dunhuang = await divisionNamed(ctx, "620982", "沙州镇");
    const foreign = await ctx.call(county, "POST", "/v1/units", unitBody({ divisionId: dunhuang.id }));
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].pointer).toBe("/divisionId");
    const street = { tenant: "620902", roles: ["street_admin" as const], org: dongbei.id };
    expect((await ctx.call(street, "POST", "/v1/units", unitBody({ divisionId: dongnan.id }))).status).toBe(400);
    expect((await ctx.call(street, "POST", "/v1/units", unitBody({ name: "街道单位" }))).status).toBe(201);
  });

  it("needs orgs:write to create", async () => {
    for (const roles of [["member"], ["unit_admin"], ["auditor"], ["community_admin"]] as const) {
      const res = await ctx.call({ tenant: "620902", roles: [...roles] }, "POST", "/v1/units", unitBody());
      expect(res.status, roles[0]).toBe(403);
    }
    expect((await ctx.call({ tenant: "620900", roles: ["city_admin"] }, "POST", "/v1/units", unitBody())).status).toBe(
      403,
    );
  });

  it("keeps tenants apart and narrows subtree readers", async () => {
    const created = await ctx.call(
      county,
      "POST",
      "/v1/units",
      unitBody({ name: "东南街单位", divisionId: dongnan.id }),
    );
    const otherCounty = { tenant: "620981", roles: ["county_admin" as const] };
    expect((await ctx.call(otherCounty, "GET", `/v1/units/${created.body.id}`)).status).toBe(404);
    expect((await ctx.call(otherCounty, "GET", "/v1/units")).body.data).toEqual([]);
    const street = { tenant: "620902", roles: ["street_admin" as const], org: dongbei.id };
    expect((await ctx.call(street, "GET", `/v1/units/${created.body.id}`)).status).toBe(404);
    const streetList = (await ctx.call(street, "GET", "/v1/units?limit=100")).body.data as { divisionId: string }[];
    expect(streetList.length).toBeGreaterThan(0);
    expect(streetList.every((u) => u.divisionId === dongbei.id)).toBe(true);
    const city = await ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", `/v1/units/${created.body.id}`);
    expect(city.status).toBe(200);
  });

  it("pages with a cursor and filters by kind", async () => {
    await ctx.call(county, "POST", "/v1/units", unitBody({ name: "企业甲", kind: "enterprise" }));
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await ctx.call(
        county,
        "GET",
        `/v1/units?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      all.push(...page.body.data.map((u) => u.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all.length).toBe(await count(county));
    expect(new Set(all).size).toBe(all.length);
    const enterprises = (await ctx.call(county, "GET", "/v1/units?kind=enterprise")).body.data as { kind: string }[];
    expect(enterprises.map((u) => u.kind)).toEqual(["enterprise"]);
  });

  it("updates only with a current If-Match: 428 without, 412 when stale, and nothing changes", async () => {
    const created = await ctx.call(county, "POST", "/v1/units", unitBody({ name: "待改单位" }));
    const path = `/v1/units/${created.body.id}`;
    expect((await ctx.call(county, "PATCH", path, { name: "改名" })).status).toBe(428);
    const ok = await ctx.call(county, "PATCH", path, { name: "改名" }, { "if-match": '"v1"' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: "改名", version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');
    const stale = await ctx.call(county, "PATCH", path, { name: "再改" }, { "if-match": '"v1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe("precondition_failed");
    const now = await ctx.call(county, "GET", path);
    expect(now.body).toMatchObject({ name: "改名", version: 2 });
    expect(now.headers.get("etag")).toBe('"v2"');
    expect((await ctx.call(county, "PATCH", path, { tenantId: "620981" }, { "if-match": '"v2"' })).status).toBe(400);
    expect(
      (
        await ctx.call(
          { tenant: "620981", roles: ["county_admin"] },
          "PATCH",
          path,
          { name: "x" },
          { "if-match": '"v2"' },
        )
      ).status,
    ).toBe(404);
  });
});
