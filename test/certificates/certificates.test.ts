import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from "jose";
import { eq } from "drizzle-orm";
import { createApp } from "../../src/app.js";
import { answerHost, parseConfig } from "../../src/config.js";
import { newId } from "../../src/db/ids.js";
import { outboxEvents, auditEvents } from "../../src/db/tables.js";
import { activities, type ledgerEntries, participations } from "../../src/domains/activities/tables.js";
import { evaluations, memberReports } from "../../src/domains/reports/tables.js";
import { createCertificateKeys, type CertificateJwk } from "../../src/shared/auth/certificate-keys.js";
import { insertMember, insertPartyOrg } from "../helpers/fixtures.js";
import { testAudience, testIssuer, type TokenOptions } from "../helpers/keys.js";
import { createWorld, newTeam, newVolunteer, type World } from "../emergency/setup.js";
import { insertLedgerEntry } from "../activities/setup.js";

let w: World;
let member: Awaited<ReturnType<typeof insertMember>>;
let outsider: Awaited<ReturnType<typeof insertMember>>;
let community: TokenOptions;
const memberToken = (id: string): TokenOptions => ({ tenant: "620902", roles: ["member"], member: id, sub: `m-${id}` });

/** A ledger entry credited to the member in 富康社区, on 10 July unless told otherwise. */
const ledger = (memberId: string, fields: Partial<typeof ledgerEntries.$inferInsert> = {}) =>
  insertLedgerEntry(w, memberId, { createdAt: "2026-07-10T04:00:00.000Z", ...fields });

async function issue(who: TokenOptions, body: Record<string, unknown>) {
  return w.ctx.call(who, "POST", "/v1/certificates", body);
}
const hoursBody = (memberId: string, over: Record<string, unknown> = {}) => ({
  kind: "service_hours",
  holder: { memberId },
  period: { from: "2026-07-01", to: "2026-07-31" },
  ...over,
});
const verify = async (token: string, app = w.ctx.app) => {
  const res = await app.request(`/v1/public/certificates/${token}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    valid: boolean;
    reason?: string;
    certificate?: { id: string; facts?: Record<string, unknown> };
    revocationReason?: string;
  };
};

beforeAll(async () => {
  w = await createWorld();
  member = await insertMember(w.ctx, w.fukang, { name: "张小明" });
  outsider = await insertMember(w.ctx, w.dongyuan, { name: "李四" });
  community = { tenant: "620902", roles: ["community_admin"], org: w.fukang.id, sub: "fukang-admin" };
  // An activity with a verified participation (2 h), a second (3 h) and its correction (−1 h), and one outside the period.
  const org = await insertPartyOrg(w.ctx, w.fukang);
  const at = "2026-07-01T00:00:00.000Z";
  const activity = {
    id: newId("act", 1),
    tenantId: "620902",
    communityId: w.fukang.id,
    divisionPath: w.fukang.path,
    organiserOrgId: org.id,
    kind: "service" as const,
    title: "富康社区助老义诊",
    startsAt: "2026-07-05T01:00:00.000Z",
    endsAt: "2026-07-05T03:00:00.000Z",
    place: "党群服务中心",
    capacity: 20,
    createdAt: at,
    updatedAt: at,
  };
  await w.ctx.db.insert(activities).values(activity);
  const participation = {
    id: newId("part", 2),
    tenantId: "620902",
    activityId: activity.id,
    memberId: member.id,
    divisionPath: w.fukang.path,
    status: "verified" as const,
    hours: 2,
    createdAt: at,
    updatedAt: at,
  };
  await w.ctx.db.insert(participations).values(participation);
  await ledger(member.id, { sourceId: participation.id, hours: 2 });
  const other = await ledger(member.id, { hours: 3, createdAt: "2026-07-20T04:00:00.000Z" });
  await ledger(member.id, {
    sourceType: "correction",
    sourceId: other.id,
    reversesId: other.id,
    hours: -1,
    createdAt: "2026-07-21T04:00:00.000Z",
  });
  await ledger(member.id, { hours: 8, createdAt: "2026-08-01T04:00:00.000Z" });
});
afterAll(() => w.ctx.close());

describe("issuing", () => {
  it("a community admin issues service hours from the ledger, name masked, total only", async () => {
    const res = await issue(community, hoursBody(member.id));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get("location")).toBe(`/v1/certificates/${res.body.id}`);
    expect(res.body.facts).toEqual({
      authority: "肃州区",
      holder: { kind: "member", name: "张**" },
      period: { from: "2026-07-01", to: "2026-07-31" },
      totalHours: 4,
    });
    expect(decodeProtectedHeader(res.body.token)).toMatchObject({ typ: "hexi-cert+jwt", kid: "cert-test-key" });
    expect(res.body.verificationUrl).toBe(`http://localhost/c/${res.body.token}`);
    const verdict = await verify(res.body.token);
    expect(verdict).toMatchObject({ valid: true, certificate: { id: res.body.id, facts: res.body.facts } });
    // Audited and announced, without the facts.
    const [audit] = await w.ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, res.body.id));
    expect(audit).toMatchObject({ action: "certificate.issue" });
    expect(JSON.stringify(audit!.changes)).not.toContain("张");
    const [event] = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, res.body.id));
    expect(event).toMatchObject({ type: "certificate.issued" });
    expect(JSON.stringify(event!.payload)).not.toMatch(/张|totalHours/);
  });

  it("per-activity disclosure lists each activity, a correction counted with what it corrects", async () => {
    const res = await issue(community, hoursBody(member.id, { disclosure: { name: "none", hours: "per_activity" } }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.facts.holder).toEqual({ kind: "member" });
    expect(res.body.facts.activities).toEqual([
      { title: "", date: "", hours: 2 },
      { title: "富康社区助老义诊", date: "2026-07-05", hours: 2 },
    ]);
    const page = await w.ctx.app.request(`/c/${res.body.token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("有效");
    expect(html).toContain("富康社区助老义诊");
    expect(html).not.toContain("张");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("a member issues for themself, never for another member (400, as for one that does not exist)", async () => {
    const own = await issue(memberToken(member.id), hoursBody(member.id, { disclosure: { name: "full" } }));
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect(own.body.facts.holder.name).toBe("张小明");
    const other = await issue(memberToken(member.id), hoursBody(outsider.id));
    expect(other.status).toBe(400);
    expect(other.body.errors[0].pointer).toBe("/holder/memberId");
    // A community admin reaches only its subtree.
    expect((await issue(community, hoursBody(outsider.id))).status).toBe(400);
  });

  it("dual-report status, evaluation and team membership come from their records; a missing record is a 409", async () => {
    expect((await issue(community, { kind: "dual_report", holder: { memberId: member.id } })).status).toBe(409);
    const at = w.ctx.clock.now().toISOString();
    await w.ctx.db.insert(memberReports).values({
      id: newId("mrep", 3),
      tenantId: "620902",
      memberId: member.id,
      communityId: w.fukang.id,
      divisionPath: w.fukang.path,
      channel: "online",
      status: "active",
      confirmedAt: "2026-03-02T02:00:00.000Z",
      createdAt: at,
      updatedAt: at,
    });
    const report = await issue(community, { kind: "dual_report", holder: { memberId: member.id } });
    expect(report.status, JSON.stringify(report.body)).toBe(201);
    expect(report.body.facts).toMatchObject({ community: "富康社区", status: "active", since: "2026-03-02" });

    const org = await insertPartyOrg(w.ctx, w.fukang, { name: "富康社区党委" });
    const evaluation = {
      id: newId("eval", 4),
      tenantId: "620902",
      subjectKind: "member" as const,
      subjectId: member.id,
      communityOrgId: org.id,
      divisionPath: w.fukang.path,
      year: 2025,
      grade: "excellent" as const,
      comment: "不应出现在证明中",
      approver: "x",
      createdAt: at,
      updatedAt: at,
    };
    await w.ctx.db.insert(evaluations).values(evaluation);
    const graded = await issue(community, {
      kind: "evaluation",
      holder: { memberId: member.id },
      evaluationId: evaluation.id,
    });
    expect(graded.status, JSON.stringify(graded.body)).toBe(201);
    expect(graded.body.facts).toMatchObject({ year: 2025, grade: "excellent", evaluatedBy: "富康社区党委" });
    expect(JSON.stringify(graded.body.facts)).not.toContain("不应出现");

    const volunteer = await newVolunteer(w, w.fukang, { name: "王志愿" });
    const team = await newTeam(w, w.fukang, "emergency", [volunteer]);
    const membership = await issue(w.street, {
      kind: "team_membership",
      holder: { volunteerId: volunteer.id },
      teamId: team.id,
    });
    expect(membership.status, JSON.stringify(membership.body)).toBe(201);
    expect(membership.body.facts).toMatchObject({
      holder: { kind: "volunteer", name: "王**" },
      team: { mode: "emergency" },
      role: "leader",
    });
    const otherTeam = await newTeam(w, w.fukang, "normal", []);
    expect(
      (await issue(w.street, { kind: "team_membership", holder: { volunteerId: volunteer.id }, teamId: otherTeam.id }))
        .status,
    ).toBe(409);
  });

  it("refuses a kind without its field, and a period of more than three years", async () => {
    const noPeriod = await issue(community, { kind: "service_hours", holder: { memberId: member.id } });
    expect(noPeriod.status).toBe(400);
    expect(noPeriod.body.errors[0].pointer).toBe("/period");
    const long = await issue(community, hoursBody(member.id, { period: { from: "2020-01-01", to: "2026-01-01" } }));
    expect(long.status).toBe(400);
    const both = await issue(community, {
      ...hoursBody(member.id),
      holder: { memberId: member.id, volunteerId: "vol_01KDVDNA011AKWK3RC504FTYF8" },
    });
    expect(both.status).toBe(400);
  });
});

describe("verification", () => {
  it("a tampered certificate is invalid (signature)", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    const [header, payload, signature] = body.token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims.facts.totalHours = 400;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    expect(await verify(forged)).toEqual({ valid: false, reason: "signature" });
    expect(await verify("not-a-token")).toEqual({ valid: false, reason: "malformed" });
    // An API access token is not a certificate.
    expect(await verify(await w.ctx.token(community))).toEqual({ valid: false, reason: "not_a_certificate" });
  });

  it("revoked → invalid with the reason, on the page too; revoking twice is a 409", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    const revoked = await w.ctx.call(community, "POST", `/v1/certificates/${body.id}/revoke`, {
      reason: "data_corrected",
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({ status: "revoked", revocationReason: "data_corrected" });
    const verdict = await verify(body.token);
    expect(verdict).toMatchObject({ valid: false, reason: "revoked", revocationReason: "data_corrected" });
    expect(verdict.certificate?.facts).toBeUndefined();
    const html = await (await w.ctx.app.request(`/c/${body.token}`)).text();
    expect(html).toContain("已被撤销");
    expect(html).toContain("数据已更正");
    const again = await w.ctx.call(community, "POST", `/v1/certificates/${body.id}/revoke`, { reason: "superseded" });
    expect(again.status).toBe(409);
    const [event] = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.type, "certificate.revoked"));
    expect(event?.payload).toMatchObject({ certificateId: body.id, revocationReason: "data_corrected" });
  });

  it("the holder revokes their own; another member cannot see it (404)", async () => {
    const { body } = await issue(memberToken(member.id), hoursBody(member.id));
    expect((await w.ctx.call(memberToken(outsider.id), "GET", `/v1/certificates/${body.id}`)).status).toBe(404);
    const res = await w.ctx.call(memberToken(member.id), "POST", `/v1/certificates/${body.id}/revoke`, {
      reason: "holder_request",
    });
    expect(res.status).toBe(200);
    const mine = await w.ctx.call(memberToken(member.id), "GET", "/v1/certificates?limit=100");
    expect(mine.body.data.length).toBeGreaterThan(0);
    for (const c of mine.body.data) expect(c.memberId).toBe(member.id);
  });

  it("after rotation the retired key (public half only) still verifies; once dropped, its certificates are invalid", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    const old = w.ctx.deps.certificates!.publicJwks().keys[0] as CertificateJwk;
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const fresh = { ...(await exportJWK(privateKey)), kid: "cert-next", alg: "ES256" } as CertificateJwk;
    const options = { issuer: testIssuer, now: w.ctx.clock.now };
    const rotated = createApp({ ...w.ctx.deps, certificates: await createCertificateKeys([fresh, old], options) });
    expect(await verify(body.token, rotated)).toMatchObject({ valid: true });
    const keys = (await (await rotated.request("/.well-known/certificate-jwks.json")).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(keys.keys.map((k) => k.kid)).toEqual(["cert-next", "cert-test-key"]);
    for (const k of keys.keys) expect(k).not.toHaveProperty("d");
    const reissued = await rotated.request("/v1/certificates", {
      method: "POST",
      headers: { authorization: `Bearer ${await w.ctx.token(community)}`, "content-type": "application/json" },
      body: JSON.stringify(hoursBody(member.id)),
    });
    expect(decodeProtectedHeader(((await reissued.json()) as { token: string }).token).kid).toBe("cert-next");
    const dropped = createApp({ ...w.ctx.deps, certificates: await createCertificateKeys([fresh], options) });
    expect(await verify(body.token, dropped)).toEqual({ valid: false, reason: "unknown_key" });
  });

  it("an expired certificate is invalid", async () => {
    const { body } = await issue(community, hoursBody(member.id, { validDays: 1 }));
    w.clock.advanceMinutes(2 * 24 * 60);
    expect(await verify(body.token)).toEqual({ valid: false, reason: "expired" });
  });
});

describe("never a credential", () => {
  it("the API refuses a certificate as a bearer token", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    const res = await w.ctx.app.request("/v1/certificates", { headers: { authorization: `Bearer ${body.token}` } });
    expect(res.status).toBe(401);
  });

  it("refuses a certificate-typed token even when the platform key signed it with valid API claims", async () => {
    const now = Math.floor(w.ctx.clock.now().getTime() / 1000);
    const hostile = await new SignJWT({ tenant: "620902", roles: ["county_admin"] })
      .setProtectedHeader({ alg: "ES256", kid: w.ctx.key.kid, typ: "hexi-cert+jwt" })
      .setIssuer(testIssuer)
      .setAudience(testAudience)
      .setSubject("forger")
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(w.ctx.key.privateKey);
    const res = await w.ctx.app.request("/v1/certificates", {
      headers: { authorization: `Bearer ${hostile}`, "accept-language": "en" },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toContain("verifiable certificate");
  });
});

describe("tenant isolation and QR codes", () => {
  it("another county's admin neither sees nor revokes a certificate (404)", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    expect((await w.ctx.call(w.otherCounty, "GET", `/v1/certificates/${body.id}`)).status).toBe(404);
    expect(
      (await w.ctx.call(w.otherCounty, "POST", `/v1/certificates/${body.id}/revoke`, { reason: "superseded" })).status,
    ).toBe(404);
    expect((await w.ctx.call(w.otherCounty, "GET", "/v1/certificates")).body.data).toEqual([]);
    // Nor issues for a holder of another tenant.
    expect((await issue(w.otherCounty, hoursBody(member.id))).status).toBe(400);
  });

  it("serves the verification URL as PNG and SVG", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    const png = await w.ctx.as(community)(`/v1/certificates/${body.id}/qr`);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(16)).toBe(view.getUint32(20)); // square
    expect(view.getUint32(16) % 6).toBe(0);
    // Where a QR reader is installed (Debian's zbar-tools), the code must read back as the verification URL.
    if (existsSync("/usr/bin/zbarimg")) {
      const file = join(mkdtempSync(join(tmpdir(), "hexi-qr-")), "qr.png");
      writeFileSync(file, bytes);
      const read = execFileSync("/usr/bin/zbarimg", ["-q", "--raw", file], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
      expect(read).toBe(body.verificationUrl);
    }
    const svg = await w.ctx.as(community)(`/v1/certificates/${body.id}/qr?format=svg`);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(await svg.text()).toMatch(/^<svg/);
  });
});

describe("offline verification: the revocation list and the public URL", () => {
  type RevocationPage = {
    data: { id: string; tenant: string; reason: string; revokedAt: string }[];
    nextCursor: string | null;
  };
  const revocations = (query: string, headers: Record<string, string> = {}) =>
    w.ctx.app.request(`/v1/public/certificate-revocations?${query}`, { headers });

  it("lists revoked, unexpired certificates in revocation order, page by page, since an instant, with an ETag", async () => {
    const since = w.ctx.clock.now().toISOString();
    const first = (await issue(community, hoursBody(member.id))).body;
    const second = (await issue(community, hoursBody(member.id))).body;
    const kept = (await issue(community, hoursBody(member.id))).body;
    for (const [c, reason] of [
      [second, "superseded"],
      [first, "issued_in_error"],
    ] as const) {
      w.clock.advanceMinutes(1);
      expect((await w.ctx.call(community, "POST", `/v1/certificates/${c.id}/revoke`, { reason })).status).toBe(200);
    }
    // No credential; one entry a page, in the order they were revoked.
    const one = await revocations(`since=${encodeURIComponent(since)}&limit=1`);
    expect(one.status).toBe(200);
    expect(one.headers.get("cache-control")).toBe("public, max-age=60");
    const page1 = (await one.json()) as RevocationPage;
    expect(page1.data).toEqual([expect.objectContaining({ id: second.id, tenant: "620902", reason: "superseded" })]);
    const two = (await (
      await revocations(`since=${encodeURIComponent(since)}&limit=1&cursor=${page1.nextCursor}`)
    ).json()) as RevocationPage;
    expect(two.data.map((r) => r.id)).toEqual([first.id]);
    expect(two.nextCursor).toBeNull();
    // The whole list holds the earlier tests' revocations too, never a certificate still valid; nothing about the holder.
    const all = (await (await revocations("limit=100")).json()) as RevocationPage;
    expect(all.data.map((r) => r.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(all.data.map((r) => r.id)).not.toContain(kept.id);
    expect(JSON.stringify(all)).not.toContain(member.id);
    expect((await (await revocations("tenant=620982")).json()) as RevocationPage).toEqual({
      data: [],
      nextCursor: null,
    });
    // A verifier re-checks cheaply: the same page is a 304, a changed one a new ETag.
    const etag = one.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"/);
    const same = await revocations(`since=${encodeURIComponent(since)}&limit=1`, { "if-none-match": etag });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe(etag);
    w.clock.advanceMinutes(1);
    await w.ctx.call(community, "POST", `/v1/certificates/${kept.id}/revoke`, { reason: "holder_request" });
    const later = `since=${encodeURIComponent(w.ctx.clock.now().toISOString())}`;
    const changed = await revocations(later, { "if-none-match": etag });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as RevocationPage).data.map((r) => r.id)).toEqual([kept.id]);
    // A forged cursor is a 400 problem; past their validity, revoked certificates drop out.
    expect((await revocations("cursor=bm9wZQ")).status).toBe(400);
    w.clock.advanceMinutes(91 * 24 * 60);
    expect(((await (await revocations("limit=100")).json()) as RevocationPage).data).toEqual([]);
  });

  it("signs a page on request (format=jws): it verifies offline with the certificate keys, and is neither a certificate nor a credential", async () => {
    const { body } = await issue(community, hoursBody(member.id));
    await w.ctx.call(community, "POST", `/v1/certificates/${body.id}/revoke`, { reason: "superseded" });
    const plain = await revocations("tenant=620902&limit=100");
    const signed = await revocations("tenant=620902&limit=100&format=jws");
    expect(signed.status).toBe(200);
    expect(signed.headers.get("content-type")).toBe("application/jwt");
    expect(signed.headers.get("etag")).not.toBe(plain.headers.get("etag"));
    const jws = await signed.text();
    const jwks = (await (await w.ctx.app.request("/.well-known/certificate-jwks.json")).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(jws, createLocalJWKSet(jwks), {
      typ: "hexi-revocations+jwt",
      audience: "hexi-certificate",
      issuer: testIssuer,
    });
    expect(protectedHeader.typ).toBe("hexi-revocations+jwt");
    expect(payload).toMatchObject({ tenant: "620902", ...((await plain.json()) as RevocationPage) });
    expect(((payload as unknown as RevocationPage).data ?? []).map((r) => r.id)).toContain(body.id);
    // Shown to the certificate check it is not a certificate; as a bearer token, a 401.
    expect(await verify(jws)).toEqual({ valid: false, reason: "not_a_certificate" });
    const asBearer = await w.ctx.app.request("/v1/members", { headers: { authorization: `Bearer ${jws}` } });
    expect(asBearer.status).toBe(401);
  });

  it("HEXI_PUBLIC_URL is an origin; its host becomes the answer links' host unless HEXI_ANSWER_HOST says otherwise", () => {
    const config = parseConfig({ HEXI_PUBLIC_URL: "https://hexi.example.gov.cn/" });
    expect(config.HEXI_PUBLIC_URL).toBe("https://hexi.example.gov.cn");
    expect(answerHost(config)).toBe("hexi.example.gov.cn");
    expect(
      answerHost(parseConfig({ HEXI_PUBLIC_URL: "https://hexi.example.gov.cn", HEXI_ANSWER_HOST: "a.jq.cn" })),
    ).toBe("a.jq.cn");
    expect(answerHost(parseConfig({}))).toBe("a.hexi.dev");
    expect(() => parseConfig({ HEXI_PUBLIC_URL: "https://hexi.example.gov.cn/c" })).toThrow(/HEXI_PUBLIC_URL/);
    expect(() => parseConfig({ HEXI_PUBLIC_URL: "http://hexi.example.gov.cn" })).toThrow(/HEXI_PUBLIC_URL/);
  });

  it("points the QR code at the configured public URL, not at the request's origin", async () => {
    const app = createApp({ ...w.ctx.deps, publicUrl: "https://hexi.example.gov.cn" });
    const res = await app.request("http://internal:8787/v1/certificates", {
      method: "POST",
      headers: { authorization: `Bearer ${await w.ctx.token(community)}`, "content-type": "application/json" },
      body: JSON.stringify(hoursBody(member.id)),
    });
    const body = (await res.json()) as { token: string; verificationUrl: string };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.verificationUrl).toBe(`https://hexi.example.gov.cn/c/${body.token}`);
    const svg = await app.request(
      `http://internal:8787/v1/certificates/${(body as unknown as { id: string }).id}/qr?format=svg`,
      {
        headers: { authorization: `Bearer ${await w.ctx.token(community)}` },
      },
    );
    expect(svg.status).toBe(200);
  });
});
