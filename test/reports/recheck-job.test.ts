import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { auditEvents, idempotencyKeys, outboxEvents } from "../../src/db/tables.js";
import { markOverdueReports, schedulerActor } from "../../src/domains/reports/recheck.js";
import { memberReports } from "../../src/domains/reports/tables.js";
import { runMaintenance } from "../../src/maintenance.js";
import { purgeExpiredIdempotencyKeys } from "../../src/shared/api/idempotency.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember } from "../helpers/fixtures.js";

let ctx: TestContext;
const now = new Date("2026-11-26T04:00:00Z"); // 12:00 in China

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function report(status: "active" | "overdue" | "confirmed", recheckDueOn: string | null) {
  const community = await divisionNamed(ctx, "620902", "富康社区");
  const member = await insertMember(ctx, community);
  const row = {
    id: newId("mrep", ctx.clock.now().getTime()),
    tenantId: "620902",
    memberId: member.id,
    communityId: community.id,
    gridId: null,
    divisionPath: community.path,
    channel: "online" as const,
    skills: [],
    intentions: [],
    status,
    endReason: null,
    employerOrgId: null,
    employerTenantId: null,
    confirmedAt: null,
    lastRecheckAt: null,
    recheckDueOn,
    version: 3,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await ctx.db.insert(memberReports).values(row);
  return row;
}

const statusOf = async (id: string) => (await ctx.db.select().from(memberReports).where(eq(memberReports.id, id)))[0]!;

describe("the half-yearly recheck job", () => {
  it("marks active reports due before today overdue, with one audit and one outbox event each, and only those", async () => {
    const lapsed = await report("active", "2026-11-25");
    const dueToday = await report("active", "2026-11-26");
    const later = await report("active", "2027-05-26");
    const confirmed = await report("confirmed", "2026-01-01");

    expect(await markOverdueReports(ctx.db, now)).toBe(1);
    expect(await statusOf(lapsed.id)).toMatchObject({ status: "overdue", version: 4 });
    for (const untouched of [dueToday, later, confirmed]) expect((await statusOf(untouched.id)).version).toBe(3);

    const audit = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, lapsed.id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: schedulerActor,
      action: "member_report.mark_overdue",
      tenantId: "620902",
      divisionPath: lapsed.divisionPath,
    });
    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, lapsed.id));
    expect(events.map((e) => e.type)).toEqual(["member_report.overdue"]);
    expect(events[0]!.payload).toMatchObject({ memberReportId: lapsed.id, status: "overdue" });

    // Running again changes and writes nothing.
    expect(await markOverdueReports(ctx.db, now)).toBe(0);
    expect(await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, lapsed.id))).toHaveLength(1);
    expect(await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, lapsed.id))).toHaveLength(1);
  });

  it("shows the overdue report over HTTP, and a recheck makes it active again", async () => {
    const lapsed = await report("active", "2026-10-01");
    await markOverdueReports(ctx.db, now);
    const county = { tenant: "620902", roles: ["county_admin" as const] };
    const got = await ctx.call(county, "GET", `/v1/member-reports/${lapsed.id}`);
    expect(got.body.status).toBe("overdue");
    const rechecked = await ctx.call(
      { tenant: "620902", roles: ["community_admin"] },
      "POST",
      `/v1/member-reports/${lapsed.id}/recheck`,
      {},
      { "if-match": got.headers.get("etag")! },
    );
    expect(rechecked.status).toBe(200);
    expect(rechecked.body.status).toBe("active");
  });
});

describe("idempotency key housekeeping", () => {
  it("forgets expired keys only", async () => {
    const key = (name: string, expiresAt: string) => ({
      tenantId: "620902",
      caller: "jwt:620902:x",
      key: name,
      requestHash: "h",
      status: 201,
      body: "{}",
      headers: {},
      createdAt: now.toISOString(),
      expiresAt,
    });
    await ctx.db
      .insert(idempotencyKeys)
      .values([key("old-key-0001", "2026-11-25T00:00:00.000Z"), key("live-key-001", "2026-11-27T00:00:00.000Z")]);
    expect(await purgeExpiredIdempotencyKeys(ctx.db, now)).toBe(1);
    const left = await ctx.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, "620902"), eq(idempotencyKeys.caller, "jwt:620902:x")));
    expect(left.map((k) => k.key)).toEqual(["live-key-001"]);
  });

  it("runs both jobs through runMaintenance", async () => {
    await report("active", "2026-09-01");
    const result = await runMaintenance(ctx.db, now, { error: () => {} });
    expect(result.overdue).toBe(1);
  });
});
