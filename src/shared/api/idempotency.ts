import type { Client, InStatement, InValue, ResultSet } from "@libsql/client";
import type { Context, MiddlewareHandler } from "hono";
import { and, eq, gt, sql } from "drizzle-orm";
import { createDb, type Db } from "../../db/client.js";
import { idempotencyKeys } from "../../db/tables.js";
import { actorOf } from "../auth/principal.js";
import { IdempotencyRace } from "../store/commit.js";
import type { AppEnv } from "../request/context.js";
import { ApiError, languageHeaders } from "../http/errors.js";
import { msg, negotiateLanguage } from "../http/messages.js";
import { selectOnce } from "../store/prepared.js";

const keyPattern = /^[\x21-\x7e]{8,255}$/;

declare module "hono" {
  interface ContextVariableMap {
    idempotency?: IdempotencyState;
  }
}

interface IdempotencyState {
  key: string;
  requestHash: string;
  /** Whether no statement has checked the key yet: the next one to the database carries the check. */
  pending: boolean;
}

/** Thrown by the first read of a create whose key already holds a response: the handler stops, the response is replayed. */
class StoredResponse extends ApiError {
  // An ApiError, so that on its way through the app's error handler it is not logged as unexpected.
  constructor(readonly stored: Stored) {
    super("conflict", msg("http.idempotency_key_holds_response"));
  }
}

interface Stored {
  requestHash: string;
  status: number;
  body: string;
  headers: Record<string, string>;
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
    const requestHash = await c.get("pii").fingerprintOfText(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);
    const state: IdempotencyState = { key, requestHash, pending: true };
    c.set("idempotency", state);
    const db = c.get("db");
    // The key is checked by the create's first statement, in the same round trip (see `checkingFirst`).
    c.set("db", checkingFirst(db, state, lookup(c, key)));
    await next();
    const error = c.error;
    let stored = causeOf(error, StoredResponse)?.stored;
    // A concurrent twin (or, for a create that reads nothing first, the first request) committed the key: answer with what it stored.
    if (!stored && causeOf(error, IdempotencyRace)) stored = await findStored(db, c, key);
    if (!stored) return;
    c.error = undefined;
    c.res = undefined;
    c.res = replay(c, stored, requestHash);
  };
}

function causeOf<E>(err: unknown, type: abstract new (...args: never[]) => E): E | undefined {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}

const storedSelect = selectOnce((qb) =>
  qb
    .select({
      requestHash: idempotencyKeys.requestHash,
      status: idempotencyKeys.status,
      body: idempotencyKeys.body,
      headers: idempotencyKeys.headers,
    })
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.tenantId, sql.placeholder("tenant")),
        eq(idempotencyKeys.caller, sql.placeholder("caller")),
        eq(idempotencyKeys.key, sql.placeholder("key")),
        gt(idempotencyKeys.expiresAt, sql.placeholder("now")),
      ),
    ),
);

function lookup(c: Context<AppEnv>, key: string) {
  const { principal, clock } = c.var;
  return storedSelect({ tenant: principal.tenant, caller: actorOf(principal), key, now: clock.now().toISOString() })
    .statement;
}

const storedOf = (rows: ResultSet["rows"]): Stored | undefined => {
  const row = rows[0];
  if (!row) return undefined;
  const headers = row[3];
  return {
    requestHash: String(row[0]),
    status: Number(row[1]),
    body: String(row[2]),
    headers: typeof headers === "string" ? JSON.parse(headers) : {},
  };
};

const selectStatement = /^\s*select\s/i;
const isRead = (statement: InStatement | string) => {
  const text = typeof statement === "string" ? statement : statement.sql;
  return selectStatement.test(text) && !text.includes("hexi-guard"); // a guard belongs to its write batch
};

/**
 * The request's database, on which the first statement also checks the idempotency key: a read
 * (or a batch of reads: a create's references) goes in one batch with the key's lookup, so a
 * create costs its reads' round trip and its write's, not one more for the key. A write batch
 * from `commit` checks the key itself: the key's insert comes first and fails on a stored key.
 * Any other first write is preceded by the lookup alone, as before.
 */
function checkingFirst(db: Db, state: IdempotencyState, lookup: { sql: string; args: InValue[] }): Db {
  const client = db.$client as Client;
  const check = (result: ResultSet) => {
    const stored = storedOf(result.rows);
    if (stored) throw new StoredResponse(stored);
  };
  const execute = async (statement: InStatement | string, args?: InValue[]): Promise<ResultSet> => {
    if (!state.pending)
      return args === undefined ? client.execute(statement as InStatement) : client.execute(statement as string, args);
    state.pending = false;
    if (isRead(statement)) {
      const read = typeof statement === "string" ? { sql: statement, args: args ?? [] } : statement;
      const [found, result] = await client.batch([lookup, read], "deferred");
      check(found!);
      return result!;
    }
    check(await client.execute(lookup));
    return args === undefined ? client.execute(statement as InStatement) : client.execute(statement as string, args);
  };
  const batch = async (statements: InStatement[], mode?: "write" | "read" | "deferred"): Promise<ResultSet[]> => {
    if (!state.pending) return client.batch(statements, mode);
    state.pending = false;
    if (statements.every(isRead)) {
      const [found, ...results] = await client.batch([lookup, ...statements], mode ?? "deferred");
      check(found!);
      return results;
    }
    check(await client.execute(lookup));
    return client.batch(statements, mode);
  };
  // Anything else (an interactive transaction, a script) is preceded by the lookup alone.
  const lookupFirst =
    (run: (...args: never[]) => Promise<unknown>) =>
    async (...args: never[]) => {
      if (state.pending) {
        state.pending = false;
        check(await client.execute(lookup));
      }
      return run(...args);
    };
  const checked = new Proxy(client, {
    get(target, property, receiver) {
      if (property === "execute") return execute;
      if (property === "batch") return batch;
      if (property === "transaction" || property === "executeMultiple" || property === "migrate")
        return lookupFirst((target[property] as (...args: never[]) => Promise<unknown>).bind(target));
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return createDb(checked);
}

async function findStored(db: Db, c: Context<AppEnv>, key: string): Promise<Stored | undefined> {
  const { sql: text, args } = lookup(c, key);
  return storedOf((await db.$client.execute({ sql: text, args })).rows);
}

function replay(c: Context<AppEnv>, stored: Stored, requestHash: string): Response {
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

/** Forgets idempotency keys past their 24 hours, a bounded number per run (a background job). */
export async function purgeExpiredIdempotencyKeys(db: Db, now: Date, limit = 1000): Promise<number> {
  const result = await db.run(
    sql`delete from ${idempotencyKeys} where rowid in (select rowid from ${idempotencyKeys} where ${idempotencyKeys.expiresAt} <= ${now.toISOString()} limit ${limit})`,
  );
  return Number((result as { rowsAffected?: number }).rowsAffected ?? 0);
}
