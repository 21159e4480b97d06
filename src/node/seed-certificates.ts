import type { ledgerEntries } from "../domains/activities/tables.js";
import type { certificates } from "../domains/certificates/tables.js";
import type { teamMembers, teams, volunteers } from "../domains/emergency/tables.js";
import type { members } from "../domains/organisations/tables.js";
import type { CertificateKeys } from "../shared/auth/certificate-keys.js";
import { localDate } from "../shared/calendar.js";
import { maskName } from "../shared/crypto/pii.js";
import type { SeedTools } from "./seed-property.js";

type CertificateRow = typeof certificates.$inferInsert;

/** [D] The half-year the seeded service-hours certificates state, and the ledger quarters it sums. */
const period = { from: "2026-01-01", to: "2026-06-30" };
const periodQuarters = new Set(["2026-Q1", "2026-Q2"]);
const dayMs = 86_400_000;

/**
 * 无证明城市 at scale: certificates issued over the last four months, signed with the configured (or
 * development) certificate keys so the public endpoint verifies them. Scale 1: 3,000 members'
 * service hours for the first half of 2026 (summed from their ledger entries of Q1 and Q2) and 1,000
 * volunteers' team memberships; validity 90, 180 or 366 days (some have expired), about one in
 * twenty revoked since. Names are masked, as most holders choose.
 */
export async function certificateSeed(
  tools: SeedTools,
  keys: CertificateKeys,
  input: {
    scale: number;
    now: Date;
    authorityOf: (tenant: string) => string;
    memberRows: readonly (typeof members.$inferInsert)[];
    ledgerRows: readonly (typeof ledgerEntries.$inferInsert)[];
    volunteerRows: readonly (typeof volunteers.$inferInsert)[];
    teamRows: readonly (typeof teams.$inferInsert)[];
    membershipRows: readonly (typeof teamMembers.$inferInsert)[];
  },
): Promise<CertificateRow[]> {
  const { rand, chance, nextId, pickWeighted } = tools;
  const times = (n: number) => Math.max(1, Math.round(n * input.scale));
  const hoursOf = new Map<string, number>();
  for (const l of input.ledgerRows)
    if (l.memberId && periodQuarters.has(l.quarter)) hoursOf.set(l.memberId, (hoursOf.get(l.memberId) ?? 0) + l.hours);
  const rows: CertificateRow[] = [];

  async function issue(
    holder: { kind: "member" | "volunteer"; memberId: string | null; volunteerId: string | null; name: string },
    tenant: string,
    divisionPath: string,
    kind: CertificateRow["kind"],
    specific: Record<string, unknown>,
    sourceId: string | null,
  ) {
    // Whole seconds, as the token's `iat` states it.
    const issuedAt = new Date(Math.floor(input.now.getTime() / 1000 - rand() * 120 * 86_400) * 1000);
    const validDays = pickWeighted(rand, [
      ["90", 6],
      ["180", 3],
      ["366", 1],
    ] as const);
    const expiresAt = new Date(issuedAt.getTime() + Number(validDays) * dayMs);
    const id = nextId("crt");
    const facts = {
      authority: input.authorityOf(tenant),
      holder: { kind: holder.kind, name: maskName(holder.name) },
      ...specific,
    };
    const token = await keys.sign({ tenant, kind, facts, issued_on: localDate(issuedAt) }, { id, expiresAt, issuedAt });
    const revoked = chance(0.05);
    const revokedAt = revoked
      ? new Date(issuedAt.getTime() + Math.floor(rand() * (input.now.getTime() - issuedAt.getTime()))).toISOString()
      : null;
    rows.push({
      id,
      tenantId: tenant,
      kind,
      holderKind: holder.kind,
      memberId: holder.memberId,
      volunteerId: holder.volunteerId,
      divisionPath,
      sourceId,
      disclosure: kind === "service_hours" ? { name: "masked", hours: "total" } : { name: "masked" },
      facts,
      token,
      kid: keys.currentKid,
      status: revoked ? "revoked" : "issued",
      issuedBy: `seed:${tenant}:seed`,
      issuedAt: issuedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      revokedAt,
      revocationReason: revoked
        ? pickWeighted(rand, [
            ["data_corrected", 4],
            ["superseded", 3],
            ["holder_request", 2],
            ["issued_in_error", 1],
          ] as const)
        : null,
      version: revoked ? 2 : 1,
      createdAt: issuedAt.toISOString(),
      updatedAt: revokedAt ?? issuedAt.toISOString(),
    });
  }

  // Service hours: members with hours in the period, spread over the whole list (every tenant).
  const credited = input.memberRows.filter((m) => hoursOf.has(m.id));
  const wantedHours = Math.min(times(3_000), credited.length);
  for (let i = 0; i < wantedHours; i++) {
    const m = credited[Math.floor((i * credited.length) / wantedHours)]!;
    const totalHours = Math.round(hoursOf.get(m.id)! * 100) / 100;
    await issue(
      { kind: "member", memberId: m.id, volunteerId: null, name: m.name },
      m.tenantId,
      m.divisionPath!,
      "service_hours",
      { period, totalHours },
      null,
    );
  }

  // Team membership: volunteers' first team, as a volunteer shows an employer or a school.
  const teamOf = new Map(input.teamRows.map((t) => [t.id, t]));
  const volunteerOf = new Map(input.volunteerRows.map((v) => [v.id, v]));
  const firstTeam = new Map<string, (typeof teamMembers.$inferInsert)[]>();
  for (const m of input.membershipRows) if (!firstTeam.has(m.volunteerId)) firstTeam.set(m.volunteerId, [m]);
  const joined = [...firstTeam.values()].map(([m]) => m!);
  const wantedTeams = Math.min(times(1_000), joined.length);
  for (let i = 0; i < wantedTeams; i++) {
    const membership = joined[Math.floor((i * joined.length) / wantedTeams)]!;
    const v = volunteerOf.get(membership.volunteerId)!;
    const t = teamOf.get(membership.teamId)!;
    await issue(
      { kind: "volunteer", memberId: v.memberId ?? null, volunteerId: v.id, name: v.name },
      v.tenantId,
      v.divisionPath,
      "team_membership",
      { team: { name: t.name, mode: t.mode }, role: membership.role, since: membership.createdAt.slice(0, 10) },
      t.id,
    );
  }
  return rows;
}
