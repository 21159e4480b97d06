import type { z } from "@hono/zod-openapi";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { newId } from "../../src/db/ids.js";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import {
  createDispatcher,
  defaultDispatchOptions,
  type DispatcherDeps,
  type DispatchOptions,
} from "../../src/domains/webhooks/dispatcher.js";
import { webhookDeliveries, webhookEndpoints } from "../../src/domains/webhooks/tables.js";
import { eventCatalogue, type EventType } from "../../src/domains/webhooks/catalogue.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertPartyOrg } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/**
 * The dispatcher against a real HTTP receiver on 127.0.0.1. Signatures are checked with an
 * independent implementation of Standard Webhooks (node:crypto), not the code under test. Time is
 * an injected clock: retries are driven by moving it, never by sleeping.
 */

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  contentType: string;
  body: string;
  path: string;
}

let ctx: TestContext;
let server: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Statuses to answer, in order; 200 once they run out. */
let answers: number[] = [];

const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const yumen: TokenOptions = { tenant: "620981", roles: ["county_admin"], sub: "yumen-1" };

let nowMs = Date.parse("2026-11-26T09:00:00.000Z");
const clock = { now: () => new Date(nowMs) };
const advance = (ms: number) => {
  nowMs += ms;
};

beforeAll(async () => {
  // The app and the dispatcher read the same clock: a replay is due when the API says it is.
  ctx = await createTestContext({ clock });
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        contentType: String(req.headers["content-type"]),
        body,
        path: req.url ?? "",
      });
      res.statusCode = answers.shift() ?? 200;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  ctx.close();
});
afterEach(async () => {
  // Each test starts with no endpoint active and nothing left to send.
  await ctx.db.update(webhookEndpoints).set({ status: "disabled" });
  await ctx.db.update(outboxEvents).set({ dispatchedAt: "done" }).where(isNull(outboxEvents.dispatchedAt));
  received.length = 0;
  answers = [];
});

const silent = { error: () => {} };
function dispatcher(over: Partial<DispatcherDeps> = {}, options: Partial<DispatchOptions> = {}) {
  return createDispatcher(
    {
      db: ctx.db,
      pii: ctx.pii,
      fetch: (url, init) => fetch(url, init),
      clock,
      log: silent,
      allowPrivateTargets: true,
      random: () => 0.5,
      ...over,
    },
    options,
  );
}

/** An endpoint created through the API (so its secret is real), then pointed at the local receiver. */
async function endpoint(eventTypes: string[], who = county, path = "/hook") {
  const res = await ctx.call(who, "POST", "/v1/webhook-endpoints", {
    url: "https://hooks.example.com/hexi",
    eventTypes,
  });
  expect(res.status).toBe(201);
  await ctx.db
    .update(webhookEndpoints)
    .set({ url: receiverUrl + path })
    .where(eq(webhookEndpoints.id, res.body.id));
  return { id: res.body.id as string, secret: res.body.secret as string, path };
}

/** An outbox event as `commit()` writes it. */
async function emit(type: string, data: Record<string, unknown> = {}, tenantId = "620902") {
  const row = {
    id: newId("evt", nowMs),
    tenantId,
    type,
    subjectType: type.split(".")[0]!,
    subjectId: newId("mrep", nowMs),
    payload: { memberReportId: "mrep_01KDVDNA011AKWK3RC504FTYF8", status: "confirmed", ...data },
    createdAt: new Date(nowMs).toISOString(),
  };
  await ctx.db.insert(outboxEvents).values(row);
  return row;
}

/** Standard Webhooks verification, written from the spec with node:crypto. */
function verify(secret: string, message: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${message.id}.${message.timestamp}.${message.body}`).digest();
  return message.signature.split(" ").some((part) => {
    const [version, signature] = part.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const deliveriesOf = (endpointId: string) =>
  ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));

describe("webhook delivery", () => {
  it("carries real domain events end to end, their data as the catalogue documents it", async () => {
    const hook = await endpoint(["org_report.submitted", "org_report.received"]);
    const fukang = await divisionNamed(ctx, "620902", "富康社区");
    const community = await insertPartyOrg(ctx, fukang, { category: "community", type: "committee" });
    const unit = await insertPartyOrg(ctx, fukang, { category: "unit" });
    const communityAdmin = { tenant: "620902", roles: ["community_admin" as const], org: fukang.id };
    const created = await ctx.call(communityAdmin, "POST", "/v1/org-reports", {
      unitOrgId: unit.id,
      communityOrgId: community.id,
      slipNumber: "SZ-WH-1",
      reportDate: "2026-11-26",
      liaisonName: "王敏",
    });
    expect(created.status).toBe(201);
    expect((await ctx.call(communityAdmin, "POST", `/v1/org-reports/${created.body.id}/receive`)).status).toBe(200);
    expect((await dispatcher().runOnce()).succeeded).toBe(2);
    const bodies = received.map((m) => JSON.parse(m.body) as { type: EventType; data: Record<string, unknown> });
    expect(bodies.map((b) => b.type).sort()).toEqual(["org_report.received", "org_report.submitted"]);
    for (const body of bodies) {
      expect(body.data).toMatchObject({
        id: created.body.id,
        orgReportId: created.body.id,
        unitOrgId: unit.id,
        communityOrgId: community.id,
      });
      // Strict: a payload field the catalogue does not document fails here.
      expect(() => (eventCatalogue[body.type].data as z.ZodObject).strict().parse(body.data)).not.toThrow();
    }
    expect(received.every((m) => verify(hook.secret, m))).toBe(true);
  });

  it("POSTs a Standard Webhooks message that an independent verifier accepts", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    const event = await emit("member_report.confirmed", { memberId: "mem_01KDVDNA011AKWK3RC504FTYF8" });
    const report = await dispatcher().runOnce();
    expect(report).toMatchObject({ events: 1, scheduled: 1, succeeded: 1, failed: 0 });
    expect(received).toHaveLength(1);
    const message = received[0]!;
    expect(verify(hook.secret, message)).toBe(true);
    expect(verify(hook.secret, { ...message, body: message.body.replace("confirmed", "rejected") })).toBe(false);
    expect(verify(hook.secret, { ...message, timestamp: String(Number(message.timestamp) + 1) })).toBe(false);
    expect(message.timestamp).toBe(String(Math.floor(nowMs / 1000)));
    expect(message.contentType).toBe("application/json");
    expect(message.path).toBe("/hook");
    expect(JSON.parse(message.body)).toEqual({
      type: "member_report.confirmed",
      timestamp: event.createdAt,
      data: { id: event.subjectId, ...event.payload },
    });
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({
      id: message.id,
      eventId: event.id,
      status: "succeeded",
      attempts: 1,
      lastStatusCode: 200,
      leaseUntil: null,
    });
    expect(message.id).toMatch(/^whmsg_[0-9A-Z]{26}$/);
    const [outbox] = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.id, event.id));
    expect(outbox!.dispatchedAt).not.toBeNull();
    // Nothing more to do.
    expect(await dispatcher().runOnce()).toMatchObject({ events: 0, scheduled: 0, succeeded: 0 });
    expect(received).toHaveLength(1);
  });

  it("retries on failure with exponential backoff, keeping the webhook-id, then succeeds", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await ctx.db.update(webhookEndpoints).set({ consecutiveFailures: 3 }).where(eq(webhookEndpoints.id, hook.id));
    await emit("member_report.confirmed");
    answers = [500, 503];
    const run = dispatcher();
    expect(await run.runOnce()).toMatchObject({ scheduled: 1, failed: 1 });
    let [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({
      status: "failed",
      attempts: 1,
      lastStatusCode: 500,
      lastError: "HTTP 500",
      nextAttemptAt: new Date(nowMs + 5_000).toISOString(),
    });

    advance(4_999);
    expect((await run.runOnce()).failed).toBe(0);
    expect(received).toHaveLength(1);
    advance(1);
    expect((await run.runOnce()).failed).toBe(1);
    [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({
      status: "failed",
      attempts: 2,
      lastStatusCode: 503,
      nextAttemptAt: new Date(nowMs + 5 * 60_000).toISOString(),
    });

    advance(5 * 60_000);
    expect((await run.runOnce()).succeeded).toBe(1);
    [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({
      status: "succeeded",
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      deliveredAt: new Date(nowMs).toISOString(),
    });
    expect(received.map((m) => m.id)).toEqual([delivery!.id, delivery!.id, delivery!.id]);
    expect(received.map((m) => Number(m.timestamp))).toEqual(
      [nowMs - 5_000 - 5 * 60_000, nowMs - 5 * 60_000, nowMs].map((ms) => Math.floor(ms / 1000)),
    );
    expect(received.every((m) => verify(hook.secret, m))).toBe(true);
    const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
    expect(row!.consecutiveFailures).toBe(0);
  });

  it("applies jitter to the delays", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    answers = [500];
    await dispatcher({ random: () => 0 }).runOnce();
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery!.nextAttemptAt).toBe(new Date(nowMs + 5_000 * (1 - defaultDispatchOptions.jitter)).toISOString());
  });

  it("gives up after the last retry and disables an endpoint whose deliveries keep dying", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    const limit = defaultDispatchOptions.disableAfterDeadDeliveries;
    for (let i = 0; i < limit; i++) await emit("member_report.confirmed", { n: i });
    answers = Array(1000).fill(500);
    const run = dispatcher();
    await run.runOnce();
    let total = 0;
    for (const delay of defaultDispatchOptions.retryDelaysMs) {
      total += delay;
      advance(delay);
      const report = await run.runOnce();
      expect(report.failed + report.dead).toBe(limit);
    }
    expect(total).toBeGreaterThan(17 * 3_600_000);
    expect(received).toHaveLength(limit * (defaultDispatchOptions.retryDelaysMs.length + 1));
    const deliveries = await deliveriesOf(hook.id);
    expect(deliveries.map((d) => d.status)).toEqual(Array(limit).fill("dead"));
    expect(deliveries.every((d) => d.attempts === 7 && d.lastError === "HTTP 500")).toBe(true);
    const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
    expect(row).toMatchObject({
      status: "disabled",
      consecutiveFailures: limit,
      version: 2,
      disabledAt: new Date(nowMs).toISOString(),
    });
    const [audit] = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, hook.id), eq(auditEvents.action, "webhook_endpoint.auto_disable")));
    expect(audit).toMatchObject({
      tenantId: "620902",
      actor: "system:webhooks:dispatcher",
      actorKind: "system",
      targetType: "webhook_endpoint",
    });

    // Disabled: new events are not delivered, and the endpoint's admin sees why.
    received.length = 0;
    await emit("member_report.confirmed");
    advance(24 * 3_600_000);
    await run.runOnce();
    expect(received).toHaveLength(0);
    expect((await deliveriesOf(hook.id)).length).toBe(limit);
    const got = await ctx.call(county, "GET", `/v1/webhook-endpoints/${hook.id}`);
    expect(got.body).toMatchObject({ status: "disabled", consecutiveFailures: limit });
  });

  it("does not disable below the threshold, and a success resets the count", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    const limit = defaultDispatchOptions.disableAfterDeadDeliveries;
    await ctx.db
      .update(webhookEndpoints)
      .set({ consecutiveFailures: limit - 2 })
      .where(eq(webhookEndpoints.id, hook.id));
    await emit("member_report.confirmed");
    answers = Array(7).fill(500);
    const run = dispatcher();
    await run.runOnce();
    for (const delay of defaultDispatchOptions.retryDelaysMs) {
      advance(delay);
      await run.runOnce();
    }
    let [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
    expect(row).toMatchObject({ status: "active", consecutiveFailures: limit - 1 });
    await emit("member_report.confirmed");
    await run.runOnce();
    [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
    expect(row).toMatchObject({ status: "active", consecutiveFailures: 0 });
  });

  it("replays a delivery through the API: sent again with the same webhook-id", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    await dispatcher().runOnce();
    const [delivery] = await deliveriesOf(hook.id);
    const res = await ctx.call(county, "POST", `/v1/webhook-deliveries/${delivery!.id}/replay`);
    expect(res.status).toBe(202);
    expect((await dispatcher().runOnce()).succeeded).toBe(1);
    expect(received.map((m) => m.id)).toEqual([delivery!.id, delivery!.id]);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(verify(hook.secret, received[1]!)).toBe(true);
    const [after] = await deliveriesOf(hook.id);
    expect(after).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("delivers only subscribed types, only in the event's tenant, and nothing to disabled endpoints", async () => {
    const confirmed = await endpoint(["member_report.confirmed"], county, "/confirmed");
    const both = await endpoint(["member_report.confirmed", "org_report.received"], county, "/both");
    const off = await endpoint(["member_report.confirmed", "org_report.received"], county, "/off");
    await ctx.call(county, "POST", `/v1/webhook-endpoints/${off.id}/disable`);
    const otherTenant = await endpoint(["member_report.confirmed", "org_report.received"], yumen, "/yumen");
    await emit("member_report.confirmed");
    await emit("org_report.received");
    await emit("member_report.submitted");
    await emit("nobody.catalogued_this");
    const report = await dispatcher().runOnce();
    expect(report).toMatchObject({ events: 4, scheduled: 3, succeeded: 3 });
    const byPath = (path: string) => received.filter((m) => m.path === path).map((m) => JSON.parse(m.body).type);
    expect(byPath("/confirmed")).toEqual(["member_report.confirmed"]);
    expect(byPath("/both").sort()).toEqual(["member_report.confirmed", "org_report.received"]);
    expect(byPath("/off")).toEqual([]);
    expect(byPath("/yumen")).toEqual([]);
    expect(await deliveriesOf(off.id)).toEqual([]);
    expect(await deliveriesOf(otherTenant.id)).toEqual([]);
    expect((await deliveriesOf(confirmed.id)).length + (await deliveriesOf(both.id)).length).toBe(3);
    expect(await ctx.db.select().from(outboxEvents).where(isNull(outboxEvents.dispatchedAt))).toEqual([]);
  });

  it("waits while an endpoint is disabled and sends once it is enabled again", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    const run = dispatcher();
    await run.fanOut();
    await ctx.call(county, "POST", `/v1/webhook-endpoints/${hook.id}/disable`);
    expect((await run.runOnce()).succeeded).toBe(0);
    expect(received).toHaveLength(0);
    await ctx.call(county, "POST", `/v1/webhook-endpoints/${hook.id}/enable`);
    expect((await run.runOnce()).succeeded).toBe(1);
    expect(received).toHaveLength(1);
  });

  it("refuses at delivery time a host that resolves to a private address (DNS rebinding)", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await ctx.db
      .update(webhookEndpoints)
      .set({ url: "https://rebind.example.com/hook" })
      .where(eq(webhookEndpoints.id, hook.id));
    await emit("member_report.confirmed");
    const sent: string[] = [];
    const spy = async (url: string) => {
      sent.push(url);
      return new Response(null, { status: 204 });
    };
    let answer = ["93.184.216.34", "127.0.0.1"];
    const guarded = dispatcher({ allowPrivateTargets: false, fetch: spy, resolveHost: async () => answer });
    expect((await guarded.runOnce()).failed).toBe(1);
    expect(sent).toEqual([]);
    const [refused] = await deliveriesOf(hook.id);
    expect(refused).toMatchObject({ status: "failed", lastStatusCode: null });
    expect(refused!.lastError).toMatch(/^Refused: .*resolves to 127\.0\.0\.1/);

    // The URL itself is checked again at delivery, whatever the database says.
    await ctx.db.update(webhookEndpoints).set({ url: receiverUrl }).where(eq(webhookEndpoints.id, hook.id));
    advance(5_000);
    expect((await guarded.runOnce()).failed).toBe(1);
    expect((await deliveriesOf(hook.id))[0]!.lastError).toMatch(/^Refused: .*https/);

    // Once the name resolves only to public addresses, it is sent.
    await ctx.db
      .update(webhookEndpoints)
      .set({ url: "https://rebind.example.com/hook" })
      .where(eq(webhookEndpoints.id, hook.id));
    answer = ["93.184.216.34"];
    advance(5 * 60_000);
    expect((await guarded.runOnce()).succeeded).toBe(1);
    expect(sent).toEqual(["https://rebind.example.com/hook"]);
  });

  it("does not follow redirects", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    answers = [307];
    await dispatcher().runOnce();
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: "failed", lastStatusCode: 307 });
    expect(received).toHaveLength(1);
  });
});

/** A database whose next `batch` calls throw, as if the process died at that write. */
function crashingDb(db: Db, failures: { batches: number }): Db {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === "batch" && failures.batches > 0) {
        return async () => {
          failures.batches--;
          throw new Error("killed");
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("crashes and re-runs", () => {
  it("a crash in the middle of fan-out loses nothing and duplicates nothing", async () => {
    const a = await endpoint(["member_report.confirmed"], county, "/a");
    const b = await endpoint(["member_report.confirmed"], county, "/b");
    const events = [];
    for (let i = 0; i < 5; i++) events.push(await emit("member_report.confirmed", { n: i }));
    // Fan-out in batches of 2: the first batch commits, the second dies with the process.
    const failures = { batches: 0 };
    const db = crashingDb(ctx.db, failures);
    const partial = dispatcher({ db }, { fanOutBatch: 2 });
    expect(await partial.fanOut()).toEqual({ events: 2, scheduled: 4 });
    failures.batches = 1;
    await expect(partial.fanOut()).rejects.toThrow("killed");
    expect((await deliveriesOf(a.id)).length).toBe(2);
    expect(await ctx.db.select().from(outboxEvents).where(isNull(outboxEvents.dispatchedAt))).toHaveLength(3);

    // A restarted dispatcher picks up where it stopped; running fan-out again adds nothing.
    const restarted = dispatcher();
    expect(await restarted.runOnce()).toMatchObject({ events: 3, scheduled: 6, succeeded: 10 });
    expect(await restarted.runOnce()).toMatchObject({ events: 0, scheduled: 0, succeeded: 0 });
    for (const hook of [a, b]) {
      const deliveries = await deliveriesOf(hook.id);
      expect(deliveries.map((d) => d.eventId).sort()).toEqual(events.map((e) => e.id).sort());
      expect(deliveries.every((d) => d.status === "succeeded")).toBe(true);
      const ids = received.filter((m) => m.path === hook.path).map((m) => m.id);
      expect(ids.sort()).toEqual(deliveries.map((d) => d.id).sort());
    }
    expect(received).toHaveLength(10);
  });

  it("fan-out of an event again (dispatched_at lost) creates no second delivery", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    const event = await emit("member_report.confirmed");
    const run = dispatcher();
    expect(await run.fanOut()).toEqual({ events: 1, scheduled: 1 });
    await ctx.db.update(outboxEvents).set({ dispatchedAt: null }).where(eq(outboxEvents.id, event.id));
    expect(await run.fanOut()).toEqual({ events: 1, scheduled: 0 });
    await run.runOnce();
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
    expect(received).toHaveLength(1);
  });

  it("a crash between sending and recording: the lease expires and the same webhook-id is sent again", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    await dispatcher().fanOut();
    // The receiver gets the message, then the process dies before it records the success.
    const failures = { batches: 1 };
    const errors: unknown[] = [];
    const dying = dispatcher({ db: crashingDb(ctx.db, failures), log: { error: (_m, f) => errors.push(f.error) } });
    expect((await dying.runOnce()).succeeded).toBe(0);
    expect(errors).toHaveLength(1);
    expect(received).toHaveLength(1);
    const [leased] = await deliveriesOf(hook.id);
    expect(leased).toMatchObject({ status: "pending", attempts: 0 });
    expect(leased!.leaseUntil).not.toBeNull();

    // While the lease holds nobody else sends it; after it, a new run does.
    const next = dispatcher();
    expect((await next.runOnce()).succeeded).toBe(0);
    advance(defaultDispatchOptions.leaseMs + 1);
    expect((await next.runOnce()).succeeded).toBe(1);
    expect(received.map((m) => m.id)).toEqual([leased!.id, leased!.id]);
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });

  it("a fetch that throws is a failed attempt, retried later, delivered once", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    let calls = 0;
    const flaky = async (url: string, init: RequestInit) => {
      if (calls++ === 0) throw new TypeError("fetch failed", { cause: new Error("connect ECONNRESET") });
      return fetch(url, init);
    };
    const run = dispatcher({ fetch: flaky });
    expect((await run.runOnce()).failed).toBe(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({
      status: "failed",
      lastError: "fetch failed (connect ECONNRESET)",
    });
    advance(5_000);
    expect((await run.runOnce()).succeeded).toBe(1);
    expect(received).toHaveLength(1);
  });

  it("gives every attempt a timeout and records when it ran out", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    await emit("member_report.confirmed");
    const signals: unknown[] = [];
    const slow = async (_url: string, init: RequestInit) => {
      signals.push(init.signal);
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    };
    expect((await dispatcher({ fetch: slow }).runOnce()).failed).toBe(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({
      status: "failed",
      lastError: "Timed out after 10 s",
      lastStatusCode: null,
    });
  });

  it("two dispatchers running at once send each message once", async () => {
    const a = await endpoint(["member_report.confirmed", "org_report.received"], county, "/a");
    const b = await endpoint(["member_report.confirmed"], county, "/b");
    for (let i = 0; i < 6; i++) await emit(i % 2 ? "org_report.received" : "member_report.confirmed", { n: i });
    const reports = await Promise.all([
      dispatcher({}, { claimBatch: 2 }).runOnce(),
      dispatcher({}, { claimBatch: 2 }).runOnce(),
      dispatcher({}, { claimBatch: 3 }).runOnce(),
    ]);
    expect(reports.reduce((n, r) => n + r.succeeded, 0)).toBe(9);
    expect(reports.reduce((n, r) => n + r.scheduled, 0)).toBe(9);
    expect(received).toHaveLength(9);
    expect(new Set(received.map((m) => m.id)).size).toBe(9);
    expect((await deliveriesOf(a.id)).length).toBe(6);
    expect((await deliveriesOf(b.id)).length).toBe(3);
  });
});

describe("the test ping (POST /v1/webhook-endpoints/{id}/test)", () => {
  it("queues a signed webhook.test to that endpoint only, audited, listed and delivered by the dispatcher", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    const other = await endpoint(["member_report.confirmed"], county, "/other");
    const res = await ctx.call(county, "POST", `/v1/webhook-endpoints/${hook.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      endpointId: hook.id,
      eventType: "webhook.test",
      requestedAt: clock.now().toISOString(),
    });

    const [audit] = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "webhook_endpoint.test"), eq(auditEvents.targetId, hook.id)));
    expect(audit).toMatchObject({ actor: "jwt:620902:county-1", tenantId: "620902" });

    expect(await dispatcher().runOnce()).toMatchObject({ scheduled: 1, succeeded: 1 });
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe("/hook");
    expect(verify(hook.secret, received[0]!)).toBe(true);
    const body = JSON.parse(received[0]!.body);
    expect(body).toMatchObject({ type: "webhook.test", data: { id: hook.id, requestedAt: res.body.requestedAt } });
    expect(() => (eventCatalogue["webhook.test"].data as z.ZodObject).strict().parse(body.data)).not.toThrow();
    expect(await deliveriesOf(other.id)).toEqual([]);

    const listed = await ctx.call(county, "GET", `/v1/webhook-endpoints/${hook.id}/deliveries`);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ eventType: "webhook.test", status: "succeeded", lastStatusCode: 200 }),
    ]);
  });

  it("is refused for a disabled endpoint (409), another tenant's (404), and cannot be subscribed to", async () => {
    const hook = await endpoint(["member_report.confirmed"]);
    expect((await ctx.call(yumen, "POST", `/v1/webhook-endpoints/${hook.id}/test`)).status).toBe(404);
    expect((await ctx.call(county, "POST", `/v1/webhook-endpoints/${hook.id}/disable`)).status).toBe(200);
    const refused = await ctx.call(county, "POST", `/v1/webhook-endpoints/${hook.id}/test`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("conflict");
    const subscribe = await ctx.call(county, "POST", "/v1/webhook-endpoints", {
      url: "https://hooks.example.com/hexi",
      eventTypes: ["webhook.test"],
    });
    expect(subscribe.status).toBe(400);
    expect((await dispatcher().runOnce()).scheduled).toBe(0);
  });
});
