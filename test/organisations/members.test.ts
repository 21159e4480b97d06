import { createHash } from "node:crypto";
import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, idempotencyKeys } from "../../src/db/tables.js";
import { assertMayRevealPii } from "../../src/shared/auth/pii-reveal.js";
import { idCardChecksumValid } from "../../src/shared/id-card.js";
import { members } from "../../src/domains/organisations/tables.js";
import { scopesForRoles, type Principal } from "../../src/shared/auth/principal.js";
import { ApiError } from "../../src/shared/http/errors.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, insertPartyOrg, insertUnit, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let fukang: DivisionRef; // 富康社区 under 东北街街道, Suzhou
let beiyuan: DivisionRef; // 北苑社区 under 东北街街道
let dongyuan: DivisionRef; // 东苑社区 under 东南街街道
let dongbei: DivisionRef;
let dongnan: DivisionRef;
let dongdajie: DivisionRef; // 东大街社区, Dunhuang
let fukangOrg: { id: string };
let suzhouUnitOrg: { id: string; unitId: string | null };
let dunhuangUnitOrg: { id: string; unitId: string | null };
let dunhuangCommunityOrg: { id: string };

const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const dunhuang: TokenOptions = { tenant: "620982", roles: ["county_admin"], sub: "dh-county" };
const city: TokenOptions = { tenant: "620900", roles: ["city_admin"] };
let fukangAdmin: TokenOptions;
let dongnanStreet: TokenOptions;

/** A valid GB 11643 number: region, birth date, sequence and the MOD 11-2 check character. */
function idCard(seq: number, birth = "19880501", region = "620902"): string {
  const body = `${region}${birth}${String(seq).padStart(3, "0")}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return body + "10X98765432"[sum % 11];
}
let nextSeq = 100;
const freshIdCard = () => idCard(nextSeq++);
const phoneFor = (n: number) => `139${String(n).padStart(8, "0")}`;

beforeAll(async () => {
  ctx = await createTestContext();
  fukang = await divisionNamed(ctx, "620902", "富康社区");
  beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  dongyuan = await divisionNamed(ctx, "620902", "东苑社区");
  dongbei = await divisionNamed(ctx, "620902", "东北街街道");
  dongnan = await divisionNamed(ctx, "620902", "东南街街道");
  dongdajie = await divisionNamed(ctx, "620982", "东大街社区");
  fukangOrg = await insertPartyOrg(ctx, fukang, { name: "中共富康社区委员会", type: "committee" });
  const suzhouUnit = await insertUnit(ctx, dongbei);
  suzhouUnitOrg = await insertPartyOrg(ctx, dongbei, { category: "unit", unitId: suzhouUnit.id });
  const dunhuangUnit = await insertUnit(ctx, dongdajie);
  dunhuangUnitOrg = await insertPartyOrg(ctx, dongdajie, { category: "two_new", unitId: dunhuangUnit.id });
  dunhuangCommunityOrg = await insertPartyOrg(ctx, dongdajie, { category: "community" });
  fukangAdmin = { tenant: "620902", roles: ["community_admin"], org: fukang.id, sub: "fukang-1" };
  dongnanStreet = { tenant: "620902", roles: ["street_admin"], org: dongnan.id };
});
afterAll(() => ctx.close());

const memberBody = (over: Record<string, unknown> = {}) => ({
  name: "张丽",
  gender: "female",
  birthDate: "1988-05-01",
  idCard: freshIdCard(),
  phone: phoneFor(nextSeq),
  joinDate: "2012-07-01",
  status: "full",
  classification: "in_service",
  residenceDivisionId: fukang.id,
  skills: ["法律咨询"],
  ...over,
});

async function create(who: TokenOptions, over: Record<string, unknown> = {}) {
  const body = memberBody(over);
  const res = await ctx.call(who, "POST", "/v1/members", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...res.body, sent: body } as { id: string; sent: { idCard: string; phone: string } } & Record<
    string,
    unknown
  >;
}
const rowOf = async (id: string) => (await ctx.db.select().from(members).where(eq(members.id, id)))[0]!;
const memberCount = async () => (await ctx.db.select({ n: count() }).from(members))[0]!.n;
const auditCount = async () => (await ctx.db.select({ n: count() }).from(auditEvents))[0]!.n;
const listIds = async (who: TokenOptions, query = "") => {
  const res = await ctx.call(who, "GET", `/v1/members?limit=100${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.data as { id: string }[]).map((m) => m.id);
};
const maskedIdCard = /^\d{4}\*{10}[\dX]{4}$/;
const maskedPhone = /^1\d{2}\*{4}\d{4}$/;

describe("members: personal data", () => {
  it("creates a member answering only masked values, and stores them only sealed", async () => {
    const body = memberBody({ idCard: idCard(1), phone: "13812345678" });
    const res = await ctx.call(county, "POST", "/v1/members", body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant: "620902",
      name: "张丽",
      status: "full",
      residenceDivisionId: fukang.id,
      skills: ["法律咨询"],
      version: 1,
    });
    expect(res.body.id).toMatch(/^mem_[0-9A-Z]{26}$/);
    expect(res.body.idCard).toBe(`6209**********${body.idCard.slice(-4)}`);
    expect(res.body.phone).toBe("138****5678");
    expect(res.headers.get("location")).toBe(`/v1/members/${res.body.id}`);
    expect(res.headers.get("etag")).toBe('"v1"');

    const row = await rowOf(res.body.id);
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(body.idCard);
    expect(raw).not.toContain("13812345678");
    expect(row.idCardCipher).not.toContain(body.idCard.slice(4, 14));
    expect(row.divisionPath).toBe(fukang.path);
    // Really sealed (it opens), not dropped.
    expect(await ctx.pii.open(row.idCardCipher)).toBe(body.idCard);
    expect(await ctx.pii.open(row.phoneCipher!)).toBe("13812345678");

    const [audit, ...more] = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, res.body.id));
    expect(more).toEqual([]);
    expect(audit).toMatchObject({ action: "member.create", targetType: "member" });
    expect(audit!.changes).toMatchObject({ fields: expect.arrayContaining(["idCard", "phone"]) });
    expect(JSON.stringify(audit)).not.toMatch(/13812345678|\d{10}/);
  });

  it("never answers clear values on get or list, to any reader", async () => {
    const m = await create(county);
    for (const who of [county, fukangAdmin, city]) {
      const got = await ctx.call(who, "GET", `/v1/members/${m.id}`);
      expect(got.status).toBe(200);
      expect(got.body.idCard).toMatch(maskedIdCard);
      expect(got.body.phone).toMatch(maskedPhone);
      const list = await ctx.call(who, "GET", "/v1/members?limit=100");
      const text = JSON.stringify(list.body);
      expect(text).not.toContain(m.sent.idCard);
      expect(text).not.toContain(m.sent.phone);
      for (const item of list.body.data) {
        expect(item.idCard).toMatch(maskedIdCard);
        if (item.phone !== null) expect(item.phone).toMatch(maskedPhone);
      }
    }
  });

  it("masks name and birth date too for the city, which reads across tenants", async () => {
    const m = await create(county);
    const own = await ctx.call(county, "GET", `/v1/members/${m.id}`);
    const asCity = await ctx.call(city, "GET", `/v1/members/${m.id}`);
    expect(asCity.body.name).toBe([...own.body.name][0] + "*".repeat([...own.body.name].length - 1));
    expect(asCity.body.birthDate).toBe(`${own.body.birthDate.slice(0, 4)}-**-**`);
    const listed = (await ctx.call(city, "GET", "/v1/members?limit=100")).body.data.find(
      (x: { id: string }) => x.id === m.id,
    );
    expect(listed.name).toBe(asCity.body.name);
    expect(JSON.stringify((await ctx.call(city, "GET", "/v1/members?limit=100")).body)).not.toContain(own.body.name);
  });

  it("validates the ID card (checksum, shape, birth date) and phone with pointers", async () => {
    const good = idCard(7);
    const wrongCheck = good.slice(0, 17) + (good[17] === "1" ? "2" : "1");
    expect(idCardChecksumValid(good)).toBe(true);
    expect(idCardChecksumValid("11010519491231002X")).toBe(true); // the standard's published example
    expect(idCardChecksumValid(wrongCheck)).toBe(false);
    const cases: [Record<string, unknown>, string][] = [
      [memberBody({ idCard: wrongCheck }), "/idCard"],
      [memberBody({ idCard: good.slice(0, 17) }), "/idCard"],
      [memberBody({ idCard: "62090219881301" + "0010" }), "/idCard"], // no 13th month, checksum aside
      [memberBody({ idCard: idCard(8, "19881301") }), "/idCard"], // checksum right, date impossible
      [memberBody({ idCard: idCard(9, "19900101"), birthDate: "1988-05-01" }), "/birthDate"],
      [memberBody({ phone: "12812345678" }), "/phone"],
      [memberBody({ phone: "1381234567" }), "/phone"],
      [memberBody({ gender: "x" }), "/gender"],
      [memberBody({ joinDate: "1980-01-01" }), "/joinDate"],
      [memberBody({ tenantId: "620982" }), "/tenantId"],
      [memberBody({ idCardMasked: "x" }), "/idCardMasked"],
    ];
    for (const [body, pointer] of cases) {
      const res = await ctx.call(county, "POST", "/v1/members", body);
      expect(res.status, `${pointer} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      expect(JSON.stringify(res.body)).not.toContain(String(body.idCard));
    }
    // A lower-case x is the same number.
    const lower = idCard(10, "19880501");
    if (lower.endsWith("X")) {
      expect((await ctx.call(county, "POST", "/v1/members", memberBody({ idCard: lower.toLowerCase() }))).status).toBe(
        201,
      );
    }
  });

  it("refuses an ID card registered in another county with 409, saying not where, and writes nothing", async () => {
    const first = await create(county);
    const before = { members: await memberCount(), audit: await auditCount() };
    const res = await ctx.call(
      dunhuang,
      "POST",
      "/v1/members",
      memberBody({ idCard: first.sent.idCard, residenceDivisionId: dongdajie.id }),
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("conflict");
    expect(res.body.detail).not.toMatch(/620902|肃州|Suzhou|mem_/);
    expect({ members: await memberCount(), audit: await auditCount() }).toEqual(before);
    expect((await ctx.call(county, "POST", "/v1/members", memberBody({ idCard: first.sent.idCard }))).status).toBe(409);
  });

  it("replays an idempotent create without storing clear personal data with the key", async () => {
    const headers = { "idempotency-key": "member-create-0001" };
    const body = memberBody();
    const first = await ctx.call(county, "POST", "/v1/members", body, headers);
    expect(first.status).toBe(201);
    const before = await memberCount();
    const retry = await ctx.call(county, "POST", "/v1/members", body, headers);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await memberCount()).toBe(before);
    const [stored] = await ctx.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, "member-create-0001"));
    expect(JSON.stringify(stored)).not.toContain(body.idCard);
    expect(JSON.stringify(stored)).not.toContain(body.phone);
    // The request digest is keyed: an unkeyed SHA-256 of a low-entropy body could be brute-forced offline.
    const plain = createHash("sha256")
      .update(`POST /v1/members\n${JSON.stringify(body)}`)
      .digest("hex");
    expect(stored!.requestHash).not.toBe(plain);
    expect((await ctx.call(county, "POST", "/v1/members", memberBody(), headers)).body.code).toBe(
      "idempotency_key_reused",
    );
  });
});

describe("members: reveal", () => {
  const auditOf = (id: string) =>
    ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, "member.pii_revealed")));

  it("answers clear values to a person with pii:read and audits exactly one reveal naming fields, never values", async () => {
    const m = await create(county);
    const res = await ctx.call(county, "GET", `/v1/members/${m.id}?reveal=pii`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: m.id, idCard: m.sent.idCard, phone: m.sent.phone });
    expect(res.headers.get("cache-control")).toBe("no-store");
    const audit = await auditOf(m.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "jwt:620902:county-1",
      actorKind: "jwt",
      tenantId: "620902",
      divisionPath: fukang.path,
    });
    expect(audit[0]!.changes).toEqual({ fields: ["idCard", "phone"] });
    expect(JSON.stringify(audit[0]!.changes)).not.toMatch(/\d/);
    // Community admins hold pii:read too, within their community.
    expect((await ctx.call(fukangAdmin, "GET", `/v1/members/${m.id}?reveal=pii`)).body.idCard).toBe(m.sent.idCard);
    expect(await auditOf(m.id)).toHaveLength(2);
  });

  it("reveals one field at a time with `fields`, the other staying masked, each reveal audited with its field", async () => {
    const m = await create(county);
    const phone = await ctx.call(county, "GET", `/v1/members/${m.id}?reveal=pii&fields=phone`);
    expect(phone.status).toBe(200);
    expect(phone.body.phone).toBe(m.sent.phone);
    expect(phone.body.idCard).toMatch(/\*/);
    expect(phone.body.idCard).not.toBe(m.sent.idCard);
    const idCard = await ctx.call(county, "GET", `/v1/members/${m.id}?reveal=pii&fields=idCard`);
    expect(idCard.body.idCard).toBe(m.sent.idCard);
    expect(idCard.body.phone).toMatch(/\*/);
    expect((await auditOf(m.id)).map((a) => a.changes)).toEqual([{ fields: ["phone"] }, { fields: ["idCard"] }]);
    // Without reveal=pii the fields name nothing; an unknown field is a 400 at the parameter.
    expect((await ctx.call(county, "GET", `/v1/members/${m.id}?fields=phone`)).body.phone).toMatch(/\*/);
    const bad = await ctx.call(county, "GET", `/v1/members/${m.id}?reveal=pii&fields=name`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe("/fields");
    expect(await auditOf(m.id)).toHaveLength(2);
  });

  it("is a 403 without pii:read, before anything is looked up or written", async () => {
    const m = await create(county);
    const member: TokenOptions = { tenant: "620902", roles: ["member"], member: m.id };
    const narrowed: TokenOptions = { ...county, scope: "members:read" };
    for (const who of [{ tenant: "620902", roles: ["street_admin"] } as TokenOptions, city, member, narrowed]) {
      const res = await ctx.call(who, "GET", `/v1/members/${m.id}?reveal=pii`);
      expect(res.status, JSON.stringify(who)).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain(m.sent.idCard);
    }
    // The scope is checked first: a missing member is the same 403, so the answer says nothing about existence.
    expect(
      (
        await ctx.call(
          { tenant: "620902", roles: ["street_admin"] },
          "GET",
          "/v1/members/mem_00000000000000000000000000?reveal=pii",
        )
      ).status,
    ).toBe(403);
    expect(await auditOf(m.id)).toHaveLength(0);
    expect((await ctx.call(county, "GET", `/v1/members/${m.id}?reveal=all`)).status).toBe(400);
  });

  it("is a 404 for another county's member, even with pii:read", async () => {
    const m = await create(county);
    expect((await ctx.call(dunhuang, "GET", `/v1/members/${m.id}?reveal=pii`)).status).toBe(404);
    expect((await ctx.call(dongnanStreet, "GET", `/v1/members/${m.id}`)).status).toBe(404);
    expect(await auditOf(m.id)).toHaveLength(0);
  });

  it("never reveals to an API key, whatever its scopes (principal.credential !== 'jwt')", () => {
    const principal = (credential: Principal["credential"], roles: Principal["roles"]): Principal => ({
      tenant: "620902",
      subject: "s",
      roles,
      scopes: scopesForRoles(roles),
      credential,
      crossTenant: false,
    });
    expect(() => assertMayRevealPii(principal("jwt", ["county_admin"]))).not.toThrow();
    for (const p of [principal("api_key", ["county_admin"]), principal("jwt", ["street_admin"])]) {
      let thrown: unknown;
      try {
        assertMayRevealPii(p);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ApiError);
      expect((thrown as ApiError).status).toBe(403);
    }
  });
});

describe("members: lookup, lists and who sees whom", () => {
  it("finds a member by ID card or phone, only within reach", async () => {
    const m = await create(county, { residenceDivisionId: beiyuan.id });
    expect(await listIds(county, `&idCard=${m.sent.idCard}`)).toEqual([m.id]);
    expect(await listIds(county, `&idCard=${m.sent.idCard.toLowerCase()}`)).toEqual([m.id]);
    expect(await listIds(county, `&phone=${m.sent.phone}`)).toEqual([m.id]);
    expect(await listIds(county, `&idCard=${freshIdCard()}`)).toEqual([]);
    expect(await listIds(dunhuang, `&idCard=${m.sent.idCard}`)).toEqual([]);
    expect(await listIds(dongnanStreet, `&phone=${m.sent.phone}`)).toEqual([]);
    const bad = await ctx.call(county, "GET", `/v1/members?idCard=${m.sent.idCard.slice(0, 17)}0`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ in: "query", pointer: "/idCard" });
  });

  it("filters by organisation, employer, community, classification and status, and pages", async () => {
    const a = await create(county, { orgId: fukangOrg.id, status: "probationary", classification: "retired" });
    const b = await create(county, { residenceDivisionId: dongyuan.id, employerOrgId: suzhouUnitOrg.id });
    expect(await listIds(county, `&orgId=${fukangOrg.id}`)).toEqual([a.id]);
    expect(await listIds(county, `&employerOrgId=${suzhouUnitOrg.id}`)).toContain(b.id);
    expect(await listIds(county, `&employerOrgId=${suzhouUnitOrg.id}`)).not.toContain(a.id);
    const inDongyuan = await listIds(county, `&residenceDivisionId=${dongyuan.id}`);
    expect(inDongyuan).toContain(b.id);
    expect(inDongyuan).not.toContain(a.id);
    expect(await listIds(county, "&status=probationary&classification=retired")).toEqual([a.id]);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await ctx.call(
        county,
        "GET",
        `/v1/members?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      all.push(...page.body.data.map((m) => m.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(await listIds(county));
  });

  it("keeps tenants apart and narrows streets and communities to their subtree", async () => {
    const inFukang = await create(county);
    const inDongyuan = await create(county, { residenceDivisionId: dongyuan.id });
    expect(await listIds(dunhuang)).not.toContain(inFukang.id);
    expect((await ctx.call(dunhuang, "GET", `/v1/members/${inFukang.id}`)).status).toBe(404);
    expect(
      (await ctx.call(dunhuang, "PATCH", `/v1/members/${inFukang.id}`, { name: "x" }, { "if-match": '"v1"' })).status,
    ).toBe(404);
    const street = await listIds(dongnanStreet);
    expect(street).toContain(inDongyuan.id);
    expect(street).not.toContain(inFukang.id);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/members/${inDongyuan.id}`)).status).toBe(404);
    expect(
      (await ctx.call(fukangAdmin, "PATCH", `/v1/members/${inDongyuan.id}`, { name: "x" }, { "if-match": '"v1"' }))
        .status,
    ).toBe(404);
    expect(await listIds(city)).toEqual(expect.arrayContaining([inFukang.id, inDongyuan.id]));
  });

  it("shows a member only their own record", async () => {
    const me = await create(county);
    const other = await create(county);
    const member: TokenOptions = { tenant: "620902", roles: ["member"], member: me.id };
    expect(await listIds(member)).toEqual([me.id]);
    expect((await ctx.call(member, "GET", `/v1/members/${me.id}`)).status).toBe(200);
    expect((await ctx.call(member, "GET", `/v1/members/${other.id}`)).status).toBe(404);
    expect(await listIds(member, `&idCard=${other.sent.idCard}`)).toEqual([]);
    expect((await ctx.call(member, "POST", "/v1/members", memberBody())).status).toBe(403);
  });

  it("shows a unit admin its employees in its own county only (a member record lives in the residence tenant)", async () => {
    const unitOrg = await insertPartyOrg(ctx, dongbei, { category: "unit" });
    const employee = await create(county, { residenceDivisionId: dongyuan.id, employerOrgId: unitOrg.id });
    const neighbour = await create(county, { residenceDivisionId: dongyuan.id });
    // Lives in Dunhuang, works for the Suzhou unit: the record is Dunhuang's.
    const commuter = await create(dunhuang, {
      residenceDivisionId: dongdajie.id,
      employerOrgId: unitOrg.id,
      employerTenantId: "620902",
    });
    const unitAdmin: TokenOptions = { tenant: "620902", roles: ["unit_admin"], unit: unitOrg.id };
    expect(await listIds(unitAdmin)).toEqual([employee.id]);
    expect((await ctx.call(unitAdmin, "GET", `/v1/members/${employee.id}`)).status).toBe(200);
    expect((await ctx.call(unitAdmin, "GET", `/v1/members/${neighbour.id}`)).status).toBe(404);
    expect((await ctx.call(unitAdmin, "GET", `/v1/members/${commuter.id}`)).status).toBe(404);
    expect((await ctx.call(unitAdmin, "GET", `/v1/members/${employee.id}?reveal=pii`)).status).toBe(403);
  });
});

describe("members: references", () => {
  it("accepts an employer organisation in another county of the city, and only a unit one", async () => {
    const m = await create(county, { employerOrgId: dunhuangUnitOrg.id, employerTenantId: "620982" });
    expect(m).toMatchObject({
      employerOrgId: dunhuangUnitOrg.id,
      employerTenantId: "620982",
      employerUnitId: dunhuangUnitOrg.unitId,
    });
    const local = await create(county, { employerOrgId: suzhouUnitOrg.id });
    expect(local).toMatchObject({ employerTenantId: "620902", employerUnitId: suzhouUnitOrg.unitId });
    const cases: [Record<string, unknown>, string][] = [
      [{ employerOrgId: dunhuangUnitOrg.id }, "/employerOrgId"], // not in the caller's tenant unless named
      [{ employerOrgId: dunhuangCommunityOrg.id, employerTenantId: "620982" }, "/employerOrgId"], // not a unit org
      [{ employerOrgId: dunhuangUnitOrg.id, employerTenantId: "620900" }, "/employerOrgId"],
      [
        { employerOrgId: dunhuangUnitOrg.id, employerTenantId: "620982", employerUnitId: suzhouUnitOrg.unitId },
        "/employerUnitId",
      ],
      [{ employerTenantId: "620982" }, "/employerTenantId"],
      [{ employerTenantId: "62" }, "/employerTenantId"],
    ];
    for (const [over, pointer] of cases) {
      const res = await ctx.call(county, "POST", "/v1/members", memberBody(over));
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
  });

  it("refuses a residence or organisation outside the caller's reach, and a residence that is not a community", async () => {
    const dongnanOrg = await insertPartyOrg(ctx, dongnan);
    const cases: [TokenOptions, Record<string, unknown>, string][] = [
      [county, { residenceDivisionId: dongdajie.id }, "/residenceDivisionId"],
      [county, { residenceDivisionId: dongbei.id }, "/residenceDivisionId"],
      [county, { orgId: dunhuangCommunityOrg.id }, "/orgId"],
      [fukangAdmin, { residenceDivisionId: dongyuan.id }, "/residenceDivisionId"],
      [fukangAdmin, { orgId: dongnanOrg.id }, "/orgId"],
    ];
    for (const [who, over, pointer] of cases) {
      const res = await ctx.call(who, "POST", "/v1/members", memberBody(over));
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.body.errors[0].pointer).toBe(pointer);
    }
    expect((await ctx.call(fukangAdmin, "POST", "/v1/members", memberBody({ orgId: fukangOrg.id }))).status).toBe(201);
    for (const roles of [["street_admin"], ["unit_admin"], ["auditor"]] as const) {
      expect(
        (await ctx.call({ tenant: "620902", roles: [...roles] }, "POST", "/v1/members", memberBody())).status,
        roles[0],
      ).toBe(403);
    }
  });
});

describe("members: updates", () => {
  it("changes details with a current If-Match, re-seals a new phone and audits field names only", async () => {
    const m = await create(county);
    const path = `/v1/members/${m.id}`;
    expect((await ctx.call(county, "PATCH", path, { phone: "13900001111" })).status).toBe(428);
    const ok = await ctx.call(
      county,
      "PATCH",
      path,
      { phone: "13900001111", status: "probationary", skills: ["急救"], orgId: fukangOrg.id },
      { "if-match": '"v1"' },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      phone: "139****1111",
      status: "probationary",
      skills: ["急救"],
      orgId: fukangOrg.id,
      version: 2,
    });
    expect(ok.headers.get("etag")).toBe('"v2"');
    const row = await rowOf(m.id);
    expect(JSON.stringify(row)).not.toContain("13900001111");
    expect(await ctx.pii.open(row.phoneCipher!)).toBe("13900001111");
    expect(await listIds(county, "&phone=13900001111")).toEqual([m.id]);
    expect(await listIds(county, `&phone=${m.sent.phone}`)).toEqual([]);
    const [audit] = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, m.id), eq(auditEvents.action, "member.update")));
    expect((audit!.changes!.fields as string[]).sort()).toEqual(["orgId", "phone", "skills", "status"]);
    expect(JSON.stringify(audit)).not.toContain("13900001111");

    const stale = await ctx.call(county, "PATCH", path, { name: "再改" }, { "if-match": '"v1"' });
    expect(stale.status).toBe(412);
    expect(await rowOf(m.id)).toMatchObject({ name: "张丽", version: 2 });
  });

  it("never changes the ID card number, and moves residence only within reach", async () => {
    const m = await create(county);
    const path = `/v1/members/${m.id}`;
    const idCardChange = await ctx.call(county, "PATCH", path, { idCard: freshIdCard() }, { "if-match": '"v1"' });
    expect(idCardChange.status).toBe(400);
    expect(idCardChange.body.errors[0].pointer).toBe("/idCard");
    for (const [body, pointer] of [
      [{ phone: "123" }, "/phone"],
      [{ residenceDivisionId: dongdajie.id }, "/residenceDivisionId"],
      [{ tenantId: "620982" }, "/tenantId"],
      [{ version: 7 }, "/version"],
    ] as const) {
      const res = await ctx.call(county, "PATCH", path, body, { "if-match": '"v1"' });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].pointer).toBe(pointer);
    }
    expect(await rowOf(m.id)).toMatchObject({ version: 1, idCardHash: await ctx.pii.fingerprint(m.sent.idCard) });

    const moved = await ctx.call(
      county,
      "PATCH",
      path,
      { residenceDivisionId: dongyuan.id, phone: null },
      { "if-match": '"v1"' },
    );
    expect(moved.body).toMatchObject({ residenceDivisionId: dongyuan.id, phone: null });
    expect(await rowOf(m.id)).toMatchObject({
      divisionPath: dongyuan.path,
      phoneCipher: null,
      phoneHash: null,
      phoneMasked: null,
    });
    expect((await ctx.call(fukangAdmin, "GET", path)).status).toBe(404);
    expect((await ctx.call(dongnanStreet, "GET", path)).status).toBe(200);
  });

  it("replaces the employer as a whole", async () => {
    const m = await create(county, { employerOrgId: dunhuangUnitOrg.id, employerTenantId: "620982" });
    const path = `/v1/members/${m.id}`;
    const local = await ctx.call(county, "PATCH", path, { employerOrgId: suzhouUnitOrg.id }, { "if-match": '"v1"' });
    expect(local.body).toMatchObject({
      employerOrgId: suzhouUnitOrg.id,
      employerTenantId: "620902",
      employerUnitId: suzhouUnitOrg.unitId,
    });
    const none = await ctx.call(county, "PATCH", path, { employerOrgId: null }, { "if-match": '"v2"' });
    expect(none.body).toMatchObject({ employerOrgId: null, employerTenantId: null, employerUnitId: null });
  });
});
