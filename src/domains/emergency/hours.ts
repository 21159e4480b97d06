import { and, count, eq, isNotNull, sql } from "drizzle-orm";
import type { Context } from "hono";
import { actorOf } from "../../shared/auth/principal.js";
import { localQuarter } from "../../shared/calendar.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ledgerEntries } from "../activities/tables.js";
import { sqlNewId } from "./common.js";
import type { IncidentRow } from "./incident-model.js";
import { notifications, volunteers } from "./tables.js";

/** Closing an incident: its volunteers' hours, from their check-ins, posted to the hours ledger. */

export async function checkedInCount(c: Context<AppEnv>, incident: IncidentRow) {
  const [row] = await c
    .get("db")
    .select({ n: count() })
    .from(notifications)
    .where(
      and(
        eq(notifications.tenantId, incident.tenantId),
        eq(notifications.incidentId, incident.id),
        isNotNull(notifications.checkedInAt),
      ),
    );
  return row?.n ?? 0;
}

/**
 * One set-based insert: an `emergency` ledger entry per checked-in volunteer, hours from check-in to
 * check-out (or the stand-down, or now) rounded to hundredths, 10 points an hour. The ledger's unique
 * source index (one entry per notification) makes it post once.
 */
export function postHours(c: Context<AppEnv>, incident: IncidentRow) {
  const now = c.get("clock").now();
  const at = now.toISOString();
  const quarter = localQuarter(now);
  const end = sql`coalesce(n.checked_out_at, ${incident.stoodDownAt}, ${at})`;
  const hours = sql`round(max(0, (julianday(${end}) - julianday(n.checked_in_at)) * 24), 2)`;
  return c.get("db").run(sql`insert into ${ledgerEntries}
      (id, tenant_id, member_id, volunteer_id, division_path, year, quarter, hours, points, source_type, source_id, created_by, created_at)
    select ${sqlNewId("led", now.getTime())}, n.tenant_id, v.member_id, n.volunteer_id, n.division_path,
      ${Number(quarter.slice(0, 4))}, ${quarter}, ${hours}, cast(round(${hours} * 10) as integer), 'emergency', n.id,
      ${actorOf(c.get("principal"))}, ${at}
    from ${notifications} n join ${volunteers} v on v.tenant_id = n.tenant_id and v.id = n.volunteer_id
    where n.tenant_id = ${incident.tenantId} and n.incident_id = ${incident.id} and n.checked_in_at is not null`);
}
