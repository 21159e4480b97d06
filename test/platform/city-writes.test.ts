import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "drizzle-orm";
import { designedCityWrites, ownAuthentication } from "../../src/shared/auth/exceptions.js";
import { cityRoles, roles, type Role } from "../../src/shared/auth/principal.js";
import { openApiDocument } from "../../src/routes.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertMember, insertPartyOrg, insertUnit } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/**
 * The city reads across the county-level tenants and changes none of their records: a sweep over
 * every write operation in the OpenAPI document, with a real record of a county behind each path
 * where one can be made and the operation's own example body pointed at that county's records.
 *
 * Defence in depth is tested, not assumed: in this file `city_admin` is granted every scope there
 * is (as if the role table were widened by mistake), so only the central refusal of cross-tenant
 * writes (`protectedRoute`) stands between the city and the counties' records. County roles in a
 * city token are refused outright (401).
 */
vi.mock("../../src/shared/auth/principal.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/shared/auth/principal.js")>();
  return {
    ...original,
    scopesForRoles: (granted: readonly Role[]) =>
      granted.includes("city_admin") ? new Set(original.scopes) : original.scopesForRoles(granted),
  };
});

const CITY = "620900";
const COUNTY = "620981"; // 玉门市 Yumen City

type Operation = { method: string; path: string; operationId: string; body?: unknown };
type BodyContent = { schema?: { $ref?: string; example?: unknown } };
type Doc = {
  paths: Record<
    string,
    Record<string, { operationId: string; requestBody?: { content: Record<string, BodyContent> } }>
  >;
  components: { schemas: Record<string, { example?: unknown }> };
};
const doc = openApiDocument() as unknown as Doc;

/** The example the document gives for an operation's JSON body, if any. */
function exampleBody(op: Doc["paths"][string][string]): unknown {
  const schema = op.requestBody?.content["application/json"]?.schema;
  if (!schema) return undefined;
  if (schema.$ref) return doc.components.schemas[schema.$ref.split("/").pop()!]?.example ?? {};
  return schema.example ?? {};
}

const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    operationId: op.operationId,
    body: exampleBody(op),
  })),
);
const writes = operations.filter((o) => o.method !== "GET" && o.method !== "HEAD" && !ownAuthentication[o.operationId]);
const sweptWrites = writes.filter((o) => !designedCityWrites[o.operationId]);

let ctx: TestContext;
/** A county record per collection path (`/v1/members`), and per id prefix used in example bodies (`mem`). */
const recordOf: Record<string, string> = {};
const idOf: Record<string, string> = {};

/** Example ids (`div_…`, `mem_…`) replaced by the county's own records of the same kind. */
function pointedAtCounty(value: unknown): unknown {
  if (typeof value === "string") {
    const prefix = /^([a-z]+)_[0-9A-Z]{26}$/.exec(value)?.[1];
    return prefix && idOf[prefix] ? idOf[prefix] : value;
  }
  if (Array.isArray(value)) return value.map(pointedAtCounty);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, pointedAtCounty(v)]));
  return value;
}

const collectionOf = (path: string) => path.replace(/\/\{\w+\}.*$/, "");
const concretePath = (path: string) =>
  path.replace(/\{(\w+)\}/, () => recordOf[collectionOf(path)] ?? "x_01KDVDNA011AKWK3RC504FTYF8");

let sequence = 0;
async function send(op: Operation, token: TokenOptions) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${await ctx.token(token)}`,
    "if-match": '"v1"',
    "idempotency-key": `city-sweep-${++sequence}`,
  };
  const body = op.body === undefined ? undefined : JSON.stringify(pointedAtCounty(op.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  return ctx.app.request(concretePath(op.path), { method: op.method, headers, body });
}

/** Every row of every table, by table. */
async function rowsByTable(): Promise<Record<string, string>> {
  const tables = await ctx.db.all<{ name: string }>(
    sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`,
  );
  const rows: Record<string, string> = {};
  for (const { name } of tables) {
    rows[name] = JSON.stringify(await ctx.db.all(sql.raw(`select * from "${name}" order by rowid`)));
  }
  return rows;
}

/** Every row of every table, as one string: equal before and after means nothing was written. */
async function snapshot(): Promise<string> {
  return Object.entries(await rowsByTable())
    .flat()
    .join("\n");
}

/** City tokens: every role alone and all of them together, with owner claims naming county records. */
const cityTokens = (): [string, TokenOptions, number][] =>
  [...roles.map((r) => [r]), [...roles]].map((granted) => [
    granted.join("+"),
    { tenant: CITY, roles: granted as Role[], member: idOf.mem, unit: idOf.org, sub: `city-${granted.join("-")}` },
    granted.every((r) => cityRoles.includes(r)) ? 403 : 401,
  ]);

beforeAll(async () => {
  ctx = await createTestContext();
  const community = await divisionNamed(ctx, COUNTY, "北坪社区");
  const unit = await insertUnit(ctx, community);
  const org = await insertPartyOrg(ctx, community, { category: "community" });
  const member = await insertMember(ctx, community);
  Object.assign(idOf, { div: community.id, org: org.id, mem: member.id, unit: unit.id });
  Object.assign(recordOf, { "/v1/units": unit.id, "/v1/party-orgs": org.id, "/v1/members": member.id });

  // Every other record: the county creates one through each create operation's own example.
  const county: TokenOptions = { tenant: COUNTY, roles: ["county_admin", "community_admin"], sub: "yumen" };
  const bodies: Record<string, unknown> = {
    createApiKey: { name: "玉门小程序", scopes: ["lists:read"] },
    createApiClient: { name: "玉门网格平台", roles: ["street_admin"] },
    createWebhookEndpoint: { url: "https://hooks.example.com/yumen", eventTypes: ["member_report.confirmed"] },
  };
  for (const op of writes.filter((o) => o.method === "POST" && !o.path.includes("{"))) {
    if (recordOf[op.path]) continue;
    const res = await ctx.call(county, "POST", op.path, bodies[op.operationId] ?? pointedAtCounty(op.body ?? {}));
    if (res.status !== 201 || typeof res.body?.id !== "string") continue;
    recordOf[op.path] = res.body.id;
    idOf[res.body.id.split("_")[0]] ??= res.body.id;
  }
});
afterAll(() => ctx.close());

describe("the city tenant", () => {
  it("accepts only city roles, and a county tenant never the city's own", async () => {
    for (const role of roles) {
      const res = await ctx.call({ tenant: CITY, roles: [role] }, "GET", "/v1/me");
      expect(res.status, `city ${role}`).toBe(cityRoles.includes(role) ? 200 : 401);
    }
    expect((await ctx.call({ tenant: CITY, roles: ["city_admin", "county_admin"] }, "GET", "/v1/me")).status).toBe(401);
    expect((await ctx.call({ tenant: COUNTY, roles: ["city_admin"] }, "GET", "/v1/me")).status).toBe(401);
    expect((await ctx.call({ tenant: COUNTY, roles: ["auditor"] }, "GET", "/v1/me")).body.crossTenant).toBe(false);
  });
});

describe("every write operation, by the city", () => {
  it("has county records to aim at", () => {
    expect(sweptWrites.length).toBeGreaterThan(50);
    // The records the county created through the API, besides the ones inserted above.
    expect(Object.keys(recordOf)).toEqual(
      expect.arrayContaining(["/v1/members", "/v1/needs", "/v1/activities", "/v1/webhook-endpoints", "/v1/api-keys"]),
    );
  });

  it("is refused (401 for county roles, 403 for city roles even holding every scope) and changes nothing", async () => {
    const failures: string[] = [];
    const tokens = cityTokens();
    for (const op of sweptWrites) {
      const before = await snapshot();
      for (const [who, token, expected] of tokens) {
        const res = await send(op, token);
        if (res.status !== expected) failures.push(`${op.method} ${op.path} as ${who} → ${res.status}`);
      }
      if ((await snapshot()) !== before) failures.push(`${op.method} ${op.path} changed the database`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

/** The city's duty-list writes land in its own tenant and find no county's list (404, nothing changed). */
const cityAdmin: TokenOptions = { tenant: CITY, roles: ["city_admin"], sub: "city-duties" };
const dutyItem = (number: number) => ({
  area: "党的建设",
  number,
  name: `事项${number}`,
  content: "内容",
  legalBasis: "《中华人民共和国城市居民委员会组织法》",
  kind: "statutory",
  leadDepartment: "市民政局",
});
async function draftList(who: TokenOptions) {
  const list = await ctx.call(who, "POST", "/v1/duty-lists", { level: "community", title: "社区职责事项清单" });
  expect(list.status).toBe(201);
  const item = await ctx.call(who, "POST", `/v1/duty-lists/${list.body.id}/items`, dutyItem(1));
  expect(item.status).toBe(201);
  return { list: list.body as { id: string; tenant: string }, item: item.body as { id: string } };
}
/** Runs `write` on the city's own draft (must succeed) and on a Yumen draft (must be a 404 that changes nothing). */
async function cityWritesOwnOnly(write: (draft: Awaited<ReturnType<typeof draftList>>) => Promise<{ status: number }>) {
  const own = await draftList(cityAdmin);
  expect(own.list.tenant).toBe(CITY);
  expect((await write(own)).status).toBeLessThan(300);
  const county = await draftList({ tenant: COUNTY, roles: ["county_admin"] });
  const before = await snapshot();
  expect((await write(county)).status).toBe(404);
  expect(await snapshot()).toEqual(before);
}

/** A test of its own for each designed city write; the sweep above skips exactly these. */
const designedCityWriteTests: Record<string, () => Promise<void>> = {
  async updateFiveLink() {
    const city: TokenOptions = { tenant: CITY, roles: ["city_admin"], sub: "city-reference" };
    const read = await ctx.call(city, "GET", "/v1/five-links/venue");
    const res = await ctx.call(
      city,
      "PATCH",
      "/v1/five-links/venue",
      { nameEn: "Venues shared by all" },
      { "if-match": read.headers.get("etag")! },
    );
    expect(res.status).toBe(200);
    expect(res.body.nameEn).toBe("Venues shared by all");
    // Audited in the city's own trail; no county's trail or records change.
    const audit = await ctx.call(city, "GET", `/v1/audit-events?targetId=venue`);
    expect(audit.body.data.map((e: { tenant?: string; tenantId?: string }) => e.tenant ?? e.tenantId)).toEqual([CITY]);
    // A county cannot edit the city's reference data.
    const county = await ctx.call({ tenant: COUNTY, roles: ["county_admin"] }, "PATCH", "/v1/five-links/venue", {
      nameEn: "x",
    });
    expect(county.status).toBe(403);
  },
  async createDutyList() {
    const { list } = await draftList(cityAdmin);
    expect(list.tenant).toBe(CITY);
  },
  async updateDutyList() {
    await cityWritesOwnOnly(async ({ list }) => {
      const read = await ctx.call(cityAdmin, "GET", `/v1/duty-lists/${list.id}`);
      return ctx.call(
        cityAdmin,
        "PATCH",
        `/v1/duty-lists/${list.id}`,
        { title: "新标题" },
        { "if-match": read.headers.get("etag") ?? '"v1"' },
      );
    });
  },
  async publishDutyList() {
    await cityWritesOwnOnly(({ list }) => ctx.call(cityAdmin, "POST", `/v1/duty-lists/${list.id}/publish`));
  },
  async createDutyItem() {
    await cityWritesOwnOnly(({ list }) => ctx.call(cityAdmin, "POST", `/v1/duty-lists/${list.id}/items`, dutyItem(2)));
  },
  async updateDutyItem() {
    await cityWritesOwnOnly(async ({ item }) => {
      const path = `/v1/duty-items/${item.id}`;
      const read = await ctx.call(cityAdmin, "GET", path);
      return ctx.call(cityAdmin, "PATCH", path, { name: "改名" }, { "if-match": read.headers.get("etag") ?? '"v1"' });
    });
  },
  async deleteDutyItem() {
    await cityWritesOwnOnly(async ({ item }) => {
      const path = `/v1/duty-items/${item.id}`;
      const read = await ctx.call(cityAdmin, "GET", path);
      return ctx.call(cityAdmin, "DELETE", path, undefined, { "if-match": read.headers.get("etag") ?? '"v1"' });
    });
  },
  async declareCitywideIncident() {
    const suzhou = await divisionNamed(ctx, "620902", "富康社区");
    const yumen = await divisionNamed(ctx, COUNTY, "北坪社区");
    const counties: [TokenOptions, typeof suzhou][] = [
      [{ tenant: "620902", roles: ["county_admin"], sub: "suzhou" }, suzhou],
      [{ tenant: COUNTY, roles: ["county_admin"], sub: "yumen" }, yumen],
    ];
    for (const [county, community] of counties) {
      const volunteer = await ctx.call(county, "POST", "/v1/volunteers", {
        name: "全域志愿者",
        phone: county.tenant === COUNTY ? "13900001111" : "13900002222",
        source: "individual",
        homeDivisionId: community.id,
      });
      const team = await ctx.call(county, "POST", "/v1/teams", {
        name: "全域急时小分队",
        mode: "emergency",
        divisionId: community.id,
        quorum: 1,
        responseDeadlineMinutes: 30,
      });
      await ctx.call(county, "POST", `/v1/teams/${team.body.id}/members`, { volunteerId: volunteer.body.id });
    }
    const body = {
      type: "snow_sandstorm",
      level: "II",
      affectedDivisionIds: [yumen.id, suzhou.id],
      headline: "G30沿线雨雪沙尘全域响应",
      instruction: "各机动队伍到就近临时安置点集结。",
      drill: true,
      dedupKey: "g30-citywide-test",
    };
    // A county cannot declare city-wide (the scope is the city's alone).
    expect((await ctx.call(counties[1]![0], "POST", "/v1/citywide-incidents", body)).status).toBe(403);

    const before = await rowsByTable();
    const res = await ctx.call(cityAdmin, "POST", "/v1/citywide-incidents", body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const cwi = res.body.citywideIncident;
    expect(cwi.tenants).toEqual(["620902", COUNTY]);
    expect(res.body.parts.map((p: { tenant: string }) => p.tenant)).toEqual(["620902", COUNTY]);
    for (const part of res.body.parts) {
      expect(part.incident).toMatchObject({ parentId: cwi.id, status: "active", drill: true });
      expect(part.activation.volunteers).toBe(1); // teams: ours, and any the sweep's set-up formed
    }
    const [suzhouPart, yumenPart] = res.body.parts as { incident: { id: string } }[];
    // One commit: only the emergency records, the trails and the outboxes changed (the pages are
    // handed to the channel after the response: let that finish first).
    await ctx.settle();
    const after = await rowsByTable();
    const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
    expect(changed.sort()).toEqual(
      [
        "audit_events",
        "citywide_incidents",
        "incidents",
        "notifications",
        "outbox_events",
        "roster_entries",
        "team_activations",
      ].sort(),
    );
    // Audited in the city's trail and in every tenant touched.
    const trail = await ctx.db.all<{ tenant_id: string; action: string; target_id: string }>(
      sql`select tenant_id, action, target_id from audit_events where target_id in (${cwi.id}, ${suzhouPart!.incident.id}, ${yumenPart!.incident.id}) order by tenant_id`,
    );
    expect(trail.map((a) => [a.tenant_id, a.action])).toEqual([
      ["620900", "citywide_incident.declare"],
      ["620902", "incident.declare"],
      [COUNTY, "incident.declare"],
    ]);
    const events = await ctx.db.all<{ tenant_id: string; type: string }>(
      sql`select tenant_id, type from outbox_events where subject_id in (${suzhouPart!.incident.id}, ${yumenPart!.incident.id}) order by tenant_id, type`,
    );
    expect(events.map((e) => `${e.tenant_id} ${e.type}`)).toEqual([
      "620902 incident.activated",
      "620902 incident.declared",
      `${COUNTY} incident.activated`,
      `${COUNTY} incident.declared`,
    ]);

    // The same dedupKey pages nobody twice.
    const again = await ctx.call(cityAdmin, "POST", "/v1/citywide-incidents", body);
    expect(again.status).toBe(200);
    expect(again.body.deduplicated).toBe(true);
    expect(await rowsByTable()).toMatchObject({ notifications: after.notifications });

    // The city reads every part; a county its own; a county not touched nothing.
    const progress = `/v1/citywide-incidents/${cwi.id}/progress`;
    const cityView = await ctx.call(cityAdmin, "GET", progress);
    expect(cityView.body.parts.map((p: { tenant: string; paged: number }) => [p.tenant, p.paged])).toEqual([
      ["620902", 1],
      [COUNTY, 1],
    ]);
    const yumenView = await ctx.call(counties[1]![0], "GET", progress);
    expect(yumenView.status, JSON.stringify(yumenView.body)).toBe(200);
    expect(yumenView.body.parts.map((p: { tenant: string }) => p.tenant)).toEqual([COUNTY]);
    expect((await ctx.call({ tenant: "620921", roles: ["county_admin"] }, "GET", progress)).status).toBe(404);
    expect((await ctx.call(counties[1]![0], "GET", `/v1/incidents/${suzhouPart!.incident.id}`)).status).toBe(404);
    expect((await ctx.call(counties[1]![0], "GET", `/v1/incidents/${yumenPart!.incident.id}`)).body.parentId).toBe(
      cwi.id,
    );
    // A division of no county-level tenant (the city's own, or unknown) is a 400 at the field.
    const unknown = await ctx.call(cityAdmin, "POST", "/v1/citywide-incidents", {
      ...body,
      dedupKey: "other",
      affectedDivisionIds: [suzhou.id, "div_00000000000000000000000000"],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].pointer).toBe("/affectedDivisionIds/1");
  },
  async putWorkingCalendar() {
    const before = await rowsByTable();
    const res = await ctx.call(cityAdmin, "PUT", "/v1/working-calendars/2035", {
      source: "test",
      days: [{ date: "2035-10-01", kind: "holiday", name: "国庆节" }],
    });
    expect(res.status).toBe(200);
    // Only the calendar (city reference data) and the city's own trail and outbox change.
    const after = await rowsByTable();
    const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
    expect(changed.sort()).toEqual(["audit_events", "outbox_events", "working_calendars"]);
  },
};

describe("designed city writes", () => {
  it("each have a test of their own", () => {
    expect(Object.keys(designedCityWriteTests).sort()).toEqual(Object.keys(designedCityWrites).sort());
    for (const id of Object.keys(designedCityWrites)) expect(writes.map((o) => o.operationId)).toContain(id);
  });
  for (const [operationId, test] of Object.entries(designedCityWriteTests)) it(operationId, test);
});
