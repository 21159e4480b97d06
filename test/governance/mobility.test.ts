import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { markMobilityDue } from "../../src/domains/governance/mobility-job.js";
import { mobilityRecords } from "../../src/domains/governance/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";

let ctx: TestContext;
let fukang: DivisionRef;
let receivingOrgId: string;
const now = new Date("2026-03-10T02:00:00Z");

const community = () => ({ tenant: "620902", roles: ["community_admin" as const], org: fukang.id });
const receivingCounty = { tenant: "620981", roles: ["county_admin" as const] };
const receivingUnit = () => ({ tenant: "620981", roles: ["unit_admin" as const], unit: receivingOrgId });
const thirdTenant = { tenant: "620982", roles: ["county_admin" as const] };
const city = { tenant: "620900", roles: ["city_admin" as const] };

beforeAll(async () => {
  ctx = await createTestContext({ clock: { now: () => now } });
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  const beiping = await divisionNamed(ctx, "620981", "北坪社区");
  receivingOrgId = (await insertPartyOrg(ctx, beiping)).id;
});
afterAll(() => ctx.close());

async function outflow(fields: Record<string, unknown> = {}) {
  const member = await insertMember(ctx, fukang);
  const res = await ctx.call(community(), "POST", "/v1/mobility-records", {
    memberId: member.id,
    destination: "玉门市老市区",
    certificateNumber: "620902-2026-0153",
    contact: "13812345678",
    receivingTenantId: "620981",
    receivingOrgId,
    leftOn: "2026-03-01",
    ...fields,
  });
  expect(res.status).toBe(201);
  return { member, record: res.body };
}

const typesOf = async (id: string, tenant?: string) =>
  (
    await ctx.db
      .select()
      .from(outboxEvents)
      .where(
        tenant
          ? and(eq(outboxEvents.subjectId, id), eq(outboxEvents.tenantId, tenant))
          : eq(outboxEvents.subjectId, id),
      )
  ).map((e) => e.type);

describe("party members who move (流动党员)", () => {
  it("records an outflow with a masked contact and quarterly checks; one open record per member", async () => {
    const { member, record } = await outflow();
    expect(record).toMatchObject({
      status: "outflow",
      contact: "138****5678",
      nextCheckDue: "2026-06-01",
      lostContactDueOn: "2026-09-01",
      receivingTenantId: "620981",
      receivingOrgId,
    });
    expect(JSON.stringify(record)).not.toContain("13812345678");
    expect(await typesOf(record.id, "620902")).toEqual(["mobility_record.created"]);
    expect(await typesOf(record.id, "620981")).toEqual(["mobility_record.inflow"]);
    const again = await ctx.call(community(), "POST", "/v1/mobility-records", {
      memberId: member.id,
      destination: "x",
      certificateNumber: "x",
      contact: "13812345678",
      leftOn: "2026-03-01",
    });
    expect(again.status).toBe(409);
  });

  it("the receiving organisation in another tenant sees the mobility record and nothing more", async () => {
    const { member, record } = await outflow();
    for (const who of [receivingCounty, receivingUnit()]) {
      const got = await ctx.call(who, "GET", `/v1/mobility-records/${record.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        id: record.id,
        memberId: member.id,
        destination: "玉门市老市区",
        contact: "138****5678",
      });
      const listed = await ctx.call(who, "GET", "/v1/mobility-records?side=receiving&limit=100");
      expect(listed.body.data.map((r: { id: string }) => r.id)).toContain(record.id);
      expect(listed.body.data.every((r: { receivingTenantId: string }) => r.receivingTenantId === "620981")).toBe(true);
      // Nothing else of the home tenant: not the member, not their reports; and no writes on the record.
      expect((await ctx.call(who, "GET", `/v1/members/${member.id}`)).status).toBe(404);
      expect((await ctx.call(who, "GET", `/v1/member-reports?memberId=${member.id}`)).body?.data ?? []).toEqual([]);
    }
    const check = { checkedOn: "2026-03-09", contacted: true, method: "phone" };
    expect((await ctx.call(receivingCounty, "POST", `/v1/mobility-records/${record.id}/checks`, check)).status).toBe(
      404,
    );
    expect((await ctx.call(receivingCounty, "POST", `/v1/mobility-records/${record.id}/lose-contact`)).status).toBe(
      404,
    );
    // A tenant with no part in it sees nothing; the city sees it with whereabouts and name masked.
    expect((await ctx.call(thirdTenant, "GET", `/v1/mobility-records/${record.id}`)).status).toBe(404);
    const cityView = await ctx.call(city, "GET", `/v1/mobility-records/${record.id}`);
    expect(cityView.body.destination).toBe("***");
    expect(cityView.body.memberName).not.toBe(member.name);
  });

  it("the background job flags overdue checks and lost contact; a check that reaches the member locates them", async () => {
    const { record } = await outflow();
    expect(await markMobilityDue(ctx.db, new Date("2026-06-02T02:00:00Z"))).toMatchObject({
      checkOverdue: expect.any(Number),
    });
    const [flagged] = await ctx.db.select().from(mobilityRecords).where(eq(mobilityRecords.id, record.id));
    expect(flagged).toMatchObject({ status: "outflow", checkOverdue: true });
    expect(await typesOf(record.id)).toContain("mobility_record.check_overdue");

    expect((await markMobilityDue(ctx.db, new Date("2026-09-02T02:00:00Z"))).lostContact).toBeGreaterThanOrEqual(1);
    const [lost] = await ctx.db.select().from(mobilityRecords).where(eq(mobilityRecords.id, record.id));
    expect(lost!.status).toBe("lost_contact");
    const audit = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, record.id));
    expect(audit.map((a) => [a.action, a.actor])).toEqual(
      expect.arrayContaining([
        ["mobility_record.mark_check_overdue", "system:scheduler"],
        ["mobility_record.mark_lost_contact", "system:scheduler"],
      ]),
    );
    // Running again writes nothing twice.
    const before = (await typesOf(record.id)).length;
    await markMobilityDue(ctx.db, new Date("2026-09-02T02:00:00Z"));
    expect((await typesOf(record.id)).length).toBe(before);

    const unreached = await ctx.call(community(), "POST", `/v1/mobility-records/${record.id}/checks`, {
      checkedOn: "2026-03-09",
      contacted: false,
      method: "phone",
    });
    expect(unreached.body.status).toBe("lost_contact");
    const reached = await ctx.call(community(), "POST", `/v1/mobility-records/${record.id}/checks`, {
      checkedOn: "2026-03-10",
      contacted: true,
      method: "visit",
    });
    expect(reached.body).toMatchObject({
      status: "located",
      checkOverdue: false,
      lastContactOn: "2026-03-10",
      nextCheckDue: "2026-06-10",
    });
    expect(await typesOf(record.id)).toContain("mobility_record.located");
  });

  it("a return needs the activity certificate inspected; a returned member may move again", async () => {
    const { member, record } = await outflow();
    const unchecked = await ctx.call(community(), "POST", `/v1/mobility-records/${record.id}/return`, {});
    expect(unchecked.status).toBe(400);
    const back = await ctx.call(community(), "POST", `/v1/mobility-records/${record.id}/return`, {
      certificateInspected: true,
      note: "已查验流动党员活动证。",
    });
    expect(back.body.status).toBe("returned");
    expect((await ctx.call(community(), "POST", `/v1/mobility-records/${record.id}/transfer`, {})).status).toBe(409);
    const next = await ctx.call(community(), "POST", "/v1/mobility-records", {
      memberId: member.id,
      destination: "敦煌市",
      certificateNumber: "620902-2026-0200",
      contact: "13912345678",
      leftOn: "2026-03-05",
    });
    expect(next.status).toBe(201);
  });
});
