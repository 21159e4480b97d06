import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { webhookDeliveries, webhookEndpoints } from "../../src/domains/webhooks/tables.js";
import { deliveryStatuses } from "../../src/domains/webhooks/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const otherCounty: TokenOptions = { tenant: "620981", roles: ["county_admin"], sub: "yumen-1" };
const base = "/v1/webhook-endpoints";

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const endpointBody = (over: Record<string, unknown> = {}) => ({
  url: "https://hooks.example.com/hexi",
  eventTypes: ["member_report.confirmed"],
  ...over,
});
const create = async (over: Record<string, unknown> = {}, who = county) => {
  const res = await ctx.call(who, "POST", base, endpointBody(over));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string; version: number; status: string };
};

/** A delivery row of the endpoint in the given state, as the dispatcher would have left it. */
async function insertDelivery(endpoint: { id: string }, tenant: string, status: (typeof deliveryStatuses)[number]) {
  const now = ctx.clock.now().toISOString();
  const row = {
    id: newId("whmsg", ctx.clock.now().getTime()),
    tenantId: tenant,
    endpointId: endpoint.id,
    eventId: newId("evt", ctx.clock.now().getTime()),
    eventType: "member_report.confirmed",
    payload: { type: "member_report.confirmed", timestamp: now, data: { memberReportId: "mrep_x" } },
    status,
    attempts: status === "pending" ? 0 : 3,
    nextAttemptAt: now,
    lastStatusCode: status === "succeeded" ? 200 : status === "pending" ? null : 500,
    lastError: status === "failed" || status === "dead" ? "HTTP 500" : null,
    deliveredAt: status === "succeeded" ? now : null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.insert(webhookDeliveries).values(row);
  return row;
}

describe("webhook endpoints", () => {
  it("creates an endpoint and shows its secret once, sealed at rest", async () => {
    const res = await ctx.call(
      county,
      "POST",
      base,
      endpointBody({
        eventTypes: ["org_report.received", "member_report.confirmed", "org_report.received"],
        description: "同步",
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      url: "https://hooks.example.com/hexi",
      eventTypes: ["member_report.confirmed", "org_report.received"],
      description: "同步",
      status: "active",
      consecutiveFailures: 0,
      version: 1,
    });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(res.body.secret.slice(6), "base64")).toHaveLength(32);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("location")).toBe(`${base}/${res.body.id}`);

    const got = await ctx.call(county, "GET", `${base}/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain(res.body.secret.slice(6));
    const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, res.body.id));
    expect(row!.secretSealed).not.toContain(res.body.secret.slice(6));
    expect(await ctx.pii.open(row!.secretSealed)).toBe(res.body.secret);
    expect(row!.createdBy).toBe("jwt:620902:county-1");

    const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${res.body.id}`);
    expect(audit.body.data[0]).toMatchObject({ action: "webhook_endpoint.create", targetType: "webhook_endpoint" });
    expect(JSON.stringify(audit.body.data)).not.toContain(res.body.secret.slice(6));
  });

  it("replays an idempotent create without the secret in clear", async () => {
    const headers = { "idempotency-key": "webhook-create-0001" };
    const first = await ctx.call(county, "POST", base, endpointBody({ description: "幂等" }), headers);
    expect(first.status).toBe(201);
    const retry = await ctx.call(county, "POST", base, endpointBody({ description: "幂等" }), headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.secret).toBeUndefined();
    const { secret, ...withoutSecret } = first.body;
    expect(retry.body).toEqual(withoutSecret);
    expect(secret).toMatch(/^whsec_/);
  });

  it("refuses URLs that could reach private networks, with the pointer /url", async () => {
    const bad = [
      "http://hooks.example.com/x",
      "https://user:pw@hooks.example.com/x",
      "https://hooks.example.com:8080/x",
      "https://127.0.0.1/x",
      "https://2130706433/x",
      "https://10.0.0.8/x",
      "https://172.20.1.1/x",
      "https://192.168.0.10/x",
      "https://100.64.0.1/x",
      "https://169.254.169.254/latest/meta-data/",
      "https://0.0.0.0/x",
      "https://224.0.0.251/x",
      "https://[::1]/x",
      "https://[fe80::1]/x",
      "https://[fd00::5]/x",
      "https://[::ffff:10.0.0.1]/x",
      "https://localhost/x",
      "https://app.localhost/x",
      "https://metadata.google.internal/computeMetadata/v1/",
      "https://printer.local/x",
      "https://intranet/x",
      "not a url",
    ];
    for (const url of bad) {
      const res = await ctx.call(county, "POST", base, endpointBody({ url }));
      expect(res.status, url).toBe(400);
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        url,
      ).toEqual(["/url"]);
    }
  });

  it("rejects bad event types, unknown and server-owned fields with pointers", async () => {
    for (const [body, pointer] of [
      [endpointBody({ eventTypes: [] }), "/eventTypes"],
      [endpointBody({ eventTypes: ["member_report.exploded"] }), "/eventTypes/0"],
      [endpointBody({ eventTypes: "member_report.confirmed" }), "/eventTypes"],
      [endpointBody({ tenantId: "620981" }), "/tenantId"],
      [endpointBody({ status: "disabled" }), "/status"],
      [endpointBody({ secret: "whsec_AAAA" }), "/secret"],
      [{ eventTypes: ["member_report.confirmed"] }, "/url"],
    ] as const) {
      const res = await ctx.call(county, "POST", base, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
  });

  it("needs webhooks:manage, held by county admins only, and a tenant-wide principal", async () => {
    const endpoint = await create();
    for (const roles of [["community_admin"], ["street_admin"], ["auditor"], ["unit_admin"], ["member"]] as const) {
      const who = { tenant: "620902", roles: [...roles] };
      expect((await ctx.call(who, "POST", base, endpointBody())).status, roles[0]).toBe(403);
      expect((await ctx.call(who, "GET", base)).status, roles[0]).toBe(403);
      expect((await ctx.call(who, "GET", `${base}/${endpoint.id}`)).status, roles[0]).toBe(403);
    }
    expect((await ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", base)).status).toBe(403);
    // A county admin narrowed to a street would subscribe to the whole tenant's events: refused, and sees none.
    const street = await divisionNamed(ctx, "620902", "东北街街道");
    const narrowed = { ...county, org: street.id };
    expect((await ctx.call(narrowed, "POST", base, endpointBody())).status).toBe(403);
    expect((await ctx.call(narrowed, "GET", `${base}/${endpoint.id}`)).status).toBe(404);
    expect((await ctx.call(narrowed, "GET", base)).body.data).toEqual([]);
  });

  it("keeps tenants apart: another tenant's endpoint and deliveries are 404s", async () => {
    const endpoint = await create();
    const delivery = await insertDelivery(endpoint, "620902", "dead");
    const path = `${base}/${endpoint.id}`;
    expect((await ctx.call(otherCounty, "GET", path)).status).toBe(404);
    expect((await ctx.call(otherCounty, "PATCH", path, { description: "x" }, { "if-match": '"v1"' })).status).toBe(404);
    expect((await ctx.call(otherCounty, "POST", `${path}/disable`)).status).toBe(404);
    expect((await ctx.call(otherCounty, "POST", `${path}/rotate-secret`)).status).toBe(404);
    expect((await ctx.call(otherCounty, "GET", `${path}/deliveries`)).status).toBe(404);
    expect((await ctx.call(otherCounty, "GET", `/v1/webhook-deliveries/${delivery.id}`)).status).toBe(404);
    expect((await ctx.call(otherCounty, "POST", `/v1/webhook-deliveries/${delivery.id}/replay`)).status).toBe(404);
    expect((await ctx.call(otherCounty, "DELETE", path)).status).toBe(404);
    expect((await ctx.call(otherCounty, "GET", base)).body.data).toEqual([]);
    // Nothing changed for the owner.
    const [row] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery.id));
    expect(row!.status).toBe("dead");
    expect((await ctx.call(county, "GET", path)).body.version).toBe(1);
  });

  it("updates with If-Match: 428 without, 412 stale, URL re-checked", async () => {
    const endpoint = await create();
    const path = `${base}/${endpoint.id}`;
    expect((await ctx.call(county, "PATCH", path, { description: "新" })).status).toBe(428);
    expect((await ctx.call(county, "PATCH", path, { description: "新" }, { "if-match": '"v9"' })).status).toBe(412);
    const bad = await ctx.call(county, "PATCH", path, { url: "https://10.0.0.1/x" }, { "if-match": '"v1"' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe("/url");
    expect((await ctx.call(county, "PATCH", path, {}, { "if-match": '"v1"' })).status).toBe(400);
    const ok = await ctx.call(
      county,
      "PATCH",
      path,
      {
        url: "https://hooks2.example.com/in",
        eventTypes: ["org_report.received", "org_report.received"],
        description: null,
      },
      { "if-match": '"v1"' },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      url: "https://hooks2.example.com/in",
      eventTypes: ["org_report.received"],
      description: null,
      version: 2,
    });
    expect(ok.headers.get("etag")).toBe('"v2"');
    expect((await ctx.call(county, "PATCH", path, { description: "旧" }, { "if-match": '"v1"' })).status).toBe(412);
  });

  it("disables and enables: every state × action", async () => {
    const expected = {
      active: { disable: "disabled", enable: 409 },
      disabled: { disable: 409, enable: "active" },
    } as const;
    for (const [state, actions] of Object.entries(expected)) {
      for (const [action, outcome] of Object.entries(actions)) {
        const endpoint = await create();
        await ctx.db
          .update(webhookEndpoints)
          .set({ status: state as "active" | "disabled", consecutiveFailures: 4 })
          .where(eq(webhookEndpoints.id, endpoint.id));
        const res = await ctx.call(county, "POST", `${base}/${endpoint.id}/${action}`);
        if (typeof outcome === "number") {
          expect(res.status, `${state} ${action}`).toBe(409);
          expect(res.body.code).toBe("invalid_transition");
          expect(res.body.currentState).toBe(state);
        } else {
          expect(res.status, `${state} ${action}`).toBe(200);
          expect(res.body.status).toBe(outcome);
          expect(res.body.version).toBe(2);
          if (outcome === "active") expect(res.body).toMatchObject({ consecutiveFailures: 0, disabledAt: null });
          else expect(res.body.disabledAt).not.toBeNull();
        }
      }
    }
    const endpoint = await create();
    expect(
      (await ctx.call(county, "POST", `${base}/${endpoint.id}/disable`, undefined, { "if-match": '"v7"' })).status,
    ).toBe(412);
  });

  it("rotates the secret: a new one, shown once", async () => {
    const endpoint = await create();
    const res = await ctx.call(county, "POST", `${base}/${endpoint.id}/rotate-secret`);
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(endpoint.secret);
    expect(res.body.version).toBe(2);
    const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(await ctx.pii.open(row!.secretSealed)).toBe(res.body.secret);
  });

  it("deletes an endpoint with its deliveries", async () => {
    const endpoint = await create();
    await insertDelivery(endpoint, "620902", "succeeded");
    const path = `${base}/${endpoint.id}`;
    expect((await ctx.call(county, "DELETE", path, undefined, { "if-match": '"v2"' })).status).toBe(412);
    const res = await ctx.app.request(path, {
      method: "DELETE",
      headers: { authorization: `Bearer ${await ctx.token(county)}` },
    });
    expect(res.status).toBe(204);
    expect((await ctx.call(county, "GET", path)).status).toBe(404);
    expect(await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id))).toEqual(
      [],
    );
    expect((await ctx.call(county, "DELETE", path)).status).toBe(404);
  });

  it("lists endpoints with a cursor and a status filter", async () => {
    const disabled = await create();
    await ctx.call(county, "POST", `${base}/${disabled.id}/disable`);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await ctx.call(
        county,
        "GET",
        `${base}?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      all.push(...page.body.data.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain(disabled.id);
    const onlyDisabled = (await ctx.call(county, "GET", `${base}?status=disabled&limit=100`)).body.data as {
      id: string;
      status: string;
    }[];
    expect(onlyDisabled.map((e) => e.id)).toContain(disabled.id);
    expect(onlyDisabled.every((e) => e.status === "disabled")).toBe(true);
    expect((await ctx.call(county, "GET", `${base}?status=paused`)).status).toBe(400);
  });
});

describe("webhook deliveries", () => {
  it("lists an endpoint's deliveries, paginated and filtered by status", async () => {
    const endpoint = await create();
    const other = await create();
    for (const status of ["succeeded", "dead", "failed", "dead", "pending"] as const)
      await insertDelivery(endpoint, "620902", status);
    await insertDelivery(other, "620902", "dead");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { id: string; endpointId: string }[]; nextCursor: string | null } } =
        await ctx.call(county, "GET", `${base}/${endpoint.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.data.every((d) => d.endpointId === endpoint.id)).toBe(true);
      seen.push(...page.body.data.map((d) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    const dead = await ctx.call(county, "GET", `${base}/${endpoint.id}/deliveries?status=dead`);
    expect(dead.body.data).toHaveLength(2);
    expect(dead.body.data[0]).toMatchObject({
      status: "dead",
      nextAttemptAt: null,
      lastError: "HTTP 500",
      eventType: "member_report.confirmed",
    });
    expect((await ctx.call(county, "GET", `${base}/${endpoint.id}/deliveries?status=lost`)).status).toBe(400);
    expect((await ctx.call(county, "GET", `${base}/whep_01KDVDNA011AKWK3RC504FTYF8/deliveries`)).status).toBe(404);
  });

  it("replays a finished delivery as a new pending attempt with the same webhook-id: every state", async () => {
    const endpoint = await create();
    for (const status of deliveryStatuses) {
      const delivery = await insertDelivery(endpoint, "620902", status);
      const res = await ctx.call(county, "POST", `/v1/webhook-deliveries/${delivery.id}/replay`);
      if (status === "pending") {
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ code: "invalid_transition", currentState: "pending" });
        continue;
      }
      expect(res.status, status).toBe(202);
      expect(res.body).toMatchObject({ id: delivery.id, status: "pending", attempts: 0, eventId: delivery.eventId });
      const [row] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery.id));
      expect(row).toMatchObject({ status: "pending", attempts: 0, leaseUntil: null });
      const audit = await ctx.call(county, "GET", `/v1/audit-events?targetId=${delivery.id}`);
      expect(audit.body.data[0]).toMatchObject({
        action: "webhook_delivery.replay",
        changes: { status: [status, "pending"] },
      });
    }
    const got = await ctx.call(
      county,
      "GET",
      `/v1/webhook-deliveries/${(await insertDelivery(endpoint, "620902", "dead")).id}`,
    );
    expect(got.status).toBe(200);
    expect(got.body.payload).toMatchObject({ type: "member_report.confirmed" });
  });

  it("refuses to replay to a disabled endpoint", async () => {
    const endpoint = await create();
    const delivery = await insertDelivery(endpoint, "620902", "dead");
    await ctx.call(county, "POST", `${base}/${endpoint.id}/disable`);
    const res = await ctx.call(county, "POST", `/v1/webhook-deliveries/${delivery.id}/replay`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("conflict");
  });
});
