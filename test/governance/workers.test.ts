import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { isCatalogued } from "../../src/domains/webhooks/catalogue.js";
import { communityWorkers } from "../../src/domains/governance/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";

let ctx: TestContext;
let street: DivisionRef;
let fukang: DivisionRef;
const county = { tenant: "620902", roles: ["county_admin" as const] };
const city = { tenant: "620900", roles: ["city_admin" as const] };
const streetAdmin = () => ({ tenant: "620902", roles: ["street_admin" as const], org: street.id });
const outsider = { tenant: "620981", roles: ["county_admin" as const] };

beforeAll(async () => {
  ctx = await createTestContext();
  street = await divisionNamed(ctx, "620902", "东北街街道");
  fukang = await divisionNamed(ctx, "620902", "富康社区");
});
afterAll(() => ctx.close());

const appoint = (fields: Record<string, unknown> = {}) =>
  ctx.call(streetAdmin(), "POST", "/v1/community-workers", {
    communityId: fukang.id,
    name: "李娜",
    idCard: "620902198805010024",
    phone: "13812345678",
    post: "deputy",
    education: "bachelor",
    serviceStartDate: "2018-07-01",
    socialWorkerLevel: "intermediate",
    ...fields,
  });

describe("community workers (社区工作者, 三岗十八级)", () => {
  it("appoints a worker with sealed, masked personal data, at the lowest grade of the post's tier", async () => {
    const worker = await appoint();
    expect(worker.status).toBe(201);
    expect(worker.body).toMatchObject({ tier: "deputy", grade: 4, idCard: "6209**********0024", phone: "138****5678" });
    const [stored] = await ctx.db.select().from(communityWorkers).where(eq(communityWorkers.id, worker.body.id));
    expect(JSON.stringify(stored)).not.toContain("620902198805010024");
    expect((await appoint()).status).toBe(409); // the same ID card twice in the tenant

    const revealed = await ctx.call(county, "GET", `/v1/community-workers/${worker.body.id}?reveal=pii`);
    expect(revealed.body.idCard).toBe("620902198805010024");
    const audit = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, worker.body.id));
    expect(audit.map((a) => a.action)).toContain("community_worker.pii_revealed");
    expect((await ctx.call(streetAdmin(), "GET", `/v1/community-workers/${worker.body.id}?reveal=pii`)).status).toBe(
      403,
    );
    expect((await ctx.call(city, "GET", `/v1/community-workers/${worker.body.id}`)).body.name).toBe("李*");
    expect((await ctx.call(outsider, "GET", `/v1/community-workers/${worker.body.id}`)).status).toBe(404);
  });

  it("keeps grades within the tier's band, records the history, and applies assessments", async () => {
    const worker = await appoint({ idCard: "620902199001010015", post: "member", grade: 11 });
    expect(worker.body).toMatchObject({ tier: "other", grade: 11 });
    expect((await appoint({ idCard: "62090219920101001X", post: "member", grade: 13 })).status).toBe(400);

    const excellent = await ctx.call(streetAdmin(), "POST", `/v1/community-workers/${worker.body.id}/assessments`, {
      year: 2025,
      result: "excellent",
    });
    expect(excellent.body).toMatchObject({ gradeBefore: 11, gradeAfter: 12 });
    const capped = await ctx.call(streetAdmin(), "POST", `/v1/community-workers/${worker.body.id}/assessments`, {
      year: 2026,
      result: "excellent",
    });
    expect(capped.body).toMatchObject({ gradeBefore: 12, gradeAfter: 12 });
    const twice = await ctx.call(streetAdmin(), "POST", `/v1/community-workers/${worker.body.id}/assessments`, {
      year: 2026,
      result: "incompetent",
    });
    expect(twice.status).toBe(409);

    // Promoted to director: the principal band (7–18) keeps grade 12.
    const promoted = await ctx.call(
      streetAdmin(),
      "PATCH",
      `/v1/community-workers/${worker.body.id}`,
      { post: "director" },
      {
        "if-match": '"v3"',
      },
    );
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ tier: "principal", grade: 12 });
    const advanced = await ctx.call(streetAdmin(), "POST", `/v1/community-workers/${worker.body.id}/grade-changes`, {
      toGrade: 14,
      reason: "advancement",
      effectiveOn: "2026-07-01",
    });
    expect(advanced.body.grade).toBe(14);
    const history = await ctx.call(county, "GET", `/v1/community-workers/${worker.body.id}/grade-changes`);
    expect(history.body.data.map((h: { reason: string; toGrade: number }) => [h.reason, h.toGrade])).toEqual([
      ["appointment", 11],
      ["assessment", 12],
      ["advancement", 14],
    ]);
  });

  it("a tenant sets its own scale with If-Match", async () => {
    const current = await ctx.call(county, "GET", "/v1/grade-scale");
    expect(current.headers.get("etag")).toBe('"v0"');
    const scale = { ...current.body, bands: { ...current.body.bands, other: [1, 10] } };
    expect((await ctx.call(county, "PUT", "/v1/grade-scale", scale)).status).toBe(428);
    const put = await ctx.call(county, "PUT", "/v1/grade-scale", scale, { "if-match": '"v0"' });
    expect(put.status).toBe(200);
    expect((await ctx.call(county, "GET", "/v1/grade-scale")).body.bands.other).toEqual([1, 10]);
    expect((await ctx.call(streetAdmin(), "PUT", "/v1/grade-scale", scale, { "if-match": '"v1"' })).status).toBe(403);
  });
});

describe("street bodies (四办三中心一执法队)", () => {
  it("records quota and filled posts, and sums staffing per street", async () => {
    for (const [name, kind, quota, filled] of [
      ["党政综合办公室", "office", 8, 7],
      ["党群服务中心", "centre", 6, 6],
      ["综合行政执法队", "enforcement_team", 10, 4],
    ] as const) {
      const res = await ctx.call(county, "POST", "/v1/street-bodies", {
        streetId: street.id,
        name,
        kind,
        quota,
        filled,
      });
      expect(res.status).toBe(201);
    }
    const duplicate = await ctx.call(county, "POST", "/v1/street-bodies", {
      streetId: street.id,
      name: "党群服务中心",
      kind: "centre",
      quota: 1,
      filled: 1,
    });
    expect(duplicate.status).toBe(409);
    const staffing = await ctx.call(streetAdmin(), "GET", "/v1/street-staffing");
    expect(staffing.body.data).toEqual([{ streetId: street.id, bodies: 3, quota: 24, filled: 17, vacancies: 7 }]);
    expect((await ctx.call(outsider, "GET", "/v1/street-staffing")).body.data).toEqual([]);

    // Every write sends a catalogued event with ids, kind and staffing figures only.
    const centre = (await ctx.call(county, "GET", "/v1/street-bodies?kind=centre")).body.data[0];
    const patched = await ctx.call(
      county,
      "PATCH",
      `/v1/street-bodies/${centre.id}`,
      { filled: centre.quota },
      {
        "if-match": `"v${centre.version}"`,
      },
    );
    expect(patched.status).toBe(200);
    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, centre.id));
    expect(events.map((e) => e.type)).toEqual(["street_body.created", "street_body.updated"]);
    expect(events.every((e) => isCatalogued(e.type))).toBe(true);
    expect(events[1]!.payload).toEqual({
      streetBodyId: centre.id,
      streetId: street.id,
      kind: "centre",
      quota: centre.quota,
      filled: centre.quota,
    });
    // And so does every other write of this file (workers, grades, assessments, the grade scale).
    const types = new Set((await ctx.db.select().from(outboxEvents)).map((e) => e.type));
    expect([...types].filter((t) => !isCatalogued(t))).toEqual([]);
    expect(types).toContain("grade_scale.updated");
  });
});
