import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { actorOf } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { keyset, type pageQuerySchema } from "../../shared/http/pagination.js";
import { commit, type Change } from "../../shared/store/commit.js";
import { msg } from "../../shared/http/messages.js";
import { readRows } from "../../shared/store/records.js";

/**
 * Machine credentials act for the whole tenant (API keys) or a division of it (API clients), so only
 * a person signed in with a tenant-wide administrative token may manage them: never an API key,
 * never a principal narrowed to a division or to its own records.
 */
export function requireTenantWideManager(c: Context<AppEnv>): void {
  const p = c.get("principal");
  if (p.credential !== "jwt" || p.org || p.owner || p.crossTenant) {
    throw new ApiError("forbidden", msg("auth.credentials_admin_only"));
  }
}

// The tenant-wide bucket bounds the total; one busy integration may take most of it.
export const maxCredentialRatePerMinute = 600_000;

export const rateLimitSchema = (defaultPerMinute: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(maxCredentialRatePerMinute)
    .default(defaultPerMinute)
    .openapi({
      description: `Requests per minute (token bucket), 1–${maxCredentialRatePerMinute}; default ${defaultPerMinute}. The tenant's machine credentials also share one tenant-wide quota.`,
      example: defaultPerMinute,
    });

/** A secret the response shows once: on an idempotent replay it is null, because it is never stored. */
export const shownOnce = (what: string, example: string) =>
  z
    .string()
    .nullable()
    .openapi({
      description: `The ${what}, shown only in this response; it is stored only as a SHA-256 hash. Null when this response is an idempotent replay: the ${what} is never stored, so if it was lost, revoke and create another.`,
      example,
    });

/**
 * Commits a created credential. The idempotency record stores the response with the secret blanked,
 * so the secret never rests in the database, in clear, anywhere.
 */
export async function commitCreatedCredential<T extends Record<string, unknown>>(
  c: Context<AppEnv>,
  change: Change,
  response: T,
  secretField: keyof T,
  headers: Record<string, string>,
): Promise<void> {
  await commit(c, change, { status: 201, body: { ...response, [secretField]: null }, headers });
}

export const createdBy = (c: Context<AppEnv>) => actorOf(c.get("principal"));

/** One page of a tenant's credentials in creation order (the tables' (tenant_id, id) index). */
export async function listCredentials<T extends SQLiteTable & { id: SQLiteColumn; tenantId: SQLiteColumn }>(
  c: Context<AppEnv>,
  table: T,
  query: z.infer<typeof pageQuerySchema>,
): Promise<{ data: T["$inferSelect"][]; nextCursor: string | null }> {
  const page = keyset(table.id, query);
  const rows = (await readRows(
    c,
    c
      .get("db")
      .select()
      .from(table as SQLiteTable)
      .where(and(withinReach(c.get("principal"), { tenantId: table.tenantId }), page.after))
      .orderBy(page.orderBy)
      .limit(page.limit),
  )) as T["$inferSelect"][];
  return page.of(rows);
}
