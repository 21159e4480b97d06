import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
import { needs, projects } from "../../src/domains/lists/tables.js";
import { localDate } from "../../src/shared/calendar.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, insertPartyOrg, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let fukang: DivisionRef; // 富康社区, 东北街街道
let beiyuan: DivisionRef; // 北苑社区, 东北街街道
let dongyuan: DivisionRef; // 东苑社区, 东南街街道
let fukangAdmin: TokenOptions;
let beiyuanAdmin: TokenOptions;
let communityOrg: { id: string }; // 富康社区党委, the usual project owner
let unitOrg: { id: string }; // a unit party org in 富康社区 that offers resources
let idleUnitOrg: { id: string }; // a unit party org with nothing in the projects
let unitAdmin: TokenOptions;
let idleUnitAdmin: TokenOptions;
let member: { id: string; token: TokenOptions };
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const otherCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"] };

beforeAll(async () => {
  ctx = await createTestContext();
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  dongyuan = await divisionNamed(ctx, "620902", "东苑社区");
  fukangAdmin = { tenant: "620902", roles: ["community_admin"], org: fukang.id, sub: "fukang-admin" };
  beiyuanAdmin = { tenant: "620902", roles: ["community_admin"], org: beiyuan.id, sub: "beiyuan-admin" };
  communityOrg = await insertPartyOrg(ctx, fukang, { category: "community", name: "富康社区党委", type: "committee" });
  unitOrg = await insertPartyOrg(ctx, fukang, { category: "unit", name: "市自然资源局机关党支部" });
  idleUnitOrg = await insertPartyOrg(ctx, fukang, { category: "unit", name: "市税务局机关党支部" });
  unitAdmin = { tenant: "620902", roles: ["unit_admin"], unit: unitOrg.id, sub: "unit-admin" };
  idleUnitAdmin = { tenant: "620902", roles: ["unit_admin"], unit: idleUnitOrg.id, sub: "idle-unit-admin" };
  const m = await insertMember(ctx, fukang);
  member = { id: m.id, token: { tenant: "620902", roles: ["member"], member: m.id, sub: "member-1" } };
});
afterAll(() => ctx.close());

const needBody = (over: Record<string, unknown> = {}) => ({
  communityId: fukang.id,
  category: "助老服务",
  title: "独居老人助餐",
  description: "每周一至周五送餐",
  quantity: 4,
  ...over,
});

async function newNeed(over: Record<string, unknown> = {}) {
  const res = await ctx.call(fukangAdmin, "POST", "/v1/needs", needBody(over));
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

async function newResource(who: TokenOptions = unitAdmin, over: Record<string, unknown> = {}) {
  const res = await ctx.call(who, "POST", "/v1/resources", {
    offeredBy: "unit_org",
    category: "志愿者",
    title: "党员志愿者",
    description: "",
    quantity: 2,
    ...over,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

let sharedResource: { id: string } | undefined;

/** A project on a new need, with the unit's resource (one shared by all these projects). */
async function newProject(over: Record<string, unknown> = {}) {
  const need = await newNeed();
  sharedResource ??= await newResource();
  const resource = sharedResource;
  const res = await ctx.call(fukangAdmin, "POST", "/v1/projects", {
    needId: need.id,
    resourceIds: [resource.id],
    ownerOrgId: communityOrg.id,
    title: "助餐项目",
    ...over,
  });
  expect(res.status).toBe(201);
  return { project: res.body as { id: string }, need, resource };
}

/** Holds every write batch until `n` are pending, so concurrent requests have all done their reads before any writes. */
async function withBatchBarrier<T>(n: number, run: () => Promise<T>): Promise<T> {
  const batch = ctx.db.batch.bind(ctx.db);
  const waiting: (() => void)[] = [];
  ctx.db.batch = (async (statements: Parameters<typeof batch>[0]) => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === n) for (const go of waiting) go();
    });
    return batch(statements);
  }) as unknown as typeof ctx.db.batch;
  try {
    return await run();
  } finally {
    ctx.db.batch = batch;
  }
}

const needStatus = async (id: string) =>
  (await ctx.db.select({ status: needs.status }).from(needs).where(eq(needs.id, id)))[0]!.status;
const eventsOf = async (subjectId: string) =>
  (await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, subjectId))).map((e) => e.type);

describe("needs", () => {
  it("a community publishes a need: ETag, Location, audit and need.published", async () => {
    const res = await ctx.call(fukangAdmin, "POST", "/v1/needs", needBody({ deadline: localDate(ctx.clock.now()) }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      communityId: fukang.id,
      category: "助老服务",
      quantity: 4,
      deadline: localDate(ctx.clock.now()),
      status: "open",
      version: 1,
    });
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/needs/${res.body.id}`);
    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${res.body.id}`);
    expect(audit.body.data.map((a: { action: string }) => a.action)).toEqual(["need.create"]);
    expect(await eventsOf(res.body.id)).toEqual(["need.published"]);
  });

  it("rejects bad bodies with pointers, past deadlines and communities outside reach", async () => {
    const street = await divisionNamed(ctx, "620902", "东北街街道");
    for (const [who, body, pointer] of [
      [fukangAdmin, needBody({ quantity: 0 }), "/quantity"],
      [fukangAdmin, needBody({ deadline: "2020-01-01" }), "/deadline"],
      [fukangAdmin, needBody({ deadline: "31/12/2026" }), "/deadline"],
      [fukangAdmin, needBody({ category: "类".repeat(51) }), "/category"],
      [fukangAdmin, needBody({ title: "" }), "/title"],
      [fukangAdmin, needBody({ status: "matched" }), "/status"],
      [fukangAdmin, needBody({ communityId: beiyuan.id }), "/communityId"],
      [county, needBody({ communityId: street.id }), "/communityId"],
      [otherCounty, needBody(), "/communityId"],
    ] as const) {
      const res = await ctx.call(who, "POST", "/v1/needs", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        JSON.stringify(body),
      ).toContain(pointer);
    }
  });

  it("needs lists:write: community admins and above within reach, not members or units", async () => {
    for (const who of [member.token, unitAdmin, { tenant: "620902", roles: ["auditor" as const] }]) {
      expect((await ctx.call(who, "POST", "/v1/needs", needBody())).status).toBe(403);
    }
    const streetAdmin = {
      tenant: "620902",
      roles: ["street_admin" as const],
      org: (await divisionNamed(ctx, "620902", "东北街街道")).id,
    };
    expect((await ctx.call(streetAdmin, "POST", "/v1/needs", needBody({ communityId: beiyuan.id }))).status).toBe(201);
    expect((await ctx.call(streetAdmin, "POST", "/v1/needs", needBody({ communityId: dongyuan.id }))).status).toBe(400);
    expect((await ctx.call(county, "POST", "/v1/needs", needBody({ communityId: dongyuan.id }))).status).toBe(201);
  });

  it("lists with filters; members and units read the tenant's needs, other communities and tenants do not", async () => {
    const a = await newNeed({ category: "文体活动", deadline: "2099-03-01" });
    const b = await newNeed({ category: "文体活动", deadline: "2099-06-01" });
    const ids = (r: { body: { data: { id: string }[] } }) => r.body.data.map((n) => n.id);
    expect(ids(await ctx.call(fukangAdmin, "GET", "/v1/needs?category=文体活动"))).toEqual([a.id, b.id]);
    expect(ids(await ctx.call(fukangAdmin, "GET", "/v1/needs?category=文体活动&deadlineFrom=2099-04-01"))).toEqual([
      b.id,
    ]);
    expect(ids(await ctx.call(fukangAdmin, "GET", "/v1/needs?deadlineFrom=2099-01-01&deadlineTo=2099-03-31"))).toEqual([
      a.id,
    ]);
    expect(
      ids(await ctx.call(county, "GET", `/v1/needs?communityId=${fukang.id}&status=open&category=文体活动`)),
    ).toEqual([a.id, b.id]);
    expect(ids(await ctx.call(member.token, "GET", "/v1/needs?category=文体活动"))).toEqual([a.id, b.id]);
    expect(ids(await ctx.call(unitAdmin, "GET", "/v1/needs?category=文体活动"))).toEqual([a.id, b.id]);
    expect(ids(await ctx.call(beiyuanAdmin, "GET", "/v1/needs?category=文体活动"))).toEqual([]);
    expect(ids(await ctx.call(otherCounty, "GET", "/v1/needs?category=文体活动"))).toEqual([]);
    expect((await ctx.call(member.token, "GET", `/v1/needs/${a.id}`)).status).toBe(200);
    expect((await ctx.call(fukangAdmin, "GET", "/v1/needs?deadlineFrom=tomorrow")).body.errors[0].pointer).toBe(
      "/deadlineFrom",
    );
    expect((await ctx.call(fukangAdmin, "GET", "/v1/needs?status=done")).body.errors[0].pointer).toBe("/status");
  });

  it("updates an open need with If-Match: 428, 200, 412 stale; not once matched", async () => {
    const need = await newNeed();
    const path = `/v1/needs/${need.id}`;
    expect((await ctx.call(fukangAdmin, "PATCH", path, { quantity: 6 })).status).toBe(428);
    const ok = await ctx.call(
      fukangAdmin,
      "PATCH",
      path,
      { quantity: 6, deadline: "2099-01-01" },
      { "if-match": '"v1"' },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ quantity: 6, deadline: "2099-01-01", version: 2 });
    expect(ok.headers.get("etag")).toBe('"v2"');
    const stale = await ctx.call(fukangAdmin, "PATCH", path, { quantity: 7 }, { "if-match": '"v1"' });
    expect(stale.status).toBe(412);
    expect((await ctx.call(fukangAdmin, "GET", path)).body.quantity).toBe(6);
    for (const [patch, pointer] of [
      [{ deadline: "2020-01-01" }, "/deadline"],
      [{ category: "x" }, "/category"],
      [{ communityId: beiyuan.id }, "/communityId"],
      [{ status: "closed" }, "/status"],
    ] as const) {
      const res = await ctx.call(fukangAdmin, "PATCH", path, patch, { "if-match": '"v2"' });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(res.body.errors[0].pointer).toBe(pointer);
    }
    const cleared = await ctx.call(fukangAdmin, "PATCH", path, { deadline: null }, { "if-match": '"v2"' });
    expect(cleared.body.deadline).toBeNull();
    const resource = await newResource();
    await ctx.call(fukangAdmin, "POST", "/v1/projects", {
      needId: need.id,
      resourceIds: [resource.id],
      ownerOrgId: communityOrg.id,
      title: "p",
    });
    const matched = await ctx.call(fukangAdmin, "PATCH", path, { quantity: 9 }, { "if-match": '"v4"' });
    expect(matched.status).toBe(409);
    expect(matched.body).toMatchObject({ code: "invalid_transition", currentState: "matched" });
  });

  it("cancel: every need state", async () => {
    const expected = { open: "cancelled", matched: "cancelled", closed: "409", cancelled: "409" } as const;
    for (const [state, outcome] of Object.entries(expected)) {
      const { need, project } = await newProject();
      // A matched need has its project; the other states are driven directly.
      if (state !== "matched")
        await ctx.db
          .update(needs)
          .set({ status: state as "open" })
          .where(eq(needs.id, need.id));
      if (state === "open")
        await ctx.db.update(projects).set({ status: "cancelled" }).where(eq(projects.id, project.id));
      const res = await ctx.call(fukangAdmin, "POST", `/v1/needs/${need.id}/cancel`);
      if (outcome === "409") {
        expect(res.status, state).toBe(409);
        expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
      } else {
        expect(res.status, state).toBe(200);
        expect(res.body.status).toBe("cancelled");
        expect(await eventsOf(need.id)).toContain("need.cancelled");
      }
    }
  });

  it("cancelling a matched need cancels its live project, but not a done one", async () => {
    const live = await newProject();
    await ctx.call(unitAdmin, "POST", `/v1/projects/${live.project.id}/claim`);
    expect((await ctx.call(fukangAdmin, "POST", `/v1/needs/${live.need.id}/cancel`)).status).toBe(200);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/projects/${live.project.id}`)).body.status).toBe("cancelled");
    expect(await eventsOf(live.project.id)).toContain("project.cancelled");
    const done = await newProject();
    await ctx.db.update(projects).set({ status: "done" }).where(eq(projects.id, done.project.id));
    const refused = await ctx.call(fukangAdmin, "POST", `/v1/needs/${done.need.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("conflict");
    expect(await needStatus(done.need.id)).toBe("matched");
  });

  it("is a 404 from another tenant or community on every need route", async () => {
    const need = await newNeed();
    for (const [method, path, body] of [
      ["GET", `/v1/needs/${need.id}`, undefined],
      ["PATCH", `/v1/needs/${need.id}`, { quantity: 2 }],
      ["POST", `/v1/needs/${need.id}/cancel`, undefined],
    ] as const) {
      for (const who of [otherCounty, beiyuanAdmin]) {
        expect((await ctx.call(who, method, path, body, { "if-match": '"v1"' })).status, `${method} ${path}`).toBe(404);
      }
    }
    expect(await needStatus(need.id)).toBe("open");
  });
});

describe("projects", () => {
  it("matches an open need with resources and an owner; the need becomes matched in the same write", async () => {
    const need = await newNeed();
    const r1 = await newResource();
    const r2 = await newResource(member.token, { offeredBy: "member" });
    const res = await ctx.call(fukangAdmin, "POST", "/v1/projects", {
      needId: need.id,
      resourceIds: [r1.id, r2.id],
      ownerOrgId: communityOrg.id,
      title: "助餐项目",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      needId: need.id,
      ownerOrgId: communityOrg.id,
      status: "open",
      version: 1,
      title: "助餐项目",
    });
    expect(res.body.resourceIds).toEqual([r1.id, r2.id].sort());
    expect(res.headers.get("location")).toBe(`/v1/projects/${res.body.id}`);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/projects/${res.body.id}`)).body).toEqual(res.body);
    expect(await needStatus(need.id)).toBe("matched");
    expect(await eventsOf(res.body.id)).toEqual(["project.created"]);
    expect(await eventsOf(need.id)).toEqual(["need.published", "need.matched"]);
    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${need.id}`);
    expect(audit.body.data.map((a: { action: string }) => a.action).sort()).toEqual(["need.create", "need.match"]);
    // A matched need takes no second project.
    const second = await ctx.call(fukangAdmin, "POST", "/v1/projects", {
      needId: need.id,
      resourceIds: [r1.id],
      ownerOrgId: communityOrg.id,
      title: "again",
    });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: "invalid_transition", currentState: "matched" });
  });

  it("of two concurrent projects for one open need exactly one is created (the guard in the write, not the read)", async () => {
    const need = await newNeed();
    const r = await newResource();
    const body = { needId: need.id, resourceIds: [r.id], ownerOrgId: communityOrg.id, title: "并发" };
    // Both requests read the need as open before either writes: their batches wait for each other.
    const results = await withBatchBarrier(2, () =>
      Promise.all([
        ctx.call(fukangAdmin, "POST", "/v1/projects", body),
        ctx.call(county, "POST", "/v1/projects", body),
      ]),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe("conflict");
    const rows = await ctx.db.select().from(projects).where(eq(projects.needId, need.id));
    expect(rows).toHaveLength(1);
    expect(await needStatus(need.id)).toBe("matched");
  });

  it("validates the need, every resource (pointer /resourceIds/<i>) and the owner", async () => {
    const need = await newNeed();
    const ok = await newResource();
    const elsewhere = await newResource(county, {
      unitOrgId: (await insertPartyOrg(ctx, dongyuan, { category: "unit" })).id,
    });
    const base = { needId: need.id, resourceIds: [ok.id], ownerOrgId: communityOrg.id, title: "t" };
    const yumenOrg = await insertPartyOrg(ctx, await divisionNamed(ctx, "620981", "北坪社区"));
    const otherNeed = (await ctx.call(beiyuanAdmin, "POST", "/v1/needs", needBody({ communityId: beiyuan.id }))).body;
    for (const [body, pointers] of [
      [{ ...base, resourceIds: [] }, ["/resourceIds"]],
      [{ ...base, resourceIds: ["res_nope"] }, ["/resourceIds/0"]],
      [{ ...base, resourceIds: [ok.id, elsewhere.id] }, ["/resourceIds/1"]], // outside the community admin's subtree
      [
        { ...base, resourceIds: [ok.id, "res_01KDVDNA011AKWK3RC504FTYF8", ok.id] },
        ["/resourceIds/1", "/resourceIds/2"],
      ],
      [{ ...base, ownerOrgId: yumenOrg.id }, ["/ownerOrgId"]],
      [{ ...base, needId: otherNeed.id }, ["/needId"]],
      [{ ...base, status: "claimed" }, ["/status"]],
      [{ ...base, title: undefined }, ["/title"]],
    ] as const) {
      const res = await ctx.call(fukangAdmin, "POST", "/v1/projects", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        JSON.stringify(body),
      ).toEqual(pointers);
    }
    expect(await needStatus(need.id)).toBe("open");
    for (const who of [unitAdmin, member.token])
      expect((await ctx.call(who, "POST", "/v1/projects", base)).status).toBe(403);
    // The county reaches the resource elsewhere in the tenant.
    expect(
      (await ctx.call(county, "POST", "/v1/projects", { ...base, resourceIds: [ok.id, elsewhere.id] })).status,
    ).toBe(201);
  });

  it("replays an idempotent create without matching twice", async () => {
    const need = await newNeed();
    const r = await newResource();
    const body = { needId: need.id, resourceIds: [r.id], ownerOrgId: communityOrg.id, title: "幂等项目" };
    const headers = { "idempotency-key": "project-create-0001" };
    const first = await ctx.call(fukangAdmin, "POST", "/v1/projects", body, headers);
    const retry = await ctx.call(fukangAdmin, "POST", "/v1/projects", body, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
  });

  it("moves projects: every state × every action, with the need following", async () => {
    const next: Record<string, Record<string, string>> = {
      open: { claim: "claimed", start: "409", complete: "409", close: "409", cancel: "cancelled" },
      claimed: { claim: "409", start: "in_progress", complete: "409", close: "409", cancel: "cancelled" },
      in_progress: { claim: "409", start: "409", complete: "done", close: "409", cancel: "cancelled" },
      done: { claim: "409", start: "409", complete: "409", close: "closed", cancel: "409" },
      closed: { claim: "409", start: "409", complete: "409", close: "409", cancel: "409" },
      cancelled: { claim: "409", start: "409", complete: "409", close: "409", cancel: "409" },
    };
    const needAfter: Record<string, string> = { close: "closed", cancel: "open" };
    for (const [state, actions] of Object.entries(next)) {
      for (const [action, outcome] of Object.entries(actions)) {
        const { project, need } = await newProject();
        await ctx.db
          .update(projects)
          .set({ status: state as "open" })
          .where(eq(projects.id, project.id));
        const needBefore = state === "closed" ? "closed" : state === "cancelled" ? "open" : "matched";
        await ctx.db
          .update(needs)
          .set({ status: needBefore as "open" })
          .where(eq(needs.id, need.id));
        const res = await ctx.call(
          action === "claim" ? unitAdmin : fukangAdmin,
          "POST",
          `/v1/projects/${project.id}/${action}`,
        );
        const label = `${state} × ${action}`;
        if (outcome === "409") {
          expect(res.status, label).toBe(409);
          expect(res.body, label).toMatchObject({ code: "invalid_transition", currentState: state });
          expect(await needStatus(need.id), label).toBe(needBefore);
        } else {
          expect(res.status, label).toBe(200);
          expect(res.body.status, label).toBe(outcome);
          expect(res.headers.get("etag"), label).toBe('"v2"');
          expect(await needStatus(need.id), label).toBe(needAfter[action] ?? "matched");
          expect(await eventsOf(project.id), label).toContain(
            `project.${{ claim: "claimed", start: "started", complete: "completed", close: "closed", cancel: "cancelled" }[action]}`,
          );
        }
      }
    }
  });

  it("who may claim: a unit whose org offered a resource, the owner org's unit admin, a community admin; nobody else", async () => {
    const ownedByIdleUnit = await newProject({ ownerOrgId: idleUnitOrg.id });
    expect((await ctx.call(idleUnitAdmin, "POST", `/v1/projects/${ownedByIdleUnit.project.id}/claim`)).status).toBe(
      200,
    );

    const { project } = await newProject();
    // A unit with no resource in the project and not its owner does not see it.
    expect((await ctx.call(idleUnitAdmin, "GET", `/v1/projects/${project.id}`)).status).toBe(404);
    expect((await ctx.call(idleUnitAdmin, "POST", `/v1/projects/${project.id}/claim`)).status).toBe(404);
    // Members have no projects:claim; units cannot start, complete or cancel.
    expect((await ctx.call(member.token, "POST", `/v1/projects/${project.id}/claim`)).status).toBe(403);
    for (const action of ["start", "complete", "close", "cancel"])
      expect((await ctx.call(unitAdmin, "POST", `/v1/projects/${project.id}/${action}`)).status).toBe(403);
    expect((await ctx.call(beiyuanAdmin, "POST", `/v1/projects/${project.id}/claim`)).status).toBe(404);
    expect(
      (await ctx.call(unitAdmin, "POST", `/v1/projects/${project.id}/claim`, undefined, { "if-match": '"v5"' })).status,
    ).toBe(412);
    expect(
      (await ctx.call(fukangAdmin, "POST", `/v1/projects/${project.id}/claim`, undefined, { "if-match": '"v1"' }))
        .status,
    ).toBe(200);

    // A unit admin who sees the project through a member resource of its own token, but whose org offered nothing: 403.
    const viaMember = await insertMember(ctx, fukang);
    const need = await newNeed();
    const memberResource = await newResource(
      { tenant: "620902", roles: ["member"], member: viaMember.id },
      { offeredBy: "member" },
    );
    const p = (
      await ctx.call(fukangAdmin, "POST", "/v1/projects", {
        needId: need.id,
        resourceIds: [memberResource.id],
        ownerOrgId: communityOrg.id,
        title: "x",
      })
    ).body;
    const hybrid = { tenant: "620902", roles: ["unit_admin" as const], unit: idleUnitOrg.id, member: viaMember.id };
    expect((await ctx.call(hybrid, "GET", `/v1/projects/${p.id}`)).status).toBe(200);
    expect((await ctx.call(hybrid, "POST", `/v1/projects/${p.id}/claim`)).status).toBe(403);
  });

  it("lists with filters; units see only the projects they are part of", async () => {
    const a = await newProject({ title: "列表甲" });
    const b = await newProject({ ownerOrgId: idleUnitOrg.id, title: "列表乙" });
    await ctx.call(fukangAdmin, "POST", `/v1/projects/${a.project.id}/claim`);
    const ids = (r: { body: { data: { id: string }[] } }) => r.body.data.map((p) => p.id);
    expect(ids(await ctx.call(fukangAdmin, "GET", `/v1/projects?needId=${a.need.id}`))).toEqual([a.project.id]);
    expect(ids(await ctx.call(fukangAdmin, "GET", `/v1/projects?ownerOrgId=${idleUnitOrg.id}&status=open`))).toContain(
      b.project.id,
    );
    expect(
      ids(await ctx.call(fukangAdmin, "GET", `/v1/projects?ownerOrgId=${idleUnitOrg.id}&status=open`)),
    ).not.toContain(a.project.id);
    const page = await ctx.call(fukangAdmin, "GET", `/v1/projects?status=claimed&limit=100`);
    expect(page.body.data.every((p: { status: string }) => p.status === "claimed")).toBe(true);
    expect(ids(page)).toContain(a.project.id);
    const forIdle = ids(await ctx.call(idleUnitAdmin, "GET", "/v1/projects?limit=100"));
    expect(forIdle).toContain(b.project.id);
    expect(forIdle).not.toContain(a.project.id);
    const forUnit = ids(await ctx.call(unitAdmin, "GET", "/v1/projects?limit=100"));
    expect(forUnit).toEqual(expect.arrayContaining([a.project.id, b.project.id]));
    expect(ids(await ctx.call(beiyuanAdmin, "GET", "/v1/projects?limit=100"))).toEqual([]);
    expect(ids(await ctx.call(otherCounty, "GET", "/v1/projects?limit=100"))).toEqual([]);
    expect((await ctx.call(fukangAdmin, "GET", "/v1/projects?ownerOrgId=x")).body.errors[0].pointer).toBe(
      "/ownerOrgId",
    );
  });

  it("is a 404 from another tenant or community on every project route", async () => {
    const { project } = await newProject();
    const yumenCommunityAdmin = { tenant: "620981", roles: ["community_admin" as const] };
    for (const path of [
      `/v1/projects/${project.id}`,
      ...["claim", "start", "complete", "close", "cancel"].map((a) => `/v1/projects/${project.id}/${a}`),
    ]) {
      const method = path.endsWith(project.id) ? "GET" : "POST";
      for (const who of [yumenCommunityAdmin, beiyuanAdmin])
        expect((await ctx.call(who, method, path)).status, path).toBe(404);
    }
    const [row] = await ctx.db
      .select()
      .from(projects)
      .where(and(eq(projects.id, project.id), eq(projects.status, "open")));
    expect(row).toBeDefined();
  });
});
