import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidents, notifications } from "../../src/domains/emergency/tables.js";
import { auditEvents } from "../../src/db/tables.js";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

/**
 * 能到 / 不能到 through the link resolve the token inside the write (no read before it): the
 * conditions are checked in the transaction, and what is refused writes nothing and answers as the
 * read-first path did.
 */
describe("answers through the link, written by token", () => {
  let w: World;
  let incident: { id: string; divisionPath: string };
  let pages: { id: string; volunteerId: string; message: string }[];
  let site: { id: string };
  beforeAll(async () => {
    w = await createWorld();
    const vs = [];
    for (let i = 0; i < 6; i++) vs.push(await newVolunteer(w, w.fukang));
    await newTeam(w, w.fukang, "emergency", vs);
    site = (
      await w.ctx.call(w.county, "POST", "/v1/sites", {
        name: "富康社区党群服务中心",
        kind: "resettlement",
        divisionId: w.fukang.id,
        address: "富康路 12 号",
        capacity: 200,
      })
    ).body;
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    const [row] = await w.ctx.db.select().from(incidents).where(eq(incidents.id, res.body.incident.id));
    incident = row!;
    await w.ctx.settle();
    pages = (await w.ctx.call(w.street, "GET", `/v1/incidents/${incident.id}/notifications?limit=100`)).body.data;
  });
  afterAll(() => w.ctx.close());

  const post = (token: string, body: unknown, ip = "10.0.0.1") =>
    w.ctx.app.request(`/a/${token}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-client-ip": ip },
      body: JSON.stringify(body),
    });
  const trailOf = (notificationId: string) =>
    w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, incident.id), eq(auditEvents.action, "incident.volunteer_answer")))
      .then((rows) => rows.filter((r) => (r.changes as { notificationId: string }).notificationId === notificationId));
  const rowOf = async (id: string) => (await w.ctx.db.select().from(notifications).where(eq(notifications.id, id)))[0]!;

  it("writes the answer and an audit row naming the volunteer's link, as the read-first path did", async () => {
    const p = pages[0]!;
    const res = await post(tokenOf(p.message), { action: "answer", answer: "available", etaMinutes: 25 });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      answer: "available",
      etaMinutes: 25,
      siteId: null,
      checkedInAt: null,
      checkedOutAt: null,
    });
    const at = w.clock.now().toISOString();
    expect(await rowOf(p.id)).toMatchObject({ answer: "available", etaMinutes: 25, answeredAt: at, version: 3 });
    const [audit, ...more] = await trailOf(p.id);
    expect(more).toHaveLength(0);
    expect(audit).toMatchObject({
      tenantId: "620902",
      actor: `ack_link:620902:volunteer:${p.volunteerId}`,
      actorKind: "ack_link",
      targetType: "incident",
      targetId: incident.id,
      divisionPath: incident.divisionPath,
      at,
    });
    expect(audit!.requestId).toMatch(/^req_/);
    expect(audit!.changes).toEqual({ notificationId: p.id, answer: "available", etaMinutes: 25, answeredAt: at });
    // Without an ETA the ETA is cleared.
    const again = await post(tokenOf(p.message), { action: "answer", answer: "unavailable" });
    expect(await again.json()).toMatchObject({ answer: "unavailable", etaMinutes: null });
    expect(await rowOf(p.id)).toMatchObject({ answer: "unavailable", etaMinutes: null, version: 4 });
    expect(await trailOf(p.id)).toHaveLength(2);
  });

  it("once checked in: 能到 answers with the check-in's state, 不能到 is refused and writes nothing", async () => {
    const p = pages[1]!;
    expect((await post(tokenOf(p.message), { action: "check_in", siteId: site.id })).status).toBe(200);
    const before = await rowOf(p.id);
    const no = await post(tokenOf(p.message), { action: "answer", answer: "unavailable" });
    expect(no.status).toBe(409);
    expect(await rowOf(p.id)).toEqual(before);
    expect(await trailOf(p.id)).toHaveLength(0);
    const yes = await post(tokenOf(p.message), { action: "answer", answer: "available", etaMinutes: 0 });
    expect(yes.status).toBe(200);
    expect(await yes.json()).toEqual({
      answer: "available",
      etaMinutes: 0,
      siteId: site.id,
      checkedInAt: before.checkedInAt,
      checkedOutAt: null,
    });
  });

  it("answers an unknown or malformed token 404, writing nothing", async () => {
    expect((await post("AAAAAAAAAAAA", { action: "answer", answer: "available" })).status).toBe(404);
    expect((await post("short", { action: "answer", answer: "available" })).status).toBe(404);
  });

  it("is rate-limited per token, not per address: one token's 21st answer in a minute is refused, another's goes on", async () => {
    const [a, b] = [pages[2]!, pages[3]!];
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await post(tokenOf(a.message), { action: "answer", answer: "available" }, `10.1.0.${i}`)).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses[20]).toBe(429);
    expect(await trailOf(a.id)).toHaveLength(20);
    expect((await post(tokenOf(b.message), { action: "answer", answer: "available" }, "10.1.0.1")).status).toBe(200);
    w.clock.advanceMinutes(1);
    expect((await post(tokenOf(a.message), { action: "answer", answer: "available" })).status).toBe(200);
  });

  it("standing down: answers are refused with 409 and write nothing; closed: the link is gone (404)", async () => {
    const p = pages[4]!;
    expect((await w.ctx.call(w.street, "POST", `/v1/incidents/${incident.id}/stand-down`)).status).toBe(200);
    const before = await rowOf(p.id);
    const res = await post(tokenOf(p.message), { action: "answer", answer: "available" });
    expect(res.status).toBe(409);
    expect(await rowOf(p.id)).toEqual(before);
    expect(await trailOf(p.id)).toHaveLength(0);
    expect((await w.ctx.call(w.street, "POST", `/v1/incidents/${incident.id}/close`, {})).status).toBe(200);
    expect((await post(tokenOf(p.message), { action: "answer", answer: "available" })).status).toBe(404);
    expect(await trailOf(p.id)).toHaveLength(0);
  });
});
