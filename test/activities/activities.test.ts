import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { participations } from "../../src/domains/activities/tables.js";
import { divisionNamed, insertMember, insertPartyOrg } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import {
  activityBody,
  createActivity,
  createWorld,
  insertParticipation,
  memberToken,
  unitAdminToken,
  type World,
} from "./setup.js";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.ctx.close());

const otherCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"], sub: "yumen-county" };
const pointers = (res: { body: { errors?: { pointer: string }[] } }) => (res.body.errors ?? []).map((e) => e.pointer);

describe("activities", () => {
  it("announces an activity with ETag, Location, UTC times and an audit event", async () => {
    const res = await w.ctx.call(
      w.admin,
      "POST",
      "/v1/activities",
      activityBody(w, { kind: "lecture", lectureTalk: "expert_theory", title: "专家讲理论" }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      communityId: w.fukang.id,
      kind: "lecture",
      lectureTalk: "expert_theory",
      startsAt: "2026-09-12T01:00:00.000Z",
      endsAt: "2026-09-12T03:30:00.000Z",
      capacity: 30,
      version: 1,
    });
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/activities/${res.body.id}`);
    const audit = await w.ctx.call(w.admin, "GET", `/v1/audit-events?targetId=${res.body.id}`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(["activity.create"]);
  });

  it("rejects inconsistent or server-owned fields with pointers", async () => {
    const street = await divisionNamed(w.ctx, "620902", "东南街街道");
    const dunhuangOrg = await insertPartyOrg(w.ctx, await divisionNamed(w.ctx, "620982", "沙州镇"));
    for (const [over, pointer] of [
      [{ kind: "lecture" }, "/lectureTalk"],
      [{ kind: "service", lectureTalk: "model_deeds" }, "/lectureTalk"],
      [{ lectureTalk: "gossip", kind: "lecture" }, "/lectureTalk"],
      [{ endsAt: "2026-09-12T09:00:00+08:00" }, "/endsAt"],
      [{ startsAt: "2026-09-12 09:00" }, "/startsAt"],
      [{ capacity: 0 }, "/capacity"],
      [{ kind: "party" }, "/kind"],
      [{ tenantId: "620981" }, "/tenantId"],
      [{ version: 3 }, "/version"],
      [{ communityId: street.id }, "/communityId"],
      [{ communityId: w.beiyuan.id }, "/communityId"], // a community outside the admin's subtree
      [{ organiserOrgId: dunhuangOrg.id }, "/organiserOrgId"], // another tenant's organisation
    ] as const) {
      const res = await w.ctx.call(w.admin, "POST", "/v1/activities", activityBody(w, over));
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(pointers(res), JSON.stringify(over)).toContain(pointer);
    }
  });

  it("replays an idempotent create", async () => {
    const headers = { "idempotency-key": "activity-create-0001" };
    const first = await w.ctx.call(w.admin, "POST", "/v1/activities", activityBody(w, { title: "幂等活动" }), headers);
    const retry = await w.ctx.call(w.admin, "POST", "/v1/activities", activityBody(w, { title: "幂等活动" }), headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    const list = await w.ctx.call(w.admin, "GET", "/v1/activities?limit=100");
    expect(list.body.data.filter((a: { title: string }) => a.title === "幂等活动")).toHaveLength(1);
  });

  it("lets only community administrators announce", async () => {
    for (const who of [
      { tenant: "620902", roles: ["county_admin" as const] },
      { tenant: "620902", roles: ["street_admin" as const], org: w.dongbei.id },
      { tenant: "620902", roles: ["auditor" as const] },
      memberToken("mem_01KDVDNA011AKWK3RC504FTYF8"),
      unitAdminToken(w.organiser.id),
      { tenant: "620900", roles: ["city_admin" as const] },
    ]) {
      expect((await w.ctx.call(who, "POST", "/v1/activities", activityBody(w))).status, who.roles?.[0]).toBe(403);
    }
  });

  it("lists with filters; members read the tenant's notices; other tenants and subtrees see nothing", async () => {
    const drill = await createActivity(w, {
      kind: "drill",
      title: "防汛演练",
      startsAt: "2026-10-20T09:00:00+08:00",
      endsAt: "2026-10-20T10:00:00+08:00",
    });
    const drills = (await w.ctx.call(w.admin, "GET", "/v1/activities?kind=drill")).body.data;
    expect(drills.map((a: { id: string }) => a.id)).toEqual([drill.id]);
    const october = (
      await w.ctx.call(
        w.admin,
        "GET",
        `/v1/activities?startsFrom=${encodeURIComponent("2026-10-01T00:00:00+08:00")}&startsTo=${encodeURIComponent("2026-10-31T23:59:59+08:00")}`,
      )
    ).body.data;
    expect(october.map((a: { id: string }) => a.id)).toEqual([drill.id]);
    const september = (
      await w.ctx.call(w.admin, "GET", `/v1/activities?communityId=${w.fukang.id}&startsTo=2026-09-30T16:00:00Z`)
    ).body.data as { startsAt: string }[];
    expect(september.length).toBeGreaterThan(0);
    expect(september.every((a) => a.startsAt < "2026-10")).toBe(true);
    expect((await w.ctx.call(w.admin, "GET", "/v1/activities?startsFrom=yesterday")).status).toBe(400);

    const member = await insertMember(w.ctx, w.beiyuan);
    const seen = (await w.ctx.call(memberToken(member.id), "GET", "/v1/activities?limit=100")).body.data as {
      id: string;
    }[];
    expect(seen.map((a) => a.id)).toContain(drill.id);
    expect((await w.ctx.call(memberToken(member.id), "GET", `/v1/activities/${drill.id}`)).status).toBe(200);

    expect((await w.ctx.call(otherCounty, "GET", "/v1/activities")).body.data).toEqual([]);
    expect((await w.ctx.call(otherCounty, "GET", `/v1/activities/${drill.id}`)).status).toBe(404);
    const yumenUnit = unitAdminToken("org_01KDVDNA011AKWK3RC504FTYF8", "620981");
    expect((await w.ctx.call(yumenUnit, "GET", `/v1/activities/${drill.id}`)).status).toBe(404);
    const southStreet = {
      tenant: "620902",
      roles: ["street_admin" as const],
      org: (await divisionNamed(w.ctx, "620902", "东南街街道")).id,
    };
    expect((await w.ctx.call(southStreet, "GET", `/v1/activities/${drill.id}`)).status).toBe(404);
    expect(
      (
        await w.ctx.call(
          { tenant: "620902", roles: ["street_admin"], org: w.dongbei.id },
          "GET",
          `/v1/activities/${drill.id}`,
        )
      ).status,
    ).toBe(200);
    expect(
      (await w.ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", `/v1/activities/${drill.id}`)).status,
    ).toBe(200);
  });

  it("updates only with a current If-Match and keeps the activity consistent", async () => {
    const lecture = await createActivity(w, { kind: "lecture", lectureTalk: "secretary_policy" });
    const path = `/v1/activities/${lecture.id}`;
    expect((await w.ctx.call(w.admin, "PATCH", path, { place: "文化广场" })).status).toBe(428);
    const ok = await w.ctx.call(w.admin, "PATCH", path, { place: "文化广场", capacity: 40 }, { "if-match": '"v1"' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ place: "文化广场", capacity: 40, version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');
    const stale = await w.ctx.call(w.admin, "PATCH", path, { place: "别处" }, { "if-match": '"v1"' });
    expect(stale.status).toBe(412);
    // A service has no talk; ends stay after starts.
    const notLecture = await w.ctx.call(w.admin, "PATCH", path, { kind: "service" }, { "if-match": '"v2"' });
    expect(notLecture.status).toBe(400);
    expect(pointers(notLecture)).toEqual(["/lectureTalk"]);
    expect(
      (await w.ctx.call(w.admin, "PATCH", path, { endsAt: "2026-09-12T08:00:00+08:00" }, { "if-match": '"v2"' }))
        .status,
    ).toBe(400);
    const asService = await w.ctx.call(
      w.admin,
      "PATCH",
      path,
      { kind: "service", lectureTalk: null },
      { "if-match": '"v2"' },
    );
    expect(asService.body).toMatchObject({ kind: "service", lectureTalk: null, version: 3 });
    expect((await w.ctx.call(w.admin, "PATCH", path, { status: "x" }, { "if-match": '"v3"' })).status).toBe(400);
    expect(
      (
        await w.ctx.call(
          { tenant: "620981", roles: ["community_admin"] },
          "PATCH",
          path,
          { place: "x" },
          { "if-match": '"v3"' },
        )
      ).status,
    ).toBe(404);
    expect((await w.ctx.call(w.admin, "GET", path)).body).toMatchObject({ place: "文化广场", version: 3 });
  });
});

describe("sign-up", () => {
  it("signs a member up themself, and an administrator signs up someone on their behalf", async () => {
    const activity = await createActivity(w);
    const self = await insertMember(w.ctx, w.fukang);
    const res = await w.ctx.call(memberToken(self.id), "POST", `/v1/activities/${activity.id}/participations`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ activityId: activity.id, memberId: self.id, status: "signed_up", hours: null });
    expect(res.headers.get("location")).toBe(`/v1/participations/${res.body.id}`);

    const other = await insertMember(w.ctx, w.beiyuan);
    const onBehalf = await w.ctx.call(w.admin, "POST", `/v1/activities/${activity.id}/participations`, {
      memberId: other.id,
    });
    expect(onBehalf.status).toBe(201);
    expect(onBehalf.body.memberId).toBe(other.id);

    const again = await w.ctx.call(memberToken(self.id), "POST", `/v1/activities/${activity.id}/participations`, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already signed up/);

    const missing = await w.ctx.call(w.admin, "POST", `/v1/activities/${activity.id}/participations`, {});
    expect(missing.status).toBe(400);
    expect(pointers(missing)).toEqual(["/memberId"]);
    const yumenMember = await insertMember(w.ctx, await divisionNamed(w.ctx, "620981", "北坪社区"));
    const foreign = await w.ctx.call(w.admin, "POST", `/v1/activities/${activity.id}/participations`, {
      memberId: yumenMember.id,
    });
    expect(foreign.status).toBe(400);
    expect(pointers(foreign)).toEqual(["/memberId"]);
    expect(
      (
        await w.ctx.call(memberToken(self.id), "POST", `/v1/activities/${activity.id}/participations`, {
          memberId: other.id,
        })
      ).status,
    ).toBe(403);
    expect(
      (await w.ctx.call(memberToken(self.id), "POST", `/v1/activities/${activity.id}/participations`, { hours: 8 }))
        .status,
    ).toBe(400);
    // Another tenant's member token cannot reach the activity at all.
    expect(
      (await w.ctx.call(memberToken(yumenMember.id, "620981"), "POST", `/v1/activities/${activity.id}/participations`))
        .status,
    ).toBe(404);
    for (const who of [
      { tenant: "620902", roles: ["auditor" as const] },
      { tenant: "620902", roles: ["county_admin" as const] },
      unitAdminToken(w.organiser.id),
    ]) {
      expect(
        (await w.ctx.call(who, "POST", `/v1/activities/${activity.id}/participations`, { memberId: self.id })).status,
        who.roles?.[0],
      ).toBe(403);
    }
  });

  it("replays an idempotent sign-up without a second row", async () => {
    const activity = await createActivity(w);
    const m = await insertMember(w.ctx, w.fukang);
    const headers = { "idempotency-key": "sign-up-0000001" };
    const first = await w.ctx.call(
      memberToken(m.id),
      "POST",
      `/v1/activities/${activity.id}/participations`,
      {},
      headers,
    );
    const retry = await w.ctx.call(
      memberToken(m.id),
      "POST",
      `/v1/activities/${activity.id}/participations`,
      {},
      headers,
    );
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(await w.ctx.db.select().from(participations).where(eq(participations.activityId, activity.id))).toHaveLength(
      1,
    );
  });

  it("never lets more members in than the capacity, even all at once", async () => {
    const activity = await createActivity(w, { capacity: 2 });
    const people = await Promise.all(Array.from({ length: 8 }, () => insertMember(w.ctx, w.fukang)));
    const results = await Promise.all(
      people.map((m) => w.ctx.call(memberToken(m.id), "POST", `/v1/activities/${activity.id}/participations`)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(6);
    expect(refused.every((r) => r.status === 409 && /full/.test(r.body.detail))).toBe(true);
    expect(await w.ctx.db.select().from(participations).where(eq(participations.activityId, activity.id))).toHaveLength(
      2,
    );
    // Raising the capacity opens one more place.
    await w.ctx.call(w.admin, "PATCH", `/v1/activities/${activity.id}`, { capacity: 3 }, { "if-match": '"v1"' });
    expect(
      (await w.ctx.call(memberToken(people[7]!.id), "POST", `/v1/activities/${activity.id}/participations`)).status,
    ).toBe(201);
    expect(
      (await w.ctx.call(memberToken(people[6]!.id), "POST", `/v1/activities/${activity.id}/participations`)).status,
    ).toBe(409);
  });
});

describe("participation lifecycle", () => {
  const states = ["signed_up", "checked_in", "checked_out", "verified", "no_show"] as const;
  const actions = {
    "check-in": "checked_in",
    "check-out": "checked_out",
    verify: "verified",
    "mark-no-show": "no_show",
  } as const;
  const legal: Record<string, string> = {
    "signed_up check-in": "checked_in",
    "checked_in check-out": "checked_out",
    "checked_out verify": "verified",
    "signed_up mark-no-show": "no_show",
  };

  it("moves only along the machine: every state × every action", async () => {
    const activity = await createActivity(w, { capacity: 100 });
    for (const state of states) {
      for (const action of Object.keys(actions)) {
        const row = await insertParticipation(w, activity, newId("mem", w.ctx.clock.now().getTime()), state);
        const res = await w.ctx.call(w.admin, "POST", `/v1/participations/${row.id}/${action}`);
        const expected = legal[`${state} ${action}`];
        if (expected) {
          expect(res.status, `${state} ${action}`).toBe(200);
          expect(res.body.status).toBe(expected);
          expect(res.body.version).toBe(2);
        } else {
          expect(res.status, `${state} ${action}`).toBe(409);
          expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
          expect(res.body.detail).toContain(state);
          const [stored] = await w.ctx.db.select().from(participations).where(eq(participations.id, row.id));
          expect(stored).toMatchObject({ status: state, version: 1 });
        }
      }
    }
  });

  it("records check-in and check-out times from the clock; a member acts only on their own", async () => {
    const activity = await createActivity(w);
    const m = await insertMember(w.ctx, w.fukang);
    const other = await insertMember(w.ctx, w.fukang);
    const mine = (await w.ctx.call(memberToken(m.id), "POST", `/v1/activities/${activity.id}/participations`)).body;
    const theirs = (await w.ctx.call(memberToken(other.id), "POST", `/v1/activities/${activity.id}/participations`))
      .body;
    w.clock.set("2026-09-12T00:58:00.000Z");
    const inRes = await w.ctx.call(memberToken(m.id), "POST", `/v1/participations/${mine.id}/check-in`, undefined, {
      "if-match": '"v1"',
    });
    expect(inRes.body).toMatchObject({ status: "checked_in", checkedInAt: "2026-09-12T00:58:00.000Z" });
    expect(inRes.headers.get("etag")).toBe('"v2"');
    expect(
      (
        await w.ctx.call(memberToken(m.id), "POST", `/v1/participations/${mine.id}/check-out`, undefined, {
          "if-match": '"v1"',
        })
      ).status,
    ).toBe(412);
    w.clock.set("2026-09-12T03:31:00.000Z");
    const outRes = await w.ctx.call(memberToken(m.id), "POST", `/v1/participations/${mine.id}/check-out`);
    expect(outRes.body).toMatchObject({ status: "checked_out", checkedOutAt: "2026-09-12T03:31:00.000Z", hours: null });
    // Someone else's participation is invisible; verification is not the member's to do.
    expect((await w.ctx.call(memberToken(m.id), "POST", `/v1/participations/${theirs.id}/check-in`)).status).toBe(404);
    expect((await w.ctx.call(memberToken(m.id), "GET", `/v1/participations/${theirs.id}`)).status).toBe(404);
    expect((await w.ctx.call(memberToken(m.id), "POST", `/v1/participations/${mine.id}/verify`)).status).toBe(403);
    expect(
      (await w.ctx.call(memberToken(other.id), "POST", `/v1/participations/${theirs.id}/mark-no-show`)).status,
    ).toBe(403);
    // Cross-tenant and out-of-subtree administrators get the 404 of a missing record.
    expect((await w.ctx.call(otherCounty, "GET", `/v1/participations/${mine.id}`)).status).toBe(404);
    const beiyuanAdmin = { tenant: "620902", roles: ["community_admin" as const], org: w.beiyuan.id };
    expect((await w.ctx.call(beiyuanAdmin, "POST", `/v1/participations/${theirs.id}/check-in`)).status).toBe(404);
    expect(
      (
        await w.ctx.call(
          { tenant: "620981", roles: ["community_admin"] },
          "POST",
          `/v1/participations/${theirs.id}/mark-no-show`,
        )
      ).status,
    ).toBe(404);
  });

  it("lists an activity's participations for administrators, and only their own for members", async () => {
    const activity = await createActivity(w);
    const a = await insertMember(w.ctx, w.fukang);
    const b = await insertMember(w.ctx, w.fukang);
    for (const m of [a, b]) await w.ctx.call(memberToken(m.id), "POST", `/v1/activities/${activity.id}/participations`);
    const path = `/v1/activities/${activity.id}/participations`;
    expect(
      (await w.ctx.call(w.admin, "GET", path)).body.data.map((p: { memberId: string }) => p.memberId).sort(),
    ).toEqual([a.id, b.id].sort());
    expect((await w.ctx.call(w.admin, "GET", `${path}?status=checked_in`)).body.data).toEqual([]);
    expect(
      (await w.ctx.call(memberToken(a.id), "GET", path)).body.data.map((p: { memberId: string }) => p.memberId),
    ).toEqual([a.id]);
    expect((await w.ctx.call(otherCounty, "GET", path)).status).toBe(404);

    const own = (await w.ctx.call(memberToken(a.id), "GET", "/v1/participations")).body.data as { memberId: string }[];
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((p) => p.memberId === a.id)).toBe(true);
    expect((await w.ctx.call(memberToken(a.id), "GET", `/v1/participations?memberId=${b.id}`)).body.data).toEqual([]);
    const byAdmin = (await w.ctx.call(w.admin, "GET", `/v1/participations?memberId=${b.id}`)).body.data as {
      memberId: string;
    }[];
    expect(byAdmin.map((p) => p.memberId)).toEqual([b.id]);
    expect((await w.ctx.call(w.admin, "GET", "/v1/participations?memberId=nobody")).status).toBe(400);
    const stored = await w.ctx.db
      .select()
      .from(participations)
      .where(and(eq(participations.activityId, activity.id), eq(participations.memberId, b.id)));
    expect(stored).toHaveLength(1);
  });
});
