import { readFileSync } from "node:fs";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { runAdmissionPeriods } from "../../src/domains/governance/admission-job.js";
import { governanceCountsBackfill } from "../../src/domains/governance/counts.js";
import { isCatalogued } from "../../src/domains/webhooks/catalogue.js";
import { runMaintenance } from "../../src/maintenance.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import { admissionRequestBody, publishCommunityList } from "../helpers/governance.js";

let ctx: TestContext;
let now = new Date("2031-02-06T02:00:00Z"); // Thursday, 10:00 in China
let street: DivisionRef;
let fukang: DivisionRef;
let beiyuan: DivisionRef;
let items: { statutory: string; negative: string };

const city = { tenant: "620900", roles: ["city_admin" as const] };
const county = { tenant: "620902", roles: ["county_admin"] as ["county_admin"] };
const department = { tenant: "620902", roles: ["department" as const], unit: "dept-civil-affairs", sub: "minzheng-1" };
const streetAdmin = () => ({ tenant: "620902", roles: ["street_admin" as const], org: street.id });
const fukangAdmin = () => ({ tenant: "620902", roles: ["community_admin" as const], org: fukang.id });

beforeAll(async () => {
  ctx = await createTestContext({ clock: { now: () => now } });
  street = await divisionNamed(ctx, "620902", "东北街街道");
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  items = await publishCommunityList(ctx, county);
});
afterAll(() => ctx.close());

const request = (fields: Record<string, unknown> = {}) =>
  admissionRequestBody(street.id, [fukang.id, beiyuan.id], { periodEnd: "2031-08-31", ...fields });

const submit = async (fields: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  const res = await ctx.call(department, "POST", "/v1/admission-requests", request(fields), headers);
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const act = (who: object, id: string, action: string, headers: Record<string, string> = {}) =>
  ctx.call(who as never, "POST", `/v1/admission-requests/${id}/${action}`, undefined, headers);

const viewers = () => [city, county, streetAdmin(), fukangAdmin(), department];
const stats = async (quarter: string, who: object = county) =>
  (await ctx.call(who as never, "GET", `/v1/admission-stats?quarter=${quarter}`)).body;
const civil = async (quarter: string, who: object = county) =>
  (await stats(quarter, who)).byDepartment.find(
    (d: { departmentId: string }) => d.departmentId === "dept-civil-affairs",
  );
const carried = async (quarter: string) =>
  Object.fromEntries(
    (await stats(quarter)).byCommunity.map((r: { communityId: string; carried: number; refusals: number }) => [
      r.communityId,
      [r.carried, r.refusals],
    ]),
  );

/** Every view of every quarter, from the running totals as they stand, and again from a full recount. */
async function expectRecountAgrees() {
  const views = async () =>
    Promise.all(
      viewers().flatMap((who) => ["2031-Q1", "2031-Q2", "2031-Q3", "2031-Q4"].map((q) => stats(q, who))),
    ).then(async (admission) => ({
      admission,
      standards: await Promise.all(
        [county, streetAdmin(), fukangAdmin(), city].map(
          async (who) => (await ctx.call(who as never, "GET", "/v1/standards-stats?year=2031")).body,
        ),
      ),
    }));
  const incremental = await views();
  for (const statement of governanceCountsBackfill) await ctx.db.run(sql.raw(statement));
  expect(await views()).toEqual(incremental);
}

describe("admission stats from running totals", () => {
  it("follow every move of a request, per department, per community and per quarter of the period", async () => {
    const id = await submit();
    expect(await civil("2031-Q1")).toMatchObject({ admitted: 0, pending: 1, refused: 0, withdrawn: 0 });
    expect(await carried("2031-Q2")).toEqual({});
    expect((await act(streetAdmin(), id, "street-approve")).status).toBe(200);
    expect((await act(county, id, "approve")).status).toBe(200);
    expect(await civil("2031-Q1")).toMatchObject({ admitted: 1, pending: 0 });
    // Admitted work is carried in every quarter its period overlaps (March–August: Q1, Q2, Q3).
    for (const q of ["2031-Q1", "2031-Q2", "2031-Q3"])
      expect(await carried(q)).toEqual({ [fukang.id]: [1, 0], [beiyuan.id]: [1, 0] });
    expect(await carried("2031-Q4")).toEqual({});

    // Listed at once: admitted, or refused with a refusal in each target community.
    await submit({ dutyItemId: items.statutory, periodEnd: "2031-03-31" });
    await submit({ dutyItemId: items.negative });
    const own = await ctx.call(fukangAdmin(), "POST", "/v1/admission-refusals", {
      communityId: fukang.id,
      requestedBy: "区创建办",
      kind: "campaign",
      what: "创建达标检查",
      requestedOn: "2031-02-03",
    });
    expect(own.status).toBe(201);
    expect(await civil("2031-Q1")).toMatchObject({ admitted: 2, refused: 1, pending: 0 });
    expect(await carried("2031-Q1")).toEqual({ [fukang.id]: [2, 2], [beiyuan.id]: [2, 1] });
    expect(await carried("2031-Q2")).toEqual({ [fukang.id]: [1, 0], [beiyuan.id]: [1, 0] });

    // Withdrawn work leaves every quarter it was carried in.
    expect((await act(department, id, "withdraw")).status).toBe(200);
    expect(await civil("2031-Q1")).toMatchObject({ admitted: 1, withdrawn: 1 });
    expect(await carried("2031-Q2")).toEqual({});
    expect(await carried("2031-Q1")).toEqual({ [fukang.id]: [1, 2], [beiyuan.id]: [1, 1] });
    await expectRecountAgrees();
  });

  it("each caller sums only what it reaches: a street its street, a community what targets it, a department its own", async () => {
    const elsewhere = await divisionNamed(ctx, "620902", "东南街街道");
    const other = { tenant: "620902", roles: ["street_admin" as const], org: elsewhere.id };
    expect((await stats("2031-Q1", other)).byDepartment).toEqual([]);
    expect(await civil("2031-Q1", streetAdmin())).toEqual(await civil("2031-Q1", county));
    expect(await civil("2031-Q1", fukangAdmin())).toEqual(await civil("2031-Q1", county)); // every request targets it
    const housing = { ...department, unit: "dept-housing", sub: "zhujian-1" };
    expect((await stats("2031-Q1", housing)).byDepartment).toEqual([]);
    expect((await stats("2031-Q1", department)).byCommunity).toEqual([]);
    const foreign = { tenant: "620981", roles: ["county_admin" as const] };
    expect(await stats("2031-Q1", foreign)).toEqual({ quarter: "2031-Q1", byDepartment: [], byCommunity: [] });
    expect(await civil("2031-Q1", city)).toEqual(await civil("2031-Q1", county));
  });

  it("a move that fails counts nothing: illegal, stale, replayed or beaten by a concurrent one", async () => {
    const before = await stats("2031-Q1");
    const id = await submit({}, { "idempotency-key": "counts-replay-1" });
    // The retry is answered from the first response: the request is counted once.
    const replay = await ctx.call(department, "POST", "/v1/admission-requests", request(), {
      "idempotency-key": "counts-replay-1",
    });
    expect(replay.body.id).toBe(id);
    const pendingNow = (await civil("2031-Q1")).pending;
    expect(pendingNow).toBe(before.byDepartment[0].pending + 1);

    const snapshot = await stats("2031-Q1");
    expect((await act(county, id, "approve")).status).toBe(409); // the street has not passed it
    expect((await act(streetAdmin(), id, "street-approve", { "if-match": '"v7"' })).status).toBe(412);
    expect(await stats("2031-Q1")).toEqual(snapshot);

    expect((await act(streetAdmin(), id, "street-approve")).status).toBe(200);
    const [a, b] = await Promise.all([act(county, id, "approve"), act(county, id, "reject")]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const after = await civil("2031-Q1");
    expect(after.pending).toBe(pendingNow - 1);
    expect(after.admitted + after.refused).toBe(
      snapshot.byDepartment[0].admitted + snapshot.byDepartment[0].refused + 1,
    );
    await expectRecountAgrees();
  });
});

describe("admitted work's period (background job)", () => {
  const statusOf = async (id: string) => (await ctx.call(county, "GET", `/v1/admission-requests/${id}`)).body.status;
  const approve = async (fields: Record<string, unknown>) => {
    const id = await submit(fields);
    await act(streetAdmin(), id, "street-approve");
    await act(county, id, "approve");
    return id;
  };

  it("starts approved work when its period begins and expires it when it ends, once per change, with audit and events", async () => {
    const march = await approve({ periodStart: "2031-03-01", periodEnd: "2031-03-31" });
    const past = await approve({ periodStart: "2031-01-01", periodEnd: "2031-01-31" }); // approved after it ended
    const totals = await stats("2031-Q1");

    // 28 Feb 23:59 in China: nothing has begun yet except the work whose period is over (both moves at once).
    await runAdmissionPeriods(ctx.db, new Date("2031-02-28T15:59:00Z"));
    expect(await statusOf(march)).toBe("approved");
    expect(await statusOf(past)).toBe("expired");
    // 1 March 00:30 in China (still 28 Feb in UTC): March work starts; a second run the same day writes nothing.
    await runAdmissionPeriods(ctx.db, new Date("2031-02-28T16:30:00Z"));
    expect(await statusOf(march)).toBe("active");
    expect(await runAdmissionPeriods(ctx.db, new Date("2031-02-28T17:00:00Z"))).toEqual({ activated: 0, expired: 0 });
    // The last day of the period is still in it; the day after, the work expires, through the maintenance run.
    await runAdmissionPeriods(ctx.db, new Date("2031-03-31T10:00:00Z"));
    expect(await statusOf(march)).toBe("active");
    const log = { error: () => {} };
    const run = await runMaintenance(ctx.db, new Date("2031-03-31T16:30:00Z"), log);
    expect(run.admissionsExpired).toBeGreaterThanOrEqual(1);
    expect(await statusOf(march)).toBe("expired");
    expect((await runMaintenance(ctx.db, new Date("2031-03-31T17:00:00Z"), log)).admissionsExpired).toBe(0);

    const events = async (id: string) =>
      (await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, id))).map((e) => e.type);
    expect((await events(march)).slice(-2)).toEqual(["admission_request.activated", "admission_request.expired"]);
    expect((await events(past)).slice(-2)).toEqual(["admission_request.activated", "admission_request.expired"]);
    const audit = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, march), eq(auditEvents.actor, "system:scheduler")));
    expect(audit.map((a) => a.action)).toEqual(["admission_request.activate", "admission_request.expire"]);
    expect(audit.every((a) => a.tenantId === "620902" && a.divisionPath === street.path)).toBe(true);
    // Approved, active and expired are all admitted: the figures do not move.
    expect(await stats("2031-Q1")).toEqual(totals);
  });
});

describe("standards stats from running totals", () => {
  it("count inspections, scores and rectifications by status, and overdue ones by their deadline", async () => {
    now = new Date("2031-06-15T02:00:00Z");
    const branch = await insertPartyOrg(ctx, fukang);
    const checklist = await ctx.call(county, "POST", "/v1/checklists", {
      title: "评分表",
      items: [
        { code: "1", area: "组织设置", standard: "按期换届。", points: 10 },
        { code: "2", area: "组织生活", standard: "三会一课。", points: 20 },
      ],
    });
    const inspection = await ctx.call(streetAdmin(), "POST", "/v1/inspections", {
      orgId: branch.id,
      checklistId: checklist.body.id,
      inspectedOn: "2031-06-15",
      scores: [
        { code: "1", score: 6 },
        { code: "2", score: 12 },
      ],
      rectification: { deadline: "2031-07-15", owner: "支部书记" },
    });
    expect(inspection.status).toBe(201);
    const figures = async (who: object = county) =>
      (await ctx.call(who as never, "GET", "/v1/standards-stats?year=2031")).body;
    expect(await figures()).toEqual({
      inspections: 1,
      averageScorePercent: 60,
      rectifications: { open: 2, submitted: 0, closed: 0, overdue: 0 },
    });
    const [first, second] = (
      await ctx.call(fukangAdmin(), "GET", `/v1/rectifications?inspectionId=${inspection.body.id}`)
    ).body.data.map((r: { id: string }) => r.id);
    await ctx.call(fukangAdmin(), "POST", `/v1/rectifications/${first}/submit`, { evidence: "已整改。" });
    expect((await figures()).rectifications).toEqual({ open: 1, submitted: 1, closed: 0, overdue: 0 });
    // A close by anyone but the inspecting level fails, and counts nothing.
    expect((await ctx.call(county, "POST", `/v1/rectifications/${first}/close`)).status).toBe(403);
    // Overdue is read from this month's days and the months before (counts.ts): the deadline day
    // itself is not overdue, the day after is, and so is any later month.
    now = new Date("2031-07-15T02:00:00Z");
    expect((await figures()).rectifications.overdue).toBe(0);
    now = new Date("2031-07-16T02:00:00Z");
    expect((await figures()).rectifications).toEqual({ open: 1, submitted: 1, closed: 0, overdue: 2 });
    now = new Date("2031-08-02T02:00:00Z");
    expect((await figures()).rectifications).toEqual({ open: 1, submitted: 1, closed: 0, overdue: 2 });
    expect((await ctx.call(streetAdmin(), "POST", `/v1/rectifications/${first}/close`)).status).toBe(200);
    expect((await ctx.call(streetAdmin(), "POST", `/v1/rectifications/${second}/close`)).status).toBe(200);
    expect((await figures()).rectifications).toEqual({ open: 0, submitted: 0, closed: 2, overdue: 0 });
    expect(await figures(streetAdmin())).toEqual(await figures());
    const elsewhere = await divisionNamed(ctx, "620902", "东南街街道");
    expect((await figures({ tenant: "620902", roles: ["street_admin"], org: elsewhere.id })).inspections).toBe(0);
    await expectRecountAgrees();
  });

  it("every event these writes sent is in the webhook catalogue", async () => {
    const types = new Set((await ctx.db.select().from(outboxEvents)).map((e) => e.type));
    expect([...types].filter((t) => !isCatalogued(t))).toEqual([]);
    expect(types).toContain("duty_item.created");
  });

  it("migration 0015 rebuilds the totals with the same statements the seed runs", () => {
    const migration = readFileSync(new URL("../../migrations/0015_governance_counts.sql", import.meta.url), "utf8");
    for (const statement of governanceCountsBackfill.slice(1)) expect(migration).toContain(`${statement};`);
  });
});
