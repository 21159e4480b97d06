import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { quickReportPoints } from "../../src/domains/newemployment/tables.js";
import { isCatalogued } from "../../src/domains/webhooks/catalogue.js";
import { newEmploymentWorld, type NewEmploymentWorld } from "./setup.js";

/** The points ledger: earned on acceptance, reversed by a correction, spent by a redemption; append-only. */
describe("points ledger", () => {
  let w: NewEmploymentWorld;
  beforeAll(async () => {
    w = await newEmploymentWorld();
  });
  afterAll(() => w.ctx.close());

  const accepted = async (category: string) => {
    const filed = await w.ctx.call(w.rider.token, "POST", "/v1/quick-reports", {
      category,
      description: "测试",
      place: { lat: 39.745, long: 98.512, datum: "wgs84" },
    });
    expect(filed.status).toBe(201);
    expect((await w.ctx.call(w.fukangAdmin, "POST", `/v1/quick-reports/${filed.body.id}/accept`)).status).toBe(200);
    return filed.body.id as string;
  };
  const balance = async () =>
    (await w.ctx.call(w.rider.token, "GET", `/v1/gig-workers/${w.rider.id}/points/balance`)).body;
  const redeem = (body: object, who = w.fukangAdmin, headers: Record<string, string> = {}) =>
    w.ctx.call(who, "POST", `/v1/gig-workers/${w.rider.id}/points/redemptions`, body, headers);
  const correct = (id: string, body: object = { reason: "duplicate" }) =>
    w.ctx.call(w.fukangAdmin, "POST", `/v1/quick-reports/${id}/points-corrections`, body);

  it("redeems points the balance covers, refusing a short balance with a 409 that names it", async () => {
    await accepted("blocked_fire_lane"); // 8
    await accepted("hazard"); // 10
    expect(await balance()).toEqual({ workerId: w.rider.id, balance: 18, earned: 18, corrected: 0, redeemed: 0 });

    const short = await redeem({ points: 19 });
    expect(short.status).toBe(409);
    expect(short.body).toMatchObject({ code: "conflict", balance: 18, requested: 19 });
    expect(short.body.detail).toMatch(/balance is 18/);

    const station = await w.ctx.call(w.county, "POST", "/v1/warm-stations", {
      name: "富康暖心驿站",
      divisionId: w.fukang.id,
      address: "富康路 18 号",
      place: { lat: 39.745, long: 98.512, datum: "wgs84" },
      services: ["rest", "water"],
      openingHours: "08:00-22:00",
    });
    expect(station.status, JSON.stringify(station.body)).toBe(201);
    const stationId = station.body.id as string;
    const spent = await redeem({ points: 10, note: "暖心驿站兑换热饮", stationId }, w.fukangAdmin, {
      "idempotency-key": "redeem-0001",
    });
    expect(spent.status, JSON.stringify(spent.body)).toBe(201);
    expect(spent.body).toMatchObject({ points: -10, reason: "redemption", balance: 8, reportId: null, stationId });
    // A retry with the same key answers the same, spending nothing more.
    const again = await redeem({ points: 10, note: "暖心驿站兑换热饮", stationId }, w.fukangAdmin, {
      "idempotency-key": "redeem-0001",
    });
    expect(again.body.id).toBe(spent.body.id);
    expect(await balance()).toMatchObject({ balance: 8, earned: 18, redeemed: -10 });
    expect((await redeem({ points: 9 })).status).toBe(409);

    // A worker cannot spend their own points; another tenant does not find the worker.
    expect((await redeem({ points: 1 }, w.rider.token)).status).toBe(403);
    expect((await redeem({ points: 1 }, w.yumen)).status).toBe(404);

    const audit = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, w.rider.id), eq(auditEvents.action, "gig_worker.redeem_points")));
    expect(audit).toHaveLength(1);
    const events = await w.ctx.db
      .select()
      .from(outboxEvents)
      .where(eq(outboxEvents.type, "gig_worker.points_redeemed"));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ workerId: w.rider.id, points: -10, entryId: spent.body.id });
    expect(isCatalogued("gig_worker.points_redeemed")).toBe(true);
  });

  it("reverses an accepted report's points once by a new entry, never changing the acceptance entry", async () => {
    const id = await accepted("broken_facility"); // 5
    const before = await balance();
    const reversed = await correct(id, { reason: "invalid", note: "复核：并无损坏。" });
    expect(reversed.status, JSON.stringify(reversed.body)).toBe(201);
    expect(reversed.body).toMatchObject({
      reportId: id,
      points: -5,
      reason: "correction",
      balance: before.balance - 5,
    });
    expect((await correct(id)).status).toBe(409);

    const entries = await w.ctx.db.select().from(quickReportPoints).where(eq(quickReportPoints.reportId, id));
    expect(entries.map((e) => [e.reason, e.points]).sort()).toEqual([
      ["accepted", 5],
      ["correction", -5],
    ]);
    expect(await balance()).toMatchObject({ balance: before.balance - 5, corrected: -5 });
    const listed = await w.ctx.call(w.rider.token, "GET", `/v1/gig-workers/${w.rider.id}/points?order=newest&limit=1`);
    expect(listed.body.data[0]).toMatchObject({ reason: "correction", points: -5, note: "invalid: 复核：并无损坏。" });

    const events = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, id));
    expect(events.find((e) => e.type === "quick_report.points_reversed")?.payload).toMatchObject({
      reversedPoints: -5,
      correction: "invalid",
    });
    expect(isCatalogued("quick_report.points_reversed")).toBe(true);
    const audit = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, "quick_report.reverse_points")));
    expect(audit).toHaveLength(1);
  });

  it("refuses a correction for a report that earned nothing, out of reach, or by a platform", async () => {
    const filed = await w.ctx.call(w.rider.token, "POST", "/v1/quick-reports", {
      category: "other",
      description: "未受理",
      place: { lat: 39.745, long: 98.512, datum: "wgs84" },
    });
    const notEarned = await correct(filed.body.id);
    expect(notEarned.status).toBe(409);
    expect(notEarned.body.detail).toMatch(/earned no points/);
    const id = await accepted("other");
    expect(
      (await w.ctx.call(w.beiyuanAdmin, "POST", `/v1/quick-reports/${id}/points-corrections`, { reason: "invalid" }))
        .status,
    ).toBe(404);
    expect(
      (await w.ctx.call(w.meituan.token, "POST", `/v1/quick-reports/${id}/points-corrections`, { reason: "invalid" }))
        .status,
    ).toBe(403);
  });
});
