import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { teamActivations } from "../../src/domains/emergency/tables.js";
import { runPagingTick } from "../../src/maintenance.js";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

/**
 * Escalation step 2: a team still short of its quorum after the county's mobile teams had as long
 * again as its response window alerts the street party working committee, once, durably.
 */
let w: World;
let short: { id: string };
let recovering: { id: string };
let late: { id: string }[];
beforeAll(async () => {
  w = await createWorld();
  const a = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang)];
  late = [await newVolunteer(w, w.beiyuan)];
  short = await newTeam(w, w.fukang, "emergency", a, { quorum: 2, responseDeadlineMinutes: 30 });
  recovering = await newTeam(w, w.beiyuan, "emergency", late, { quorum: 1, responseDeadlineMinutes: 30 });
  await newTeam(w, w.countyRoot, "mobile", [await newVolunteer(w, w.dongyuan)]);
});
afterAll(() => w.ctx.close());

const tick = () => runPagingTick(w.ctx.db, { paging: w.ctx.deps.paging!, pii: w.ctx.pii }, w.clock.now());
const states = async (incidentId: string) =>
  Object.fromEntries(
    (
      await w.ctx.db
        .select({ teamId: teamActivations.teamId, escalation: teamActivations.escalation })
        .from(teamActivations)
        .where(eq(teamActivations.incidentId, incidentId))
    ).map((s) => [s.teamId, s.escalation]),
  );

describe("escalation step 2", () => {
  it("alerts the street party working committee once, after the county's mobile teams had their window", async () => {
    const res = await w.ctx.call(
      w.street,
      "POST",
      "/v1/incidents",
      declareBody(w, { affectedDivisionIds: [w.fukang.id, w.beiyuan.id] }),
    );
    expect(res.status).toBe(201);
    const id = res.body.incident.id;
    await w.ctx.settle();
    w.clock.advanceMinutes(30);
    expect(await tick()).toMatchObject({ escalated: 2, streetAlerted: 0 });
    expect(await states(id)).toMatchObject({ [short.id]: "escalated", [recovering.id]: "escalated" });

    // Within step 2's window, the recovering team's volunteer answers: its timer is cleared.
    const pages = (await w.ctx.call(w.county, "GET", `/v1/incidents/${id}/notifications?limit=100`)).body.data as {
      volunteerId: string;
      message: string;
    }[];
    const page = pages.find((p) => p.volunteerId === late[0]!.id)!;
    w.clock.advanceMinutes(10);
    const ok = await w.ctx.app.request(`/a/${tokenOf(page.message)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "answer", answer: "available" }),
    });
    expect(ok.status).toBe(200);
    expect(await tick()).toMatchObject({ streetAlerted: 0 }); // not due yet (30 minutes after the escalation)

    w.clock.advanceMinutes(20);
    expect(await tick()).toMatchObject({ escalated: 0, streetAlerted: 1 });
    expect(await states(id)).toMatchObject({ [short.id]: "street_alerted", [recovering.id]: "escalated" });

    const alerts = await w.ctx.call(w.street, "GET", `/v1/incidents/${id}/alerts`);
    expect(alerts.status).toBe(200);
    expect(alerts.body.data).toEqual([
      expect.objectContaining({
        teamId: short.id,
        step: "street_committee",
        divisionId: w.dongbei.id,
        quorum: 2,
        available: 0,
      }),
    ]);
    const events = await w.ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.subjectId, id), eq(outboxEvents.type, "incident.street_alerted")));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ streetDivisionId: w.dongbei.id, teamId: short.id });
    const trail = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, "incident.street_alert")));
    expect(trail).toHaveLength(1);

    // Idempotent per tick, and durable: later ticks alert nobody again.
    w.clock.advanceMinutes(60);
    expect(await tick()).toMatchObject({ met: 0, escalated: 0, streetAlerted: 0, pagesSent: 0 });
    expect((await w.ctx.call(w.street, "GET", `/v1/incidents/${id}/alerts`)).body.data).toHaveLength(1);
  });
});
