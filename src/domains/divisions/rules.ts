import { type Message, msg } from "../../shared/http/messages.js";
import type { Context } from "hono";
import { and, eq, ne, sql } from "drizzle-orm";
import { divisions } from "../../db/tables.js";
import { canActInDivision } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { unknownReference } from "../../shared/store/references.js";
import { parentLevels, type DivisionRow, type EditableLevel } from "./tree.js";

/**
 * A division the caller may change: below the county (the tenant's root is made at bootstrap), and
 * strictly below the caller's own division when it is narrowed to one (a street admin edits its
 * communities and grids, not its street). Reach (another tenant, outside the subtree) is `findDivision`'s 404.
 */
export function requireEditable(
  c: Context<AppEnv>,
  row: DivisionRow,
): asserts row is DivisionRow & { level: EditableLevel } {
  if (row.level === "county") {
    throw new ApiError("conflict", msg("divisions.county_root"));
  }
  const org = c.get("principal").org;
  if (org && org.path === row.path) {
    throw new ApiError("forbidden", msg("divisions.own_division"));
  }
}

/** The parent a division is created or moved under: active, in the caller's tenant and subtree, of a level that may hold `level`. */
export async function requireParent(c: Context<AppEnv>, parentId: string, level: EditableLevel, pointer: string) {
  const [parent] = await c
    .get("db")
    .select()
    .from(divisions)
    .where(and(eq(divisions.id, parentId), eq(divisions.tenantId, c.get("principal").tenant)));
  if (!parent || !canActInDivision(c.get("principal"), parent)) throw unknownReference(pointer, "division");
  const allowed = parentLevels[level];
  if (!allowed.includes(parent.level)) {
    throw fieldError(pointer, msg("divisions.wrong_parent_level", { level, allowed, actual: parent.level }));
  }
  if (parent.status !== "active") throw fieldError(pointer, msg("divisions.parent_retired"));
  return parent;
}

/** Two active siblings never share a name: import files and people find a division by its name path. */
export async function requireUniqueName(
  c: Context<AppEnv>,
  tenantId: string,
  parentId: string,
  name: string,
  except?: string,
) {
  const [twin] = await c
    .get("db")
    .select({ id: divisions.id })
    .from(divisions)
    .where(
      and(
        eq(divisions.tenantId, tenantId),
        eq(divisions.parentId, parentId),
        eq(divisions.name, name),
        eq(divisions.status, "active"),
        except ? ne(divisions.id, except) : undefined,
      ),
    );
  if (twin) throw new ApiError("conflict", msg("divisions.name_taken", { name, id: twin.id }));
}

/** Still true inside the write batch: the parent is active where we saw it (so the new path is right and no cycle closed). */
export const parentUnchanged = (parent: DivisionRow) =>
  sql`exists (select 1 from ${divisions} where ${divisions.id} = ${parent.id} and ${divisions.path} = ${parent.path} and ${divisions.status} = 'active')`;

export function fieldError(pointer: string, detail: Message): ApiError {
  return new ApiError("validation_failed", detail, { errors: [{ in: "body", pointer, detail }] });
}

export const codeConflicts = { "divisions.code": msg("divisions.code_taken") };
