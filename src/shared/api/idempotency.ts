import type { Context, MiddlewareHandler } from "hono";
import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { idempotencyKeys } from "../../db/tables.js";
import { actorOf } from "../auth/principal.js";
import { IdempotencyRace } from "../store/commit.js";
import type { AppEnv } from "../request/context.js";
import { ApiError, languageHeaders } from "../http/errors.js";
import { msg, negotiateLanguage } from "../http/messages.js";

const keyPattern = /^[\x21-\x7e]{8,255}$/;

declare module "hono" {
  interface ContextVariableMap {
    idempotency?: { key: string; requestHash: string };
  }
}

/**
 * `Idempotency-Key` on creates: a retry with the same key and body gets the first response without
 * a second write; the same key with another body is a 409. Keys are scoped to tenant and caller and
 * kept 24 hours. The stored response is written in the create's own batch (see `commit`), so a
 * create and its key land together or not at all.
 */
export function idempotentCreate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (key === undefined) return next();
    if (!keyPattern.test(key)) {
      throw new ApiError("validation_failed", msg("http.idempotency_key_format"), {
        errors: [{ in: "header", pointer: "/Idempotency-Key", detail: msg("http.idempotency_key_chars") }],
      });
    }
    // Keyed: bodies carry personal data of low entropy (ID card, phone), so a plain digest at rest could be brute-forced.
    const requestHash = await c
      .get("pii")
      .fingerprint(await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`));
    const stored = await findStored(c, key);
    if (stored) return replay(c, stored, requestHash);
    c.set("idempotency", { key, requestHash });
    try {
      await next();
    } catch (err) {
      if (!(err instanceof IdempotencyRace)) throw err;
      // A concurrent twin committed first: answer with what it stored.
      const winner = await findStored(c, key);
      if (!winner) throw err;
      return replay(c, winner, requestHash);
    }
  };
}

async function findStored(c: Context<AppEnv>, key: string) {
  const { db, principal, clock } = c.var;
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.tenantId, principal.tenant),
        eq(idempotencyKeys.caller, actorOf(principal)),
        eq(idempotencyKeys.key, key),
        gt(idempotencyKeys.expiresAt, clock.now().toISOString()),
      ),
    );
  return row;
}

function replay(c: Context<AppEnv>, stored: typeof idempotencyKeys.$inferSelect, requestHash: string): Response {
  if (stored.requestHash !== requestHash) {
    throw new ApiError("idempotency_key_reused", msg("http.idempotency_key_reused"));
  }
  return new Response(stored.body, {
    status: stored.status,
    headers: {
      ...stored.headers,
      // A raw Response does not get the headers set on the context before the handler.
      ...languageHeaders(negotiateLanguage(c.req.header("accept-language"))),
      "content-type": "application/json",
      "idempotent-replayed": "true",
      "x-request-id": c.get("requestId"),
    },
  });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Forgets idempotency keys past their 24 hours, a bounded number per run (a background job). */
export async function purgeExpiredIdempotencyKeys(db: Db, now: Date, limit = 1000): Promise<number> {
  const result = await db.run(
    sql`delete from ${idempotencyKeys} where rowid in (select rowid from ${idempotencyKeys} where ${idempotencyKeys.expiresAt} <= ${now.toISOString()} limit ${limit})`,
  );
  return Number((result as { rowsAffected?: number }).rowsAffected ?? 0);
}
