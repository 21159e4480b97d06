import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { divisions, type DivisionLevel } from "../../db/tables.js";
import { canActInDivision, withinReach, type ReachColumns } from "../auth/reach.js";
import type { AppEnv } from "../request/context.js";
import { ApiError } from "../http/errors.js";
import { msg, thing, type Thing } from "../http/messages.js";

/** A body field that names a record the caller cannot use: a 400 pointing at the field, never a leak of whether it exists elsewhere. */
export function unknownReference(pointer: string, what: Thing): ApiError {
  const detail = msg("generic.no_such_within_reach", { what: thing(what) });
  return new ApiError("validation_failed", detail, { errors: [{ in: "body", pointer, detail }] });
}

/** The division a write targets: in the caller's tenant and subtree, and of an allowed level. */
export async function requireDivisionForWrite(
  c: Context<AppEnv>,
  divisionId: string,
  options: { pointer: string; levels?: readonly DivisionLevel[] },
) {
  const [division] = await c
    .get("db")
    .select({ id: divisions.id, tenantId: divisions.tenantId, path: divisions.path, level: divisions.level })
    .from(divisions)
    .where(and(eq(divisions.id, divisionId), eq(divisions.tenantId, c.get("principal").tenant)));
  if (!division || !canActInDivision(c.get("principal"), division)) throw unknownReference(options.pointer, "division");
  if (options.levels && !options.levels.includes(division.level)) {
    throw new ApiError("validation_failed", msg("reference.wrong_level", { levels: options.levels }), {
      errors: [
        {
          in: "body",
          pointer: options.pointer,
          detail: msg("field.wrong_level", { expected: options.levels, actual: division.level }),
        },
      ],
    });
  }
  return division;
}

/**
 * A record a body field names (a parent, an organisation, a unit): in the caller's own tenant and
 * within its reach, else a 400 at the field that says no more than "not within your reach".
 */
export async function requireReference<T extends SQLiteTable & { id: SQLiteColumn; tenantId: SQLiteColumn }>(
  c: Context<AppEnv>,
  table: T,
  reach: Omit<ReachColumns, "tenantId">,
  id: string,
  options: { pointer: string; what: Thing },
): Promise<T["$inferSelect"]> {
  const [row] = await c
    .get("db")
    .select()
    .from(table as SQLiteTable)
    .where(
      and(
        eq(table.id, id),
        eq(table.tenantId, c.get("principal").tenant),
        withinReach(c.get("principal"), { tenantId: table.tenantId, ...reach }),
      ),
    );
  if (!row) throw unknownReference(options.pointer, options.what);
  return row as T["$inferSelect"];
}
