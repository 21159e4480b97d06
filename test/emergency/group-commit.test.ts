import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifications } from "../../src/domains/emergency/tables.js";
import { auditEvents } from "../../src/db/tables.js";
import type { Context } from "hono";
import { groupCommit, groupCommitStatements, groupCommitStats } from "../../src/shared/store/group-commit.js";
import type { AppEnv } from "../../src/shared/request/context.js";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

/** Answers through the link share group commits: each still lands once, with its audit, or not at all. */
describe("answers in group commits", () => {
  let w: World;
  let incident: string;
  let pages: { id: string; message: string }[];
  beforeAll(async () => {
    w = await createWorld();
    const vs = [];
    for (let i = 0; i < 40; i++) vs.push(await newVolunteer(w, w.fukang));
    await newTeam(w, w.fukang, "emergency", vs);
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    incident = res.body.incident.id;
    await w.ctx.settle();
    pages = (await w.ctx.call(w.street, "GET", `/v1/incidents/${incident}/notifications?limit=100`)).body.data;
  });
  afterAll(() => w.ctx.close());

  const answer = async (token: string, body: unknown, i = 0): Promise<Response> =>
    w.ctx.app.request(`/a/${token}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-client-ip": `10.0.0.${i % 250}` },
      body: JSON.stringify(body),
    });

  const pagesById = async (ids: string[]) =>
    new Map((await w.ctx.db.select().from(notifications).where(inArray(notifications.id, ids))).map((r) => [r.id, r]));

  const audits = (ids: string[]) =>
    w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, incident), eq(auditEvents.action, "incident.volunteer_answer")))
      .then((rows) => rows.filter((r) => ids.includes((r.changes as { notificationId: string }).notificationId)));

  it("a burst of answers is written in shared transactions, each once with its own audit event", async () => {
    const before = { ...groupCommitStats(w.ctx.db) };
    const burst = pages.slice(0, 30);
    const statuses = await Promise.all(
      burst.map(
        async (p, i) =>
          (await answer(tokenOf(p.message), { action: "answer", answer: "available", etaMinutes: i }, i)).status,
      ),
    );
    expect(statuses).toEqual(Array(30).fill(200));
    const rows = [...(await pagesById(burst.map((p) => p.id))).values()];
    expect(rows.every((r) => r.answer === "available" && r.version === 3)).toBe(true);
    expect(rows.map((r) => r.etaMinutes).sort((a, b) => a! - b!)).toEqual(burst.map((_, i) => i));
    const trail = await audits(burst.map((p) => p.id));
    expect(trail).toHaveLength(30);
    expect(new Set(trail.map((a) => (a.changes as { notificationId: string }).notificationId)).size).toBe(30);
    const after = groupCommitStats(w.ctx.db);
    expect(after.writes - before.writes).toBe(30);
    // Fewer transactions than answers: they were grouped.
    expect(after.groups - before.groups).toBeLessThan(30);
  });

  it("two answers of one page never share a group: the second sees the first and is refused, or follows it", async () => {
    const page = pages[35]!;
    const token = tokenOf(page.message);
    const statuses = await Promise.all([
      answer(token, { action: "answer", answer: "available" }, 1).then((r) => r.status),
      answer(token, { action: "answer", answer: "unavailable" }, 2).then((r) => r.status),
    ]);
    const applied = statuses.filter((s) => s === 200).length;
    expect(applied).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const [row] = await w.ctx.db.select().from(notifications).where(eq(notifications.id, page.id));
    expect(row!.version).toBe(2 + applied); // queued 1, sent 2, then each answer
    expect(await audits([page.id])).toHaveLength(applied);
  });

  it("a stale write in a group changes nothing and leaves no audit, without undoing the others", async () => {
    const three = pages.slice(36, 39);
    const vars: Record<string, unknown> = {
      db: w.ctx.db,
      clock: w.clock,
      requestId: "req_TEST",
      principal: {
        tenant: "620902",
        subject: "test",
        roles: [],
        scopes: new Set(),
        credential: "ack_link",
        crossTenant: false,
      },
    };
    const c = { get: (k: string) => vars[k] } as unknown as Context<AppEnv>;
    const write = (id: string, version: number) =>
      groupCommit(c, {
        key: id,
        write: w.ctx.db
          .update(notifications)
          .set({ answer: "unavailable", version: version + 1 })
          .where(and(eq(notifications.id, id), eq(notifications.version, version))),
        audit: {
          action: "incident.volunteer_answer",
          targetType: "incident",
          targetId: incident,
          changes: { notificationId: id },
        },
      });
    // Submitted together, so they share one transaction; the middle one holds a stale version.
    const results = await Promise.all([write(three[0]!.id, 2), write(three[1]!.id, 7), write(three[2]!.id, 2)]);
    expect(results).toEqual([true, false, true]);
    const byId = await pagesById(three.map((p) => p.id));
    expect(byId.get(three[0]!.id)).toMatchObject({ answer: "unavailable", version: 3 });
    expect(byId.get(three[1]!.id)).toMatchObject({ answer: null, version: 2 });
    expect(byId.get(three[2]!.id)).toMatchObject({ answer: "unavailable", version: 3 });
    expect(
      (await audits(three.map((p) => p.id)))
        .map((a) => (a.changes as { notificationId: string }).notificationId)
        .sort(),
    ).toEqual([three[0]!.id, three[2]!.id].sort());
  });

  it("a write that fails fails alone: the others of its group commit as if they had come alone", async () => {
    const three = pages.slice(39, 40).concat(pages.slice(30, 32));
    const before = { ...groupCommitStats(w.ctx.db) };
    const write = (id: string, fail: boolean) =>
      groupCommitStatements(w.ctx.db, {
        key: id,
        statements: [
          { sql: "update notifications set eta_minutes = 99, version = version + 1 where id = ?", args: [id] },
          // A statement that fails at run time (json() of a non-JSON string), as a broken write would.
          { sql: fail ? "select json('not json')" : "select 1", args: [] },
        ],
      });
    const settled = await Promise.allSettled([
      write(three[0]!.id, false),
      write(three[1]!.id, true),
      write(three[2]!.id, false),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const after = groupCommitStats(w.ctx.db);
    expect(after.retried - before.retried).toBe(1);
    const byId = await pagesById(three.map((p) => p.id));
    expect(byId.get(three[0]!.id)!.etaMinutes).toBe(99);
    expect(byId.get(three[1]!.id)!.etaMinutes).not.toBe(99);
    expect(byId.get(three[2]!.id)!.etaMinutes).toBe(99);
  });
});
