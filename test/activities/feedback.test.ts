import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { auditEvents, divisions, outboxEvents } from "../../src/db/tables.js";
import { employerFeedback } from "../../src/domains/activities/tables.js";
import { memberReports } from "../../src/domains/reports/tables.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import {
  createActivity,
  createWorld,
  insertLedgerEntry,
  insertMemberReport,
  insertParticipation,
  unitAdminToken,
  type World,
} from "./setup.js";

let w: World;
let yumenStreet: DivisionRef; // 新市区街道, Yumen 620981
let yumenOrg: { id: string }; // the employer's unit party organisation, in 620981
let localOrg: { id: string }; // another employer, in 620902
let commuter: Awaited<ReturnType<typeof insertMember>>; // lives in 富康社区 (620902), works in Yumen (620981)
let local: Awaited<ReturnType<typeof insertMember>>; // lives in 富康社区, works in Suzhou
let commuterReport: { id: string };

const employer: () => TokenOptions = () => ({ ...unitAdminToken(yumenOrg.id, "620981"), sub: "yumen-unit-admin" });
const generate = (body: Record<string, unknown>, who: TokenOptions = w.admin) =>
  w.ctx.call(who, "POST", "/v1/employer-feedback/generate", body);
const cardOf = async (memberId: string, quarter = "2026-Q3") =>
  (
    await w.ctx.db
      .select()
      .from(employerFeedback)
      .where(and(eq(employerFeedback.memberId, memberId), eq(employerFeedback.quarter, quarter)))
  )[0]!;

beforeAll(async () => {
  w = await createWorld();
  yumenStreet = await divisionNamed(w.ctx, "620981", "新市区街道");
  yumenOrg = await insertPartyOrg(w.ctx, yumenStreet, { category: "unit", name: "玉门市某局党支部" });
  localOrg = await insertPartyOrg(w.ctx, w.dongbei, { category: "unit", name: "肃州区某局党支部" });
  commuter = await insertMember(w.ctx, w.fukang, {
    name: "张伟",
    employerOrgId: yumenOrg.id,
    employerTenantId: "620981",
  });
  local = await insertMember(w.ctx, w.fukang, { name: "李娜", employerOrgId: localOrg.id, employerTenantId: "620902" });
  commuterReport = await insertMemberReport(w, w.fukang, commuter.id, {
    employerOrgId: yumenOrg.id,
    employerTenantId: "620981",
  });
  await insertMemberReport(w, w.fukang, local.id, { employerOrgId: localOrg.id }); // employer tenant unknown: the community's own
  // Not eligible: no employer, or a report that is not active.
  await insertMemberReport(w, w.fukang, (await insertMember(w.ctx, w.fukang)).id);
  await insertMemberReport(w, w.fukang, (await insertMember(w.ctx, w.fukang)).id, {
    status: "confirmed",
    employerOrgId: localOrg.id,
  });

  // The commuter's Q3: two verified, rated participations and a correction; one Q2 entry that does not count.
  const activity = await createActivity(w);
  const rated = [
    await insertParticipation(w, activity, commuter.id, "verified", { rating: 5 }),
    await insertParticipation(w, await createActivity(w), commuter.id, "verified", { rating: 4 }),
  ];
  const first = await insertLedgerEntry(w, commuter.id, { hours: 2.5, points: 25, sourceId: rated[0]!.id });
  await insertLedgerEntry(w, commuter.id, { hours: 3, points: 30, sourceId: rated[1]!.id });
  await insertLedgerEntry(w, commuter.id, {
    hours: -1,
    points: -10,
    sourceType: "correction",
    sourceId: first.id,
    reversesId: first.id,
  });
  await insertLedgerEntry(w, commuter.id, { hours: 9, points: 90, quarter: "2026-Q2" });
});
afterAll(() => w.ctx.close());

describe("generating employer feedback", () => {
  it("refuses a quarter that has not ended, and bad input, with pointers", async () => {
    w.clock.set("2026-09-30T15:59:00.000Z"); // 23:59 on 30 September, China time
    const early = await generate({ quarter: "2026-Q3" });
    expect(early.status).toBe(400);
    expect(early.body.errors[0].pointer).toBe("/quarter");
    w.clock.set("2026-10-08T02:00:00.000Z");
    for (const [body, pointer] of [
      [{ quarter: "2026-3" }, "/quarter"],
      [{ quarter: "2026-Q3", communityId: w.dongbei.id }, "/communityId"],
      [{ quarter: "2026-Q3", communityId: w.beiyuan.id }, "/communityId"],
      [{ quarter: "2026-Q3", hours: 40 }, "/hours"],
    ] as const) {
      const res = await generate(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].pointer).toBe(pointer);
    }
    expect(await w.ctx.db.select().from(employerFeedback)).toEqual([]);
  });

  it("creates one card per active report with an employer, from the ledger, once", async () => {
    w.clock.set("2026-10-08T02:00:00.000Z");
    // A community retired mid-quarter still owes its members' cards.
    const retire = (status: "active" | "retired") =>
      w.ctx.db.update(divisions).set({ status }).where(eq(divisions.id, w.fukang.id));
    await retire("retired");
    const first = await generate({ quarter: "2026-Q3", communityId: w.fukang.id });
    await retire("active");
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ generated: 2, existing: 0 });
    expect(await cardOf(commuter.id)).toMatchObject({
      tenantId: "620902",
      memberReportId: commuterReport.id,
      hours: 4.5,
      points: 45,
      rating: 4.5,
      recipientOrgId: yumenOrg.id,
      recipientTenantId: "620981",
      status: "generated",
      comment: "2026-Q3：参加社区服务 4.5 小时，积分 45 分。",
    });
    expect(await cardOf(local.id)).toMatchObject({
      hours: 0,
      points: 0,
      rating: null,
      recipientOrgId: localOrg.id,
      recipientTenantId: "620902",
    });

    const again = await generate({ quarter: "2026-Q3" });
    expect(again.body).toEqual({ generated: 0, existing: 2 });
    expect(await w.ctx.db.select().from(employerFeedback)).toHaveLength(2);
    const runs = await w.ctx.db.select().from(auditEvents).where(eq(auditEvents.action, "employer_feedback.generate"));
    expect(runs).toHaveLength(1);
    expect(runs[0]!.changes).toMatchObject({
      quarter: "2026-Q3",
      communityId: w.fukang.id,
      activeReports: 2,
      attempted: 2,
    });
  });

  it("is idempotent across chunks and concurrent runs: no member gets two cards", async () => {
    const many = 230; // more than one INSERT chunk of 200
    const at = w.ctx.clock.now().toISOString();
    await w.ctx.db.insert(memberReports).values(
      Array.from({ length: many }, () => ({
        id: newId("mrep", w.ctx.clock.now().getTime()),
        tenantId: "620902",
        memberId: newId("mem", w.ctx.clock.now().getTime()),
        communityId: w.beiyuan.id,
        divisionPath: w.beiyuan.path,
        channel: "online" as const,
        status: "active" as const,
        employerOrgId: localOrg.id,
        employerTenantId: "620902",
        createdAt: at,
        updatedAt: at,
      })),
    );
    const beiyuanAdmin: TokenOptions = {
      tenant: "620902",
      roles: ["community_admin"],
      org: w.beiyuan.id,
      sub: "beiyuan-admin",
    };
    const runs = await Promise.all([
      generate({ quarter: "2026-Q3" }, beiyuanAdmin),
      generate({ quarter: "2026-Q3" }, beiyuanAdmin),
    ]);
    expect(runs.map((r) => r.status)).toEqual([200, 200]);
    expect(runs.map((r) => r.body.generated).reduce((a, b) => a + b)).toBe(many);
    expect(runs.every((r) => r.body.generated + r.body.existing === many)).toBe(true);
    const rerun = await generate({ quarter: "2026-Q3" }, beiyuanAdmin);
    expect(rerun.body).toEqual({ generated: 0, existing: many });
    const cards = await w.ctx.db
      .select({ memberId: employerFeedback.memberId })
      .from(employerFeedback)
      .where(eq(employerFeedback.quarter, "2026-Q3"));
    expect(cards).toHaveLength(many + 2);
    expect(new Set(cards.map((c) => c.memberId)).size).toBe(many + 2);
    // The 富康 admin's reach never included 北苑: its earlier runs created none of these.
    expect((await generate({ quarter: "2026-Q3" })).body).toEqual({ generated: 0, existing: 2 });
  });

  it("needs feedback:manage", async () => {
    for (const who of [
      employer(),
      { tenant: "620902", roles: ["county_admin" as const] },
      { tenant: "620902", roles: ["auditor" as const] },
      { tenant: "620902", roles: ["member" as const], member: commuter.id },
    ]) {
      expect((await generate({ quarter: "2026-Q2" }, who)).status, who.roles?.[0]).toBe(403);
    }
  });
});

describe("the employer across tenants", () => {
  it("is sent by the community, then listed and acknowledged by the Yumen unit admin, and by nobody else", async () => {
    const card = await cardOf(commuter.id);
    const localCard = await cardOf(local.id);

    // Before sending, the card is the community's draft: the employer neither sees nor acknowledges it.
    expect((await w.ctx.call(employer(), "GET", "/v1/employer-feedback")).body.data).toEqual([]);
    expect((await w.ctx.call(employer(), "GET", `/v1/employer-feedback/${card.id}`)).status).toBe(404);
    expect((await w.ctx.call(employer(), "POST", `/v1/employer-feedback/${card.id}/acknowledge`)).status).toBe(404);
    // The community cannot acknowledge at all.
    expect((await w.ctx.call(w.admin, "POST", `/v1/employer-feedback/${card.id}/acknowledge`)).status).toBe(403);
    expect((await w.ctx.call(employer(), "POST", `/v1/employer-feedback/${card.id}/send`)).status).toBe(403);

    w.clock.set("2026-10-09T01:00:00.000Z");
    const sent = await w.ctx.call(w.admin, "POST", `/v1/employer-feedback/${card.id}/send`, undefined, {
      "if-match": '"v1"',
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      status: "sent",
      sentAt: "2026-10-09T01:00:00.000Z",
      memberName: "张伟",
      version: 2,
    });
    const [sentEvent] = await w.ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.subjectId, card.id), eq(outboxEvents.type, "employer_feedback.sent")));
    expect(sentEvent).toMatchObject({ tenantId: "620981", payload: { recipientOrgId: yumenOrg.id, hours: 4.5 } });

    // The employer's view: exactly the cards addressed to its organisation, though kept by 620902.
    const listed = await w.ctx.call(employer(), "GET", "/v1/employer-feedback");
    expect(listed.body.data.map((f: { id: string }) => f.id)).toEqual([card.id]);
    expect(listed.body.data[0]).toMatchObject({
      tenant: "620902",
      recipientTenantId: "620981",
      memberName: "张伟",
      hours: 4.5,
      points: 45,
      rating: 4.5,
    });
    expect((await w.ctx.call(employer(), "GET", `/v1/employer-feedback/${card.id}`)).status).toBe(200);
    expect((await w.ctx.call(employer(), "GET", `/v1/employer-feedback/${localCard.id}`)).status).toBe(404);
    expect((await w.ctx.call(employer(), "POST", `/v1/employer-feedback/${localCard.id}/acknowledge`)).status).toBe(
      404,
    );

    w.clock.set("2026-10-10T02:00:00.000Z");
    expect(
      (
        await w.ctx.call(employer(), "POST", `/v1/employer-feedback/${card.id}/acknowledge`, undefined, {
          "if-match": '"v1"',
        })
      ).status,
    ).toBe(412);
    const ack = await w.ctx.call(employer(), "POST", `/v1/employer-feedback/${card.id}/acknowledge`, undefined, {
      "if-match": '"v2"',
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: "acknowledged", acknowledgedAt: "2026-10-10T02:00:00.000Z", version: 3 });

    // The community sees the acknowledgement in its own trail and outbox.
    const trail = await w.ctx.call(w.admin, "GET", `/v1/audit-events?targetId=${card.id}`);
    expect(trail.body.data.map((e: { action: string; tenant: string }) => [e.action, e.tenant])).toEqual([
      ["employer_feedback.acknowledge", "620902"],
      ["employer_feedback.send", "620902"],
    ]);
    expect(trail.body.data[0].actor).toBe("jwt:620981:yumen-unit-admin");
    const oldestFirst = await w.ctx.call(w.admin, "GET", `/v1/audit-events?targetId=${card.id}&order=oldest`);
    expect(oldestFirst.body.data.map((e: { action: string }) => e.action)).toEqual([
      "employer_feedback.send",
      "employer_feedback.acknowledge",
    ]);
    const [ackEvent] = await w.ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.subjectId, card.id), eq(outboxEvents.type, "employer_feedback.acknowledged")));
    expect(ackEvent?.tenantId).toBe("620902");
    expect((await w.ctx.call(w.admin, "GET", `/v1/employer-feedback/${card.id}`)).body.status).toBe("acknowledged");
  });

  it("shows the Yumen unit admin nothing else of Suzhou, and other Yumen principals nothing at all", async () => {
    const card = await cardOf(commuter.id);
    const activity = await createActivity(w);
    const entry = await insertLedgerEntry(w, commuter.id);
    const part = await insertParticipation(w, activity, commuter.id, "signed_up");
    for (const path of [
      `/v1/member-reports/${commuterReport.id}`,
      `/v1/activities/${activity.id}`,
      `/v1/participations/${part.id}`,
      `/v1/ledger-entries/${entry.id}`,
      `/v1/members/${commuter.id}`,
      `/v1/members/${commuter.id}/balance?year=2026`,
    ]) {
      expect((await w.ctx.call(employer(), "GET", path)).status, path).toBe(404);
    }
    expect((await w.ctx.call(employer(), "GET", "/v1/ledger-entries")).body.data).toEqual([]);
    expect((await w.ctx.call(employer(), "GET", "/v1/activities")).body.data).toEqual([]);

    const otherOrg = await insertPartyOrg(w.ctx, yumenStreet, { category: "unit" });
    const otherUnit = unitAdminToken(otherOrg.id, "620981");
    const yumenCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"] };
    const yumenCommunity: TokenOptions = { tenant: "620981", roles: ["community_admin"] };
    for (const who of [otherUnit, yumenCounty, yumenCommunity]) {
      expect((await w.ctx.call(who, "GET", "/v1/employer-feedback")).body.data, who.roles?.[0]).toEqual([]);
      expect((await w.ctx.call(who, "GET", `/v1/employer-feedback/${card.id}`)).status, who.roles?.[0]).toBe(404);
    }
    expect((await w.ctx.call(otherUnit, "POST", `/v1/employer-feedback/${card.id}/acknowledge`)).status).toBe(404);
    expect((await w.ctx.call(yumenCommunity, "POST", `/v1/employer-feedback/${card.id}/send`)).status).toBe(404);
    // The same org id claimed from another tenant is not the recipient either.
    expect(
      (await w.ctx.call(unitAdminToken(yumenOrg.id, "620902"), "GET", `/v1/employer-feedback/${card.id}`)).status,
    ).toBe(404);

    // The city reads every card of every tenant (its reach is "everything", not "nothing", inside the employer's or()).
    const cityAdmin: TokenOptions = { tenant: "620900", roles: ["city_admin"] };
    const city = await w.ctx.call(cityAdmin, "GET", `/v1/employer-feedback/${card.id}`);
    expect(city.status).toBe(200);
    const cityList = await w.ctx.call(
      cityAdmin,
      "GET",
      `/v1/employer-feedback?quarter=2026-Q3&memberId=${commuter.id}`,
    );
    expect(cityList.body.data.map((f: { id: string }) => f.id)).toEqual([card.id]);
    const otherCommunity = {
      tenant: "620902",
      roles: ["community_admin" as const],
      org: (await divisionNamed(w.ctx, "620902", "东苑社区")).id,
    };
    expect((await w.ctx.call(otherCommunity, "GET", `/v1/employer-feedback/${card.id}`)).status).toBe(404);
  });

  it("shows the employer sent and acknowledged cards, never generated ones", async () => {
    const card = await cardOf(commuter.id); // acknowledged by now
    const other = {
      ...card,
      id: newId("fb", w.ctx.clock.now().getTime()),
      quarter: "2026-Q2",
      status: "generated" as const,
      sentAt: null,
      acknowledgedAt: null,
      version: 1,
    };
    await w.ctx.db.insert(employerFeedback).values(other);
    const seen = async () => {
      const list = (await w.ctx.call(employer(), "GET", "/v1/employer-feedback?limit=100")).body.data as {
        id: string;
      }[];
      const one = await w.ctx.call(employer(), "GET", `/v1/employer-feedback/${other.id}`);
      expect(list.some((f) => f.id === other.id)).toBe(one.status === 200);
      expect(list.map((f) => f.id)).toContain(card.id);
      return one.status === 200;
    };
    const byState: Record<string, boolean> = {};
    for (const status of ["generated", "sent", "acknowledged"] as const) {
      await w.ctx.db.update(employerFeedback).set({ status }).where(eq(employerFeedback.id, other.id));
      byState[status] = await seen();
    }
    expect(byState).toEqual({ generated: false, sent: true, acknowledged: true });
    // Filtering on status cannot reach a generated card either.
    await w.ctx.db.update(employerFeedback).set({ status: "generated" }).where(eq(employerFeedback.id, other.id));
    expect((await w.ctx.call(employer(), "GET", "/v1/employer-feedback?status=generated")).body.data).toEqual([]);
    await w.ctx.db.delete(employerFeedback).where(eq(employerFeedback.id, other.id));
  });

  it("filters the community's list by quarter, status and member", async () => {
    const q3 = (await w.ctx.call(w.admin, "GET", "/v1/employer-feedback?quarter=2026-Q3&limit=100")).body.data as {
      memberId: string;
    }[];
    expect(q3.map((f) => f.memberId).sort()).toEqual([commuter.id, local.id].sort());
    expect(
      (await w.ctx.call(w.admin, "GET", "/v1/employer-feedback?status=acknowledged")).body.data.map(
        (f: { memberId: string }) => f.memberId,
      ),
    ).toEqual([commuter.id]);
    expect((await w.ctx.call(w.admin, "GET", `/v1/employer-feedback?memberId=${local.id}`)).body.data).toHaveLength(1);
    expect((await w.ctx.call(w.admin, "GET", "/v1/employer-feedback?quarter=Q3")).status).toBe(400);
  });
});

describe("feedback lifecycle", () => {
  it("moves only along the machine: every state × every action", async () => {
    const legal: Record<string, string> = { "generated send": "sent", "sent acknowledge": "acknowledged" };
    // The recipient does not see a generated card at all: acknowledging it is the 404 of a missing one.
    const hidden = new Set(["generated acknowledge"]);
    const card = await cardOf(commuter.id);
    for (const state of ["generated", "sent", "acknowledged"] as const) {
      for (const action of ["send", "acknowledge"] as const) {
        await w.ctx.db
          .update(employerFeedback)
          .set({ status: state, version: 1 })
          .where(eq(employerFeedback.id, card.id));
        const who = action === "send" ? w.admin : employer();
        const res = await w.ctx.call(who, "POST", `/v1/employer-feedback/${card.id}/${action}`);
        const expected = legal[`${state} ${action}`];
        if (hidden.has(`${state} ${action}`)) {
          expect(res.status, `${state} ${action}`).toBe(404);
        } else if (expected) {
          expect(res.status, `${state} ${action}`).toBe(200);
          expect(res.body.status).toBe(expected);
        } else {
          expect(res.status, `${state} ${action}`).toBe(409);
          expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
        }
      }
    }
  });
});
