import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifications } from "../../src/domains/emergency/tables.js";
import { runMaintenance } from "../../src/maintenance.js";
import { developmentChannel, type MessageChannel } from "../../src/shared/messaging.js";
import { createWorld, declareBody, newTeam, newVolunteer, type World } from "./setup.js";

/** A channel whose process "dies" mid-send: the call never returns, so nothing is marked sent. */
const dying: MessageChannel = { name: "dev", batchSize: 100, needsPhone: false, send: () => new Promise(() => {}) };

/** A gateway that refuses the first volunteer's number every time. */
function refusing(bad: () => string): MessageChannel {
  return {
    name: "dev",
    batchSize: 2,
    needsPhone: true,
    async send(messages) {
      return messages.map((m) =>
        m.to === bad()
          ? { id: m.id, status: "failed" as const, error: "invalid number" }
          : { id: m.id, status: "sent" as const },
      );
    },
  };
}

describe("delivery", () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld({ channel: dying });
  });
  afterAll(() => w.ctx.close());

  it("loses nothing when the process stops between the commit and the delivery, and pages nobody twice", async () => {
    const vs = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang), await newVolunteer(w, w.beiyuan)];
    await newTeam(w, w.dongbei, "mobile", vs);
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    expect(res.status).toBe(201);
    const queued = await w.ctx.db
      .select()
      .from(notifications)
      .where(eq(notifications.incidentId, res.body.incident.id));
    expect(queued.map((n) => n.status)).toEqual(["queued", "queued", "queued"]);

    // The restarted process: its maintenance job sends what was left.
    const restarted = developmentChannel();
    const deps = { paging: { ...w.ctx.deps.paging!, channel: restarted }, pii: w.ctx.pii };
    const first = await runMaintenance(w.ctx.db, w.clock.now(), { error: () => {} }, deps);
    expect(first.pagesSent).toBe(3);
    const second = await runMaintenance(w.ctx.db, w.clock.now(), { error: () => {} }, deps);
    expect(second.pagesSent).toBe(0);
    expect(restarted.recorded).toHaveLength(3);
  });
});

describe("failures", () => {
  let w: World;
  let badPhone = "";
  beforeAll(async () => {
    w = await createWorld({ channel: refusing(() => badPhone) });
  });
  afterAll(() => w.ctx.close());

  it("retries a refused page, then shows it failed for that volunteer; the others are sent in batches", async () => {
    const vs = [];
    for (let i = 0; i < 5; i++) vs.push(await newVolunteer(w, w.fukang));
    badPhone = (await w.ctx.call(w.county, "GET", `/v1/volunteers/${vs[0]!.id}?reveal=pii`)).body.phone;
    await newTeam(w, w.fukang, "emergency", vs);
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    await w.ctx.settle();
    const deps = { paging: w.ctx.deps.paging!, pii: w.ctx.pii };
    await runMaintenance(w.ctx.db, w.clock.now(), { error: () => {} }, deps);
    await runMaintenance(w.ctx.db, w.clock.now(), { error: () => {} }, deps);
    const failed = await w.ctx.call(
      w.street,
      "GET",
      `/v1/incidents/${res.body.incident.id}/notifications?status=failed`,
    );
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0]).toMatchObject({ volunteerId: vs[0]!.id, attempts: 3, lastError: "invalid number" });
    const sent = await w.ctx.call(w.street, "GET", `/v1/incidents/${res.body.incident.id}/notifications?status=sent`);
    expect(sent.body.data).toHaveLength(4);
    const progress = await w.ctx.call(w.street, "GET", `/v1/incidents/${res.body.incident.id}/progress`);
    expect(progress.body.overall).toMatchObject({ paged: 5, failed: 1 });
  });
});
