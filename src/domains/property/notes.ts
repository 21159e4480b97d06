import type { Context } from "hono";
import { sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import type { AppEnv } from "../../shared/request/context.js";
import { guardChanged } from "../../shared/store/commit.js";
import type { ComplaintRow } from "./common.js";
import { complaintNotes } from "./tables.js";
import { maxNotes } from "./views.js";

/**
 * A note on a complaint, inserted only while it has fewer than `maxNotes` (checked inside the batch,
 * so concurrent additions cannot pass the cap); a guard rolls the batch back otherwise.
 */
export function addNote(c: Context<AppEnv>, row: ComplaintRow, author: "reporter" | "staff" | "system", text: string) {
  const now = c.get("clock").now();
  return [
    c.get("db").run(sql`insert into ${complaintNotes} (id, tenant_id, complaint_id, author, text, created_at)
      select ${newId("cnote", now.getTime())}, ${row.tenantId}, ${row.id}, ${author}, ${text}, ${now.toISOString()}
      where (select count(*) from ${complaintNotes} where tenant_id = ${row.tenantId} and complaint_id = ${row.id}) < ${maxNotes}`),
    guardChanged(),
  ];
}
