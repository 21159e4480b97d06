/**
 * The example third-party integration (examples/third-party) against the real server process:
 * data seeded over HTTP by admins, the listing CLI run with tsx as a partner would run it, and the
 * example webhook receiver subscribed on 127.0.0.1 (HEXI_WEBHOOK_ALLOW_LOOPBACK=true).
 */
import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hexiClient, HexiApiError } from "../examples/third-party/client.js";
import { listConfirmedReports, main as listCli } from "../examples/third-party/list-confirmed-reports.js";
import { createWebhookReceiver, type WebhookEvent } from "../examples/third-party/webhook-receiver.js";
import { generateClientTypes } from "../scripts/client-types.js";
import { webhookHeaders } from "../src/shared/crypto/standard-webhooks.js";
import { mintToken, repoRoot, startServer, type ServerProcess } from "./helpers/server-process.js";

const tenant = "620902";
let server: ServerProcess;
let county: string;
let community: string;
let communityId: string;
const reports: { confirmed: string[]; active: string[]; submitted: string[] } = {
  confirmed: [],
  active: [],
  submitted: [],
};
let readerKey: string;

async function call<T = any>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function ok<T = any>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await call<T>(token, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** An 18-character ID card number with a valid GB 11643 check character, born 1988-05-01. */
function idCard(seq: number): string {
  const body = `62090219880501${String(seq).padStart(3, "0")}`;
  const sum = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2].reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + "10X98765432"[sum % 11];
}

async function fileReport(seq: number): Promise<string> {
  const member = await ok(community, "POST", "/v1/members", {
    name: `示例党员${seq}`,
    status: "full",
    classification: "in_service",
    residenceDivisionId: communityId,
    gender: seq % 2 ? "male" : "female",
    birthDate: "1988-05-01",
    idCard: idCard(seq),
    joinDate: "2012-07-01",
  });
  const report = await ok(community, "POST", "/v1/member-reports", {
    memberId: member.id,
    communityId,
    channel: "online",
  });
  return report.id as string;
}

const confirm = (id: string) => ok(community, "POST", `/v1/member-reports/${id}/confirm`);

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.\nServer output:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const [, started] = await Promise.all([
    generateClientTypes(),
    startServer({ env: { HEXI_WEBHOOK_ALLOW_LOOPBACK: "true" }, demoRecords: false }),
  ]);
  server = started;
  county = await mintToken(server, { tenant, roles: ["county_admin"] });
  const divisions = await ok(county, "GET", "/v1/divisions?level=community&limit=100");
  communityId = divisions.data.find((d: { name: string }) => d.name === "富康社区").id;
  community = await mintToken(server, { tenant, roles: ["community_admin"], org: communityId });

  // Eight reports: five confirmed, one confirmed and then activated, two left submitted.
  const ids = [];
  for (let seq = 1; seq <= 8; seq++) ids.push(await fileReport(seq));
  reports.confirmed = ids.slice(0, 5);
  reports.active = ids.slice(5, 6);
  reports.submitted = ids.slice(6);
  for (const id of [...reports.confirmed, ...reports.active]) await confirm(id);
  for (const id of reports.active) await ok(community, "POST", `/v1/member-reports/${id}/activate`);

  readerKey = (await ok(county, "POST", "/v1/api-keys", { name: "示例集成", scopes: ["reports:read"] })).key;
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("list-confirmed-reports", () => {
  it("as a CLI (tsx, as `npx tsx` runs it): prints exactly the confirmed reports, in order, across pages, and the total", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "examples/third-party/list-confirmed-reports.ts", "--page-size", "2"],
      {
        cwd: repoRoot,
        env: { ...process.env, HEXI_URL: server.baseUrl, HEXI_API_KEY: readerKey },
        timeout: 30_000,
      },
    );
    const lines = stdout.trimEnd().split("\n");
    expect(lines.slice(0, -1).map((line) => line.split(/\s+/)[0])).toEqual([...reports.confirmed].sort());
    expect(lines.at(-1)).toBe("Total: 5 confirmed member report(s) in 3 page(s)");
  });

  it("prints the problem's code and requestId and exits 1 when the key lacks the scope", async () => {
    const key = (await ok(county, "POST", "/v1/api-keys", { name: "无报到权限", scopes: ["divisions:read"] })).key;
    const errors: string[] = [];
    const code = await listCli(
      [],
      { HEXI_URL: server.baseUrl, HEXI_API_KEY: key },
      () => {},
      (line) => errors.push(line),
    );
    expect(code).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Hexi answered 403: code forbidden, requestId req_\w+ — /);
  });

  it("waits Retry-After on 429 and retries; gives up with rate_limited after maxRetries", async () => {
    // One request a minute: the first page passes, the second is a real 429 from the server.
    const key = (
      await ok(county, "POST", "/v1/api-keys", { name: "限流", scopes: ["reports:read"], rateLimitPerMinute: 1 })
    ).key;
    const waits: number[] = [];
    const limited = hexiClient({
      baseUrl: server.baseUrl,
      apiKey: key,
      maxRetries: 2,
      sleep: async (ms) => void waits.push(ms),
      onRateLimited: () => {},
    });
    const error = await listConfirmedReports(limited, { pageSize: 2, print: () => {} }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HexiApiError);
    expect((error as HexiApiError).problem).toMatchObject({ status: 429, code: "rate_limited" });
    expect(waits).toHaveLength(2);
    for (const ms of waits) expect(ms).toBeGreaterThanOrEqual(1000);

    // A 429 followed by success: the page is fetched again after the wait, nothing is skipped.
    let answered429 = false;
    const flaky = hexiClient({
      baseUrl: server.baseUrl,
      apiKey: readerKey,
      sleep: async (ms) => void waits.push(ms),
      onRateLimited: () => {},
      fetch: async (request) => {
        if (answered429) return fetch(request);
        answered429 = true;
        return new Response(JSON.stringify({ status: 429, code: "rate_limited" }), {
          status: 429,
          headers: { "retry-after": "3", "content-type": "application/problem+json" },
        });
      },
    });
    const { reports: listed, pages } = await listConfirmedReports(flaky, { pageSize: 2, print: () => {} });
    expect(listed.map((r) => r.id)).toEqual([...reports.confirmed].sort());
    expect(pages).toBe(3);
    expect(waits.at(-1)).toBe(3000);
  });
});

describe("webhook-receiver, subscribed to the live server", () => {
  let receiver: Server;
  let receiverUrl: string;
  let secret = "";
  const events: WebhookEvent[] = [];
  const rejections: string[] = [];

  beforeAll(async () => {
    receiver = createWebhookReceiver({
      secret: () => secret,
      onEvent: (event) => void events.push(event),
      onRejected: (reason) => void rejections.push(reason),
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hexi-webhooks`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it("the server warned at start that loopback targets are on", () => {
    expect(server.output()).toMatch(/WARNING: HEXI_WEBHOOK_ALLOW_LOOPBACK=true.*Development only/);
  });

  it("receives the verified member_report.confirmed event of a report confirmed after subscribing", async () => {
    const endpoint = await ok(county, "POST", "/v1/webhook-endpoints", {
      url: receiverUrl,
      eventTypes: ["member_report.confirmed"],
    });
    secret = endpoint.secret;
    const reportId = reports.submitted[0]!;
    await confirm(reportId);

    const event = await until("the confirmed event", () => events.find((e) => e.data.id === reportId));
    expect(event).toMatchObject({
      type: "member_report.confirmed",
      data: { id: reportId, memberReportId: reportId, communityId, status: "confirmed" },
    });
    expect(event.webhookId).toMatch(/^whmsg_/);
    expect(events.every((e) => e.type === "member_report.confirmed")).toBe(true);
    expect(rejections).toEqual([]);
  });

  it("rejects a tampered body, a stale timestamp and a wrong secret; accepts any one matching signature; drops a repeated webhook-id", async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(receiverUrl, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
    const body = JSON.stringify({
      type: "member_report.confirmed",
      timestamp: new Date().toISOString(),
      data: { id: "mrep_TEST" },
    });
    const headers = await webhookHeaders(secret, "whmsg_TEST", new Date(), body);

    expect((await post(headers, body.replace("mrep_TEST", "mrep_EVIL"))).status).toBe(401);
    expect(rejections.at(-1)).toMatch(/signature/);
    expect(
      (await post(await webhookHeaders(secret, "whmsg_OLD", new Date(Date.now() - 6 * 60_000), body), body)).status,
    ).toBe(401);
    expect(rejections.at(-1)).toMatch(/5 minutes/);
    expect(
      (
        await post(
          await webhookHeaders(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, "whmsg_TEST", new Date(), body),
          body,
        )
      ).status,
    ).toBe(401);
    expect(events.some((e) => e.data.id === "mrep_TEST" || e.data.id === "mrep_EVIL")).toBe(false);

    const other = await webhookHeaders(
      `whsec_${Buffer.alloc(32, 9).toString("base64")}`,
      "whmsg_TEST",
      new Date(),
      body,
    );
    const both = { ...headers, "webhook-signature": `${other["webhook-signature"]} ${headers["webhook-signature"]}` };
    expect((await post(both, body)).status).toBe(204);
    expect((await post(headers, body)).status).toBe(204); // the same webhook-id again: acknowledged, not handed over twice
    await until("the test event", () => events.find((e) => e.data.id === "mrep_TEST"));
    expect(events.filter((e) => e.webhookId === "whmsg_TEST")).toHaveLength(1);
  });
});

describe("HEXI_WEBHOOK_ALLOW_LOOPBACK is narrow", () => {
  const subscribe = (url: string) =>
    call(county, "POST", "/v1/webhook-endpoints", { url, eventTypes: ["evaluation.recorded"] });

  it("accepts loopback over http on any port: localhost, 127.0.0.0/8, [::1]", async () => {
    for (const url of [
      "http://localhost:9/x",
      "http://127.0.0.2:8080/x",
      "https://127.0.0.1:9443/x",
      "http://[::1]:9/x",
    ]) {
      const res = await subscribe(url);
      expect(res.status, url).toBe(201);
      await ok(county, "DELETE", `/v1/webhook-endpoints/${res.body.id}`);
    }
  });

  it("still refuses every other private or non-https target with a 400 at /url", async () => {
    for (const url of [
      "http://10.0.0.1/hook",
      "https://10.0.0.1/hook",
      "http://169.254.169.254/latest/meta-data/",
      "https://169.254.169.254/latest/meta-data/",
      "http://192.168.1.10:8080/x",
      "http://0.0.0.0:8080/x",
      "http://[::ffff:127.0.0.1]:9/x",
      "http://[fe80::1]:9/x",
      "http://api.localhost:9/x",
      "http://hooks.example.com/x",
      "https://hooks.example.com:8080/x",
      "http://user:pw@127.0.0.1:9/x",
      "ftp://127.0.0.1/x",
    ]) {
      const res = await subscribe(url);
      expect(res.status, url).toBe(400);
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        url,
      ).toEqual(["/url"]);
    }
  });
});
