import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { idCardNumber, seedScale, scaleCounts, withCheckDigit } from "../src/node/seed-scale.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { createPiiVault, generatePiiKeyMaterial } from "../src/shared/crypto/pii.js";
import { createCertificateKeys } from "../src/shared/auth/certificate-keys.js";
import { createSigningKey } from "./helpers/keys.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function seeded(seed: number, extra: { certificates?: Awaited<ReturnType<typeof createCertificateKeys>> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "hexi-seed-"));
  dirs.push(dir);
  const { client, db } = openDatabase(`file:${join(dir, "s.db")}`);
  await migrateDatabase(db);
  const stages = new Set<string>();
  const counts = await seedScale(client, await createPiiVault(generatePiiKeyMaterial()), {
    scale: 0.01,
    seed,
    now: new Date("2026-11-26T00:00:00Z"),
    progress: (stage) => stages.add(stage),
    ...extra,
  });
  return { client, counts, stages };
}

const digest = async (client: Awaited<ReturnType<typeof seeded>>["client"], sql: string) =>
  createHash("sha256")
    .update(JSON.stringify((await client.execute(sql)).rows))
    .digest("hex");

describe("scale seed", () => {
  it("builds Jiuquan's real division tree and the scaled records, reporting progress", async () => {
    const { client, counts, stages } = await seeded(813);
    expect(counts).toMatchObject({ tenants: 8, communities: 85, members: scaleCounts(0.01).members });
    expect(counts.partyOrgs).toBe(7 + 85 + scaleCounts(0.01).unitOrgs);
    const streets = await client.execute("select count(*) as n from divisions where level = 'street'");
    expect(streets.rows[0]!.n).toBe(7);
    const perTenant = await client.execute(
      "select tenant_id, count(*) as n from divisions where level = 'community' group by tenant_id",
    );
    expect(perTenant.rows.length).toBe(7);
    expect(stages).toContain("members");
    // 一核引领: both templates and every county's adopted edition, published; mobility for mobile members.
    expect(counts.dutyItems).toBe(193 + 37 + 7 * (194 + 38));
    const published = await client.execute("select count(*) as n from duty_lists where status = 'published'");
    expect(published.rows[0]!.n).toBe(16);
    expect(counts.communityWorkers).toBe(85);
    expect(counts.inspections).toBe(counts.partyOrgs);
    expect(counts.mobilityRecords).toBeGreaterThan(0);
    // 平急结合: volunteers and couriers, teams of all three modes, each volunteer in one to three teams.
    const scaled = scaleCounts(0.01);
    expect(counts.volunteers).toBe(scaled.volunteers + scaled.newEmploymentVolunteers);
    expect(counts.teams).toBe(
      scaled.normalTeams + scaled.emergencyTeams + scaled.mobileTeams + scaled.newEmploymentTeams,
    );
    const perVolunteer = await client.execute(
      "select min(n) as lo, max(n) as hi from (select count(*) as n from team_members group by volunteer_id)",
    );
    expect(perVolunteer.rows[0]).toMatchObject({ lo: 1, hi: expect.any(Number) });
    expect(Number(perVolunteer.rows[0]!.hi)).toBeLessThanOrEqual(3);
    expect(counts.compounds).toBe(85); // at least one compound per community at any scale
    expect(counts.complaints).toBe(85);
    // 新就业群体: a worker per courier volunteer, a station per community, quick reports routed to communities.
    expect(counts.gigWorkers).toBe(scaled.newEmploymentVolunteers);
    expect(counts.warmStations).toBe(85);
    expect(counts.quickReports).toBeGreaterThanOrEqual(85);
    const teamsOfCouriers = await client.execute("select count(*) as n from teams where source = 'new_employment'");
    expect(Number(teamsOfCouriers.rows[0]!.n)).toBe(scaled.newEmploymentTeams);
    const companies = await client.execute("select count(*) as n from units where kind = 'property_company'");
    expect(Number(companies.rows[0]!.n)).toBe(counts.propertyCompanies);
    // Every member row's personal data is sealed, fingerprinted and masked; no clear number is stored.
    const sample = await client.execute("select id_card_cipher, id_card_masked, phone_masked from members limit 5");
    for (const row of sample.rows) {
      expect(String(row.id_card_cipher)).toMatch(/^[\w-]+\.[\w=-]+\.[\w=-]+$/);
      expect(String(row.id_card_masked)).toMatch(/^\d{4}\*{10}[\dX]{4}$/);
      expect(String(row.phone_masked)).toMatch(/^1\d{2}\*{4}\d{4}$/);
    }
    // Ledger entries exist only for verified participations, one each.
    const orphans = await client.execute(
      "select count(*) as n from ledger_entries l left join participations p on p.id = l.source_id where p.status is not 'verified'",
    );
    expect(orphans.rows[0]!.n).toBe(0);
    client.close();
  });

  it("issues signed certificates with the keys given: they verify (or have expired), a few are revoked", async () => {
    const now = new Date("2026-11-26T00:00:00Z");
    const keys = await createCertificateKeys([(await createSigningKey("cert-seed")).privateJwk], {
      issuer: "hexi-local",
      now: () => now,
    });
    const { client, counts } = await seeded(813, { certificates: keys });
    expect(counts.certificates).toBe(30 + 10);
    const { rows } = await client.execute(
      "select id, kind, token, facts, status, issued_at, expires_at, revoked_at from certificates",
    );
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(["service_hours", "team_membership"]));
    let valid = 0;
    for (const r of rows) {
      const checked = await keys.check(String(r.token));
      if (!checked.valid) {
        expect(checked.reason).toBe("expired");
        expect(String(r.expires_at) <= now.toISOString()).toBe(true);
        continue;
      }
      valid += 1;
      expect(checked.payload).toMatchObject({ jti: r.id, kind: r.kind, facts: JSON.parse(String(r.facts)) });
      expect(new Date(Number(checked.payload.iat) * 1000).toISOString()).toBe(r.issued_at);
    }
    expect(valid).toBeGreaterThan(rows.length / 2);
    const revoked = rows.filter((r) => r.status === "revoked");
    expect(revoked.length).toBe(counts.revokedCertificates);
    for (const r of revoked) expect(String(r.revoked_at) >= String(r.issued_at)).toBe(true);
    // Without keys, none (the determinism test below seeds without).
    client.close();
  });

  it("is deterministic for a seed and differs for another", async () => {
    const a = await seeded(7);
    const b = await seeded(7);
    const c = await seeded(8);
    const query = "select id, tenant_id, name, division_path, id_card_hash is not null as h from members order by id";
    expect(await digest(a.client, query)).toBe(await digest(b.client, query));
    expect(await digest(a.client, query)).not.toBe(await digest(c.client, query));
    for (const x of [a, b, c]) x.client.close();
  });

  it("makes valid, unique ID-card numbers", () => {
    const numbers = Array.from({ length: 5000 }, (_, n) => idCardNumber("620902", n * 167));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const number of numbers.slice(0, 200)) expect(withCheckDigit(number.slice(0, 17))).toBe(number);
    expect(withCheckDigit("11010519491231002")).toBe("11010519491231002X");
  });
});
