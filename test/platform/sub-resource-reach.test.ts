import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/routes.js";
import { createActivity, createWorld } from "../activities/setup.js";
import type { TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/**
 * A sub-resource of a record (`GET /v1/<things>/{id}/<part>`) must not tell anyone more than the
 * record itself does: for every principal it is a 404 exactly when the record is, so it never
 * confirms that a record outside the caller's reach exists. Every such path in the OpenAPI document
 * is checked; a new one fails here until it has a record to try.
 */

const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, unknown>> };
const subResources = Object.entries(doc.paths)
  .filter(([path, item]) => "get" in item && /^\/v1\/[a-z-]+\/\{id\}\/[a-z-]+$/.test(path))
  .map(([path]) => ({ path, parent: path.replace(/\/[a-z-]+$/, "") }));

/** Query a sub-resource needs to answer 200. */
const queries: Record<string, string> = { "/v1/members/{id}/balance": "?year=2026" };

let ctx: TestContext;
/** A record of each parent collection, in 富康社区 (东北街街道, Suzhou 620902). */
const records: Record<string, string> = {};
let principals: [string, TokenOptions][];

beforeAll(async () => {
  const world = await createWorld();
  ctx = world.ctx;
  const fukang = world.fukang;
  const dongnan = await divisionNamed(ctx, "620902", "东南街街道");
  const chunguang = await divisionNamed(ctx, "620902", "春光社区");
  const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-admin" };
  const fukangAdmin = world.admin;

  const member = await insertMember(ctx, fukang);
  const other = await insertMember(ctx, fukang);
  records["/v1/members/{id}"] = member.id;
  records["/v1/activities/{id}"] = (await createActivity(world)).id;
  const endpoint = await ctx.call(county, "POST", "/v1/webhook-endpoints", {
    url: "https://hooks.example.com/hexi",
    eventTypes: ["member_report.confirmed"],
  });
  expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
  records["/v1/webhook-endpoints/{id}"] = endpoint.body.id;
  const dutyList = await ctx.call(county, "POST", "/v1/duty-lists", { level: "community", title: "社区职责事项清单" });
  expect(dutyList.status, JSON.stringify(dutyList.body)).toBe(201);
  records["/v1/duty-lists/{id}"] = dutyList.body.id;
  const worker = await ctx.call(county, "POST", "/v1/community-workers", {
    communityId: fukang.id,
    name: "李娜",
    idCard: "620902198805010024",
    phone: "13812345678",
    post: "deputy",
    education: "bachelor",
    serviceStartDate: "2018-07-01",
  });
  expect(worker.status, JSON.stringify(worker.body)).toBe(201);
  records["/v1/community-workers/{id}"] = worker.body.id;
  const team = await ctx.call(county, "POST", "/v1/teams", {
    name: "富康社区急时小分队",
    mode: "emergency",
    divisionId: fukang.id,
    quorum: 1,
    responseDeadlineMinutes: 30,
  });
  expect(team.status, JSON.stringify(team.body)).toBe(201);
  records["/v1/teams/{id}"] = team.body.id;
  const incident = await ctx.call(county, "POST", "/v1/incidents", {
    type: "rainstorm_flood",
    level: "III",
    affectedDivisionIds: [fukang.id],
    headline: "富康社区暴雨内涝演练",
    instruction: "请到富康社区党群服务中心集结。",
    drill: true,
    dedupKey: "sub-resource-reach",
  });
  expect(incident.status, JSON.stringify(incident.body)).toBe(201);
  records["/v1/incidents/{id}"] = incident.body.incident.id;
  const certificate = await ctx.call(county, "POST", "/v1/certificates", {
    kind: "service_hours",
    holder: { memberId: member.id },
    period: { from: "2026-01-01", to: "2026-06-30" },
  });
  expect(certificate.status, JSON.stringify(certificate.body)).toBe(201);
  records["/v1/certificates/{id}"] = certificate.body.id;
  const platform = await ctx.call(county, "POST", "/v1/units", {
    name: "美团酒泉站",
    kind: "delivery_platform",
    divisionId: fukang.id,
  });
  const gigWorker = await ctx.call(county, "POST", "/v1/gig-workers", {
    name: "马小军",
    trade: "delivery",
    platformUnitId: platform.body.id,
    vehicleType: "e_bike",
    baseDivisionId: fukang.id,
    phone: "13909372046",
  });
  expect(gigWorker.status, JSON.stringify(gigWorker.body)).toBe(201);
  records["/v1/gig-workers/{id}"] = gigWorker.body.id;
  const citywide = await ctx.call({ tenant: "620900", roles: ["city_admin"] }, "POST", "/v1/citywide-incidents", {
    type: "snow_sandstorm",
    level: "II",
    affectedDivisionIds: [fukang.id],
    headline: "全域演练",
    instruction: "集结。",
    drill: true,
    dedupKey: "sub-resource-reach",
  });
  records["/v1/citywide-incidents/{id}"] = citywide.body.citywideIncident.id;

  principals = [
    ["the county", county],
    ["another county", { tenant: "620981", roles: ["county_admin"] }],
    ["the record's street", { tenant: "620902", roles: ["street_admin"], org: world.dongbei.id }],
    ["another street", { tenant: "620902", roles: ["street_admin"], org: dongnan.id }],
    ["the record's community", fukangAdmin],
    ["another community", { tenant: "620902", roles: ["community_admin"], org: chunguang.id }],
    ["a neighbouring community", { tenant: "620902", roles: ["community_admin"], org: world.beiyuan.id }],
    ["the member", { tenant: "620902", roles: ["member"], member: member.id }],
    ["another member", { tenant: "620902", roles: ["member"], member: other.id }],
    ["an auditor of another county", { tenant: "620982", roles: ["auditor"] }],
    ["the city", { tenant: "620900", roles: ["city_admin"] }],
  ];
});
afterAll(() => ctx.close());

describe("sub-resources of a record", () => {
  it("are found in the OpenAPI document", () => {
    expect(subResources.map((s) => s.path)).toEqual(
      expect.arrayContaining([
        "/v1/members/{id}/balance",
        "/v1/activities/{id}/participations",
        "/v1/webhook-endpoints/{id}/deliveries",
      ]),
    );
  });

  it("answer 404 to every principal the record itself is a 404 for, and never more", async () => {
    const failures: string[] = [];
    for (const { path, parent } of subResources) {
      const id = records[parent];
      if (!id) {
        failures.push(`${path}: no ${parent} record to try it with (add one above)`);
        continue;
      }
      for (const [who, token] of principals) {
        const record = await ctx.call(token, "GET", parent.replace("{id}", id));
        // Not `call`: a sub-resource may be an image (a certificate's QR code).
        const sub = await ctx.as(token)(path.replace("{id}", id) + (queries[path] ?? ""));
        if (sub.status === 403) continue; // lacks the sub-resource's scope: says nothing about the record
        const expected = record.status === 200 ? 200 : 404;
        if (sub.status !== expected)
          failures.push(`${path} as ${who}: ${sub.status} where ${parent} is ${record.status}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
