import { newId } from "../../src/db/ids.js";
import { ledgerEntries, participations } from "../../src/domains/activities/tables.js";
import { memberReports } from "../../src/domains/reports/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { TestClock } from "../helpers/clock.js";
import { divisionNamed, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

export interface World {
  ctx: TestContext;
  /** Check-in and check-out times come from it. */
  clock: TestClock;
  fukang: DivisionRef; // 富康社区, Suzhou 620902
  beiyuan: DivisionRef; // 北苑社区, Suzhou 620902
  dongbei: DivisionRef; // 东北街街道
  organiser: { id: string };
  admin: TokenOptions; // community admin of 富康社区
}

export async function createWorld(): Promise<World> {
  const clock = new TestClock("2026-09-01T00:00:00.000Z");
  const ctx = await createTestContext({ clock });
  const fukang = await divisionNamed(ctx, "620902", "富康社区");
  const organiser = await insertPartyOrg(ctx, fukang, { category: "community" });
  return {
    ctx,
    clock,
    fukang,
    beiyuan: await divisionNamed(ctx, "620902", "北苑社区"),
    dongbei: await divisionNamed(ctx, "620902", "东北街街道"),
    organiser,
    admin: { tenant: "620902", roles: ["community_admin"], org: fukang.id, sub: "fukang-admin" },
  };
}

export const memberToken = (memberId: string, tenant = "620902"): TokenOptions => ({
  tenant,
  roles: ["member"],
  member: memberId,
  sub: `member-${memberId}`,
});
export const unitAdminToken = (unitOrgId: string, tenant = "620902"): TokenOptions => ({
  tenant,
  roles: ["unit_admin"],
  unit: unitOrgId,
  sub: `unit-${unitOrgId}`,
});

export function activityBody(w: World, over: Record<string, unknown> = {}) {
  return {
    communityId: w.fukang.id,
    organiserOrgId: w.organiser.id,
    kind: "service",
    title: "富康社区助老义诊",
    startsAt: "2026-09-12T09:00:00+08:00",
    endsAt: "2026-09-12T11:30:00+08:00",
    place: "富康社区党群服务中心",
    capacity: 30,
    pointsPerHour: 10,
    ...over,
  };
}

export async function createActivity(w: World, over: Record<string, unknown> = {}) {
  const res = await w.ctx.call(w.admin, "POST", "/v1/activities", activityBody(w, over));
  if (res.status !== 201) throw new Error(`createActivity: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; startsAt: string; endsAt: string; capacity: number };
}

/** A participation stored directly in a given state, with check-in/out times that state implies. */
export async function insertParticipation(
  w: World,
  activity: { id: string },
  memberId: string,
  status: (typeof participations.$inferSelect)["status"],
  times: { checkedInAt?: string; checkedOutAt?: string; rating?: number } = {},
) {
  const at = w.ctx.clock.now().toISOString();
  const checkedIn = ["checked_in", "checked_out", "verified"].includes(status);
  const checkedOut = ["checked_out", "verified"].includes(status);
  const row = {
    id: newId("part", w.ctx.clock.now().getTime()),
    tenantId: "620902",
    activityId: activity.id,
    memberId,
    divisionPath: w.fukang.path,
    status,
    checkedInAt: checkedIn ? (times.checkedInAt ?? "2026-09-12T01:00:00.000Z") : null,
    checkedOutAt: checkedOut ? (times.checkedOutAt ?? "2026-09-12T03:00:00.000Z") : null,
    hours: status === "verified" ? 2 : null,
    rating: times.rating ?? null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  await w.ctx.db.insert(participations).values(row);
  return row;
}

/** A ledger entry stored directly (as verification would post it). */
export async function insertLedgerEntry(
  w: Pick<World, "ctx" | "fukang">,
  memberId: string,
  fields: Partial<typeof ledgerEntries.$inferInsert> = {},
) {
  const row = {
    id: newId("led", w.ctx.clock.now().getTime()),
    tenantId: "620902",
    memberId,
    divisionPath: w.fukang.path,
    year: 2026,
    quarter: "2026-Q3",
    hours: 2,
    points: 20,
    sourceType: "participation" as const,
    sourceId: newId("part", w.ctx.clock.now().getTime()),
    reversesId: null,
    reason: null,
    createdBy: "test",
    createdAt: w.ctx.clock.now().toISOString(),
    ...fields,
  };
  await w.ctx.db.insert(ledgerEntries).values(row);
  return row;
}

/** An active member report (the reports area's table), as a prerequisite for feedback. */
export async function insertMemberReport(
  w: World,
  community: DivisionRef,
  memberId: string,
  fields: Partial<typeof memberReports.$inferInsert> = {},
) {
  const at = w.ctx.clock.now().toISOString();
  const row = {
    id: newId("mrep", w.ctx.clock.now().getTime()),
    tenantId: community.tenantId,
    memberId,
    communityId: community.id,
    gridId: null,
    divisionPath: community.path,
    channel: "online" as const,
    skills: [],
    intentions: [],
    status: "active" as const,
    endReason: null,
    employerOrgId: null,
    employerTenantId: null,
    confirmedAt: at,
    lastRecheckAt: null,
    recheckDueOn: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
  await w.ctx.db.insert(memberReports).values(row);
  return row;
}
