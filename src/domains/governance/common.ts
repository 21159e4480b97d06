import { z } from "@hono/zod-openapi";

export const tag = "governance";

export const tenantCodeSchema = z
  .string()
  .regex(/^\d{6}$/, "Not a tenant code.")
  .openapi({ description: "A six-digit tenant code (GB/T 2260).", example: "620902" });

export const quarterSchema = z
  .string()
  .regex(/^\d{4}-Q[1-4]$/, "A quarter like 2026-Q3.")
  .openapi({ description: "A quarter, China time.", example: "2026-Q1" });

/** Rows per multi-row INSERT: well inside SQLite's bound-parameter limit. */
export const insertChunk = 100;

export function chunks<T>(rows: readonly T[], size = insertChunk): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
