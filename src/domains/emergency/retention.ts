import { and, eq, inArray, isNotNull, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { newId } from "../../db/ids.js";
import { auditEvents } from "../../db/tables.js";
import { incidents, notifications, volunteers } from "./tables.js";

export const anonymisedName = "已匿名";

/**
 * PIPL retention, run by the maintenance job: an inactive volunteer untouched for `days` loses their
 * name, phone and ID card (the record stays, so rosters and ledger entries keep their ids); a closed
 * or cancelled incident older than `days` loses its check-in locations and ETAs (hours stay in the
 * ledger). One audit event per tenant and kind, naming how many, never whom.
 */
export async function applyRetention(db: Db, now: Date, days: number) {
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const at = now.toISOString();
  const people = await db
    .update(volunteers)
    .set({
      name: anonymisedName,
      phoneCipher: "",
      phoneHash: sql`'erased:' || ${volunteers.id}`,
      phoneMasked: "***********",
      idCardCipher: null,
      idCardHash: null,
      idCardMasked: null,
      memberId: null,
      version: sql`${volunteers.version} + 1`,
      updatedAt: at,
    })
    .where(and(eq(volunteers.active, false), lt(volunteers.updatedAt, cutoff), ne(volunteers.name, anonymisedName)))
    .returning({ tenantId: volunteers.tenantId });
  const oldIncidents = db
    .select({ id: incidents.id })
    .from(incidents)
    .where(
      and(
        inArray(incidents.status, ["closed", "cancelled"]),
        lt(sql`coalesce(${incidents.closedAt}, ${incidents.cancelledAt})`, cutoff),
      ),
    );
  const places = await db
    .update(notifications)
    .set({ siteId: null, etaMinutes: null, updatedAt: at })
    .where(and(inArray(notifications.incidentId, oldIncidents), isNotNull(notifications.siteId)))
    .returning({ tenantId: notifications.tenantId });
  const audits = [
    ...tally(people, "volunteer.retention_anonymised", "volunteers"),
    ...tally(places, "incident.retention_locations_erased", "checkIns"),
  ].map((a) => ({
    id: newId("aud", now.getTime()),
    tenantId: a.tenantId,
    actor: "system:retention",
    actorKind: "system",
    action: a.action,
    targetType: a.action.startsWith("volunteer") ? "volunteer" : "incident",
    targetId: "*",
    divisionPath: null,
    requestId: newId("req", now.getTime()),
    changes: { [a.what]: a.n, retentionDays: days },
    at,
  }));
  if (audits.length) await db.insert(auditEvents).values(audits);
  return { volunteersAnonymised: people.length, checkInsErased: places.length };
}

function tally(rows: { tenantId: string }[], action: string, what: string) {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.tenantId, (counts.get(r.tenantId) ?? 0) + 1);
  return [...counts].map(([tenantId, n]) => ({ tenantId, n, action, what }));
}
