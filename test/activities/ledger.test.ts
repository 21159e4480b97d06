import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
import { quarterOf } from "../../src/domains/activities/ledger.js";
import { quarterEnd } from "../../src/shared/calendar.js";
import { verifiedHours } from "../../src/domains/activities/participations.js";
import { ledgerEntries } from "../../src/domains/activities/tables.js";
import { insertMember, insertPartyOrg } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import { createActivity, createWorld, insertLedgerEntry, memberToken, unitAdminToken, type World } from "./setup.js";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.ctx.close());

const otherCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"], sub: "yumen-county" };
const entriesOf = (sourceId: string) =>
  w.ctx.db.select().from(ledgerEntries).where(eq(ledgerEntries.sourceId, sourceId));

/** Signs a member up and walks them through check-in and check-out at the given instants. */
async function attend(activity: { id: string }, memberId: string, checkIn: string, checkOut: string) {
  const part = (await w.ctx.call(memberToken(memberId), "POST", `/v1/activities/${activity.id}/participations`)).body;
  w.clock.set(checkIn);
  await w.ctx.call(memberToken(memberId), "POST", `/v1/participations/${part.id}/check-in`);
  w.clock.set(checkOut);
  const out = await w.ctx.call(memberToken(memberId), "POST", `/v1/participations/${part.id}/check-out`);
  expect(out.body.status).toBe("checked_out");
  return part as { id: string };
}

describe("hours", () => {
  const activity = { startsAt: "2026-09-12T01:00:00.000Z", endsAt: "2026-09-12T03:30:00.000Z" };
  it("come from check-in and check-out, to the nearest quarter hour, at most the activity's length", () => {
    expect(verifiedHours("2026-09-12T01:00:00.000Z", "2026-09-12T02:07:00.000Z", activity)).toBe(1);
    expect(verifiedHours("2026-09-12T01:00:00.000Z", "2026-09-12T02:08:00.000Z", activity)).toBe(1.25);
    expect(verifiedHours("2026-09-12T00:58:00.000Z", "2026-09-12T03:31:00.000Z", activity)).toBe(2.5);
    expect(verifiedHours("2026-09-12T00:00:00.000Z", "2026-09-12T06:00:00.000Z", activity)).toBe(2.5);
    expect(
      verifiedHours("2026-09-12T01:00:00.000Z", "2026-09-12T02:40:00.000Z", {
        ...activity,
        endsAt: "2026-09-12T02:40:00.000Z",
      }),
    ).toBe(1.5);
  });

  it("count years and quarters in China time", () => {
    expect(quarterOf("2026-09-30T15:59:59.000Z")).toEqual({ year: 2026, quarter: "2026-Q3" });
    expect(quarterOf("2026-09-30T16:00:00.000Z")).toEqual({ year: 2026, quarter: "2026-Q4" });
    expect(quarterOf("2026-12-31T16:30:00.000Z")).toEqual({ year: 2027, quarter: "2027-Q1" });
    expect(quarterEnd("2026-Q3").toISOString()).toBe("2026-09-30T16:00:00.000Z");
    expect(quarterEnd("2026-Q4").toISOString()).toBe("2026-12-31T16:00:00.000Z");
  });
});

describe("verification", () => {
  it("computes hours from the times, posts exactly one ledger entry in the same write, and refuses a second verification", async () => {
    const activity = await createActivity(w, { pointsPerHour: 12 });
    const m = await insertMember(w.ctx, w.fukang);
    const part = await attend(activity, m.id, "2026-09-12T00:58:00.000Z", "2026-09-12T03:31:00.000Z");
    expect((await w.ctx.call(w.admin, "POST", `/v1/participations/${part.id}/verify`, { hours: 8 })).status).toBe(400);
    const bad = await w.ctx.call(w.admin, "POST", `/v1/participations/${part.id}/verify`, { rating: 6 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe("/rating");

    const res = await w.ctx.call(w.admin, "POST", `/v1/participations/${part.id}/verify`, { rating: 5 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "verified", hours: 2.5, rating: 5 });
    const [entry, ...more] = await entriesOf(part.id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      memberId: m.id,
      hours: 2.5,
      points: 30,
      year: 2026,
      quarter: "2026-Q3",
      sourceType: "participation",
      reversesId: null,
      createdBy: "jwt:620902:fukang-admin",
    });
    const [event] = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, part.id));
    expect(event).toMatchObject({
      type: "participation.verified",
      tenantId: "620902",
      payload: { hours: 2.5, points: 30, ledgerEntryId: entry!.id },
    });

    const again = await w.ctx.call(w.admin, "POST", `/v1/participations/${part.id}/verify`, { rating: 1 });
    expect(again.status).toBe(409);
    expect(again.body.currentState).toBe("verified");
    expect(await entriesOf(part.id)).toHaveLength(1);
  });

  it("posts once even when two verifications race", async () => {
    const activity = await createActivity(w);
    const m = await insertMember(w.ctx, w.fukang);
    const part = await attend(activity, m.id, "2026-09-12T01:00:00.000Z", "2026-09-12T02:00:00.000Z");
    const results = await Promise.all(
      [1, 2, 3].map(() => w.ctx.call(w.admin, "POST", `/v1/participations/${part.id}/verify`)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(await entriesOf(part.id)).toHaveLength(1);
  });

  it("posts to the quarter of the activity's start in China time", async () => {
    const activity = await createActivity(w, {
      startsAt: "2026-10-01T01:00:00+08:00",
      endsAt: "2026-10-01T03:00:00+08:00",
    });
    const m = await insertMember(w.ctx, w.fukang);
    const part = await attend(activity, m.id, "2026-09-30T17:00:00.000Z", "2026-09-30T18:00:00.000Z");
    await w.ctx.call(w.admin, "POST", `/v1/participations/${part.id}/verify`);
    expect((await entriesOf(part.id))[0]).toMatchObject({ year: 2026, quarter: "2026-Q4", hours: 1, points: 10 });
  });
});

describe("ledger", () => {
  it("is append-only in the database itself", async () => {
    const m = await insertMember(w.ctx, w.fukang);
    const entry = await insertLedgerEntry(w, m.id);
    await expect(
      w.ctx.db.update(ledgerEntries).set({ hours: 100 }).where(eq(ledgerEntries.id, entry.id)),
    ).rejects.toThrow();
    await expect(w.ctx.db.run(sql`update ledger_entries set points = 0`)).rejects.toThrow();
    await expect(w.ctx.db.delete(ledgerEntries).where(eq(ledgerEntries.id, entry.id))).rejects.toThrow();
    const [stored] = await w.ctx.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, entry.id));
    expect(stored).toMatchObject({ hours: 2, points: 20 });
    for (const method of ["PATCH", "PUT", "DELETE"]) {
      expect(
        (
          await w.ctx.call(
            w.admin,
            method,
            `/v1/ledger-entries/${entry.id}`,
            method === "DELETE" ? undefined : { hours: 1 },
          )
        ).status,
        method,
      ).toBeGreaterThanOrEqual(404);
    }
  });

  it("corrects by a reversing entry, once, never reversing a reversal; balances add up", async () => {
    const m = await insertMember(w.ctx, w.fukang);
    const kept = await insertLedgerEntry(w, m.id, { hours: 3, points: 30 });
    const wrong = await insertLedgerEntry(w, m.id, { hours: 4.5, points: 45 });
    await insertLedgerEntry(w, m.id, { hours: 1, points: 10, year: 2025, quarter: "2025-Q4" });
    const balance = async (who: TokenOptions = w.admin, year = 2026) =>
      (await w.ctx.call(who, "GET", `/v1/members/${m.id}/balance?year=${year}`)).body;
    expect(await balance()).toEqual({ memberId: m.id, year: 2026, hours: 7.5, points: 75 });

    const missingReason = await w.ctx.call(w.admin, "POST", `/v1/ledger-entries/${wrong.id}/reverse`, {});
    expect(missingReason.status).toBe(400);
    expect(missingReason.body.errors[0].pointer).toBe("/reason");
    const reversal = await w.ctx.call(w.admin, "POST", `/v1/ledger-entries/${wrong.id}/reverse`, {
      reason: "签退时间登记错误",
    });
    expect(reversal.status).toBe(201);
    expect(reversal.body).toMatchObject({
      memberId: m.id,
      hours: -4.5,
      points: -45,
      sourceType: "correction",
      sourceId: wrong.id,
      reversesId: wrong.id,
      reason: "签退时间登记错误",
      quarter: "2026-Q3",
    });
    expect(reversal.headers.get("location")).toBe(`/v1/ledger-entries/${reversal.body.id}`);
    expect(await balance()).toEqual({ memberId: m.id, year: 2026, hours: 3, points: 30 });
    expect(await balance(w.admin, 2025)).toEqual({ memberId: m.id, year: 2025, hours: 1, points: 10 });

    const twice = await w.ctx.call(w.admin, "POST", `/v1/ledger-entries/${wrong.id}/reverse`, { reason: "再来一次" });
    expect(twice.status).toBe(409);
    const ofReversal = await w.ctx.call(w.admin, "POST", `/v1/ledger-entries/${reversal.body.id}/reverse`, {
      reason: "撤销更正",
    });
    expect(ofReversal.status).toBe(409);
    expect(ofReversal.body.detail).toMatch(/itself a reversal/);
    expect(await balance()).toEqual({ memberId: m.id, year: 2026, hours: 3, points: 30 });

    const trail = await w.ctx.call(w.admin, "GET", `/v1/audit-events?targetId=${wrong.id}`);
    expect(trail.body.data.map((e: { action: string }) => e.action)).toEqual(["ledger_entry.reverse"]);
    const listed = (await w.ctx.call(w.admin, "GET", `/v1/ledger-entries?memberId=${m.id}&year=2026`)).body.data as {
      id: string;
    }[];
    expect(listed.map((e) => e.id).sort()).toEqual([kept.id, wrong.id, reversal.body.id].sort());
    expect(
      (await w.ctx.call(w.admin, "GET", `/v1/ledger-entries?memberId=${m.id}&quarter=2025-Q4`)).body.data,
    ).toHaveLength(1);
    expect((await w.ctx.call(w.admin, "GET", `/v1/ledger-entries?quarter=2026-Q5`)).status).toBe(400);
    expect((await w.ctx.call(w.admin, "GET", `/v1/members/${m.id}/balance`)).status).toBe(400);
  });

  it("lets members see their own, unit admins their employees', and nobody another tenant's", async () => {
    const employer = await insertPartyOrg(w.ctx, w.dongbei, { category: "unit" });
    const employee = await insertMember(w.ctx, w.fukang, { employerOrgId: employer.id, employerTenantId: "620902" });
    const stranger = await insertMember(w.ctx, w.fukang);
    const mine = await insertLedgerEntry(w, employee.id, { hours: 2, points: 20 });
    const theirs = await insertLedgerEntry(w, stranger.id, { hours: 5, points: 50 });

    const own = (await w.ctx.call(memberToken(employee.id), "GET", "/v1/ledger-entries")).body.data as { id: string }[];
    expect(own.map((e) => e.id)).toEqual([mine.id]);
    expect((await w.ctx.call(memberToken(employee.id), "GET", `/v1/ledger-entries/${theirs.id}`)).status).toBe(404);
    expect(
      (await w.ctx.call(memberToken(employee.id), "GET", `/v1/members/${employee.id}/balance?year=2026`)).body,
    ).toMatchObject({ hours: 2, points: 20 });
    expect(
      (await w.ctx.call(memberToken(employee.id), "GET", `/v1/members/${stranger.id}/balance?year=2026`)).status,
    ).toBe(404);

    const unit = unitAdminToken(employer.id);
    expect(
      ((await w.ctx.call(unit, "GET", "/v1/ledger-entries?limit=100")).body.data as { id: string }[]).map((e) => e.id),
    ).toEqual([mine.id]);
    expect((await w.ctx.call(unit, "GET", `/v1/members/${employee.id}/balance?year=2026`)).body).toMatchObject({
      hours: 2,
      points: 20,
    });
    expect((await w.ctx.call(unit, "GET", `/v1/members/${stranger.id}/balance?year=2026`)).status).toBe(404);
    expect((await w.ctx.call(unit, "GET", `/v1/ledger-entries/${theirs.id}`)).status).toBe(404);

    expect((await w.ctx.call(otherCounty, "GET", "/v1/ledger-entries")).body.data).toEqual([]);
    expect((await w.ctx.call(otherCounty, "GET", `/v1/ledger-entries/${mine.id}`)).status).toBe(404);
    expect((await w.ctx.call(otherCounty, "GET", `/v1/members/${employee.id}/balance?year=2026`)).status).toBe(404);
    expect(
      (
        await w.ctx.call(
          { tenant: "620981", roles: ["community_admin"] },
          "POST",
          `/v1/ledger-entries/${mine.id}/reverse`,
          { reason: "x" },
        )
      ).status,
    ).toBe(404);
    const beiyuanAdmin = { tenant: "620902", roles: ["community_admin" as const], org: w.beiyuan.id };
    expect(
      (await w.ctx.call(beiyuanAdmin, "POST", `/v1/ledger-entries/${mine.id}/reverse`, { reason: "x" })).status,
    ).toBe(404);
    expect(
      (await w.ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", `/v1/ledger-entries/${mine.id}`)).status,
    ).toBe(200);
  });

  it("lets only ledger:correct holders reverse", async () => {
    const m = await insertMember(w.ctx, w.fukang);
    const entry = await insertLedgerEntry(w, m.id);
    for (const who of [
      memberToken(m.id),
      { tenant: "620902", roles: ["county_admin" as const] },
      { tenant: "620902", roles: ["auditor" as const] },
      unitAdminToken(w.organiser.id),
    ]) {
      expect(
        (await w.ctx.call(who, "POST", `/v1/ledger-entries/${entry.id}/reverse`, { reason: "x" })).status,
        who.roles?.[0],
      ).toBe(403);
    }
    expect(await entriesOf(entry.id)).toEqual([]);
  });
});
