import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { idempotencyKeys } from "../../src/db/tables.js";
import { idempotencyTtlMs } from "../../src/shared/store/commit.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/** A clock the test moves by hand; the app's idempotency expiry reads it. */
let at = Date.parse("2026-06-01T08:00:00.000Z");
const clock = { now: () => new Date(at) };

let ctx: TestContext;
let dongbei: DivisionRef;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-expiry" };

beforeAll(async () => {
  ctx = await createTestContext({ clock });
  dongbei = await divisionNamed(ctx, "620902", "东北街街道");
});
afterAll(() => ctx.close());

const create = (name: string, key: string) =>
  ctx.call(county, "POST", "/v1/units", { name, kind: "organ", divisionId: dongbei.id }, { "idempotency-key": key });
const storedKeys = (key: string) =>
  ctx.db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.tenantId, "620902"), eq(idempotencyKeys.key, key)));

describe("an Idempotency-Key after its 24 hours", () => {
  it("starts a new request (not a 500) and replaces the expired record in the same write, before the purge ran", async () => {
    const key = "expired-key-0001";
    const first = await create("过期键单位甲", key);
    expect(first.status).toBe(201);
    expect((await create("过期键单位甲", key)).headers.get("idempotent-replayed")).toBe("true");

    at += idempotencyTtlMs + 60_000; // past the expiry; the background purge has not run
    expect(await storedKeys(key)).toHaveLength(1);

    // Same key, another body: a new request now, not the stale key's 409, and never a 500.
    const second = await create("过期键单位乙", key);
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    const [row] = await storedKeys(key);
    expect(JSON.parse(row!.body).id).toBe(second.body.id);
    expect(Date.parse(row!.expiresAt)).toBe(at + idempotencyTtlMs);

    // …and the new record is the one a retry replays.
    const retry = await create("过期键单位乙", key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(second.body);
  });

  it("still replays a key that has not expired yet, to the millisecond", async () => {
    const key = "expiring-key-0001";
    const first = await create("将过期单位", key);
    at += idempotencyTtlMs - 1;
    const retry = await create("将过期单位", key);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
  });
});

describe("an Idempotency-Key used by concurrent twins", () => {
  it("writes once and answers both with the same 201, the second replayed", async () => {
    const key = "concurrent-key-0001";
    const [a, b] = await Promise.all([create("并发单位", key), create("并发单位", key)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body).toEqual(b.body);
    expect([a, b].filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(1);
    expect(await storedKeys(key)).toHaveLength(1);
  });

  it("answers 409 idempotency_key_reused when the twin's body differs, without writing it", async () => {
    const key = "concurrent-key-0002";
    const [a, b] = await Promise.all([create("并发单位甲", key), create("并发单位乙", key)]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([201, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body).toMatchObject({ code: "idempotency_key_reused" });
  });
});
