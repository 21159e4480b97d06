import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { teamActivations } from "../../src/domains/emergency/tables.js";
import { runPagingTick } from "../../src/maintenance.js";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

let w: World;
let reserve: { id: string }[];
let short: { id: string };
let full: { id: string };
let a: { id: string }[];
let b: { id: string }[];
beforeAll(async () => {
  w = await createWorld();
  a = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang)];
  b = [await newVolunteer(w, w.fukang)];
  // The county's reserve lives in another street: only an escalation pages it.
  reserve = [await newVolunteer(w, w.dongyuan), await newVolunteer(w, w.dongyuan)];
  short = await newTeam(w, w.fukang, "emergency", a, { quorum: 2, responseDeadlineMinutes: 30 });
  full = await newTeam(w, w.fukang, "emergency", b, { quorum: 1, responseDeadlineMinutes: 10 });
  await newTeam(w, w.countyRoot, "mobile", reserve);
});
afterAll(() => w.ctx.close());

const tick = () => runPagingTick(w.ctx.db, { paging: w.ctx.deps.paging!, pii: w.ctx.pii }, w.clock.now());

describe("escalation timers", () => {
  it("settles each due team once: quorum met, or the county's mobile teams paged", async () => {
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    const id = res.body.incident.id;
    expect(res.body.activation.teams).toBe(2); // the county's mobile team is the reserve, not paged
    await w.ctx.settle();
    const pages = (await w.ctx.call(w.street, "GET", `/v1/incidents/${id}/notifications`)).body.data as {
      volunteerId: string;
      message: string;
    }[];
    // Two minutes later, the full team's only member and one of the short team's two answer available.
    w.clock.advanceMinutes(2);
    const answering = new Set([b[0]!.id, a[0]!.id]);
    for (const p of pages.filter((x) => answering.has(x.volunteerId)))
      await w.ctx.app.request(`/a/${tokenOf(p.message)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "answer", answer: "available" }),
      });

    expect(await tick()).toMatchObject({ met: 0, escalated: 0 }); // nothing due yet
    const timing = (await w.ctx.call(w.street, "GET", `/v1/incidents/${id}/progress`)).body.data as {
      teamId: string;
    }[];
    expect(timing.find((t) => t.teamId === full.id)).toMatchObject({
      firstAnswerSeconds: 120,
      quorum50Seconds: 120,
      quorum90Seconds: 120,
    });
    expect(timing.find((t) => t.teamId === short.id)).toMatchObject({
      firstAnswerSeconds: 120,
      quorum50Seconds: 120, // 1 of a quorum of 2
      quorum90Seconds: null,
    });
    w.clock.advanceMinutes(29);
    const settled = await tick();
    const states = await w.ctx.db
      .select({ teamId: teamActivations.teamId, escalation: teamActivations.escalation })
      .from(teamActivations)
      .where(eq(teamActivations.incidentId, id));
    const byTeam = Object.fromEntries(states.map((s) => [s.teamId, s.escalation]));
    expect(byTeam[full.id]).toBe("met");
    expect(byTeam[short.id]).toBe("escalated");
    expect(settled).toMatchObject({ met: 1, escalated: 1, pagesSent: 2 });
    {
      const progress = await w.ctx.call(w.street, "GET", `/v1/incidents/${id}/progress`);
      expect(progress.body.overall.paged).toBe(5); // + the 2 reserve volunteers
      const escalatedEvents = await w.ctx.db
        .select()
        .from(outboxEvents)
        .where(and(eq(outboxEvents.subjectId, id), eq(outboxEvents.type, "incident.escalated")));
      expect(escalatedEvents).toHaveLength(1);
      const trail = await w.ctx.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, "incident.escalate")));
      expect(trail[0]?.actor).toBe("system:escalation");
    }
    // Idempotent per tick: nothing is settled or paged twice.
    const again = await tick();
    expect(again).toMatchObject({ met: 0, escalated: 0, pagesSent: 0 });
  });
});
