import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { isCatalogued } from "../../src/domains/webhooks/catalogue.js";
import { runMaintenance } from "../../src/maintenance.js";
import { TestClock } from "../helpers/clock.js";
import { newEmploymentWorld, type NewEmploymentWorld } from "./setup.js";

/**
 * Overdue quick reports go to the street by the background job (the same `runMaintenance` the Node
 * loop and the Worker cron run), on the shared working-day calendar, once. The clock is the test's.
 */
const hour = 3_600_000;
const quiet = { error: () => {} };
// Friday 20 November 2026, 10:00 in China.
const friday = "2026-11-20T02:00:00.000Z";

describe("overdue quick reports", () => {
  let w: NewEmploymentWorld;
  const clock = new TestClock(friday);
  beforeAll(async () => {
    w = await newEmploymentWorld({ clock });
  });
  afterAll(() => w.ctx.close());

  const file = async (category: string) => {
    const res = await w.ctx.call(w.rider.token, "POST", "/v1/quick-reports", {
      category,
      description: "测试",
      place: { lat: 39.745, long: 98.512, datum: "wgs84" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; dueAt: string; level: string };
  };
  const tick = async () => (await runMaintenance(w.ctx.db, clock.now(), quiet)).quickReportsEscalated;
  const get = async (id: string) => (await w.ctx.call(w.fukangAdmin, "GET", `/v1/quick-reports/${id}`)).body;

  it("escalates a report past its deadline to the street once, audited as the scheduler, with an event", async () => {
    clock.set(friday);
    const hazard = await file("hazard"); // 4 clock hours
    const handled = await file("hazard");
    expect(hazard).toMatchObject({ level: "community", dueAt: "2026-11-20T06:00:00.000Z" });
    expect((await w.ctx.call(w.fukangAdmin, "POST", `/v1/quick-reports/${handled.id}/accept`)).status).toBe(200);
    const resolved = await w.ctx.call(w.fukangAdmin, "POST", `/v1/quick-reports/${handled.id}/resolve`, {
      resolution: "已处理。",
    });
    expect(resolved.status).toBe(200);

    clock.set(new Date(Date.parse(friday) + 3 * hour));
    expect(await tick()).toBe(0);
    clock.set(new Date(Date.parse(friday) + 5 * hour));
    expect(await tick()).toBe(1);
    const escalated = await get(hazard.id);
    // A new deadline for the category from the escalation: four more clock hours.
    expect(escalated).toMatchObject({
      level: "street",
      status: "reported",
      escalatedAt: "2026-11-20T07:00:00.000Z",
      dueAt: "2026-11-20T11:00:00.000Z",
      version: 2,
    });
    // The resolved one is left alone; a second tick (even past the new deadline) writes nothing.
    expect((await get(handled.id)).level).toBe("community");
    expect(await tick()).toBe(0);
    clock.set(new Date(Date.parse(friday) + 20 * hour));
    expect(await tick()).toBe(0);

    const audit = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, hazard.id), eq(auditEvents.action, "quick_report.escalate")));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "system:scheduler", actorKind: "system", requestId: "job:escalation" });
    const events = await w.ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.subjectId, hazard.id), eq(outboxEvents.type, "quick_report.escalated")));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ level: "street", communityId: w.fukang.id });
    expect(isCatalogued("quick_report.escalated")).toBe(true);

    // The street sees it among its escalated reports; the list filters by level.
    const street = { tenant: "620902", roles: ["street_admin" as const], sub: "street-1" };
    const list = await w.ctx.call(street, "GET", "/v1/quick-reports?level=street");
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([hazard.id]);
  });

  it("counts working days on the working calendar: a Friday filing is not overdue over the weekend", async () => {
    clock.set(friday);
    const broken = await file("broken_facility"); // 3 working days: Wednesday 25, 17:00 in China
    expect(broken.dueAt).toBe("2026-11-25T09:00:00.000Z");
    clock.set("2026-11-23T09:30:00.000Z"); // Monday evening: three calendar days later
    expect(await tick()).toBe(0);
    clock.set("2026-11-25T09:01:00.000Z");
    expect(await tick()).toBe(1);
    expect((await get(broken.id)).level).toBe("street");
  });
});
