import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../../src/db/tables.js";
import { newEmploymentWorld, type NewEmploymentWorld } from "./setup.js";

let w: NewEmploymentWorld;
beforeAll(async () => {
  w = await newEmploymentWorld();
});
afterAll(() => w.ctx.close());

const withKey = (key: string) => ({ authorization: `Bearer ${key}` });

describe("reveal=pii for gig workers (the members' rule)", () => {
  it("answers clear values to a person holding pii:read, audited; masked otherwise", async () => {
    const path = `/v1/gig-workers/${w.rider.id}`;
    const masked = await w.ctx.call(w.fukangAdmin, "GET", path);
    expect(masked.body).toMatchObject({ phone: "139****2046", idCard: "6209**********0024" });
    const clear = await w.ctx.call(w.fukangAdmin, "GET", `${path}?reveal=pii`);
    expect(clear.status).toBe(200);
    expect(clear.body).toMatchObject({ phone: "13909372046", idCard: "620902198805010024", points: 0 });
    expect(clear.headers.get("cache-control")).toBe("no-store");
    const audit = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, w.rider.id), eq(auditEvents.action, "gig_worker.pii_revealed")));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.changes).toEqual({ fields: ["phone", "idCard"] });
    expect(JSON.stringify(audit[0])).not.toContain("13909372046");

    // No pii:read: a street admin, the platform, the worker themselves; out of reach is still 404.
    const street = { tenant: "620902", roles: ["street_admin" as const], sub: "street-1" };
    for (const who of [street, w.meituan.token, w.rider.token]) {
      const refused = await w.ctx.call(who, "GET", `${path}?reveal=pii`);
      expect(refused.status).toBe(403);
      expect(refused.body.requiredScopes).toEqual(["pii:read"]);
    }
    expect((await w.ctx.call(w.beiyuanAdmin, "GET", `${path}?reveal=pii`)).status).toBe(404);
  });
});

describe("API keys bound to a platform", () => {
  const create = (body: object) => w.ctx.call(w.county, "POST", "/v1/api-keys", body);
  const platformScopes = ["newemp:read", "quickreports:read", "quickreports:file"];

  it("acts as the platform: its own workers and their reports only, filing for its workers", async () => {
    const created = await create({ name: "美团骑手 App 对接", scopes: platformScopes, platformUnitId: w.meituan.id });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.platformUnitId).toBe(w.meituan.id);
    const key = created.body.key as string;

    const workers = await w.ctx.call(w.county, "GET", "/v1/gig-workers", undefined, withKey(key));
    expect(workers.status).toBe(200);
    expect(workers.body.data.map((r: { id: string }) => r.id)).toEqual([w.rider.id]);
    expect((await w.ctx.call(w.county, "GET", `/v1/gig-workers/${w.courier.id}`, undefined, withKey(key))).status).toBe(
      404,
    );

    const place = { lat: 39.745, long: 98.512, datum: "wgs84" };
    const filed = await w.ctx.call(
      w.county,
      "POST",
      "/v1/quick-reports",
      { workerId: w.rider.id, category: "hazard", description: "井盖缺失。", place },
      withKey(key),
    );
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body.platformUnitId).toBe(w.meituan.id);
    const other = await w.ctx.call(
      w.county,
      "POST",
      "/v1/quick-reports",
      { workerId: w.courier.id, category: "hazard", description: "井盖缺失。", place },
      withKey(key),
    );
    expect(other.status).toBe(400);
    const audit = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, filed.body.id), eq(auditEvents.action, "quick_report.create")));
    expect(audit[0]!.actor).toBe(`api_key:620902:${created.body.id}`);

    // Never clear personal data, never handling reports.
    expect(
      (await w.ctx.call(w.county, "GET", `/v1/gig-workers/${w.rider.id}?reveal=pii`, undefined, withKey(key))).status,
    ).toBe(403);
    expect(
      (await w.ctx.call(w.county, "POST", `/v1/quick-reports/${filed.body.id}/accept`, undefined, withKey(key))).status,
    ).toBe(403);
    // An unbound key with the county's scopes sees the whole tenant's workers.
    const plain = await create({ name: "区级对接", scopes: ["newemp:read"] });
    const all = await w.ctx.call(w.county, "GET", "/v1/gig-workers", undefined, withKey(plain.body.key));
    expect(all.body.data.map((r: { id: string }) => r.id).sort()).toEqual([w.rider.id, w.courier.id].sort());
  });

  it("takes only a platform's scopes and only a unit of a platform kind", async () => {
    const scoped = await create({
      name: "越权",
      scopes: ["quickreports:read", "quickreports:manage"],
      platformUnitId: w.meituan.id,
    });
    expect(scoped.status).toBe(400);
    expect(scoped.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(["/scopes/1"]);
    const units = await w.ctx.call(w.county, "POST", "/v1/units", {
      name: "某物业公司",
      kind: "property_company",
      divisionId: w.fukang.id,
    });
    const notPlatform = await create({ name: "物业", scopes: ["newemp:read"], platformUnitId: units.body.id });
    expect(notPlatform.status).toBe(400);
    expect(notPlatform.body.errors[0].pointer).toBe("/platformUnitId");
    // Another tenant's platform is not found in the caller's tenant.
    const yumenKey = await w.ctx.call(w.yumen, "POST", "/v1/api-keys", {
      name: "跨区",
      scopes: ["newemp:read"],
      platformUnitId: w.meituan.id,
    });
    expect(yumenKey.status).toBe(400);
  });

  it("keeps the platform through a rotation", async () => {
    const created = await create({ name: "顺丰对接", scopes: ["newemp:read"], platformUnitId: w.sf.id });
    const rotated = await w.ctx.call(w.county, "POST", `/v1/api-keys/${created.body.id}/rotate`, undefined, {
      "if-match": created.headers.get("etag")!,
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.platformUnitId).toBe(w.sf.id);
    const workers = await w.ctx.call(w.county, "GET", "/v1/gig-workers", undefined, withKey(rotated.body.key));
    expect(workers.body.data.map((r: { id: string }) => r.id)).toEqual([w.courier.id]);
  });
});
