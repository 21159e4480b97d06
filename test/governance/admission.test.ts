import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
import { admissionRefusals } from "../../src/domains/governance/tables.js";
import { addWorkingDays, calendarOf, officialCalendars } from "../../src/domains/governance/working-days.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import { admissionRequestBody, publishCommunityList } from "../helpers/governance.js";

let ctx: TestContext;
let now = new Date("2031-02-06T02:00:00Z"); // Thursday 6 February 2031, 10:00 in China
let street: DivisionRef;
let otherStreet: DivisionRef;
let fukang: DivisionRef;
let beiyuan: DivisionRef;
let dongyuan: DivisionRef;
let items: { statutory: string; negative: string };

const city = { tenant: "620900", roles: ["city_admin" as const] };
const county = { tenant: "620902", roles: ["county_admin"] as ["county_admin"] };
const department = { tenant: "620902", roles: ["department" as const], unit: "dept-civil-affairs", sub: "minzheng-1" };
const otherDepartment = { tenant: "620902", roles: ["department" as const], unit: "dept-housing", sub: "zhujian-1" };
const streetAdmin = () => ({ tenant: "620902", roles: ["street_admin" as const], org: street.id });
const otherStreetAdmin = () => ({ tenant: "620902", roles: ["street_admin" as const], org: otherStreet.id });
const communityAdmin = () => ({ tenant: "620902", roles: ["community_admin" as const], org: fukang.id });

beforeAll(async () => {
  ctx = await createTestContext({ clock: { now: () => now } });
  street = await divisionNamed(ctx, "620902", "东北街街道");
  otherStreet = await divisionNamed(ctx, "620902", "东南街街道");
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  dongyuan = await divisionNamed(ctx, "620902", "东苑社区");
  // The test's own calendar: a make-up working Saturday (8 Feb) before a week of holiday (10–14 Feb).
  const put = await ctx.call(city, "PUT", "/v1/working-calendars/2031", {
    source: "测试用日历",
    days: [
      { date: "2031-02-08", kind: "workday", name: "调休上班" },
      ...[10, 11, 12, 13, 14].map((d) => ({ date: `2031-02-${d}`, kind: "holiday", name: "春节" })),
    ],
  });
  expect(put.status).toBe(200);
  // The county's published community list: one statutory item, one on the negative list.
  items = await publishCommunityList(ctx, county);
});
afterAll(() => ctx.close());

const request = (fields: Record<string, unknown> = {}) =>
  admissionRequestBody(street.id, [fukang.id, beiyuan.id], fields);

const eventsOf = async (id: string) =>
  (await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, id))).map((e) => e.type);

describe("working days", () => {
  it("count make-up working weekends and skip holidays (China's 2026 Spring Festival, as seeded)", () => {
    const calendar = calendarOf(officialCalendars);
    expect(addWorkingDays("2026-02-13", 1, calendar)).toBe("2026-02-14"); // Saturday, worked (调休)
    expect(addWorkingDays("2026-02-13", 2, calendar)).toBe("2026-02-24"); // 15–23 February off
    expect(addWorkingDays("2026-02-27", 1, calendar)).toBe("2026-02-28"); // Saturday, worked
    expect(addWorkingDays("2030-06-07", 1, calendar)).toBe("2030-06-10"); // a year not loaded: Monday–Friday
  });

  it("the city edits a year with If-Match; others may only read", async () => {
    const current = await ctx.call(county, "GET", "/v1/working-calendars/2031");
    expect(current.status).toBe(200);
    expect(current.body.days).toHaveLength(6);
    const body = { source: "测试用日历", days: current.body.days };
    expect((await ctx.call(city, "PUT", "/v1/working-calendars/2031", body)).status).toBe(428);
    expect((await ctx.call(city, "PUT", "/v1/working-calendars/2031", body, { "if-match": '"v9"' })).status).toBe(412);
    expect((await ctx.call(county, "PUT", "/v1/working-calendars/2031", body, { "if-match": '"v1"' })).status).toBe(
      403,
    );
    const weekdayWorkday = await ctx.call(city, "PUT", "/v1/working-calendars/2032", {
      source: "x",
      days: [{ date: "2032-02-09", kind: "workday", name: "x" }],
    });
    expect(weekdayWorkday.status).toBe(400);
    const years = (await ctx.call(county, "GET", "/v1/working-calendars")).body.data.map(
      (y: { year: number }) => y.year,
    );
    expect(years).toEqual(expect.arrayContaining([2025, 2026, 2031]));
  });
});

describe("community affairs admission (社区事务准入)", () => {
  it("admits work matched to a statutory item at once, and refuses negative-list work, recording the refusal", async () => {
    const admitted = await ctx.call(
      department,
      "POST",
      "/v1/admission-requests",
      request({ dutyItemId: items.statutory }),
    );
    expect(admitted.status).toBe(201);
    expect(admitted.body).toMatchObject({ status: "approved", route: "listed", dutyItemId: items.statutory });
    expect(await eventsOf(admitted.body.id)).toEqual(["admission_request.admitted"]);

    const refused = await ctx.call(
      department,
      "POST",
      "/v1/admission-requests",
      request({ dutyItemId: items.negative }),
    );
    expect(refused.body).toMatchObject({ status: "refused", route: "listed" });
    expect(await eventsOf(refused.body.id)).toEqual(["admission_request.refused"]);
    const recorded = await ctx.db
      .select()
      .from(admissionRefusals)
      .where(eq(admissionRefusals.requestId, refused.body.id));
    expect(recorded.map((r) => r.communityId).sort()).toEqual([fukang.id, beiyuan.id].sort());
    const seen = await ctx.call(communityAdmin(), "GET", "/v1/admission-refusals");
    expect(seen.body.data.map((r: { requestId: string }) => r.requestId)).toContain(refused.body.id);
    expect(seen.body.data.every((r: { communityId: string }) => r.communityId === fukang.id)).toBe(true);

    // A refused request is final.
    const late = await ctx.call(department, "POST", `/v1/admission-requests/${refused.body.id}/withdraw`);
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "invalid_transition", currentState: "refused" });
  });

  it("reviews unlisted work: street deadline in working days across a make-up weekend, then county, then active", async () => {
    const created = await ctx.call(department, "POST", "/v1/admission-requests", request());
    expect(created.status).toBe(201);
    // Thursday 6 Feb + 5 working days: Fri 7, Sat 8 (make-up), [10–14 off], Mon 17, Tue 18, Wed 19.
    expect(created.body).toMatchObject({ status: "street_review", route: "reviewed", streetDeadline: "2031-02-19" });
    const id = created.body.id;

    // The county cannot skip the street; another street and another department see nothing.
    expect((await ctx.call(county, "POST", `/v1/admission-requests/${id}/approve`)).status).toBe(409);
    expect((await ctx.call(otherStreetAdmin(), "POST", `/v1/admission-requests/${id}/street-approve`)).status).toBe(
      404,
    );
    expect((await ctx.call(otherDepartment, "GET", `/v1/admission-requests/${id}`)).status).toBe(404);
    expect(
      (await ctx.call({ tenant: "620981", roles: ["county_admin"] }, "GET", `/v1/admission-requests/${id}`)).status,
    ).toBe(404);
    // A community it targets reads it; the department cannot review its own request.
    expect((await ctx.call(communityAdmin(), "GET", `/v1/admission-requests/${id}`)).status).toBe(200);
    expect((await ctx.call(department, "POST", `/v1/admission-requests/${id}/street-approve`)).status).toBe(403);

    const passed = await ctx.call(streetAdmin(), "POST", `/v1/admission-requests/${id}/street-approve`, {
      note: "同意，报区级审核。",
    });
    expect(passed.status).toBe(200);
    // Thursday 6 Feb + 10 working days: 7, 8, 17, 18, 19, 20, 21, 24, 25, 26.
    expect(passed.body).toMatchObject({ status: "county_review", countyDeadline: "2031-02-26" });
    const approved = await ctx.call(county, "POST", `/v1/admission-requests/${id}/approve`, { note: "准入。" });
    expect(approved.body).toMatchObject({ status: "approved", decisionNote: "准入。", decidedAt: expect.any(String) });
    expect((await ctx.call(department, "POST", `/v1/admission-requests/${id}/activate`)).body.status).toBe("active");
    expect((await ctx.call(county, "POST", `/v1/admission-requests/${id}/expire`)).body.status).toBe("expired");
    expect(await eventsOf(id)).toEqual([
      "admission_request.submitted",
      "admission_request.street_approved",
      "admission_request.approved",
      "admission_request.activated",
      "admission_request.expired",
    ]);
  });

  it("returns a request for changes, takes it back with them, and shows reviews past their deadline", async () => {
    const created = await ctx.call(
      department,
      "POST",
      "/v1/admission-requests",
      request({ kind: "plaque", fundingYuan: 0 }),
    );
    const id = created.body.id;
    const returned = await ctx.call(streetAdmin(), "POST", `/v1/admission-requests/${id}/street-return`, {
      note: "经费未落实。",
    });
    expect(returned.body.status).toBe("returned");
    const again = await ctx.call(department, "POST", `/v1/admission-requests/${id}/resubmit`, { fundingYuan: 5000 });
    expect(again.body).toMatchObject({ status: "street_review", fundingYuan: 5000, decisionNote: null });

    const waiting = await ctx.call(department, "POST", "/v1/admission-requests", request({ kind: "ledger" }));
    now = new Date("2031-02-20T02:00:00Z"); // past the 19 February deadline
    try {
      const overdue = await ctx.call(county, "GET", "/v1/admission-requests?overdue=true&limit=100");
      const ids = overdue.body.data.map((r: { id: string }) => r.id);
      expect(ids).toEqual(expect.arrayContaining([id, waiting.body.id]));
      const mine = await ctx.call(department, "GET", "/v1/admission-requests?status=street_review");
      expect(mine.body.data.length).toBeGreaterThanOrEqual(2);
      expect((await ctx.call(otherDepartment, "GET", "/v1/admission-requests")).body.data).toEqual([]);
    } finally {
      now = new Date("2031-02-06T02:00:00Z");
    }
  });

  it("refuses targets outside the street, and requests from anyone but a department", async () => {
    const outside = await ctx.call(
      department,
      "POST",
      "/v1/admission-requests",
      request({ communityIds: [fukang.id, dongyuan.id] }),
    );
    expect(outside.status).toBe(400);
    expect(outside.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(["/communityIds/1"]);
    expect((await ctx.call(county, "POST", "/v1/admission-requests", request())).status).toBe(403);
    const noCode = await ctx.call(
      { tenant: "620902", roles: ["department"] },
      "POST",
      "/v1/admission-requests",
      request(),
    );
    expect(noCode.status).toBe(403);
  });

  it("a community records refusals; stats count admitted vs refused per department and work per community", async () => {
    const refusal = await ctx.call(communityAdmin(), "POST", "/v1/admission-refusals", {
      communityId: fukang.id,
      requestedBy: "区住建局",
      kind: "ledger",
      what: "要求社区填报物业企业台账",
      requestedOn: "2031-02-05",
    });
    expect(refusal.status).toBe(201);
    expect(await eventsOf(refusal.body.id)).toEqual(["admission_refusal.recorded"]);
    const elsewhere = await ctx.call(communityAdmin(), "POST", "/v1/admission-refusals", {
      communityId: dongyuan.id,
      requestedBy: "x",
      kind: "task",
      what: "x",
      requestedOn: "2031-02-05",
    });
    expect(elsewhere.status).toBe(400);

    const stats = await ctx.call(county, "GET", "/v1/admission-stats?quarter=2031-Q1");
    expect(stats.status).toBe(200);
    const civil = stats.body.byDepartment.find(
      (d: { departmentId: string }) => d.departmentId === "dept-civil-affairs",
    );
    expect(civil).toMatchObject({ departmentName: "区民政局", admitted: 2, refused: 1, pending: 2 });
    const atFukang = stats.body.byCommunity.find((r: { communityId: string }) => r.communityId === fukang.id);
    expect(atFukang).toMatchObject({ carried: 2, refusals: 2 });
    const streetView = await ctx.call(otherStreetAdmin(), "GET", "/v1/admission-stats?quarter=2031-Q1");
    expect(streetView.body.byDepartment).toEqual([]);
  });
});
