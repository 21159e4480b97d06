import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { notifications, rosterEntries } from "../../src/domains/emergency/tables.js";
import { declareBody, createWorld, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

let w: World;
let v: { id: string; name: string }[];
let teamA: { id: string }; // 富康 emergency: v0 (leader), v1, v2
let teamB: { id: string }; // 东北街 mobile: v2, v3
let site: { id: string };
let drill: { id: string };
let pages: { volunteerId: string; message: string; status: string; id: string }[];

beforeAll(async () => {
  w = await createWorld();
  v = [];
  for (let i = 0; i < 5; i++) v.push(await newVolunteer(w, i === 4 ? w.dongyuan : w.fukang));
  teamA = await newTeam(w, w.fukang, "emergency", [v[0]!, v[1]!, v[2]!], { quorum: 2 });
  teamB = await newTeam(w, w.dongbei, "mobile", [v[2]!, v[3]!], { quorum: 1 });
  await newTeam(w, w.fukang, "normal", [v[0]!]); // normal-time squad: not paged unless asked
  await newTeam(w, w.dongyuan, "emergency", [v[4]!]); // another street: not paged
  await newTeam(w, w.countyRoot, "mobile", [v[4]!]); // the county's reserve: not paged for a street incident
  site = (
    await w.ctx.call(w.county, "POST", "/v1/sites", {
      name: "富康社区党群服务中心",
      kind: "resettlement",
      divisionId: w.fukang.id,
      address: "富康路 12 号",
      capacity: 200,
    })
  ).body;
});
afterAll(() => w.ctx.close());

describe("one key", () => {
  it("declares a drill and pages every intersecting emergency and mobile team in one commit, each volunteer once", async () => {
    const batch = vi.spyOn(w.ctx.db, "batch");
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { dedupKey: "drill-1" }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    drill = res.body.incident;
    expect(res.body.incident.status).toBe("active");
    expect(res.body.deduplicated).toBe(false);
    expect(res.body.activation.teams).toBe(2);
    expect(res.body.activation.volunteers).toBe(4);
    expect(res.body.activation.byMode).toEqual([
      { mode: "emergency", teams: 1, rostered: 3 },
      { mode: "mobile", teams: 1, rostered: 2 },
    ]);
    expect(res.body.activation.byTeam.map((t: { teamId: string }) => t.teamId).sort()).toEqual(
      [teamA.id, teamB.id].sort(),
    );
    // The declaration is one batch: the incident, 4 set-based activation statements, audit, outbox.
    const commitBatch = batch.mock.calls.find((call) => (call[0] as readonly unknown[]).length > 3);
    expect(commitBatch?.[0]).toHaveLength(7);
    batch.mockRestore();

    const events = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, drill.id));
    expect(events.map((e) => e.type).sort()).toEqual(["incident.activated", "incident.declared"]);
    expect(events.find((e) => e.type === "incident.activated")?.payload).toMatchObject({
      teams: 2,
      volunteers: 4,
      drill: true,
    });
    const trail = await w.ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, drill.id));
    expect(trail.map((a) => a.action)).toEqual(["incident.declare"]);
  });

  it("delivers through the development channel and shows the pages, each within one 70-character segment", async () => {
    await w.ctx.settle();
    const res = await w.ctx.call(w.street, "GET", `/v1/incidents/${drill.id}/notifications?limit=100`);
    expect(res.status).toBe(200);
    pages = res.body.data;
    expect(pages).toHaveLength(4);
    expect(pages.map((p) => p.volunteerId).sort()).toEqual(
      v
        .slice(0, 4)
        .map((x) => x.id)
        .sort(),
    );
    for (const p of pages) {
      expect(p.status).toBe("delivered");
      expect([...p.message].length).toBeLessThanOrEqual(70);
      expect(p.message.startsWith("【酒泉志愿服务】演练：")).toBe(true);
      expect(p.message).toMatch(/https:\/\/a\.hexi\.dev\/a\/[0-9A-Za-z]{12}$/);
    }
    expect(new Set(pages.map((p) => tokenOf(p.message))).size).toBe(4);
    expect(w.channel.recorded.map((m) => m.id).sort()).toEqual(pages.map((p) => p.id).sort());
    expect(w.channel.recorded[0]?.to).toMatch(/^139\*{4}\d{4}$/); // the development channel never sees a clear phone
  });

  it("answers a repeated dedupKey with the same incident and pages nobody twice", async () => {
    const again = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { dedupKey: "drill-1" }));
    expect(again.status).toBe(200);
    expect(again.body.deduplicated).toBe(true);
    expect(again.body.incident.id).toBe(drill.id);
    expect(again.body.activation.volunteers).toBe(4);
    await w.ctx.settle();
    const all = await w.ctx.db.select().from(notifications).where(eq(notifications.incidentId, drill.id));
    expect(all).toHaveLength(4);
    expect(w.channel.recorded).toHaveLength(4);
  });

  it("keeps the roster it snapshotted when membership changes later", async () => {
    const members = await w.ctx.call(w.county, "GET", `/v1/teams/${teamA.id}/members`);
    const m1 = members.body.data.find((m: { volunteerId: string }) => m.volunteerId === v[1]!.id);
    expect((await w.ctx.call(w.county, "DELETE", `/v1/teams/${teamA.id}/members/${m1.id}`)).status).toBe(204);
    await w.ctx.call(w.county, "POST", `/v1/teams/${teamA.id}/members`, { volunteerId: v[4]!.id });
    const roster = await w.ctx.db
      .select({ volunteerId: rosterEntries.volunteerId })
      .from(rosterEntries)
      .where(eq(rosterEntries.incidentId, drill.id));
    expect(roster.map((r) => r.volunteerId).sort()).toEqual([v[0]!.id, v[1]!.id, v[2]!.id, v[2]!.id, v[3]!.id].sort());
    const progress = await w.ctx.call(w.street, "GET", `/v1/incidents/${drill.id}/progress`);
    const a = progress.body.data.find((t: { teamId: string }) => t.teamId === teamA.id);
    expect(a.paged).toBe(3);
  });

  it("refuses a page that would not fit one SMS segment", async () => {
    const res = await w.ctx.call(
      w.street,
      "POST",
      "/v1/incidents",
      declareBody(w, { headline: "富康社区暴雨内涝请所有急时小分队队员立即携带雨具和照明设备到党群服务中心集结待命" }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe("/headline");
  });
});

describe("jurisdiction", () => {
  it("lets a street declare only within its subtree", async () => {
    const res = await w.ctx.call(
      w.street,
      "POST",
      "/v1/incidents",
      declareBody(w, { affectedDivisionIds: [w.dongyuan.id] }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe("/affectedDivisionIds/0");
    const none = await w.ctx.db.select().from(notifications).where(eq(notifications.volunteerId, v[4]!.id));
    expect(none).toHaveLength(0);
  });

  it("hides an incident from another tenant (404) and from a street outside its area", async () => {
    expect((await w.ctx.call(w.otherCounty, "GET", `/v1/incidents/${drill.id}`)).status).toBe(404);
    expect((await w.ctx.call(w.otherCounty, "GET", `/v1/incidents/${drill.id}/progress`)).status).toBe(404);
    expect((await w.ctx.call(w.otherCounty, "POST", `/v1/incidents/${drill.id}/cancel`)).status).toBe(404);
    const dongnan = await w.ctx.call(
      { tenant: "620902", roles: ["street_admin"], org: (await streetOf("东南街街道")).id },
      "GET",
      `/v1/incidents/${drill.id}`,
    );
    expect(dongnan.status).toBe(404);
  });
});

async function streetOf(name: string) {
  const { divisionNamed } = await import("../helpers/fixtures.js");
  return divisionNamed(w.ctx, "620902", name);
}

describe("the answer link", () => {
  const page = (i: number) => pages.find((p) => p.volunteerId === v[i]!.id)!;
  const open = (token: string) => w.ctx.app.request(`/a/${token}`);
  const answer = (token: string, body: unknown) =>
    w.ctx.app.request(`/a/${token}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("shows a small Chinese page with no personal data", async () => {
    const res = await open(tokenOf(page(0).message));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("富康社区暴雨内涝演练");
    expect(html).toContain("能到");
    expect(html).toContain("不能到");
    expect(html).toContain("富康社区党群服务中心");
    expect(html).not.toContain(v[0]!.name);
    expect(html).not.toContain("139");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'nonce-");
  });

  it("records answers, ETA and check-in, each audited", async () => {
    const ok = await answer(tokenOf(page(0).message), { action: "answer", answer: "available", etaMinutes: 15 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ answer: "available", etaMinutes: 15, checkedInAt: null });
    expect((await answer(tokenOf(page(1).message), { action: "answer", answer: "unavailable" })).status).toBe(200);
    expect((await answer(tokenOf(page(0).message), { action: "check_in", siteId: site.id })).status).toBe(200);
    expect((await answer(tokenOf(page(2).message), { action: "check_in", siteId: site.id })).status).toBe(200);
    expect((await answer(tokenOf(page(2).message), { action: "check_in", siteId: site.id })).status).toBe(409);
    const trail = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, drill.id), eq(auditEvents.actor, `ack_link:620902:volunteer:${v[0]!.id}`)));
    expect(trail.map((a) => a.action)).toEqual(["incident.volunteer_answer", "incident.volunteer_check_in"]);

    const progress = await w.ctx.call(w.street, "GET", `/v1/incidents/${drill.id}/progress`);
    expect(progress.body.overall).toEqual({
      paged: 4,
      delivered: 4,
      failed: 0,
      available: 2,
      unavailable: 1,
      noAnswer: 1,
      checkedIn: 2,
    });
    const a = progress.body.data.find((t: { teamId: string }) => t.teamId === teamA.id);
    expect(a).toMatchObject({ paged: 3, available: 2, unavailable: 1, checkedIn: 2, quorumMet: true });
  });

  it("refuses forged and malformed tokens with the same 404, and sites of another area", async () => {
    expect((await open("AAAAAAAAAAAA")).status).toBe(404);
    expect((await open("../../etc")).status).toBe(404);
    expect((await answer("AAAAAAAAAAAA", { action: "check_out" })).status).toBe(404);
    const elsewhere = await w.ctx.call(w.county, "POST", "/v1/sites", {
      name: "东苑社区服务中心",
      kind: "resettlement",
      divisionId: w.dongyuan.id,
      address: "东苑路 1 号",
      capacity: 10,
    });
    const res = await answer(tokenOf(page(3).message), { action: "check_in", siteId: elsewhere.body.id });
    expect(res.status).toBe(400);
  });

  it("is rate-limited per token", async () => {
    const token = tokenOf(page(3).message);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await open(token)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    w.clock.advanceMinutes(2);
    expect((await open(token)).status).toBe(200);
  });
});

describe("stand-down, close report and hours", () => {
  it("stands down, closes with the report, and posts each checked-in volunteer's hours to the ledger", async () => {
    w.clock.advanceMinutes(60);
    expect((await answer0("check_out")).status).toBe(200); // v0: checked in ~t+2m, out at ~t+62m
    w.clock.advanceMinutes(60);
    const down = await w.ctx.call(w.street, "POST", `/v1/incidents/${drill.id}/stand-down`);
    expect(down.status).toBe(200);
    expect(down.body.status).toBe("standing_down");
    w.clock.advanceMinutes(30);
    const closed = await w.ctx.call(w.street, "POST", `/v1/incidents/${drill.id}/close`, {
      servedBySite: [{ siteId: site.id, people: 86 }],
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.status).toBe("closed");
    expect(closed.body.servedBySite).toEqual([{ siteId: site.id, people: 86 }]);

    const v0 = await w.ctx.call(w.county, "GET", `/v1/ledger-entries?volunteerId=${v[0]!.id}`);
    expect(v0.body.data).toHaveLength(1);
    expect(v0.body.data[0]).toMatchObject({
      sourceType: "emergency",
      memberId: null,
      volunteerId: v[0]!.id,
      hours: 1.03,
    }); // 62 minutes
    const v2 = await w.ctx.call(w.county, "GET", `/v1/ledger-entries?volunteerId=${v[2]!.id}`);
    expect(v2.body.data[0]).toMatchObject({ hours: 2.03, points: 20 }); // 122 minutes, to the stand-down
    expect((await w.ctx.call(w.county, "GET", `/v1/ledger-entries?volunteerId=${v[1]!.id}`)).body.data).toHaveLength(0);

    // Closed: the links expire, and the incident cannot close twice.
    expect((await w.ctx.app.request(`/a/${tokenOf(pages[0]!.message)}`)).status).toBe(404);
    expect((await w.ctx.call(w.street, "POST", `/v1/incidents/${drill.id}/close`, {})).status).toBe(409);
  });

  it("exports the hours as CSV for the national volunteer system, only to a person with pii:read, audited", async () => {
    expect((await w.ctx.as(w.street)(`/v1/incidents/${drill.id}/hours.csv`)).status).toBe(403);
    const res = await w.ctx.as(w.county)(`/v1/incidents/${drill.id}/hours.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text())
      .replace(/^\uFEFF/, "")
      .trimEnd()
      .split("\r\n");
    expect(lines[0]).toBe(
      "志愿者姓名,证件类型,证件号码,手机号码,服务开始时间,服务结束时间,服务时长（小时）,服务项目,服务地点,备注",
    );
    expect(lines).toHaveLength(3);
    const v0 = lines.find((l) => l.startsWith(`${v[0]!.name},`))!;
    expect(v0).toContain(",1.03,应急演练：富康社区暴雨内涝演练,富康社区党群服务中心,");
    expect(v0).toMatch(/,139\d{8},2026-08-13 14:00,2026-08-13 15:02,/);
    const trail = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, drill.id), eq(auditEvents.action, "incident.hours_exported")));
    expect(trail).toHaveLength(1);
  });

  it("keeps a closed incident's token dead on a later incident that pages the same volunteer", async () => {
    const real = await w.ctx.call(
      w.county,
      "POST",
      "/v1/incidents",
      declareBody(w, { drill: false, dedupKey: "real-1" }),
    );
    expect(real.status).toBe(201);
    await w.ctx.settle();
    const oldToken = tokenOf(pages.find((p) => p.volunteerId === v[0]!.id)!.message);
    const replay = await w.ctx.app.request(`/a/${oldToken}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "answer", answer: "available" }),
    });
    expect(replay.status).toBe(404);
    const [fresh] = await w.ctx.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.incidentId, real.body.incident.id), eq(notifications.volunteerId, v[0]!.id)));
    expect(fresh?.answer).toBeNull();
    expect(fresh?.token).not.toBe(oldToken);
    // Drills and real incidents list apart.
    const realOnly = await w.ctx.call(w.county, "GET", "/v1/incidents?drill=false");
    expect(realOnly.body.data.map((i: { id: string }) => i.id)).toEqual([real.body.incident.id]);
  });
});

function answer0(action: string) {
  const token = tokenOf(pages.find((p) => p.volunteerId === v[0]!.id)!.message);
  return w.ctx.app.request(`/a/${token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action }),
  });
}
