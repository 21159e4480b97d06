import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";

let ctx: TestContext;
let now = new Date("2026-06-15T02:00:00Z");
let street: DivisionRef;
let fukang: DivisionRef;
let branchId: string;
let checklistId: string;

const county = { tenant: "620902", roles: ["county_admin" as const] };
const streetAdmin = () => ({ tenant: "620902", roles: ["street_admin" as const], org: street.id });
const community = () => ({ tenant: "620902", roles: ["community_admin" as const], org: fukang.id });

beforeAll(async () => {
  ctx = await createTestContext({ clock: { now: () => now } });
  street = await divisionNamed(ctx, "620902", "东北街街道");
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  branchId = (await insertPartyOrg(ctx, fukang)).id;
  const checklist = await ctx.call(county, "POST", "/v1/checklists", {
    title: "党支部标准化规范化建设评分表",
    items: [
      { code: "1.1", area: "组织设置", standard: "支部委员会按期换届。", points: 10 },
      { code: "2.1", area: "组织生活", standard: "按期召开三会一课。", points: 20 },
    ],
  });
  expect(checklist.status).toBe(201);
  expect(checklist.body).toMatchObject({ edition: 1, maxScore: 30, status: "active" });
  checklistId = checklist.body.id;
});
afterAll(() => ctx.close());

const inspect = (
  who: object,
  scores = [
    { code: "1.1", score: 10 },
    { code: "2.1", score: 15, note: "党课记录不全" },
  ],
) =>
  ctx.call(who as never, "POST", "/v1/inspections", {
    orgId: branchId,
    checklistId,
    inspectedOn: "2026-06-15",
    scores,
    rectification: { deadline: "2026-07-15", owner: "支部书记" },
  });

describe("branch standardisation", () => {
  it("an inspection scores a branch; each shortfall becomes a rectification closed only by the inspecting level", async () => {
    const inspection = await inspect(streetAdmin());
    expect(inspection.status).toBe(201);
    expect(inspection.body).toMatchObject({
      totalScore: 25,
      maxScore: 30,
      shortfalls: 1,
      inspectingLevel: street.path,
    });
    const rects = await ctx.call(community(), "GET", `/v1/rectifications?inspectionId=${inspection.body.id}`);
    expect(rects.body.data).toHaveLength(1);
    const rect = rects.body.data[0];
    expect(rect).toMatchObject({ itemCode: "2.1", shortfall: 5, status: "open", owner: "支部书记", overdue: false });

    // The county sees it but did not inspect: it may not close it; a community cannot close at all.
    const countyClose = await ctx.call(county, "POST", `/v1/rectifications/${rect.id}/close`);
    expect(countyClose.status).toBe(403);
    expect((await ctx.call(community(), "POST", `/v1/rectifications/${rect.id}/close`)).status).toBe(403);
    const otherStreet = await divisionNamed(ctx, "620902", "东南街街道");
    const outsider = { tenant: "620902", roles: ["street_admin" as const], org: otherStreet.id };
    expect((await ctx.call(outsider, "POST", `/v1/rectifications/${rect.id}/close`)).status).toBe(404);

    const submitted = await ctx.call(community(), "POST", `/v1/rectifications/${rect.id}/submit`, {
      evidence: "已补齐党课记录。",
    });
    expect(submitted.body).toMatchObject({ status: "submitted", evidence: "已补齐党课记录。" });
    expect((await ctx.call(streetAdmin(), "POST", `/v1/rectifications/${rect.id}/reopen`)).body.status).toBe("open");
    await ctx.call(community(), "POST", `/v1/rectifications/${rect.id}/submit`, { evidence: "补充了照片。" });
    const closed = await ctx.call(streetAdmin(), "POST", `/v1/rectifications/${rect.id}/close`);
    expect(closed.body).toMatchObject({ status: "closed", closedAt: expect.any(String) });
    const types = (await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, rect.id))).map(
      (e) => e.type,
    );
    expect(types).toEqual([
      "rectification.submitted",
      "rectification.reopened",
      "rectification.submitted",
      "rectification.closed",
    ]);
  });

  it("refuses scores that do not match the checklist, and a retired edition", async () => {
    const missing = await inspect(county, [{ code: "1.1", score: 10 }]);
    expect(missing.status).toBe(400);
    const tooHigh = await inspect(county, [
      { code: "1.1", score: 11 },
      { code: "2.1", score: 20 },
    ]);
    expect(tooHigh.body.errors[0].pointer).toBe("/scores/0/score");
    const next = await ctx.call(county, "POST", "/v1/checklists", {
      title: "第二版",
      items: [{ code: "1", area: "x", standard: "x", points: 5 }],
    });
    expect(next.body.edition).toBe(2);
    const retired = await ctx.call(county, "POST", `/v1/checklists/${next.body.id}/retire`);
    expect(retired.body.status).toBe("retired");
  });

  it("overdue rectifications show in the list and the stats", async () => {
    const inspection = await inspect(county, [
      { code: "1.1", score: 0 },
      { code: "2.1", score: 20 },
    ]);
    expect(inspection.body.inspectingLevel).toBeNull();
    now = new Date("2026-07-20T02:00:00Z");
    try {
      const overdue = await ctx.call(county, "GET", "/v1/rectifications?overdue=true");
      expect(overdue.body.data.map((r: { inspectionId: string }) => r.inspectionId)).toContain(inspection.body.id);
      expect(overdue.body.data.every((r: { overdue: boolean }) => r.overdue)).toBe(true);
      const stats = await ctx.call(county, "GET", "/v1/standards-stats?year=2026");
      expect(stats.body).toMatchObject({ inspections: 2, rectifications: { closed: 1, overdue: 1 } });
      expect(stats.body.averageScorePercent).toBeCloseTo(((25 + 20) / 60) * 100, 0);
    } finally {
      now = new Date("2026-06-15T02:00:00Z");
    }
  });
});

describe("organisational life", () => {
  it("records meetings with attendance, and gives the attendance rate of the branch and of each member", async () => {
    const [a, b, c] = [
      await insertMember(ctx, fukang, { orgId: branchId }),
      await insertMember(ctx, fukang, { orgId: branchId }),
      await insertMember(ctx, fukang, { orgId: branchId }),
    ];
    const stranger = await insertMember(ctx, fukang);
    const meeting = (attendance: { memberId: string; present: boolean }[], heldOn = "2026-06-01") =>
      ctx.call(community(), "POST", "/v1/org-meetings", {
        orgId: branchId,
        kind: "theme_party_day",
        heldOn,
        topic: "主题党日",
        attendance,
      });
    const first = await meeting([
      { memberId: a!.id, present: true },
      { memberId: b!.id, present: true },
      { memberId: c!.id, present: false },
    ]);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ expected: 3, present: 2, attendanceRate: 0.667 });
    const second = await meeting(
      [
        { memberId: a!.id, present: true },
        { memberId: b!.id, present: false },
        { memberId: c!.id, present: false },
      ],
      "2026-06-10",
    );
    expect(second.status).toBe(201);
    const wrong = await meeting([{ memberId: stranger.id, present: true }]);
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].pointer).toBe("/attendance/0/memberId");

    const rates = await ctx.call(county, "GET", `/v1/attendance-rates?orgId=${branchId}&from=2026-01-01&to=2026-12-31`);
    expect(rates.status).toBe(200);
    expect(rates.body).toMatchObject({ meetings: 2, expected: 6, present: 3, rate: 0.5 });
    const byMember = Object.fromEntries(
      rates.body.members.map((m: { memberId: string; rate: number }) => [m.memberId, m.rate]),
    );
    expect(byMember).toEqual({ [a!.id]: 1, [b!.id]: 0.5, [c!.id]: 0 });
    const listed = await ctx.call(streetAdmin(), "GET", `/v1/org-meetings?orgId=${branchId}`);
    expect(listed.body.data).toHaveLength(2);
  });
});
