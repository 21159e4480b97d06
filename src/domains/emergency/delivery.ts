import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import type { Db } from "../../db/client.js";
import type { AppEnv } from "../../shared/request/context.js";
import type { PiiVault } from "../../shared/crypto/pii.js";
import type { DeliveryReceipt, MessageChannel, OutgoingMessage } from "../../shared/messaging.js";
import { incidentOfPage, volunteerOfPage } from "./incident-model.js";
import { incidents, notifications, volunteers } from "./tables.js";

/** A failed page is retried this many times in all before it stays `failed` (visible per volunteer). */
export const maxAttempts = 3;

/** The template the SMS provider approved: code plus parameters (the rendered text is what the development channel shows). */
export const pageTemplateCode = "HEXI_PAGE_V1";

/**
 * Sends queued pages through the channel in batches of its size, until none is left (or `maxBatches`):
 * each batch's receipts are written in one database batch. Only pages of incidents still live are
 * sent. A crash between the declaration's commit and this loses nothing: the pages stay queued and
 * the next run (the maintenance job) sends them; a page already marked sent is never sent again by
 * us, and a gateway that took a page whose receipt we never wrote sees its id (the idempotency key)
 * again and pages nobody twice. One run walks the queue once in id order: a page that failed in
 * this run waits for the next run.
 */
export async function deliverQueued(
  db: Db,
  deps: { channel: MessageChannel; pii: PiiVault; now: () => Date },
  scope: { tenantId: string; incidentId: string } | undefined,
  maxBatches = 1_000,
): Promise<{ sent: number; failed: number }> {
  const totals = { sent: 0, failed: 0 };
  let after = "";
  for (let i = 0; i < maxBatches; i++) {
    const batch = await db
      .select({
        id: notifications.id,
        tenantId: notifications.tenantId,
        headline: incidents.headline,
        drill: incidents.drill,
        message: notifications.message,
        token: notifications.token,
        attempts: notifications.attempts,
        phoneMasked: volunteers.phoneMasked,
        phoneCipher: volunteers.phoneCipher,
      })
      .from(notifications)
      .innerJoin(incidents, incidentOfPage)
      .innerJoin(volunteers, volunteerOfPage)
      .where(
        and(
          scope ? eq(notifications.tenantId, scope.tenantId) : undefined,
          scope ? eq(notifications.incidentId, scope.incidentId) : undefined,
          eq(notifications.status, "queued"),
          inArray(incidents.status, ["declared", "active"]),
          // Pages that failed in this run wait for the next one.
          gt(notifications.id, after),
        ),
      )
      .orderBy(asc(notifications.id))
      .limit(deps.channel.batchSize);
    if (batch.length === 0) break;
    after = batch.at(-1)!.id;
    const messages: OutgoingMessage[] = await Promise.all(
      batch.map(async (n) => ({
        id: n.id,
        tenantId: n.tenantId,
        to: deps.channel.needsPhone && n.phoneCipher ? await deps.pii.open(n.phoneCipher) : n.phoneMasked,
        text: n.message,
        templateCode: pageTemplateCode,
        // The approved template: `${drill}${headline}，能否到岗请点 https://<answer host>/a/${token}`.
        params: { drill: n.drill ? "演练：" : "", headline: n.headline, token: n.token },
      })),
    );
    let receipts: DeliveryReceipt[];
    try {
      receipts = await deps.channel.send(messages);
    } catch (error) {
      receipts = messages.map((m) => ({ id: m.id, status: "failed", retry: true, error: String(error).slice(0, 200) }));
    }
    await db.batch(receiptWrites(db, batch, receipts, deps.now().toISOString()) as [BatchItem<"sqlite">]);
    for (const r of receipts) r.status === "failed" ? totals.failed++ : totals.sent++;
    if (receipts.every((r) => r.status === "failed")) break;
  }
  return totals;
}

/**
 * One UPDATE per outcome: sent, delivered, failed-for-now (back to the queue) and failed for good.
 * A page the gateway rejected fails for good at its `maxAttempts`-th round; a failure of the
 * channel itself (`retry`) always goes back to the queue, so an unreachable gateway delays pages
 * but never drops them while the incident is live.
 */
function receiptWrites(
  db: Db,
  batch: { id: string; attempts: number }[],
  receipts: DeliveryReceipt[],
  at: string,
): BatchItem<"sqlite">[] {
  const attempts = new Map(batch.map((n) => [n.id, n.attempts]));
  const groups = new Map<string, { ids: string[]; error: string | null }>();
  for (const r of receipts) {
    if (!attempts.has(r.id)) continue;
    const finalFailure = r.status === "failed" && !r.retry && (attempts.get(r.id) ?? 0) + 1 >= maxAttempts;
    const status = r.status === "failed" ? (finalFailure ? "failed" : "queued") : r.status;
    const key = `${status}|${r.error ?? ""}`;
    const group = groups.get(key) ?? { ids: [], error: r.error ?? null };
    group.ids.push(r.id);
    groups.set(key, group);
  }
  return [...groups.entries()].map(([key, group]) =>
    db
      .update(notifications)
      .set({
        status: key.split("|")[0] as "queued" | "sent" | "delivered" | "failed",
        attempts: sql`${notifications.attempts} + 1`,
        lastError: group.error,
        version: sql`${notifications.version} + 1`,
        updatedAt: at,
      })
      .where(and(inArray(notifications.id, group.ids), eq(notifications.status, "queued"))),
  );
}

/** Hand the queued pages to the channel after the response (the maintenance job picks up anything left). */
export function deliverLater(c: Context<AppEnv>, incident: { id: string; tenantId: string }) {
  const { db, paging, pii, clock } = c.var;
  // From the next turn of the event loop: the declaration's answer is sent first, and its database
  // round trips are not interleaved with delivery's.
  c.get("defer")(
    new Promise((turn) => setTimeout(turn, 0)).then(() =>
      deliverQueued(
        db,
        { channel: paging.channel, pii, now: () => clock.now() },
        {
          tenantId: incident.tenantId,
          incidentId: incident.id,
        },
      ),
    ),
  );
}
