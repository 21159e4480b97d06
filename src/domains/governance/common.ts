import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { AppEnv } from "../../shared/request/context.js";
import { keyset, type PageOrder } from "../../shared/http/pagination.js";
import { zodMessage } from "../../shared/http/messages.js";
import { readRows } from "../../shared/store/records.js";

export const tag = "governance";

export const tenantCodeSchema = z
  .string()
  .regex(/^\d{6}$/, zodMessage("field.tenant_code_format"))
  .openapi({ description: "A six-digit tenant code (GB/T 2260).", example: "620902" });

export const quarterSchema = z
  .string()
  .regex(/^\d{4}-Q[1-4]$/, zodMessage("field.quarter_format"))
  .openapi({ description: "A quarter, China time.", example: "2026-Q1" });

/** Rows per multi-row INSERT: well inside SQLite's bound-parameter limit. */
export const insertChunk = 100;

export function chunks<T>(rows: readonly T[], size = insertChunk): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * One keyset page of a table's rows that meet `conditions` (reach rules of their own, filters), in
 * creation order, presented: for the lists whose reach `listWithinReach` cannot express.
 */
export async function keysetPage<T extends SQLiteTable & { id: SQLiteColumn }, R>(
  c: Context<AppEnv>,
  table: T,
  query: { limit: number; cursor?: string; order?: PageOrder },
  conditions: (SQL | undefined)[],
  present: (row: T["$inferSelect"]) => R,
): Promise<{ data: R[]; nextCursor: string | null }> {
  const keys = keyset(table.id, query);
  const rows = await readRows(
    c,
    c
      .get("db")
      .select()
      .from(table as SQLiteTable)
      .where(and(...conditions, keys.after))
      .orderBy(keys.orderBy)
      .limit(keys.limit),
  );
  const page = keys.of(rows as T["$inferSelect"][]);
  return { data: page.data.map(present), nextCursor: page.nextCursor };
}
