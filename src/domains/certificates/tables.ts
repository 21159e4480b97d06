import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** What a certificate attests (无证明城市: data instead of a stamped paper). */
export const certificateKinds = ["service_hours", "team_membership", "dual_report", "evaluation"] as const;
export type CertificateKind = (typeof certificateKinds)[number];
export const certificateStatuses = ["issued", "revoked"] as const;
export const holderKinds = ["member", "volunteer"] as const;
/** Why a certificate was revoked: a reason code (a note is kept in the audit trail only as a field name). */
export const revocationReasons = ["issued_in_error", "data_corrected", "holder_request", "superseded"] as const;

/**
 * One issued certificate: the signed document (`token`, which holds only the facts the holder
 * agreed to disclose) and what is needed to list, revoke and check it. The revocation list is this
 * table's `status`: verification reads it for every check.
 */
export const certificates = sqliteTable(
  "certificates",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    kind: text("kind", { enum: certificateKinds }).notNull(),
    holderKind: text("holder_kind", { enum: holderKinds }).notNull(),
    /** The party member holding it, or the member a volunteer holder is (a member reads and revokes their own). */
    memberId: text("member_id"),
    volunteerId: text("volunteer_id"),
    /** The holder's division path: administrators reach certificates of their subtree. */
    divisionPath: text("division_path").notNull(),
    /** The record it is drawn from (team, member report, evaluation), if one. */
    sourceId: text("source_id"),
    /** What the holder chose to disclose: `{ name: "masked" | "full" | "none", hours?: "total" | "per_activity" }`. */
    disclosure: text("disclosure", { mode: "json" }).$type<Record<string, string>>().notNull(),
    /** The signed facts (exactly what the token carries). */
    facts: text("facts", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    token: text("token").notNull(),
    kid: text("kid").notNull(),
    status: text("status", { enum: certificateStatuses }).notNull(),
    issuedBy: text("issued_by").notNull(),
    issuedAt: text("issued_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
    revocationReason: text("revocation_reason", { enum: revocationReasons }),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("certificates_tenant_id_idx").on(t.tenantId, t.id),
    index("certificates_tenant_member_idx").on(t.tenantId, t.memberId, t.id),
    index("certificates_tenant_volunteer_idx").on(t.tenantId, t.volunteerId, t.id),
    // The public revocation list, in the order revocations happened (only revoked rows are in it).
    index("certificates_revoked_idx").on(t.revokedAt, t.id).where(sql`${t.revokedAt} is not null`),
  ],
);
