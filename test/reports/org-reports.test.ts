import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgReports } from "../../src/domains/reports/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import type { TokenOptions } from "../helpers/keys.js";
import { auditOf, eventsOf, expectPointer, ids, insertOrgReport, reportsWorld, type World } from "./helpers.js";

let ctx: TestContext;
let w: World;

beforeAll(async () => {
  ctx = await createTestContext();
  w = await reportsWorld(ctx);
});
afterAll(() => ctx.close());

let slip = 0;
const body = (over: Record<string, unknown> = {}) => ({
  unitOrgId: w.orgs.unitA.id,
  communityOrgId: w.orgs.fukang.id,
  slipNumber: `SZ-2026-${String(++slip).padStart(4, "0")}`,
  reportDate: "2026-11-20",
  liaisonName: "王敏",
  ...over,
});
const submit = (who: TokenOptions, over: Record<string, unknown> = {}) =>
  ctx.call(who, "POST", "/v1/org-reports", body(over));

describe("org reports: submit", () => {
  it("lets a unit admin submit for its own unit: 201 with ETag, Location, audit and the submitted event", async () => {
    const res = await submit(w.who.unitAdminA);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      unitOrgId: w.orgs.unitA.id,
      communityOrgId: w.orgs.fukang.id,
      status: "submitted",
      version: 1,
      liaisonName: "王敏",
    });
    expect(res.body.id).toMatch(/^orep_[0-9A-Z]{26}$/);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/org-reports/${res.body.id}`);
    const [row] = await ctx.db.select().from(orgReports).where(eq(orgReports.id, res.body.id));
    expect(row!.divisionPath).toBe(w.orgs.fukang.divisionPath);
    expect((await auditOf(ctx, res.body.id)).map((a) => a.action)).toEqual(["org_report.create"]);
    const events = await eventsOf(ctx, res.body.id);
    expect(events.map((e) => e.type)).toEqual(["org_report.submitted"]);
    expect(events[0]!.payload).toMatchObject({
      unitOrgId: w.orgs.unitA.id,
      communityOrgId: w.orgs.fukang.id,
      status: "submitted",
    });
  });

  it("keeps a unit admin to its own unit and refuses members, county and city (no reports:submit)", async () => {
    expectPointer(await submit(w.who.unitAdminA, { unitOrgId: w.orgs.unitB.id }), "/unitOrgId");
    const member = await submit({ tenant: "620902", roles: ["member"], member: "mem_01KDVDNA011AKWK3RC504FTYF8" });
    expect(member.status).toBe(403);
    for (const who of [w.who.county, w.who.city, w.who.auditor]) expect((await submit(who)).status).toBe(403);
  });

  it("lets a street admin submit for units in its street, not elsewhere", async () => {
    expect((await submit(w.who.dongbeiStreet)).status).toBe(201);
    expectPointer(
      await submit(w.who.dongbeiStreet, { unitOrgId: w.orgs.unitB.id, communityOrgId: w.orgs.dongyuan.id }),
      "/unitOrgId",
    );
    expectPointer(await submit(w.who.dongbeiStreet, { communityOrgId: w.orgs.dongyuan.id }), "/communityOrgId");
    expect(
      (await submit(w.who.dongnanStreet, { unitOrgId: w.orgs.unitB.id, communityOrgId: w.orgs.dongyuan.id })).status,
    ).toBe(201);
    // A community admin acts in its community only.
    expect((await submit(w.who.fukangAdmin)).status).toBe(201);
    expectPointer(await submit(w.who.dongyuanAdmin), "/unitOrgId");
  });

  it("checks categories, tenant and fields with pointers", async () => {
    expectPointer(await submit(w.who.dongbeiStreet, { unitOrgId: w.orgs.fukang.id }), "/unitOrgId");
    expectPointer(await submit(w.who.dongbeiStreet, { communityOrgId: w.orgs.unitA.id }), "/communityOrgId");
    expectPointer(await submit(w.who.dongbeiStreet, { communityOrgId: w.orgs.streetCommittee.id }), "/communityOrgId");
    expectPointer(await submit(w.who.dongbeiStreet, { communityOrgId: w.orgs.dhCommunity.id }), "/communityOrgId");
    expectPointer(await submit(w.who.dongbeiStreet, { unitOrgId: "org_01KDVDNA011AKWK3RC504FTYF8" }), "/unitOrgId");
    expectPointer(await submit(w.who.dongbeiStreet, { reportDate: "2026-13-01" }), "/reportDate");
    expectPointer(await submit(w.who.dongbeiStreet, { slipNumber: "" }), "/slipNumber");
    expectPointer(await submit(w.who.dongbeiStreet, { unitOrgId: "unit_01KDVDNA011AKWK3RC504FTYF8" }), "/unitOrgId");
    for (const field of ["status", "tenantId", "divisionPath", "version"]) {
      expectPointer(await submit(w.who.dongbeiStreet, { [field]: "active" }), `/${field}`);
    }
  });

  it("refuses a slip number already used in the tenant with 409", async () => {
    const first = await submit(w.who.dongbeiStreet, { slipNumber: "DUP-1" });
    expect(first.status).toBe(201);
    const again = await submit(w.who.dongbeiStreet, { slipNumber: "DUP-1" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("conflict");
    expect(again.body.detail).toMatch(/slip/);
  });

  it("replays an idempotent submit and writes once", async () => {
    const fixed = body({ slipNumber: "IDEM-1" });
    const headers = { "idempotency-key": "orep-create-0001" };
    const first = await ctx.call(w.who.unitAdminA, "POST", "/v1/org-reports", fixed, headers);
    expect(first.status).toBe(201);
    const retry = await ctx.call(w.who.unitAdminA, "POST", "/v1/org-reports", fixed, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await ctx.db.select().from(orgReports).where(eq(orgReports.slipNumber, "IDEM-1"))).toHaveLength(1);
    expect((await eventsOf(ctx, first.body.id)).length).toBe(1);
  });
});

describe("org reports: reading", () => {
  it("narrows by tenant, subtree and own unit; filters by status, unit and community", async () => {
    const a = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.beiyuan, { status: "received" });
    const b = await insertOrgReport(ctx, w.orgs.unitB, w.orgs.dongyuan);
    const get = (who: TokenOptions, id: string) => ctx.call(who, "GET", `/v1/org-reports/${id}`);

    for (const who of [w.who.county, w.who.dongbeiStreet, w.who.unitAdminA, w.who.city, w.who.auditor]) {
      const res = await get(who, a.id);
      expect(res.status, JSON.stringify(who)).toBe(200);
      expect(res.headers.get("etag")).toBe('"v1"');
    }
    // Another county, another street, another community, another unit: the same 404 as a missing report.
    for (const who of [w.who.dunhuang, w.who.dongnanStreet, w.who.fukangAdmin, w.who.unitAdminB]) {
      const res = await get(who, a.id);
      expect(res.status, JSON.stringify(who)).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
    expect((await get(w.who.county, "orep_01KDVDNA011AKWK3RC504FTYF8")).status).toBe(404);
    expect((await get(w.who.county, "nope")).status).toBe(400);

    const list = (who: TokenOptions, q = "") => ctx.call(who, "GET", `/v1/org-reports?limit=100${q}`);
    const unitAList = (await list(w.who.unitAdminA)).body.data as { unitOrgId: string }[];
    expect(unitAList.length).toBeGreaterThan(0);
    expect(unitAList.every((r) => r.unitOrgId === w.orgs.unitA.id)).toBe(true);
    expect(ids(await list(w.who.unitAdminB))).toContain(b.id);
    expect(ids(await list(w.who.unitAdminB))).not.toContain(a.id);
    expect(ids(await list(w.who.dongnanStreet))).toContain(b.id);
    expect(ids(await list(w.who.dongnanStreet))).not.toContain(a.id);
    expect((await list(w.who.dunhuang)).body.data).toEqual([]);
    expect(ids(await list(w.who.city))).toEqual(expect.arrayContaining([a.id, b.id]));

    expect(ids(await list(w.who.county, "&status=received"))).toEqual([a.id]);
    expect(ids(await list(w.who.county, `&communityOrgId=${w.orgs.beiyuan.id}`))).toEqual([a.id]);
    const byUnit = (await list(w.who.county, `&unitOrgId=${w.orgs.unitB.id}`)).body.data as { unitOrgId: string }[];
    expect(byUnit.map((r) => r.unitOrgId).every((u) => u === w.orgs.unitB.id)).toBe(true);
    expectPointer(await list(w.who.county, "&status=lost"), "/status");
  });

  it("pages with a cursor", async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await ctx.call(
        w.who.county,
        "GET",
        `/v1/org-reports?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      all.push(...page.body.data.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const everything = await ctx.db
      .select({ id: orgReports.id })
      .from(orgReports)
      .where(eq(orgReports.tenantId, "620902"));
    expect(all).toEqual(everything.map((r) => r.id).sort());
  });
});

describe("org reports: state machine", () => {
  const actionPath = { receive: "receive", activate: "activate", end: "end" } as const;
  const eventOf = {
    receive: "org_report.received",
    activate: "org_report.activated",
    end: "org_report.ended",
  } as const;
  // Every state × every action: the next state, or null for the 409 naming the current state.
  const expected = {
    submitted: { receive: "received", activate: null, end: null },
    received: { receive: null, activate: "active", end: "ended" },
    active: { receive: null, activate: null, end: "ended" },
    ended: { receive: null, activate: null, end: null },
  } as const;

  for (const [state, row] of Object.entries(expected)) {
    for (const [action, next] of Object.entries(row)) {
      it(`${action} from ${state} → ${next ?? "409"}`, async () => {
        const report = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.fukang, { status: state as never });
        const res = await ctx.call(
          w.who.fukangAdmin,
          "POST",
          `/v1/org-reports/${report.id}/${actionPath[action as keyof typeof actionPath]}`,
        );
        const [stored] = await ctx.db.select().from(orgReports).where(eq(orgReports.id, report.id));
        if (next) {
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body).toMatchObject({ status: next, version: 2 });
          expect(res.headers.get("etag")).toBe('"v2"');
          expect(stored).toMatchObject({ status: next, version: 2 });
          expect((await eventsOf(ctx, report.id)).map((e) => e.type)).toEqual([
            eventOf[action as keyof typeof eventOf],
          ]);
          const [audit] = await auditOf(ctx, report.id);
          expect(audit).toMatchObject({
            action: `org_report.${action}`,
            changes: { status: [state, next] },
            divisionPath: w.orgs.fukang.divisionPath,
          });
        } else {
          expect(res.status).toBe(409);
          expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
          expect(res.body.detail).toContain(state);
          expect(stored).toMatchObject({ status: state, version: 1 });
          expect(await eventsOf(ctx, report.id)).toEqual([]);
        }
      });
    }
  }

  it("needs reports:manage and the community in reach", async () => {
    const report = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.fukang);
    const receive = (who: TokenOptions) => ctx.call(who, "POST", `/v1/org-reports/${report.id}/receive`);
    expect((await receive(w.who.unitAdminA)).status).toBe(403);
    expect((await receive(w.who.auditor)).status).toBe(403);
    expect((await receive(w.who.city)).status).toBe(403);
    expect((await receive(w.who.dunhuang)).status).toBe(404);
    expect((await receive(w.who.dongyuanAdmin)).status).toBe(404);
    expect((await receive(w.who.dongnanStreet)).status).toBe(404);
    const ok = await receive(w.who.dongbeiStreet);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe("received");
    expect((await ctx.call(w.who.county, "POST", `/v1/org-reports/${report.id}/end`)).body.status).toBe("ended");
  });

  it("honours an optional If-Match: 412 when stale and nothing changes", async () => {
    const report = await insertOrgReport(ctx, w.orgs.unitA, w.orgs.fukang);
    const path = `/v1/org-reports/${report.id}/receive`;
    const stale = await ctx.call(w.who.fukangAdmin, "POST", path, undefined, { "if-match": '"v7"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe("precondition_failed");
    expect((await ctx.call(w.who.fukangAdmin, "GET", `/v1/org-reports/${report.id}`)).body).toMatchObject({
      status: "submitted",
      version: 1,
    });
    const ok = await ctx.call(w.who.fukangAdmin, "POST", path, undefined, { "if-match": '"v1"' });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
  });
});
