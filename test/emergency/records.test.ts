import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { runMaintenance } from "../../src/maintenance.js";
import { volunteers } from "../../src/domains/emergency/tables.js";
import { createWorld, newTeam, newVolunteer, type World } from "./setup.js";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.ctx.close());

describe("volunteers", () => {
  it("seals and masks phone and ID card exactly like members, and reveals them only to a person with pii:read", async () => {
    const v = await newVolunteer(w, w.fukang, {
      phone: "13909372046",
      idCard: "620902198805010024",
      skills: ["water_rescue", "kazakh_interpreting"],
      certificates: [{ name: "红十字救护员证", expiresOn: "2028-06-30" }],
    });
    expect(v.phone).toBe("139****2046");
    expect((v as unknown as { idCard: string }).idCard).toBe("6209**********0024");
    const [row] = await w.ctx.db.select().from(volunteers).where(eq(volunteers.id, v.id));
    expect(row?.phoneCipher).not.toContain("13909372046");
    expect(row?.idCardCipher).not.toContain("620902198805010024");

    const revealed = await w.ctx.call(w.county, "GET", `/v1/volunteers/${v.id}?reveal=pii`);
    expect(revealed.status).toBe(200);
    expect(revealed.body.phone).toBe("13909372046");
    const trail = await w.ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, v.id));
    expect(trail.map((a) => a.action)).toEqual(["volunteer.create", "volunteer.pii_revealed"]);

    // A street admin holds no pii:read.
    expect((await w.ctx.call(w.street, "GET", `/v1/volunteers/${v.id}?reveal=pii`)).status).toBe(403);
    // Exact lookup by phone.
    const found = await w.ctx.call(w.county, "GET", "/v1/volunteers?phone=13909372046");
    expect(found.body.data.map((x: { id: string }) => x.id)).toEqual([v.id]);
  });

  it("rejects unknown skills and refuses a home outside the caller's subtree", async () => {
    const bad = await w.ctx.call(w.county, "POST", "/v1/volunteers", {
      name: "甲",
      phone: "13912345678",
      source: "individual",
      homeDivisionId: w.fukang.id,
      skills: ["juggling"],
    });
    expect(bad.status).toBe(400);
    const outside = await w.ctx.call(w.street, "POST", "/v1/volunteers", {
      name: "乙",
      phone: "13912345679",
      source: "individual",
      homeDivisionId: w.dongyuan.id,
    });
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].pointer).toBe("/homeDivisionId");
  });

  it("is another tenant's 404, and the city reads it with the name masked", async () => {
    const v = await newVolunteer(w, w.fukang, { name: "马建国" });
    expect((await w.ctx.call(w.otherCounty, "GET", `/v1/volunteers/${v.id}`)).status).toBe(404);
    const city = await w.ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", `/v1/volunteers/${v.id}`);
    expect(city.status).toBe(200);
    expect(city.body.name).toBe("马**");
  });

  it("lists the skills reference list", async () => {
    const res = await w.ctx.call(w.street, "GET", "/v1/volunteer-skills?limit=5");
    expect(res.body.data).toHaveLength(5);
    const next = await w.ctx.call(w.street, "GET", `/v1/volunteer-skills?limit=5&cursor=${res.body.nextCursor}`);
    expect(next.body.data.map((s: { code: string }) => s.code)).toContain("kazakh_interpreting");
    expect(next.body.nextCursor).toBeNull();
  });
});

describe("retention (PIPL)", () => {
  it("anonymises an inactive volunteer's personal data after the retention period, audited without names", async () => {
    const kept = await newVolunteer(w, w.fukang, { name: "留存者" });
    const gone = await newVolunteer(w, w.fukang, {
      name: "离队者",
      idCard: "620902198805010024".replace("0024", "0040"),
    });
    const off = await w.ctx.call(
      w.county,
      "PATCH",
      `/v1/volunteers/${gone.id}`,
      { active: false },
      { "if-match": '"v1"' },
    );
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const deps = { paging: { ...w.ctx.deps.paging!, retentionDays: 30 }, pii: w.ctx.pii };
    w.clock.advanceMinutes(29 * 24 * 60);
    await runMaintenance(w.ctx.db, w.clock.now(), { error: () => {} }, deps);
    expect((await w.ctx.call(w.county, "GET", `/v1/volunteers/${gone.id}`)).body.name).toBe("离队者");
    w.clock.advanceMinutes(2 * 24 * 60);
    await runMaintenance(w.ctx.db, w.clock.now(), { error: () => {} }, deps);
    const after = await w.ctx.call(w.county, "GET", `/v1/volunteers/${gone.id}?reveal=pii`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ name: "已匿名", idCard: null, active: false });
    expect(after.body.phone).not.toMatch(/\d/);
    expect((await w.ctx.call(w.county, "GET", `/v1/volunteers/${kept.id}`)).body.name).toBe("留存者");
    const [audit] = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "volunteer.retention_anonymised"));
    expect(audit?.changes).toMatchObject({ volunteers: 1 });
    expect(JSON.stringify(audit)).not.toContain("离队者");
  });
});

describe("teams and sites", () => {
  it("forms a team with members many-to-many and roles, audited with events", async () => {
    const a = await newVolunteer(w, w.fukang);
    const b = await newVolunteer(w, w.fukang);
    const t1 = await newTeam(w, w.fukang, "emergency", [a, b]);
    const t2 = await newTeam(w, w.dongbei, "mobile", [b]);
    const members1 = await w.ctx.call(w.street, "GET", `/v1/teams/${t1.id}/members`);
    const roles = members1.body.data.map((m: { volunteerId: string; role: string }) => [m.volunteerId, m.role]);
    expect(roles.sort()).toEqual(
      [
        [a.id, "leader"],
        [b.id, "member"],
      ].sort(),
    );
    expect((await w.ctx.call(w.street, "GET", `/v1/teams/${t2.id}/members`)).body.data).toHaveLength(1);
    const again = await w.ctx.call(w.county, "POST", `/v1/teams/${t1.id}/members`, { volunteerId: a.id });
    expect(again.status).toBe(409);
    const removed = await w.ctx.call(
      w.county,
      "DELETE",
      `/v1/teams/${t1.id}/members/${members1.body.data.find((m: { volunteerId: string }) => m.volunteerId === b.id).id}`,
    );
    expect(removed.status).toBe(204);
    const events = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, t1.id));
    expect(events.map((e) => e.type)).toEqual([
      "team.formed",
      "team.member_added",
      "team.member_added",
      "team.member_removed",
    ]);
    // A street admin cannot form a team outside its street.
    const outside = await w.ctx.call(w.street, "POST", "/v1/teams", {
      name: "东苑队",
      mode: "emergency",
      divisionId: w.dongyuan.id,
      quorum: 1,
      responseDeadlineMinutes: 15,
    });
    expect(outside.status).toBe(400);
  });

  it("registers a site, refuses occupancy above capacity, and closes it", async () => {
    const res = await w.ctx.call(w.street, "POST", "/v1/sites", {
      name: "富康社区党群服务中心",
      kind: "resettlement",
      divisionId: w.fukang.id,
      address: "富康路 12 号",
      capacity: 100,
    });
    expect(res.status).toBe(201);
    const over = await w.ctx.call(
      w.street,
      "PATCH",
      `/v1/sites/${res.body.id}`,
      { occupancy: 101 },
      { "if-match": '"v1"' },
    );
    expect(over.status).toBe(400);
    const closed = await w.ctx.call(w.street, "POST", `/v1/sites/${res.body.id}/close`);
    expect(closed.body.status).toBe("closed");
    expect((await w.ctx.call(w.street, "POST", `/v1/sites/${res.body.id}/close`)).status).toBe(409);
  });
});
