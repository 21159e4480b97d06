import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
import { postClaims, servicePosts } from "../../src/domains/lists/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let fukang: DivisionRef; // 富康社区, 东北街街道, Suzhou
let beiyuan: DivisionRef; // 北苑社区, same street
let fukangAdmin: TokenOptions;
let beiyuanAdmin: TokenOptions;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const otherCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"] };

beforeAll(async () => {
  ctx = await createTestContext();
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  fukangAdmin = { tenant: "620902", roles: ["community_admin"], org: fukang.id, sub: "fukang-admin" };
  beiyuanAdmin = { tenant: "620902", roles: ["community_admin"], org: beiyuan.id, sub: "beiyuan-admin" };
});
afterAll(() => ctx.close());

const postBody = (over: Record<string, unknown> = {}) => ({
  communityId: fukang.id,
  category: "health_medical",
  title: "义诊岗",
  description: "每月第一个周六上午义诊。",
  headcount: 3,
  ...over,
});

async function newPost(over: Record<string, unknown> = {}) {
  const res = await ctx.call(fukangAdmin, "POST", "/v1/service-posts", postBody(over));
  expect(res.status).toBe(201);
  return res.body as { id: string; headcount: number };
}

async function newMember(residence: DivisionRef = fukang) {
  const m = await insertMember(ctx, residence);
  return {
    id: m.id,
    token: { tenant: residence.tenantId, roles: ["member" as const], member: m.id, sub: `member-${m.id}` },
  };
}

const liveClaims = async (postId: string) =>
  (
    await ctx.db
      .select()
      .from(postClaims)
      .where(and(eq(postClaims.postId, postId), inArray(postClaims.status, ["applied", "approved", "active"])))
  ).length;

describe("service posts", () => {
  it("publishes a post with seatsTaken, ETag, Location, audit and an outbox event", async () => {
    const res = await ctx.call(fukangAdmin, "POST", "/v1/service-posts", postBody());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      communityId: fukang.id,
      category: "health_medical",
      headcount: 3,
      seatsTaken: 0,
      status: "open",
      version: 1,
    });
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`/v1/service-posts/${res.body.id}`);
    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${res.body.id}`);
    expect(audit.body.data.map((a: { action: string }) => a.action)).toEqual(["service_post.create"]);
    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, res.body.id));
    expect(events.map((e) => e.type)).toEqual(["service_post.published"]);
  });

  it("documents the eight categories with their Chinese names", async () => {
    const doc = (await (await ctx.app.request("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
    };
    const description = doc.components.schemas.ServicePost!.properties.category!.description!;
    for (const name of [
      "组织建设",
      "法律咨询与援助",
      "助困扶残与就业援助",
      "社区治理",
      "健康医疗",
      "文化体育",
      "安全宣传与治安巡逻",
      "其他",
    ])
      expect(description).toContain(name);
  });

  it("rejects bad bodies with pointers, and communities outside reach or of another level", async () => {
    for (const [body, pointer] of [
      [postBody({ category: "sports" }), "/category"],
      [postBody({ headcount: 0 }), "/headcount"],
      [postBody({ headcount: 1.5 }), "/headcount"],
      [postBody({ title: "" }), "/title"],
      [postBody({ status: "closed" }), "/status"],
      [postBody({ tenantId: "620981" }), "/tenantId"],
      [postBody({ communityId: beiyuan.id }), "/communityId"], // another community: outside the admin's subtree
      [postBody({ communityId: (await divisionNamed(ctx, "620902", "东北街街道")).id }), "/communityId"], // a street, not a community
    ] as const) {
      const who = pointer === "/communityId" && body.communityId !== beiyuan.id ? county : fukangAdmin;
      const res = await ctx.call(who, "POST", "/v1/service-posts", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
  });

  it("needs lists:write to publish", async () => {
    const m = await newMember();
    for (const who of [
      m.token,
      { tenant: "620902", roles: ["unit_admin" as const] },
      { tenant: "620902", roles: ["auditor" as const] },
    ]) {
      expect((await ctx.call(who, "POST", "/v1/service-posts", postBody())).status).toBe(403);
    }
  });

  it("replays an idempotent create", async () => {
    const headers = { "idempotency-key": "post-create-0001" };
    const first = await ctx.call(fukangAdmin, "POST", "/v1/service-posts", postBody({ title: "幂等岗位" }), headers);
    const retry = await ctx.call(fukangAdmin, "POST", "/v1/service-posts", postBody({ title: "幂等岗位" }), headers);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const rows = await ctx.db.select().from(servicePosts).where(eq(servicePosts.title, "幂等岗位"));
    expect(rows).toHaveLength(1);
  });

  it("lists with filters and seatsTaken per post, and members see their tenant's posts", async () => {
    const a = await newPost({ category: "legal_aid", headcount: 2 });
    const b = await newPost({ category: "legal_aid", headcount: 5 });
    const m1 = await newMember();
    const m2 = await newMember();
    expect((await ctx.call(m1.token, "POST", "/v1/post-claims", { postId: a.id })).status).toBe(201);
    expect((await ctx.call(m2.token, "POST", "/v1/post-claims", { postId: a.id })).status).toBe(201);
    expect((await ctx.call(m1.token, "POST", "/v1/post-claims", { postId: b.id })).status).toBe(201);
    await ctx.call(fukangAdmin, "POST", `/v1/service-posts/${b.id}/close`);
    const legal = await ctx.call(fukangAdmin, "GET", "/v1/service-posts?category=legal_aid&limit=100");
    expect(legal.body.data.map((p: { id: string; seatsTaken: number }) => [p.id, p.seatsTaken])).toEqual([
      [a.id, 2],
      [b.id, 1],
    ]);
    const open = await ctx.call(fukangAdmin, "GET", `/v1/service-posts?category=legal_aid&status=open`);
    expect(open.body.data.map((p: { id: string }) => p.id)).toEqual([a.id]);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/service-posts/${a.id}`)).body.seatsTaken).toBe(2);
    // A member reads the posts of the tenant (to claim them), not only their own records.
    const seen = await ctx.call(m1.token, "GET", `/v1/service-posts?communityId=${fukang.id}&limit=100`);
    expect(seen.body.data.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    // Another community's admin does not see them; another tenant neither.
    expect((await ctx.call(beiyuanAdmin, "GET", `/v1/service-posts?category=legal_aid`)).body.data).toEqual([]);
    expect((await ctx.call(otherCounty, "GET", `/v1/service-posts?category=legal_aid`)).body.data).toEqual([]);
    // Pages with a cursor.
    const page1 = await ctx.call(fukangAdmin, "GET", "/v1/service-posts?category=legal_aid&limit=1");
    const page2 = await ctx.call(
      fukangAdmin,
      "GET",
      `/v1/service-posts?category=legal_aid&limit=1&cursor=${page1.body.nextCursor}`,
    );
    expect([...page1.body.data, ...page2.body.data].map((p: { id: string }) => p.id)).toEqual([a.id, b.id]);
    expect(page2.body.nextCursor).toBeNull();
    expect((await ctx.call(fukangAdmin, "GET", "/v1/service-posts?category=nope")).body.errors[0].pointer).toBe(
      "/category",
    );
  });

  it("closes and reopens: every state × every action", async () => {
    const expected: Record<string, Record<string, string>> = {
      open: { close: "closed", reopen: "409" },
      closed: { close: "409", reopen: "open" },
    };
    for (const [state, actions] of Object.entries(expected)) {
      for (const [action, outcome] of Object.entries(actions)) {
        const post = await newPost();
        await ctx.db
          .update(servicePosts)
          .set({ status: state as "open" })
          .where(eq(servicePosts.id, post.id));
        const res = await ctx.call(fukangAdmin, "POST", `/v1/service-posts/${post.id}/${action}`);
        if (outcome === "409") {
          expect(res.status, `${state} × ${action}`).toBe(409);
          expect(res.body).toMatchObject({ code: "invalid_transition", currentState: state });
        } else {
          expect(res.status, `${state} × ${action}`).toBe(200);
          expect(res.body.status).toBe(outcome);
          expect(res.headers.get("etag")).toBe('"v2"');
        }
      }
    }
  });

  it("is a 404 from another tenant or community on every post route, and 403 without lists:write", async () => {
    const post = await newPost();
    const m = await newMember();
    for (const [method, path] of [
      ["GET", `/v1/service-posts/${post.id}`],
      ["POST", `/v1/service-posts/${post.id}/close`],
      ["POST", `/v1/service-posts/${post.id}/reopen`],
    ] as const) {
      expect((await ctx.call(otherCounty, method, path)).status, `${method} ${path}`).toBe(404);
      expect((await ctx.call(beiyuanAdmin, method, path)).status, `${method} ${path}`).toBe(404);
      if (method === "POST") expect((await ctx.call(m.token, method, path)).status).toBe(403);
    }
    expect(
      (await ctx.call(fukangAdmin, "POST", `/v1/service-posts/${post.id}/close`, undefined, { "if-match": '"v9"' }))
        .status,
    ).toBe(412);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/service-posts/${post.id}`)).body.status).toBe("open");
  });
});

describe("post claims", () => {
  it("a member claims for themselves; the claim holds a seat", async () => {
    const post = await newPost();
    const m = await newMember();
    const res = await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ postId: post.id, memberId: m.id, status: "applied", version: 1 });
    expect(res.headers.get("location")).toBe(`/v1/post-claims/${res.body.id}`);
    expect((await ctx.call(m.token, "GET", `/v1/post-claims/${res.body.id}`)).status).toBe(200);
    expect((await ctx.call(m.token, "GET", "/v1/post-claims")).body.data.map((c: { id: string }) => c.id)).toEqual([
      res.body.id,
    ]);
    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, res.body.id));
    expect(events.map((e) => e.type)).toEqual(["post_claim.applied"]);
  });

  it("a member cannot claim for another member; a community admin can, within reach", async () => {
    const post = await newPost();
    const me = await newMember();
    const other = await newMember();
    const forOther = await ctx.call(me.token, "POST", "/v1/post-claims", { postId: post.id, memberId: other.id });
    expect(forOther.status).toBe(400);
    expect(forOther.body.errors[0].pointer).toBe("/memberId");
    const onBehalf = await ctx.call(fukangAdmin, "POST", "/v1/post-claims", { postId: post.id, memberId: other.id });
    expect(onBehalf.status).toBe(201);
    expect(onBehalf.body.memberId).toBe(other.id);
    // The member sees the claim made for them; the claiming member does not.
    expect((await ctx.call(other.token, "GET", `/v1/post-claims/${onBehalf.body.id}`)).status).toBe(200);
    expect((await ctx.call(me.token, "GET", `/v1/post-claims/${onBehalf.body.id}`)).status).toBe(404);
    // An admin must name the member, and only one living in its subtree.
    const missing = await ctx.call(fukangAdmin, "POST", "/v1/post-claims", { postId: post.id });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].pointer).toBe("/memberId");
    const elsewhere = await newMember(beiyuan);
    const outside = await ctx.call(fukangAdmin, "POST", "/v1/post-claims", { postId: post.id, memberId: elsewhere.id });
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].pointer).toBe("/memberId");
    // A post of another community is not within that admin's reach.
    const foreignPost = await ctx.call(beiyuanAdmin, "POST", "/v1/post-claims", {
      postId: post.id,
      memberId: elsewhere.id,
    });
    expect(foreignPost.status).toBe(400);
    expect(foreignPost.body.errors[0].pointer).toBe("/postId");
    // Posts of another tenant do not exist for a member.
    const yumenMember = await newMember(await divisionNamed(ctx, "620981", "北坪社区"));
    const crossTenant = await ctx.call(yumenMember.token, "POST", "/v1/post-claims", { postId: post.id });
    expect(crossTenant.status).toBe(400);
    expect(crossTenant.body.errors[0].pointer).toBe("/postId");
  });

  it("rejects a second live claim by the same member, a closed post and bad bodies", async () => {
    const post = await newPost({ headcount: 5 });
    const m = await newMember();
    expect((await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id })).status).toBe(201);
    const again = await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("conflict");
    expect(await liveClaims(post.id)).toBe(1);
    await ctx.call(fukangAdmin, "POST", `/v1/service-posts/${post.id}/close`);
    const closed = await ctx.call((await newMember()).token, "POST", "/v1/post-claims", { postId: post.id });
    expect(closed.status).toBe(409);
    expect(closed.body.detail).toMatch(/closed/);
    for (const [body, pointer] of [
      [{}, "/postId"],
      [{ postId: "post_x" }, "/postId"],
      [{ postId: post.id, status: "active" }, "/status"],
      [{ postId: post.id, memberId: "m1" }, "/memberId"],
    ] as const) {
      const res = await ctx.call(m.token, "POST", "/v1/post-claims", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    // Units cannot claim posts.
    expect(
      (await ctx.call({ tenant: "620902", roles: ["unit_admin"] }, "POST", "/v1/post-claims", { postId: post.id }))
        .status,
    ).toBe(403);
  });

  it("a released claim frees the seat and the member may claim again", async () => {
    const post = await newPost({ headcount: 1 });
    const m = await newMember();
    const first = await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id });
    const full = await ctx.call((await newMember()).token, "POST", "/v1/post-claims", { postId: post.id });
    expect(full.status).toBe(409);
    expect(full.body.detail).toMatch(/post is full/);
    expect((await ctx.call(m.token, "POST", `/v1/post-claims/${first.body.id}/release`)).body.status).toBe("released");
    expect((await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id })).status).toBe(201);
  });

  it("never exceeds the headcount: 12 concurrent claims on 3 seats → 3 × 201, 9 × 409", async () => {
    const post = await newPost({ headcount: 3 });
    const claimants = await Promise.all(Array.from({ length: 12 }, () => newMember()));
    const results = await Promise.all(
      claimants.map((m) => ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    for (const r of results.filter((r) => r.status === 409))
      expect(r.body).toMatchObject({ code: "conflict", detail: expect.stringMatching(/post is full/) });
    expect(await liveClaims(post.id)).toBe(3);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/service-posts/${post.id}`)).body.seatsTaken).toBe(3);
  });

  it("moves claims: every state × every action", async () => {
    const expected: Record<string, Record<string, string>> = {
      applied: { approve: "approved", reject: "rejected", activate: "409", release: "released" },
      approved: { approve: "409", reject: "409", activate: "active", release: "released" },
      rejected: { approve: "409", reject: "409", activate: "409", release: "409" },
      active: { approve: "409", reject: "409", activate: "409", release: "released" },
      released: { approve: "409", reject: "409", activate: "409", release: "409" },
    };
    const pastTense: Record<string, string> = {
      approve: "approved",
      reject: "rejected",
      activate: "activated",
      release: "released",
    };
    const post = await newPost({ headcount: 100 });
    for (const [state, actions] of Object.entries(expected)) {
      for (const [action, outcome] of Object.entries(actions)) {
        const m = await newMember();
        const claim = await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id });
        await ctx.db
          .update(postClaims)
          .set({ status: state as "applied" })
          .where(eq(postClaims.id, claim.body.id));
        const who = action === "release" ? m.token : fukangAdmin;
        const res = await ctx.call(who, "POST", `/v1/post-claims/${claim.body.id}/${action}`);
        if (outcome === "409") {
          expect(res.status, `${state} × ${action}`).toBe(409);
          expect(res.body, `${state} × ${action}`).toMatchObject({ code: "invalid_transition", currentState: state });
        } else {
          expect(res.status, `${state} × ${action}`).toBe(200);
          expect(res.body.status, `${state} × ${action}`).toBe(outcome);
          const [event] = await ctx.db
            .select()
            .from(outboxEvents)
            .where(
              and(eq(outboxEvents.subjectId, claim.body.id), eq(outboxEvents.type, `post_claim.${pastTense[action]}`)),
            );
          expect(event, `${state} × ${action} event`).toBeDefined();
        }
      }
    }
  });

  it("who may act on a claim: the member only releases their own; admins approve within reach", async () => {
    const post = await newPost();
    const m = await newMember();
    const other = await newMember();
    const claim = (await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id })).body;
    expect((await ctx.call(m.token, "POST", `/v1/post-claims/${claim.id}/approve`)).status).toBe(403);
    expect((await ctx.call(other.token, "POST", `/v1/post-claims/${claim.id}/release`)).status).toBe(404);
    expect((await ctx.call(beiyuanAdmin, "POST", `/v1/post-claims/${claim.id}/approve`)).status).toBe(404);
    const stale = await ctx.call(fukangAdmin, "POST", `/v1/post-claims/${claim.id}/approve`, undefined, {
      "if-match": '"v7"',
    });
    expect(stale.status).toBe(412);
    const approved = await ctx.call(fukangAdmin, "POST", `/v1/post-claims/${claim.id}/approve`, undefined, {
      "if-match": '"v1"',
    });
    expect(approved.status).toBe(200);
    expect(approved.headers.get("etag")).toBe('"v2"');
    expect((await ctx.call(fukangAdmin, "POST", `/v1/post-claims/${claim.id}/release`)).body.status).toBe("released");
  });

  it("is a 404 from another tenant or community on every claim route", async () => {
    const post = await newPost();
    const m = await newMember();
    const claim = (await ctx.call(m.token, "POST", "/v1/post-claims", { postId: post.id })).body;
    const yumenCommunityAdmin = { tenant: "620981", roles: ["community_admin" as const] };
    for (const path of [
      `/v1/post-claims/${claim.id}`,
      ...["approve", "reject", "activate", "release"].map((a) => `/v1/post-claims/${claim.id}/${a}`),
    ]) {
      const method = path.endsWith(claim.id) ? "GET" : "POST";
      expect((await ctx.call(otherCounty, method, path)).status, path).toBe(404);
      expect((await ctx.call(yumenCommunityAdmin, method, path)).status, path).toBe(404);
      expect((await ctx.call(beiyuanAdmin, method, path)).status, path).toBe(404);
    }
    expect((await ctx.call(otherCounty, "GET", `/v1/post-claims?postId=${post.id}`)).body.data).toEqual([]);
    const filtered = await ctx.call(fukangAdmin, "GET", `/v1/post-claims?postId=${post.id}&status=applied`);
    expect(filtered.body.data.map((c: { id: string }) => c.id)).toEqual([claim.id]);
    expect(
      (await ctx.call(fukangAdmin, "GET", `/v1/post-claims?memberId=${m.id}`)).body.data.map(
        (c: { id: string }) => c.id,
      ),
    ).toEqual([claim.id]);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/post-claims?status=bogus`)).status).toBe(400);
  });
});
