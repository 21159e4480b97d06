import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { ledgerEntries } from "../../src/domains/activities/tables.js";
import { needs } from "../../src/domains/lists/tables.js";
import { addMonths, localDate, localQuarter } from "../../src/shared/calendar.js";
import { statsQueries } from "../../src/domains/stats/stats.js";
import { agreements } from "../../src/domains/reports/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { testEpoch } from "../helpers/clock.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import {
  auditOf,
  eventsOf,
  expectPointer,
  ids,
  insertMemberReport,
  insertOrgReport,
  reportsWorld,
  type World,
} from "./helpers.js";

let ctx: TestContext;
let w: World;
const thisYear = Number(localDate(new Date(testEpoch)).slice(0, 4));

beforeAll(async () => {
  ctx = await createTestContext();
  w = await reportsWorld(ctx);
});
afterAll(() => ctx.close());

describe("calendar (China Standard Time)", () => {
  it("dates, quarters and half-year rechecks", () => {
    expect(localDate(new Date("2026-12-31T16:30:00Z"))).toBe("2027-01-01");
    expect(localQuarter(new Date("2026-12-31T15:59:59Z"))).toBe("2026-Q4");
    expect(localQuarter(new Date("2026-12-31T16:00:00Z"))).toBe("2027-Q1");
    expect(localQuarter(new Date("2026-06-30T16:00:00Z"))).toBe("2026-Q3");
    expect(addMonths("2026-11-26", 6)).toBe("2027-05-26");
    expect(addMonths("2026-08-31", 6)).toBe("2027-02-28");
    expect(addMonths("2027-08-31", 6)).toBe("2028-02-29");
  });
});

describe("evaluations", () => {
  const evaluate = (who: TokenOptions, over: Record<string, unknown> = {}, headers?: Record<string, string>) =>
    ctx.call(
      who,
      "POST",
      "/v1/evaluations",
      {
        subjectKind: "unit_org",
        subjectId: w.orgs.unitA.id,
        communityOrgId: w.orgs.fukang.id,
        year: thisYear - 1,
        grade: "excellent",
        ...over,
      },
      headers,
    );

  it("records a community's evaluation with the caller as approver, once per community, subject and year", async () => {
    const res = await evaluate(w.who.fukangAdmin, { comment: "共建成效明显" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      subjectKind: "unit_org",
      subjectId: w.orgs.unitA.id,
      communityOrgId: w.orgs.fukang.id,
      grade: "excellent",
      approver: "fukang-1",
      comment: "共建成效明显",
      version: 1,
    });
    expect(res.body.id).toMatch(/^eval_/);
    expect(res.headers.get("location")).toBe(`/v1/evaluations/${res.body.id}`);
    const [event] = await eventsOf(ctx, res.body.id);
    expect(event).toMatchObject({ type: "evaluation.recorded" });
    expect(event!.payload).not.toHaveProperty("grade");
    expect(JSON.stringify((await auditOf(ctx, res.body.id))[0]!.changes)).not.toContain("共建成效明显");

    const again = await evaluate(w.who.county, { grade: "poor" });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already evaluated/);
    expect((await evaluate(w.who.county, { year: thisYear - 2 })).status).toBe(201);
    expect((await evaluate(w.who.county, { communityOrgId: w.orgs.beiyuan.id })).status).toBe(201);
  });

  it("replays an idempotent create", async () => {
    const headers = { "idempotency-key": "eval-create-0001" };
    const first = await evaluate(w.who.county, { year: 2020 }, headers);
    const retry = await evaluate(w.who.county, { year: 2020 }, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
  });

  it("evaluates members living in reach; checks kind, year, grade, reach and server-owned fields", async () => {
    const resident = await insertMember(ctx, w.d.fukang);
    const stranger = await insertMember(ctx, w.d.dongyuan);
    expect(
      (await evaluate(w.who.fukangAdmin, { subjectKind: "member", subjectId: resident.id, grade: "good" })).status,
    ).toBe(201);
    expectPointer(await evaluate(w.who.fukangAdmin, { subjectKind: "member", subjectId: stranger.id }), "/subjectId");
    expectPointer(
      await evaluate(w.who.fukangAdmin, { subjectKind: "member", subjectId: w.orgs.unitA.id }),
      "/subjectId",
    );
    expectPointer(await evaluate(w.who.fukangAdmin, { subjectId: w.orgs.beiyuan.id }), "/subjectId");
    expectPointer(await evaluate(w.who.fukangAdmin, { subjectId: w.orgs.unitB.id }), "/subjectId");
    expectPointer(await evaluate(w.who.fukangAdmin, { communityOrgId: w.orgs.dongyuan.id }), "/communityOrgId");
    expectPointer(await evaluate(w.who.county, { communityOrgId: w.orgs.dhCommunity.id }), "/communityOrgId");
    expectPointer(await evaluate(w.who.fukangAdmin, { year: thisYear + 1 }), "/year");
    expectPointer(await evaluate(w.who.fukangAdmin, { grade: "A+" }), "/grade");
    expectPointer(await evaluate(w.who.fukangAdmin, { approver: "someone-else" }), "/approver");
    for (const who of [
      w.who.unitAdminA,
      w.who.dongbeiStreet,
      w.who.city,
      w.who.auditor,
      { tenant: "620902", roles: ["member" as const], member: resident.id },
    ]) {
      expect((await evaluate(who, { year: 2019 })).status, JSON.stringify(who)).toBe(403);
    }
  });

  it("shows unit admins their unit's, members their own, admins their subtree; filters", async () => {
    const resident = await insertMember(ctx, w.d.fukang);
    const other = await insertMember(ctx, w.d.fukang);
    const mine = (
      await evaluate(w.who.fukangAdmin, { subjectKind: "member", subjectId: resident.id, grade: "fair", year: 2022 })
    ).body;
    const theirs = (
      await evaluate(w.who.fukangAdmin, { subjectKind: "member", subjectId: other.id, grade: "good", year: 2022 })
    ).body;
    const unitB = (
      await evaluate(w.who.county, { subjectId: w.orgs.unitB.id, communityOrgId: w.orgs.dongyuan.id, year: 2022 })
    ).body;
    const get = (who: TokenOptions, id: string) => ctx.call(who, "GET", `/v1/evaluations/${id}`);
    const list = (who: TokenOptions, q = "") => ctx.call(who, "GET", `/v1/evaluations?limit=100${q}`);
    const residentWho: TokenOptions = { tenant: "620902", roles: ["member"], member: resident.id };

    expect(ids(await list(residentWho))).toEqual([mine.id]);
    const got = await get(residentWho, mine.id);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe('"v1"');
    expect((await get(residentWho, theirs.id)).status).toBe(404);
    expect(ids(await list(w.who.unitAdminB))).toEqual([unitB.id]);
    const unitA = (await list(w.who.unitAdminA)).body.data as { subjectId: string }[];
    expect(unitA.length).toBeGreaterThan(0);
    expect(unitA.every((e) => e.subjectId === w.orgs.unitA.id)).toBe(true);
    expect((await get(w.who.unitAdminA, unitB.id)).status).toBe(404);
    expect((await get(w.who.fukangAdmin, unitB.id)).status).toBe(404);
    expect((await get(w.who.dongnanStreet, unitB.id)).status).toBe(200);
    expect((await get(w.who.dunhuang, unitB.id)).status).toBe(404);
    expect((await get(w.who.city, unitB.id)).status).toBe(200);
    expect((await list(w.who.dunhuang)).body.data).toEqual([]);

    expect(ids(await list(w.who.county, `&subjectId=${other.id}`))).toEqual([theirs.id]);
    expect(ids(await list(w.who.county, "&year=2022&subjectKind=member"))).toEqual([mine.id, theirs.id]);
    expect(ids(await list(w.who.county, "&year=2022&subjectKind=unit_org"))).toEqual([unitB.id]);
    expect(ids(await list(w.who.county, `&subjectKind=unit_org&subjectId=${other.id}`))).toEqual([]);
    expectPointer(await list(w.who.county, "&year=later"), "/year");
  });
});

describe("stats", () => {
  let beiping: DivisionRef; // 北坪社区, Yumen
  let jianguo: DivisionRef; // 建国社区, Yumen
  let xinshiqu: DivisionRef; // 新市区街道, Yumen
  let hangtian: DivisionRef; // 航天社区, Jinta
  const yumen: TokenOptions = { tenant: "620981", roles: ["county_admin"] };
  const quarter = localQuarter(new Date(testEpoch));
  const today = localDate(new Date(testEpoch));

  /** Known rows in Yumen (北坪 and 建国) and Jinta; the other tenants get nothing from this block. */
  beforeAll(async () => {
    beiping = await divisionNamed(ctx, "620981", "北坪社区");
    jianguo = await divisionNamed(ctx, "620981", "建国社区");
    xinshiqu = await divisionNamed(ctx, "620981", "新市区街道");
    hangtian = await divisionNamed(ctx, "620921", "航天社区");
    const bpCommunity = await insertPartyOrg(ctx, beiping, { category: "community" });
    const jgCommunity = await insertPartyOrg(ctx, jianguo, { category: "community" });
    const bpUnit = await insertPartyOrg(ctx, beiping, { category: "unit" });
    await insertPartyOrg(ctx, xinshiqu, { category: "street_working_committee" });
    // Members: 3 in 北坪, 1 in 建国.
    const bp = [await insertMember(ctx, beiping), await insertMember(ctx, beiping), await insertMember(ctx, beiping)];
    const jg = await insertMember(ctx, jianguo);
    // Org reports: 北坪 submitted ×2, active ×1; 建国 ended ×1.
    await insertOrgReport(ctx, bpUnit, bpCommunity);
    await insertOrgReport(ctx, bpUnit, bpCommunity);
    await insertOrgReport(ctx, bpUnit, bpCommunity, { status: "active" });
    await insertOrgReport(ctx, bpUnit, jgCommunity, { status: "ended" });
    // Member reports: 北坪 active, overdue, ended; 建国 confirmed.
    await insertMemberReport(ctx, beiping, { memberId: bp[0]!.id, status: "active" });
    await insertMemberReport(ctx, beiping, { memberId: bp[1]!.id, status: "overdue" });
    await insertMemberReport(ctx, beiping, { memberId: bp[2]!.id, status: "ended", endReason: "moved" });
    await insertMemberReport(ctx, jianguo, { memberId: jg.id, status: "confirmed" });
    // Agreements: two in force in 北坪, one expired, one not yet started, one in force in 建国.
    const deal = (community: typeof bpCommunity, links: string[], startsOn: string, endsOn: string) => {
      const at = ctx.clock.now().toISOString();
      return ctx.db.insert(agreements).values({
        id: newId("agr", ctx.clock.now().getTime() + Math.floor(Math.random() * 1000)),
        tenantId: "620981",
        unitOrgId: bpUnit.id,
        communityOrgId: community.id,
        divisionPath: community.divisionPath,
        startsOn,
        endsOn,
        liaisonName: "x",
        links,
        createdAt: at,
        updatedAt: at,
      });
    };
    await deal(bpCommunity, ["organisation", "venue"], "2020-01-01", "2099-12-31");
    await deal(bpCommunity, ["venue", "service"], today, today);
    await deal(bpCommunity, ["venue"], "2020-01-01", "2021-12-31");
    await deal(bpCommunity, ["activity"], "2098-01-01", "2099-12-31");
    await deal(jgCommunity, ["resource", "venue"], "2020-01-01", "2099-12-31");
    // Needs: 北坪 open ×2 and closed ×1; 建国 open ×1.
    const need = (community: DivisionRef, status: "open" | "closed") => {
      const at = ctx.clock.now().toISOString();
      return ctx.db.insert(needs).values({
        id: newId("need", ctx.clock.now().getTime() + Math.floor(Math.random() * 1000)),
        tenantId: community.tenantId,
        communityId: community.id,
        divisionPath: community.path,
        category: "elderly",
        title: "助老",
        description: "助老服务",
        quantity: 1,
        status,
        createdAt: at,
        updatedAt: at,
      });
    };
    await need(beiping, "open");
    await need(beiping, "open");
    await need(beiping, "closed");
    await need(jianguo, "open");
    await need(hangtian, "open");
    // Ledger: this quarter 北坪 3 + 1.5 − 1 (a reversal), 建国 2; an older quarter is not counted.
    const entry = (community: DivisionRef, memberId: string, hours: number, q = quarter) =>
      ctx.db.insert(ledgerEntries).values({
        id: newId("led", ctx.clock.now().getTime() + Math.floor(Math.random() * 1000)),
        tenantId: community.tenantId,
        memberId,
        divisionPath: community.path,
        year: Number(q.slice(0, 4)),
        quarter: q,
        hours,
        points: hours * 10,
        sourceType: hours < 0 ? "correction" : "participation",
        sourceId: `src-${Math.random()}`,
        createdBy: "test",
        createdAt: ctx.clock.now().toISOString(),
      });
    await entry(beiping, bp[0]!.id, 3);
    await entry(beiping, bp[1]!.id, 1.5);
    await entry(beiping, bp[1]!.id, -1);
    await entry(jianguo, jg.id, 2);
    await entry(beiping, bp[0]!.id, 8, "2001-Q1");
    await entry(hangtian, "mem_x", 4.25);
  });

  const noProjects = { open: 0, claimed: 0, in_progress: 0, done: 0, closed: 0, cancelled: 0 };
  const noFeedback = { generated: 0, sent: 0, acknowledged: 0 };
  const noEmergency = {
    incidents: 0,
    activations: 0,
    rostered: 0,
    acknowledged: 0,
    ackRate: null,
    quorumReached: 0,
    avgSecondsToQuorum: null,
  };
  const yumenAll = {
    tenant: "620981",
    nameZh: "玉门市",
    organisations: 4,
    members: 4,
    orgReports: { submitted: 2, received: 0, active: 1, ended: 1 },
    memberReports: { submitted: 0, confirmed: 1, active: 1, overdue: 1, ended: 1 },
    agreementsByLink: { organisation: 1, venue: 3, activity: 0, resource: 1, service: 1 },
    openNeeds: 3,
    needs: { open: 3, matched: 0, closed: 1, cancelled: 0 },
    projects: noProjects,
    employerFeedback: noFeedback,
    hoursThisQuarter: 5.5,
    emergency: noEmergency,
  };
  const zeros = (tenant: string, nameZh: string) => ({
    tenant,
    nameZh,
    organisations: 0,
    members: 0,
    orgReports: { submitted: 0, received: 0, active: 0, ended: 0 },
    memberReports: { submitted: 0, confirmed: 0, active: 0, overdue: 0, ended: 0 },
    agreementsByLink: { organisation: 0, venue: 0, activity: 0, resource: 0, service: 0 },
    openNeeds: 0,
    needs: { open: 0, matched: 0, closed: 0, cancelled: 0 },
    projects: noProjects,
    employerFeedback: noFeedback,
    hoursThisQuarter: 0,
    emergency: noEmergency,
  });

  it("gives a county one row with exact counts for its tenant", async () => {
    const res = await ctx.call(yumen, "GET", "/v1/stats");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ quarter, communityId: null, drill: "false", data: [yumenAll] });
    // A street admin over the whole of Yumen's only street sees the same.
    const street = await ctx.call({ tenant: "620981", roles: ["street_admin"], org: xinshiqu.id }, "GET", "/v1/stats");
    expect(street.body.data).toEqual([yumenAll]);
  });

  it("narrows to one community", async () => {
    const beipingOnly = {
      ...yumenAll,
      organisations: 2,
      members: 3,
      orgReports: { submitted: 2, received: 0, active: 1, ended: 0 },
      memberReports: { submitted: 0, confirmed: 0, active: 1, overdue: 1, ended: 1 },
      agreementsByLink: { organisation: 1, venue: 2, activity: 0, resource: 0, service: 1 },
      openNeeds: 2,
      needs: { open: 2, matched: 0, closed: 1, cancelled: 0 },
      hoursThisQuarter: 3.5,
    };
    expect((await ctx.call(yumen, "GET", `/v1/stats?communityId=${beiping.id}`)).body).toEqual({
      quarter,
      communityId: beiping.id,
      drill: "false",
      data: [beipingOnly],
    });
    const communityAdmin = { tenant: "620981", roles: ["community_admin" as const], org: beiping.id };
    expect((await ctx.call(communityAdmin, "GET", "/v1/stats")).body.data).toEqual([beipingOnly]);
    expect((await ctx.call(w.who.city, "GET", `/v1/stats?communityId=${beiping.id}`)).body.data).toEqual([beipingOnly]);
    // Outside reach, another tenant's, or not a community: a 400 on the query parameter.
    expectPointer(await ctx.call(communityAdmin, "GET", `/v1/stats?communityId=${jianguo.id}`), "/communityId");
    expectPointer(await ctx.call(w.who.county, "GET", `/v1/stats?communityId=${beiping.id}`), "/communityId");
    expectPointer(await ctx.call(yumen, "GET", `/v1/stats?communityId=${xinshiqu.id}`), "/communityId");
    expectPointer(await ctx.call(yumen, "GET", "/v1/stats?communityId=nope"), "/communityId");
  });

  it("gives the city one row per county-level tenant, zeros included", async () => {
    const res = await ctx.call(w.who.city, "GET", "/v1/stats");
    expect(res.status).toBe(200);
    expect(res.body.data.map((r: { tenant: string }) => r.tenant)).toEqual([
      "620902",
      "620921",
      "620922",
      "620923",
      "620924",
      "620981",
      "620982",
    ]);
    const row = (tenant: string) => res.body.data.find((r: { tenant: string }) => r.tenant === tenant);
    expect(row("620981")).toEqual(yumenAll);
    expect(row("620921")).toEqual({
      ...zeros("620921", "金塔县"),
      openNeeds: 1,
      needs: { open: 1, matched: 0, closed: 0, cancelled: 0 },
      hoursThisQuarter: 4.25,
    });
    expect(row("620923")).toEqual(zeros("620923", "肃北蒙古族自治县"));
    expect(row("620924")).toEqual(zeros("620924", "阿克塞哈萨克族自治县"));
    expect(row("620902").organisations).toBeGreaterThanOrEqual(6);
    // Counts only: nothing personal in the whole document.
    expect(JSON.stringify(res.body)).not.toMatch(/mem_|org_|党员/);
  });

  it("answers each metric with one grouped index SEARCH on a tenant_id-first index, for every scope", async () => {
    for (const scope of [{}, { tenant: "620981" }, { tenant: "620981", path: beiping.path }]) {
      for (const [metric, query] of Object.entries(statsQueries(ctx.db, scope, { quarter, today }))) {
        const plan = await ctx.db.all<{ detail: string }>(sql`explain query plan ${query.getSQL()}`);
        // The tenants subquery (the city's IN list) and json_each are not the metric's table.
        const steps = plan
          .map((p) => p.detail)
          .filter((d) => /^(SCAN|SEARCH) /.test(d) && !/^(SCAN|SEARCH) (tenants|link)\b/.test(d));
        expect(steps, `${metric} ${JSON.stringify(scope)}`).toHaveLength(1);
        expect(steps[0], `${metric} ${JSON.stringify(scope)}`).toMatch(
          /^SEARCH \w+ USING (COVERING )?INDEX \w+ \(tenant_id=\?/,
        );
      }
    }
  });

  it("needs stats:read", async () => {
    expect(
      (
        await ctx.call(
          { tenant: "620981", roles: ["unit_admin"], unit: "org_01KDVDNA011AKWK3RC504FTYF8" },
          "GET",
          "/v1/stats",
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await ctx.call(
          { tenant: "620981", roles: ["member"], member: "mem_01KDVDNA011AKWK3RC504FTYF8" },
          "GET",
          "/v1/stats",
        )
      ).status,
    ).toBe(403);
  });
});
