import { type Message, msg, textOf } from "../../shared/http/messages.js";
import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { divisions } from "../../db/tables.js";
import { canActInDivision } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import {
  commit,
  guardChanged,
  GuardFailed,
  guardHolds,
  type AuditEntry,
  type DomainEvent,
} from "../../shared/store/commit.js";
import { importLimit, type ImportRow, type LineError } from "./import-file.js";
import { codeConflicts, parentUnchanged } from "./rules.js";
import { eventPayload } from "./schemas.js";
import { namePaths, newDivision, parentLevels, type DivisionRow } from "./tree.js";

export type ImportAction = "create" | "rename" | "set_code" | "unchanged";

export interface ImportChange {
  line: number;
  action: ImportAction;
  id: string;
  level: string;
  path: string;
  code: string | null;
}

export interface ImportResult {
  dryRun: boolean;
  summary: Record<ImportAction, number>;
  changes: ImportChange[];
}

/** What the plan decided for one row, with the rows it writes. */
interface Planned extends ImportChange {
  row: DivisionRow;
  /** The existing row before the change (renames and codes), for the version guard. */
  before?: DivisionRow;
}

/**
 * Reads the tenant's tree and decides, for each row of the file, what it means: an existing division
 * (matched by `code` first, then by name path among active divisions) that is unchanged, renamed
 * (matched by code under the same parent) or given a code; or a new division under a parent that
 * exists or comes earlier in the file (rows are taken shallowest first). Every problem is a line error.
 */
async function plan(c: Context<AppEnv>, rows: ImportRow[]): Promise<{ planned: Planned[]; errors: LineError[] }> {
  const principal = c.get("principal");
  const tree = await c.get("db").select().from(divisions).where(eq(divisions.tenantId, principal.tenant));
  const county = tree.find((d) => d.level === "county" && !d.parentId);
  if (!county) throw new ApiError("conflict", msg("divisions.no_county"));
  const names = namePaths(tree);
  const byCode = new Map(tree.filter((d) => d.code).map((d) => [d.code!, d]));
  const byPath = new Map<string, DivisionRow>(
    tree.filter((d) => d.status === "active" && d.level !== "county").map((d) => [names.get(d.id)!, d]),
  );
  byPath.set("", county);
  const errors: LineError[] = [];
  const planned: Planned[] = [];
  const seenPaths = new Map<string, number>();
  const seenCodes = new Map<string, number>();
  const now = c.get("clock").now();
  const editable = (d: DivisionRow) => canActInDivision(principal, d) && d.path !== principal.org?.path;

  const ordered = [...rows].sort((a, b) => a.path.length - b.path.length || a.line - b.line);
  for (const r of ordered) {
    const fail = (detail: Message) => errors.push({ line: r.line, detail });
    const path = r.path.join("/");
    const parentPath = r.path.slice(0, -1).join("/");
    const name = r.path.at(-1)!;
    if (seenPaths.has(path)) {
      fail(msg("divisions.import_path_twice", { path, line: seenPaths.get(path)! }));
      continue;
    }
    seenPaths.set(path, r.line);
    if (r.code && seenCodes.has(r.code)) {
      fail(msg("divisions.import_code_twice", { code: r.code, line: seenCodes.get(r.code)! }));
      continue;
    }
    if (r.code) seenCodes.set(r.code, r.line);
    const change = (action: ImportAction, row: DivisionRow, before?: DivisionRow) =>
      planned.push({ line: r.line, action, id: row.id, level: row.level, path, code: row.code, row, before });

    const byItsCode = r.code ? byCode.get(r.code) : undefined;
    const existing = byItsCode ?? byPath.get(path);
    if (existing) {
      if (existing.status !== "active") {
        fail(msg("divisions.import_retired", { code: r.code ?? "", path: names.get(existing.id)! }));
      } else if (existing.level !== r.level) {
        fail(
          msg("divisions.import_other_level", {
            path: names.get(existing.id)!,
            level: existing.level,
            expected: r.level,
          }),
        );
      } else if (!editable(existing) && (existing.name !== name || (r.code && existing.code !== r.code))) {
        fail(msg("divisions.import_outside", { path: names.get(existing.id)! }));
      } else if (names.get(existing.id) === path) {
        if (r.code && existing.code !== r.code) change("set_code", { ...existing, code: r.code }, existing);
        else change("unchanged", existing);
      } else if (names.get(existing.id)?.split("/").slice(0, -1).join("/") === parentPath) {
        const twin = byPath.get(path);
        if (twin && twin.id !== existing.id) fail(msg("divisions.import_other_code", { path, id: twin.id }));
        else {
          // Later (deeper) rows name its descendants by the new name.
          const oldPath = names.get(existing.id)!;
          for (const [key, d] of [...byPath]) {
            if (!key.startsWith(`${oldPath}/`)) continue;
            byPath.set(path + key.slice(oldPath.length), d);
            names.set(d.id, path + key.slice(oldPath.length));
          }
          byPath.set(path, existing);
          names.set(existing.id, path);
          change("rename", { ...existing, name }, existing);
        }
      } else {
        fail(
          r.code
            ? msg("divisions.import_code_moves", { code: r.code, path: names.get(existing.id)! })
            : msg("divisions.import_moves", { path: names.get(existing.id)! }),
        );
      }
      continue;
    }
    const parent = byPath.get(parentPath);
    if (!parent) {
      fail(msg("divisions.import_no_parent", { parent: parentPath }));
      continue;
    }
    if (!parentLevels[r.level].includes(parent.level)) {
      fail(
        parentPath
          ? msg("divisions.import_parent_level", {
              level: r.level,
              allowed: parentLevels[r.level],
              parent: parentPath,
              actual: parent.level,
            })
          : msg("divisions.import_county_level", {
              level: r.level,
              allowed: parentLevels[r.level],
              actual: parent.level,
            }),
      );
      continue;
    }
    if (!canActInDivision(principal, parent)) {
      fail(parentPath ? msg("divisions.import_outside", { path: parentPath }) : msg("divisions.import_county_outside"));
      continue;
    }
    const row = newDivision(parent, { level: r.level, name, code: r.code }, now);
    byPath.set(path, row);
    change("create", row);
  }
  planned.sort((a, b) => a.line - b.line);
  errors.sort((a, b) => a.line - b.line);
  return { planned, errors };
}

/** The planned changes as one batch: inserts, version-guarded updates, parents re-checked, an audit and an event each. */
function writesOf(c: Context<AppEnv>, planned: Planned[]) {
  const db = c.get("db");
  const writes: BatchItem<"sqlite">[] = [];
  const audit: AuditEntry[] = [];
  const events: DomainEvent[] = [];
  const created = new Set(planned.filter((p) => p.action === "create").map((p) => p.id));
  const guardedParents = new Set<string>();
  const at = c.get("clock").now().toISOString();
  for (const p of planned) {
    if (p.action === "unchanged") continue;
    const fields =
      p.action === "create"
        ? ["path", "level", ...(p.code ? ["code"] : [])]
        : p.action === "rename"
          ? ["name"]
          : ["code"];
    if (p.action === "create") {
      writes.push(db.insert(divisions).values(p.row));
      const parentId = p.row.parentId!;
      if (!created.has(parentId) && !guardedParents.has(parentId)) {
        guardedParents.add(parentId);
        writes.push(
          guardHolds(
            c,
            parentUnchanged({ id: parentId, path: p.row.path.slice(0, -(p.id.length + 1)) } as DivisionRow),
          ),
        );
      }
    } else {
      writes.push(
        db
          .update(divisions)
          .set({ name: p.row.name, code: p.row.code, version: sql`${divisions.version} + 1`, updatedAt: at })
          .where(and(eq(divisions.id, p.id), eq(divisions.version, p.before!.version))),
        guardChanged(),
      );
    }
    audit.push({
      action: p.action === "create" ? "division.create" : "division.update",
      targetType: "division",
      targetId: p.id,
      divisionPath: p.row.path,
      changes: { fields, import: `line ${p.line}` },
    });
    const row = { ...p.row, version: (p.before?.version ?? 0) + 1 };
    events.push({
      type: p.action === "create" ? "division.created" : "division.updated",
      subjectType: "division",
      subjectId: p.id,
      payload: p.action === "create" ? eventPayload(row) : { ...eventPayload(row), fields },
    });
  }
  return { writes, audit, events };
}

/**
 * Imports a division tree into the caller's tenant: every row is planned first, and any line error
 * refuses the whole file (400 listing each line); otherwise all changes land in one batch with their
 * audit and outbox events, or none do. Running the same file again changes nothing.
 */
export async function importDivisions(
  c: Context<AppEnv>,
  input: { rows: ImportRow[]; errors: LineError[] },
  options: { dryRun: boolean; pointer: (line: number) => string },
): Promise<ImportResult> {
  if (input.rows.length + input.errors.length > importLimit) {
    throw new ApiError("validation_failed", msg("divisions.import_too_large", { limit: importLimit }));
  }
  const { planned, errors } = await plan(c, input.rows);
  const all = [...input.errors, ...errors].sort((a, b) => a.line - b.line);
  if (all.length) {
    throw new ApiError("validation_failed", msg("divisions.import_errors", { count: all.length }), {
      errors: all.map((e) => ({
        in: "body" as const,
        pointer: options.pointer(e.line),
        detail: msg("divisions.import_line", { line: e.line, detail: textOf(e.detail) }),
      })),
    });
  }
  const summary: Record<ImportAction, number> = { create: 0, rename: 0, set_code: 0, unchanged: 0 };
  for (const p of planned) summary[p.action]++;
  const result: ImportResult = {
    dryRun: options.dryRun,
    summary,
    changes: planned.map(({ row: _row, before: _before, ...change }) => change),
  };
  const { writes, audit, events } = writesOf(c, planned);
  if (options.dryRun || writes.length === 0) return result;
  try {
    await commit(c, { writes, audit, events, conflicts: codeConflicts });
  } catch (err) {
    if (err instanceof GuardFailed) {
      throw new ApiError("conflict", msg("divisions.import_tree_changed"));
    }
    throw err;
  }
  return result;
}
