import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { addMonths, localDate } from "../../src/shared/calendar.js";
import { memberReports } from "../../src/domains/reports/tables.js";
import { eventPayload } from "../../src/domains/reports/member-reports.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { insertMember } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import { auditOf, eventsOf, expectPointer, ids, insertMemberReport, reportsWorld, type World } from "./helpers.js";

let ctx: TestContext;
let w: World;

beforeAll(async () => {
  ctx = await createTestContext();
  w = await reportsWorld(ctx);
});
afterAll(() => ctx.close());

const memberWho = (memberId: string): TokenOptions => ({
  tenant: "620902",
  roles: ["member"],
  member: memberId,
  sub: `m-${memberId}`,
});
const file = (who: TokenOptions, body: Record<string, unknown>, headers?: Record<string, string>) =>
  ctx.call(who, "POST", "/v1/member-reports", body, headers);
const stored = async (id: string) => (await ctx.db.select().from(memberReports).where(eq(memberReports.id, id)))[0]!;

describe("member reports: filing", () => {
  it("lets a member file their own, snapshotting the employer (also one in another tenant)", async () => {
    const m = await insertMember(ctx, w.d.fukang, { employerOrgId: w.orgs.dhUnit.id, employerTenantId: "620982" });
    const res = await file(memberWho(m.id), {
      memberId: m.id,
      communityId: w.d.fukang.id,
      channel: "online",
      skills: ["法律咨询"],
      intentions: ["社区治理"],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      memberId: m.id,
      communityId: w.d.fukang.id,
      gridId: null,
      status: "submitted",
      skills: ["法律咨询"],
      intentions: ["社区治理"],
      employerOrgId: w.orgs.dhUnit.id,
      employerTenantId: "620982",
      version: 1,
    });
    expect(res.body.id).toMatch(/^mrep_/);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/member-reports/${res.body.id}`);
    expect((await stored(res.body.id)).divisionPath).toBe(w.d.fukang.path);
    expect((await eventsOf(ctx, res.body.id)).map((e) => e.type)).toEqual(["member_report.submitted"]);
    const [audit] = await auditOf(ctx, res.body.id);
    expect(audit).toMatchObject({ action: "member_report.create", actor: `jwt:620902:m-${m.id}` });
    // The response and the trail carry no personal data of the member.
    expect(JSON.stringify(res.body)).not.toContain(m.idCard);
    expect(JSON.stringify(audit)).not.toContain(m.name);
  });

  it("keeps a member to their own report and refuses roles that do not file member reports", async () => {
    const m = await insertMember(ctx, w.d.fukang);
    const other = await insertMember(ctx, w.d.fukang);
    const body = { memberId: other.id, communityId: w.d.fukang.id, channel: "qr_code" };
    expectPointer(await file(memberWho(m.id), body), "/memberId");
    expect((await file({ tenant: "620902", roles: ["member"] }, body)).status).toBe(403);
    expect((await file(w.who.unitAdminA, body)).status).toBe(403);
    for (const who of [w.who.county, w.who.city, w.who.auditor]) expect((await file(who, body)).status).toBe(403);
  });

  it("lets a community admin register a member of its tenant, in its own community and grid", async () => {
    const m = await insertMember(ctx, w.d.fukang);
    const dh = await insertMember(ctx, w.d.dongdajie);
    const retired = await insertMember(ctx, w.d.fukang, { classification: "retired" });
    const body = (over: Record<string, unknown> = {}) => ({
      memberId: m.id,
      communityId: w.d.fukang.id,
      channel: "on_site",
      ...over,
    });
    expectPointer(await file(w.who.fukangAdmin, body({ memberId: dh.id })), "/memberId");
    expectPointer(await file(w.who.fukangAdmin, body({ memberId: retired.id })), "/memberId");
    expectPointer(await file(w.who.fukangAdmin, body({ communityId: w.d.dongyuan.id })), "/communityId");
    expectPointer(await file(w.who.fukangAdmin, body({ communityId: w.d.dongdajie.id })), "/communityId");
    expectPointer(await file(w.who.dongbeiStreet, body({ communityId: w.d.dongbei.id })), "/communityId");
    expectPointer(await file(w.who.fukangAdmin, body({ gridId: w.d.dongyuanGrid.id })), "/gridId");
    expectPointer(await file(w.who.fukangAdmin, body({ channel: "fax" })), "/channel");
    expectPointer(await file(w.who.fukangAdmin, body({ skills: [""] })), "/skills/0");
    for (const field of ["status", "employerOrgId", "tenantId", "divisionPath"])
      expectPointer(await file(w.who.fukangAdmin, body({ [field]: "x" })), `/${field}`);
    const res = await file(w.who.fukangAdmin, body({ gridId: w.d.fukangGrid.id }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ gridId: w.d.fukangGrid.id, skills: [], intentions: [] });
    expect((await stored(res.body.id)).divisionPath).toBe(w.d.fukangGrid.path);
  });

  it("allows one live report per member: 409 until the live one ends", async () => {
    const m = await insertMember(ctx, w.d.fukang);
    const body = { memberId: m.id, communityId: w.d.fukang.id, channel: "online" };
    const first = await file(memberWho(m.id), body);
    expect(first.status).toBe(201);
    const second = await file(w.who.fukangAdmin, { ...body, communityId: w.d.fukang.id });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: "conflict" });
    expect(second.body.detail).toMatch(/live report/);
    const ended = await ctx.call(w.who.fukangAdmin, "POST", `/v1/member-reports/${first.body.id}/end`, {
      reason: "moved",
    });
    expect(ended.body).toMatchObject({ status: "ended", endReason: "moved" });
    expect((await file(memberWho(m.id), body)).status).toBe(201);
  });

  it("replays an idempotent filing and writes once", async () => {
    const m = await insertMember(ctx, w.d.fukang);
    const body = { memberId: m.id, communityId: w.d.fukang.id, channel: "online" };
    const headers = { "idempotency-key": "mrep-create-0001" };
    const first = await file(memberWho(m.id), body, headers);
    const retry = await file(memberWho(m.id), body, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await ctx.db.select().from(memberReports).where(eq(memberReports.memberId, m.id))).toHaveLength(1);
  });
});

describe("member reports: reading", () => {
  it("shows members their own, unit admins their employees', admins their subtree; 404 elsewhere", async () => {
    const mine = await insertMemberReport(ctx, w.d.fukang, {
      employerOrgId: w.orgs.unitA.id,
      employerTenantId: "620902",
    });
    const theirs = await insertMemberReport(ctx, w.d.dongyuan);
    const get = (who: TokenOptions, id: string) => ctx.call(who, "GET", `/v1/member-reports/${id}`);
    for (const who of [
      memberWho(mine.memberId),
      w.who.unitAdminA,
      w.who.fukangAdmin,
      w.who.dongbeiStreet,
      w.who.county,
      w.who.city,
    ]) {
      const res = await get(who, mine.id);
      expect(res.status, JSON.stringify(who)).toBe(200);
      expect(res.headers.get("etag")).toBe('"v1"');
    }
    for (const who of [
      memberWho(theirs.memberId),
      w.who.unitAdminB,
      w.who.dongyuanAdmin,
      w.who.dongnanStreet,
      w.who.dunhuang,
    ]) {
      expect((await get(who, mine.id)).status, JSON.stringify(who)).toBe(404);
    }
    const list = (who: TokenOptions, q = "") => ctx.call(who, "GET", `/v1/member-reports?limit=100${q}`);
    expect(ids(await list(memberWho(mine.memberId)))).toEqual([mine.id]);
    expect(ids(await list(w.who.unitAdminA))).toEqual([mine.id]);
    expect(ids(await list(w.who.dongyuanAdmin))).toEqual([theirs.id]);
    expect((await list(w.who.dunhuang)).body.data).toEqual([]);
    expect(ids(await list(w.who.county, `&memberId=${theirs.memberId}`))).toEqual([theirs.id]);
    const byCommunity = (await list(w.who.county, `&communityId=${w.d.dongyuan.id}`)).body.data as {
      communityId: string;
    }[];
    expect(byCommunity.every((r) => r.communityId === w.d.dongyuan.id)).toBe(true);
    expect(ids(await list(w.who.county, `&communityId=${w.d.dongyuan.id}`))).toContain(theirs.id);
  });

  it("filters by status and by filing period", async () => {
    const at = (iso: string) => ({ id: newId("mrep", Date.parse(iso)), createdAt: iso, updatedAt: iso });
    const march = await insertMemberReport(ctx, w.d.beiyuan, { ...at("2026-03-10T02:00:00.000Z"), status: "overdue" });
    const may = await insertMemberReport(ctx, w.d.beiyuan, { ...at("2026-05-20T02:00:00.000Z"), status: "overdue" });
    const july = await insertMemberReport(ctx, w.d.beiyuan, at("2026-07-01T00:00:00.000Z"));
    const list = (q: string) =>
      ctx.call(w.who.county, "GET", `/v1/member-reports?limit=100&communityId=${w.d.beiyuan.id}${q}`);
    expect(ids(await list("&status=overdue"))).toEqual([march.id, may.id]);
    expect(ids(await list("&createdFrom=2026-04-01T00:00:00%2B08:00&createdTo=2026-06-30T23:59:59%2B08:00"))).toEqual([
      may.id,
    ]);
    expect(ids(await list("&createdFrom=2026-05-20T02:00:00.000Z"))).toEqual([may.id, july.id]);
    expect(ids(await list("&createdTo=2026-07-01T00:00:00.000Z"))).toEqual([march.id, may.id, july.id]);
    expect(ids(await list("&createdTo=2026-06-30T23:59:59.999Z"))).toEqual([march.id, may.id]);
    expectPointer(await list("&createdFrom=yesterday"), "/createdFrom");
  });
});

describe("member reports: newest first", () => {
  it("pages a community's reports of one status newest first, the next page continuing below the last id", async () => {
    const confirmed = [];
    for (let i = 0; i < 5; i++) confirmed.push(await insertMemberReport(ctx, w.d.dongyuan, { status: "confirmed" }));
    await insertMemberReport(ctx, w.d.dongyuan, { status: "active" }); // another status
    await insertMemberReport(ctx, w.d.beiyuan, { status: "confirmed" }); // another community
    const list = (q: string) =>
      ctx.call(
        w.who.county,
        "GET",
        `/v1/member-reports?communityId=${w.d.dongyuan.id}&status=confirmed&order=newest&limit=3${q}`,
      );
    const first = await list("");
    expect(first.status).toBe(200);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.nextCursor).toBeNull();
    const all = [...ids(first), ...ids(second)];
    expect(ids(first)).toHaveLength(3);
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((id, i) => i === 0 || id < all[i - 1]!)).toBe(true);
    expect(all).toEqual(confirmed.map((r) => r.id).reverse());
    // The default is still oldest first.
    expect(
      ids(
        await ctx.call(
          w.who.county,
          "GET",
          `/v1/member-reports?communityId=${w.d.dongyuan.id}&status=confirmed&limit=3`,
        ),
      ),
    ).toEqual(confirmed.slice(0, 3).map((r) => r.id));
  });

  it("refuses a cursor replayed in the other order, and an unknown order", async () => {
    const list = (q: string) =>
      ctx.call(w.who.county, "GET", `/v1/member-reports?communityId=${w.d.dongyuan.id}&limit=1${q}`);
    const newest = (await list("&order=newest")).body.nextCursor as string;
    const oldest = (await list("")).body.nextCursor as string;
    const orderless = Buffer.from(JSON.stringify({ k: "mrep_01KDVDNA011AKWK3RC504FTYF8" })).toString("base64url"); // no order: refused too
    for (const q of [
      `&cursor=${newest}`,
      `&cursor=${newest}&order=oldest`,
      `&cursor=${oldest}&order=newest`,
      `&cursor=${orderless}&order=newest`,
    ]) {
      const res = await list(q);
      expect(res.status, q).toBe(400);
      expect(res.body).toMatchObject({ code: "invalid_cursor", errors: [{ in: "query", pointer: "/cursor" }] });
    }
    expect((await list(`&cursor=${newest}&order=newest`)).status).toBe(200);
    expectPointer(await list("&order=latest"), "/order");
  });
});

describe("member reports: state machine", () => {
  const actions = ["confirm", "activate", "recheck", "mark_overdue", "end"] as const;
  const pathOf = {
    confirm: "confirm",
    activate: "activate",
    recheck: "recheck",
    mark_overdue: "mark-overdue",
    end: "end",
  } as const;
  const eventOf = {
    confirm: "member_report.confirmed",
    activate: "member_report.activated",
    recheck: "member_report.rechecked",
    mark_overdue: "member_report.overdue",
    end: "member_report.ended",
  } as const;
  // Every state × every action: the next state, or null for the 409 naming the current state.
  const expected = {
    submitted: { confirm: "confirmed", activate: null, recheck: null, mark_overdue: null, end: "ended" },
    confirmed: { confirm: null, activate: "active", recheck: null, mark_overdue: null, end: "ended" },
    active: { confirm: null, activate: null, recheck: "active", mark_overdue: "overdue", end: "ended" },
    overdue: { confirm: null, activate: null, recheck: "active", mark_overdue: null, end: "ended" },
    ended: { confirm: null, activate: null, recheck: null, mark_overdue: null, end: null },
  } as const;

  for (const [state, row] of Object.entries(expected)) {
    for (const action of actions) {
      const next = row[action];
      it(`${action} from ${state} → ${next ?? "409"}`, async () => {
        const report = await insertMemberReport(ctx, w.d.fukang, {
          status: state as never,
          ...(state === "ended" ? { endReason: "lapsed" as const } : {}),
        });
        const res = await ctx.call(
          w.who.fukangAdmin,
          "POST",
          `/v1/member-reports/${report.id}/${pathOf[action]}`,
          action === "end" ? { reason: "moved" } : undefined,
        );
        const row = await stored(report.id);
        if (!next) {
          expect(res.status).toBe(409);
          expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
          expect(row).toMatchObject({ status: state, version: 1 });
          expect(await eventsOf(ctx, report.id)).toEqual([]);
          return;
        }
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toMatchObject({ status: next, version: 2 });
        expect(row).toMatchObject({ status: next, version: 2 });
        expect(res.headers.get("etag")).toBe('"v2"');
        const events = await eventsOf(ctx, report.id);
        expect(events.map((e) => e.type)).toEqual([eventOf[action]]);
        expect(events[0]!.payload).toMatchObject({
          memberId: report.memberId,
          communityId: w.d.fukang.id,
          status: next,
        });
        // Built in SQL inside the write batch (one round trip): the same payload the row gives in JS.
        expect(events[0]!.payload).toEqual(eventPayload(row));
        expect(events[0]!.tenantId).toBe("620902");
        expect((await auditOf(ctx, report.id))[0]).toMatchObject({
          action: `member_report.${action}`,
          tenantId: "620902",
          divisionPath: w.d.fukang.path,
          changes: { status: [state, next], ...(action === "end" ? { endReason: "moved" } : {}) },
        });
        const inSixMonths = addMonths(localDate(ctx.clock.now()), 6);
        if (action === "confirm") expect(row.confirmedAt).not.toBeNull();
        if (action === "activate") expect(row).toMatchObject({ recheckDueOn: inSixMonths, lastRecheckAt: null });
        if (action === "recheck") {
          expect(row.recheckDueOn).toBe(inSixMonths);
          expect(row.lastRecheckAt).not.toBeNull();
        }
        if (action === "end") expect(row.endReason).toBe("moved");
      });
    }
  }

  it("ends only with a reason of moved or lapsed", async () => {
    const report = await insertMemberReport(ctx, w.d.fukang, { status: "active" });
    const end = (body: unknown) => ctx.call(w.who.fukangAdmin, "POST", `/v1/member-reports/${report.id}/end`, body);
    expect((await end(undefined)).status).toBe(400);
    expectPointer(await end({}), "/reason");
    expectPointer(await end({ reason: "died" }), "/reason");
    expectPointer(await end({ reason: "lapsed", status: "active" }), "/status");
    expect((await stored(report.id)).status).toBe("active");
    expect((await end({ reason: "lapsed" })).body).toMatchObject({ status: "ended", endReason: "lapsed" });
  });

  it("needs reports:manage and the community in reach; If-Match is honoured", async () => {
    const report = await insertMemberReport(ctx, w.d.fukang);
    const confirm = (who: TokenOptions, headers?: Record<string, string>) =>
      ctx.call(who, "POST", `/v1/member-reports/${report.id}/confirm`, undefined, headers);
    expect((await confirm(memberWho(report.memberId))).status).toBe(403);
    expect((await confirm(w.who.unitAdminA)).status).toBe(403);
    expect((await confirm(w.who.city)).status).toBe(403);
    expect((await confirm(w.who.dongyuanAdmin)).status).toBe(404);
    expect((await confirm(w.who.dunhuang)).status).toBe(404);
    expect((await confirm(w.who.dunhuangCommunity)).status).toBe(404);
    expect((await confirm(w.who.dongbeiStreet, { "if-match": '"v2"' })).status).toBe(412);
    expect((await ctx.call(w.who.fukangAdmin, "POST", `/v1/member-reports/${newId("mrep", 0)}/confirm`)).status).toBe(
      404,
    );
    expect((await stored(report.id)).status).toBe("submitted");
    expect((await confirm(w.who.dongbeiStreet, { "if-match": '"v1"' })).body).toMatchObject({
      status: "confirmed",
      version: 2,
    });
  });
});
