import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverQueued } from "../../src/domains/emergency/delivery.js";
import { gatewayChannel } from "../../src/domains/emergency/gateway.js";
import { notifications } from "../../src/domains/emergency/tables.js";
import { auditEvents } from "../../src/db/tables.js";
import { generateSecret, webhookHeaders } from "../../src/shared/crypto/standard-webhooks.js";
import { developmentChannel, type MessageChannel, type OutgoingMessage } from "../../src/shared/messaging.js";
import { startStubGateway, type StubGateway } from "../helpers/stub-gateway.js";
import { createWorld, declareBody, newTeam, newVolunteer, type World } from "./setup.js";

const suzhou = "620902";
const yumen = "620981";

const message = (i: number, tenantId = suzhou): OutgoingMessage => ({
  id: `ntf_TEST${String(i).padStart(22, "0")}`,
  tenantId,
  to: `139${String(i).padStart(8, "0")}`,
  text: "【酒泉志愿服务】演练：…",
  templateCode: "HEXI_PAGE_V1",
  params: { drill: "演练：", headline: "暴雨", token: "AAAAAAAAAAAA" },
});

describe("the SMS gateway channel", () => {
  let stub: StubGateway;
  const sleeps: number[] = [];
  let channel: MessageChannel;
  const now = () => new Date("2026-08-13T06:00:00.000Z");
  beforeAll(async () => {
    stub = await startStubGateway(generateSecret(), now);
    channel = gatewayChannel({
      gateways: [{ tenant: suzhou, url: stub.url, secret: stub.secret }],
      signName: "酒泉志愿服务",
      now,
      sleep: async (ms) => void sleeps.push(ms),
    });
  });
  afterAll(() => stub.close());

  it("sends signed calls of at most 100 recipients, each a template code and parameters, and pages each id once", async () => {
    const messages = Array.from({ length: 250 }, (_, i) => message(i));
    const receipts = await channel.send([...messages, message(900, yumen)]);
    expect(stub.calls.map((c) => [c.status, c.recipients])).toEqual([
      [200, 100],
      [200, 100],
      [200, 50],
    ]);
    expect(receipts.filter((r) => r.status === "sent")).toHaveLength(250);
    // A tenant without a gateway (and no development fallback): its page fails, visibly.
    expect(receipts.at(-1)).toMatchObject({
      status: "failed",
      error: `no SMS gateway is configured for tenant ${yumen}`,
    });
    expect(stub.paged).toHaveLength(250);
    expect(stub.paged[0]).toEqual({
      key: messages[0]!.id,
      to: messages[0]!.to,
      templateCode: "HEXI_PAGE_V1",
      params: { drill: "演练：", headline: "暴雨", token: "AAAAAAAAAAAA" },
    });
    // Sent again (a retry after a crash): the gateway recognises every id and pages nobody.
    const again = await channel.send(messages.slice(0, 100));
    expect(again.every((r) => r.status === "sent")).toBe(true);
    expect(stub.paged).toHaveLength(250);
    expect(sleeps).toEqual([]);
  });

  it("retries transient failures after seconds with backoff, honours Retry-After, and does not retry a refused call", async () => {
    stub.calls.length = 0;
    stub.failNext([503, 502]);
    const retried = await channel.send([message(1000), message(1001)]);
    expect(sleeps).toEqual([1_000, 2_000]);
    expect(retried.map((r) => r.status)).toEqual(["sent", "sent"]);
    // The same call each time: the same webhook-id.
    expect(new Set(stub.calls.map((c) => c.webhookId)).size).toBe(1);

    sleeps.length = 0;
    stub.failNext([429], 7);
    await channel.send([message(1002)]);
    expect(sleeps).toEqual([7_000]);

    sleeps.length = 0;
    stub.failNext([400]);
    const refused = await channel.send([message(1003)]);
    expect(sleeps).toEqual([]);
    expect(refused).toEqual([{ id: message(1003).id, status: "failed", error: "gateway answered HTTP 400" }]);

    stub.failNext([503, 503, 503, 503]);
    const outage = await channel.send([message(1004)]);
    expect(sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(outage[0]).toMatchObject({ status: "failed", retry: true, error: "gateway answered HTTP 503 (4 calls)" });
  });

  it("never pages twice when the gateway took a call and the answer was lost: the retry carries the same ids", async () => {
    stub.calls.length = 0;
    sleeps.length = 0;
    const before = stub.paged.length;
    stub.dropAfterTakingNext();
    const batch = [message(2000), message(2001), message(2002)];
    const receipts = await channel.send(batch);
    expect(receipts.map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
    expect(stub.calls).toHaveLength(2);
    expect(sleeps).toEqual([1_000]);
    expect(stub.paged.slice(before).map((p) => p.key)).toEqual(batch.map((m) => m.id));
  });
});

describe("paging an incident through the gateway", () => {
  let w: World;
  let stub: StubGateway;
  let gateway: MessageChannel;
  /** The first run "crashes": the gateway takes the pages, and the process dies before writing a receipt. */
  let tookPages: () => void;
  const taken = new Promise<void>((resolve) => {
    tookPages = resolve;
  });
  let crashed = false;
  const crashing: MessageChannel = {
    name: "sms-gateway",
    batchSize: 100,
    needsPhone: true,
    async send(messages) {
      // Later declarations' deliveries are lost the same way: the tests send with `deliver()`.
      if (crashed) return new Promise(() => {});
      crashed = true;
      await gateway.send(messages);
      tookPages();
      return new Promise(() => {});
    },
  };
  const otherSecret = generateSecret();
  beforeAll(async () => {
    let clock: () => Date = () => new Date();
    stub = await startStubGateway(generateSecret(), () => clock());
    gateway = gatewayChannel({
      gateways: [{ tenant: suzhou, url: stub.url, secret: stub.secret }],
      signName: "酒泉志愿服务",
      now: () => clock(),
      sleep: async () => {},
    });
    w = await createWorld({
      channel: crashing,
      paging: {
        gateways: [
          { tenant: suzhou, secret: stub.secret },
          { tenant: yumen, secret: otherSecret },
        ],
      },
    });
    clock = () => w.clock.now();
  });
  afterAll(async () => {
    await stub.close();
    w.ctx.close();
  });
  const phoneOf = async (volunteer: string) =>
    (await w.ctx.call(w.county, "GET", `/v1/volunteers/${volunteer}?reveal=pii`)).body.phone as string;
  const deliver = () => deliverQueued(w.ctx.db, { channel: gateway, pii: w.ctx.pii, now: w.clock.now }, undefined);
  const pagesOf = async (id: string, query = "") =>
    (await w.ctx.call(w.street, "GET", `/v1/incidents/${id}/notifications?limit=100${query}`)).body.data as {
      id: string;
      volunteerId: string;
      channel: string;
      message: string;
      status: string;
      attempts: number;
      lastError: string | null;
      answer: string | null;
    }[];

  it("a crash after the gateway took the pages loses nothing and pages nobody twice; an outage delays but never drops", async () => {
    const vs = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang), await newVolunteer(w, w.beiyuan)];
    await newTeam(w, w.dongbei, "mobile", vs);
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    expect(res.status).toBe(201);
    await taken;
    expect(stub.paged).toHaveLength(3);
    expect((await pagesOf(res.body.incident.id)).map((p) => p.status)).toEqual(["queued", "queued", "queued"]);

    // The restarted process sends the queue again: the gateway knows every id.
    expect(await deliver()).toEqual({ sent: 3, failed: 0 });
    expect(stub.paged).toHaveLength(3);
    expect(new Set(stub.paged.map((p) => p.to)).size).toBe(3);
    const pages = await pagesOf(res.body.incident.id);
    expect(pages.map((p) => [p.channel, p.status])).toEqual([
      ["sms-gateway", "sent"],
      ["sms-gateway", "sent"],
      ["sms-gateway", "sent"],
    ]);
    // A gateway page's answer token is masked for admins, development mode or not.
    for (const p of pages) {
      expect(p.message).toMatch(/\/a\/\*{12}$/);
      expect(stub.paged.some((s) => p.message.includes(s.params.token!))).toBe(false);
    }

    // A long outage: every run fails after its retries, the pages stay queued and are never failed for good.
    const more = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang)];
    await newTeam(w, w.fukang, "emergency", more);
    const second = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    // The first team (东北街's mobile team) is paged again: five volunteers.
    const paged = second.body.activation.volunteers as number;
    expect(paged).toBe(5);
    stub.down(503);
    try {
      for (let run = 0; run < 5; run++) expect(await deliver()).toEqual({ sent: 0, failed: paged });
    } finally {
      stub.recover();
    }
    const waiting = await pagesOf(second.body.incident.id);
    expect(waiting).toHaveLength(paged);
    for (const p of waiting)
      expect(p).toMatchObject({ status: "queued", attempts: 5, lastError: "gateway answered HTTP 503 (4 calls)" });
    expect(await deliver()).toEqual({ sent: paged, failed: 0 });
    const sent = await pagesOf(second.body.incident.id, "&status=sent");
    expect(sent.map((p) => p.lastError)).toEqual(Array(paged).fill(null));
    // Three of them were paged for the first incident too: a new incident, a new page (a new id).
    expect(stub.paged).toHaveLength(3 + paged);
  });

  it("a number the gateway rejects fails for that volunteer after three rounds, visible in the list", async () => {
    const vs = [await newVolunteer(w, w.beiyuan), await newVolunteer(w, w.beiyuan)];
    await newTeam(w, w.beiyuan, "emergency", vs);
    stub.rejectNumber(await phoneOf(vs[0]!.id));
    const res = await w.ctx.call(
      w.street,
      "POST",
      "/v1/incidents",
      declareBody(w, { affectedDivisionIds: [w.beiyuan.id] }),
    );
    for (let run = 0; run < 4; run++) await deliver();
    const failed = await pagesOf(res.body.incident.id, "&status=failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ volunteerId: vs[0]!.id, attempts: 3, lastError: "rejected: invalid number" });
  });

  describe("inbound events", () => {
    const post = async (body: unknown, secret = stub.secret, at = w.clock.now(), id = "pgev_1") => {
      const text = JSON.stringify(body);
      return w.ctx.app.request("/v1/public/paging-gateway/events", {
        method: "POST",
        headers: { "content-type": "application/json", ...(await webhookHeaders(secret, id, at, text)) },
        body: text,
      });
    };

    it("receipts set delivered or failed once; replies 1 / 2 answer the page; the tenant comes from the secret", async () => {
      const vs = [
        await newVolunteer(w, w.dongyuan),
        await newVolunteer(w, w.dongyuan),
        await newVolunteer(w, w.dongyuan),
      ];
      await newTeam(w, w.dongyuan, "emergency", vs);
      const res = await w.ctx.call(
        w.county,
        "POST",
        "/v1/incidents",
        declareBody(w, { affectedDivisionIds: [w.dongyuan.id] }),
      );
      const incident = res.body.incident.id as string;
      await deliver();
      const byVolunteer = async () =>
        new Map(
          (await w.ctx.call(w.county, "GET", `/v1/incidents/${incident}/notifications`)).body.data.map(
            (p: { volunteerId: string }) => [p.volunteerId, p],
          ),
        ) as Map<string, { id: string; status: string; lastError: string | null; answer: string | null }>;
      const before = await byVolunteer();
      const [a, b, c] = vs.map((v) => before.get(v.id)!);

      // Another tenant's gateway secret cannot touch these pages: its tenant is 620981.
      const foreign = await post(
        { events: [{ type: "delivery_receipt", idempotencyKey: a!.id, status: "delivered" }] },
        otherSecret,
      );
      expect(foreign.status).toBe(200);
      expect(await foreign.json()).toEqual({ delivered: 0, failed: 0, answered: 0, ignored: 1 });

      const receipts = {
        events: [
          { type: "delivery_receipt", idempotencyKey: a!.id, status: "delivered" },
          { type: "delivery_receipt", idempotencyKey: b!.id, status: "failed", error: "关机" },
          { type: "reply", from: `+86${await phoneOf(vs[2]!.id)}`, text: "１" },
          { type: "reply", from: await phoneOf(vs[0]!.id), text: "2" },
          { type: "reply", from: await phoneOf(vs[1]!.id), text: "好的" },
        ],
      };
      const first = await post(receipts);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ delivered: 1, failed: 1, answered: 2, ignored: 1 });
      const after = await byVolunteer();
      expect(after.get(vs[0]!.id)).toMatchObject({ status: "delivered", answer: "unavailable" });
      expect(after.get(vs[1]!.id)).toMatchObject({ status: "failed", lastError: "receipt: 关机", answer: null });
      expect(after.get(vs[2]!.id)).toMatchObject({ status: "sent", answer: "available" });
      expect(c).toBeDefined();

      // The same call again (a gateway retry): nothing changes.
      expect(await (await post(receipts, stub.secret, w.clock.now(), "pgev_2")).json()).toEqual({
        delivered: 0,
        failed: 0,
        answered: 0,
        ignored: 5,
      });
      const progress = await w.ctx.call(w.county, "GET", `/v1/incidents/${incident}/progress`);
      expect(progress.body.overall).toMatchObject({ paged: 3, delivered: 1, failed: 1, available: 1, unavailable: 1 });
      // Replies are audited as the volunteer's answers, by the gateway's credential.
      const audits = await w.ctx.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.targetId, incident), eq(auditEvents.action, "incident.volunteer_answer")));
      expect(audits.map((e) => e.actorKind)).toEqual(["sms_gateway", "sms_gateway"]);
      expect(audits.map((e) => (e.changes as { via: string }).via)).toEqual(["sms_reply", "sms_reply"]);
      const [row] = await w.ctx.db.select().from(notifications).where(eq(notifications.id, c!.id));
      expect(row!.answer).toBe("available");
    });

    it("refuses unsigned, stale, tampered and unknown-secret calls with a 401 problem", async () => {
      const body = { events: [{ type: "reply", from: "13900000001", text: "1" }] };
      const unsigned = await w.ctx.app.request("/v1/public/paging-gateway/events", {
        method: "POST",
        headers: { "content-type": "application/json", "accept-language": "en" },
        body: JSON.stringify(body),
      });
      expect(unsigned.status).toBe(401);
      expect(unsigned.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(((await unsigned.json()) as { detail: string }).detail).toMatch(/webhook-signature/);

      const stale = await post(body, stub.secret, new Date(w.clock.now().getTime() - 6 * 60_000));
      expect(stale.status).toBe(401);
      expect(((await stale.json()) as { detail: string }).detail).toMatch(/300/);

      const text = JSON.stringify(body);
      const headers = await webhookHeaders(stub.secret, "pgev_3", w.clock.now(), text);
      const tampered = await w.ctx.app.request("/v1/public/paging-gateway/events", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: text.replace("13900000001", "13900000002"),
      });
      expect(tampered.status).toBe(401);
      expect((await post(body, generateSecret())).status).toBe(401);
      // A valid signature on a malformed body: 400, after authentication.
      expect((await post({ events: [{ type: "reply", from: "x", text: "1" }] })).status).toBe(400);
    });
  });
});

describe("the notifications list outside development", () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld({ paging: { showDevelopmentMessages: false } });
  });
  afterAll(() => w.ctx.close());

  it("masks the answer token even of the development channel's pages: an admin cannot answer for a volunteer", async () => {
    const vs = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang)];
    await newTeam(w, w.fukang, "emergency", vs);
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    await w.ctx.settle();
    const list = await w.ctx.call(w.county, "GET", `/v1/incidents/${res.body.incident.id}/notifications`);
    const tokens = w.channel.recorded.map((m) => m.params.token!);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.data[0].message).toMatch(/^【酒泉志愿服务】演练：.*https:\/\/a\.hexi\.dev\/a\/\*{12}$/);
  });
});

describe("a tenant without a gateway on a development server", () => {
  const pagesFor = async (showDevelopmentMessages: boolean) => {
    const fallback = developmentChannel();
    const w = await createWorld({
      channel: gatewayChannel({
        gateways: [{ tenant: yumen, url: "http://127.0.0.1:9/never-called", secret: generateSecret() }],
        signName: "酒泉志愿服务",
        now: () => new Date("2026-08-13T06:00:00.000Z"),
        fallback,
      }),
      paging: { showDevelopmentMessages },
    });
    try {
      await newTeam(w, w.fukang, "emergency", [await newVolunteer(w, w.fukang)]);
      const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
      await w.ctx.settle();
      const list = await w.ctx.call(w.county, "GET", `/v1/incidents/${res.body.incident.id}/notifications`);
      return { pages: list.body.data as { channel: string; message: string; status: string }[], fallback };
    } finally {
      w.ctx.close();
    }
  };

  it("pages through the development fallback, recorded as `dev` and shown in full like any development page", async () => {
    const { pages, fallback } = await pagesFor(true);
    const token = fallback.recorded[0]!.params.token!;
    expect(pages).toEqual([expect.objectContaining({ channel: "dev", status: "delivered" })]);
    expect(pages[0]!.message).toContain(`/a/${token}`);
  });

  it("still masks them where development messages are not shown (production has no fallback at all)", async () => {
    const { pages, fallback } = await pagesFor(false);
    expect(pages[0]!.channel).toBe("dev");
    expect(pages[0]!.message).not.toContain(fallback.recorded[0]!.params.token!);
    expect(pages[0]!.message).toMatch(/\/a\/\*{12}$/);
  });
});
