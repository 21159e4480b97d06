import { asc, eq } from "drizzle-orm";
import { expect } from "vitest";
import { newId } from "../../src/db/ids.js";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { memberReports, orgReports } from "../../src/domains/reports/tables.js";
import type { TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/**
 * The world the reports tests share: Suzhou's 东北街 street with 富康 (and its grid) and 北苑, 东南街 with
 * 东苑; community party organisations for 富康, 北苑 and 东苑; unit organisations located in 富康 and
 * 东南街; the same in Dunhuang for cross-tenant checks.
 */
export async function reportsWorld(ctx: TestContext) {
  const d = {
    dongbei: await divisionNamed(ctx, "620902", "东北街街道"),
    fukang: await divisionNamed(ctx, "620902", "富康社区"),
    fukangGrid: await divisionNamed(ctx, "620902", "富康社区第1网格"),
    beiyuan: await divisionNamed(ctx, "620902", "北苑社区"),
    dongnan: await divisionNamed(ctx, "620902", "东南街街道"),
    dongyuan: await divisionNamed(ctx, "620902", "东苑社区"),
    dongyuanGrid: await divisionNamed(ctx, "620902", "东苑社区第1网格"),
    shazhou: await divisionNamed(ctx, "620982", "沙州镇"),
    dongdajie: await divisionNamed(ctx, "620982", "东大街社区"),
  };
  const orgs = {
    fukang: await insertPartyOrg(ctx, d.fukang, {
      category: "community",
      type: "committee",
      name: "中共富康社区委员会",
    }),
    beiyuan: await insertPartyOrg(ctx, d.beiyuan, {
      category: "community",
      type: "committee",
      name: "中共北苑社区委员会",
    }),
    dongyuan: await insertPartyOrg(ctx, d.dongyuan, {
      category: "community",
      type: "committee",
      name: "中共东苑社区委员会",
    }),
    unitA: await insertPartyOrg(ctx, d.fukang, { category: "unit", name: "市自然资源局党支部" }),
    unitB: await insertPartyOrg(ctx, d.dongnan, { category: "two_new", name: "某快递公司党支部" }),
    streetCommittee: await insertPartyOrg(ctx, d.dongbei, {
      category: "street_working_committee",
      type: "working_committee",
    }),
    dhCommunity: await insertPartyOrg(ctx, d.dongdajie, { category: "community", type: "committee" }),
    dhUnit: await insertPartyOrg(ctx, d.dongdajie, { category: "unit" }),
  };
  const who = {
    county: { tenant: "620902", roles: ["county_admin"], sub: "county-1" } as TokenOptions,
    dongbeiStreet: { tenant: "620902", roles: ["street_admin"], org: d.dongbei.id, sub: "street-db" } as TokenOptions,
    dongnanStreet: { tenant: "620902", roles: ["street_admin"], org: d.dongnan.id, sub: "street-dn" } as TokenOptions,
    fukangAdmin: { tenant: "620902", roles: ["community_admin"], org: d.fukang.id, sub: "fukang-1" } as TokenOptions,
    dongyuanAdmin: {
      tenant: "620902",
      roles: ["community_admin"],
      org: d.dongyuan.id,
      sub: "dongyuan-1",
    } as TokenOptions,
    unitAdminA: { tenant: "620902", roles: ["unit_admin"], unit: orgs.unitA.id, sub: "unit-a" } as TokenOptions,
    unitAdminB: { tenant: "620902", roles: ["unit_admin"], unit: orgs.unitB.id, sub: "unit-b" } as TokenOptions,
    auditor: { tenant: "620902", roles: ["auditor"], sub: "auditor-1" } as TokenOptions,
    dunhuang: { tenant: "620982", roles: ["county_admin"], sub: "dh-1" } as TokenOptions,
    dunhuangCommunity: { tenant: "620982", roles: ["community_admin"], org: d.dongdajie.id } as TokenOptions,
    city: { tenant: "620900", roles: ["city_admin"], sub: "city-1" } as TokenOptions,
  };
  return { d, orgs, who };
}

export type World = Awaited<ReturnType<typeof reportsWorld>>;

let tick = 0;
const stamp = (ctx: TestContext) => new Date(ctx.clock.now().getTime() + tick++);

/** An org report in any state, written straight to the table (to drive the state machine from every state). */
export async function insertOrgReport(
  ctx: TestContext,
  unitOrg: { id: string; tenantId: string },
  community: { id: string; divisionPath: string },
  fields: Partial<typeof orgReports.$inferInsert> = {},
) {
  const at = stamp(ctx);
  const row = {
    id: newId("orep", at.getTime()),
    tenantId: unitOrg.tenantId,
    unitOrgId: unitOrg.id,
    communityOrgId: community.id,
    divisionPath: community.divisionPath,
    slipNumber: `SLIP-${at.getTime()}-${tick}`,
    reportDate: "2026-11-01",
    liaisonName: "王敏",
    status: "submitted" as const,
    version: 1,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    ...fields,
  };
  await ctx.db.insert(orgReports).values(row);
  return row;
}

/** A member (in-service, living in `community`) and their report in any state, written straight to the tables. */
export async function insertMemberReport(
  ctx: TestContext,
  community: DivisionRef,
  fields: Partial<typeof memberReports.$inferInsert> = {},
) {
  const member = fields.memberId ? { id: fields.memberId } : await insertMember(ctx, community);
  const at = stamp(ctx);
  const row = {
    id: newId("mrep", at.getTime()),
    tenantId: community.tenantId,
    memberId: member.id,
    communityId: community.id,
    gridId: null,
    divisionPath: community.path,
    channel: "online" as const,
    skills: [],
    intentions: [],
    status: "submitted" as const,
    endReason: null,
    employerOrgId: null,
    employerTenantId: null,
    confirmedAt: null,
    lastRecheckAt: null,
    recheckDueOn: null,
    version: 1,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    ...fields,
  };
  await ctx.db.insert(memberReports).values(row);
  return row;
}

export async function eventsOf(ctx: TestContext, subjectId: string) {
  return ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, subjectId)).orderBy(asc(outboxEvents.id));
}

export async function auditOf(ctx: TestContext, targetId: string) {
  return ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, targetId)).orderBy(asc(auditEvents.id));
}

/** The field pointers of a 400 problem. */
export function expectPointer(res: { status: number; body: any }, pointer: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
}

export const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((r) => r.id);
