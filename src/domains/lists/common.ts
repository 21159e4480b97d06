import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { AppEnv } from "../../shared/request/context.js";
import { guardChanged } from "../../shared/store/commit.js";
import type { VersionedTable } from "../../shared/store/records.js";

export const tag = "lists";

/**
 * [D] Free text rather than an enum: what communities ask for and what units offer (venues, funds,
 * volunteers, equipment, skills…) varies by place and year, and a new kind must not need a release.
 */
export const categorySchema = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .openapi({ description: "Free text, 1–50 characters, e.g. 助老服务, 场地, 资金.", example: "助老服务" });
export const titleSchema = z.string().trim().min(1).max(200);
export const descriptionSchema = z.string().trim().max(2000);

/**
 * A status change of ANOTHER record in the same batch (a project's need, a need's project), guarded
 * so that the whole batch rolls back unless exactly that change happened.
 */
export function moveGuarded(
  c: Context<AppEnv>,
  table: VersionedTable & { status: SQLiteColumn },
  where: SQL,
  from: readonly string[],
  to: string,
  now: string,
): BatchItem<"sqlite">[] {
  return [
    c
      .get("db")
      .update(table)
      .set({ status: to, version: sql`${table.version} + 1`, updatedAt: now } as never)
      .where(and(where, inArray(table.status, [...from]))),
    guardChanged(),
  ];
}
