import { type Message, msg } from "../../shared/http/messages.js";
import { divisionLevels } from "../../db/tables.js";
import { editableLevels, type EditableLevel } from "./tree.js";

/** One division of an import file: its name path below the county ("东北街街道/富康社区"), level and optional code. */
export interface ImportRow {
  /** 1-based line of the CSV file (after the header: the first division is line 2), or 1-based position in a JSON list. */
  line: number;
  path: string[];
  level: EditableLevel;
  code: string | null;
}

export interface LineError {
  line: number;
  detail: Message;
}

export const importLimit = 5000;
const codePattern = /^\d{6,15}$/;

/** Checks one row's fields; the tree (parents, matches) is checked by the plan. */
function row(line: number, fields: { path?: unknown; level?: unknown; code?: unknown }, errors: LineError[]) {
  const fail = (detail: Message) => {
    errors.push({ line, detail });
    return undefined;
  };
  if (typeof fields.path !== "string" || !fields.path.trim()) return fail(msg("divisions.import_path_required"));
  const path = fields.path.split("/").map((s) => s.trim());
  if (path.some((s) => !s || s.length > 100)) return fail(msg("divisions.import_path_names"));
  const level = typeof fields.level === "string" ? fields.level.trim() : fields.level;
  if (!editableLevels.includes(level as EditableLevel)) {
    return fail(
      level === "county" || divisionLevels.includes(level as never)
        ? msg("divisions.import_county")
        : msg("divisions.import_level", { levels: editableLevels.join(", ") }),
    );
  }
  const code = typeof fields.code === "string" && fields.code.trim() ? fields.code.trim() : null;
  if (fields.code !== undefined && fields.code !== null && typeof fields.code !== "string")
    return fail(msg("divisions.import_code_string"));
  if (code && !codePattern.test(code)) return fail(msg("divisions.import_code_digits"));
  return { line, path, level: level as EditableLevel, code };
}

/** RFC 4180 fields: commas, quotes ("" inside quotes), CRLF or LF; a UTF-8 BOM (Excel) is dropped. */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  const source = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && source[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * A CSV file with a header naming `path`, `level` and optionally `code` (any order, other columns
 * ignored). Blank lines are skipped; line numbers are the file's own.
 */
export function parseCsv(text: string): { rows: ImportRow[]; errors: LineError[] } {
  const records = csvRecords(text);
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const errors: LineError[] = [];
  const at = { path: header.indexOf("path"), level: header.indexOf("level"), code: header.indexOf("code") };
  if (at.path < 0 || at.level < 0) {
    return {
      rows: [],
      errors: [{ line: 1, detail: msg("divisions.import_header") }],
    };
  }
  const rows: ImportRow[] = [];
  records.slice(1).forEach((fields, i) => {
    if (fields.every((f) => !f.trim())) return;
    const parsed = row(
      i + 2,
      { path: fields[at.path], level: fields[at.level], code: at.code < 0 ? undefined : fields[at.code] },
      errors,
    );
    if (parsed) rows.push(parsed);
  });
  return { rows, errors };
}

/** A JSON list of `{ path, level, code? }` (or `{ divisions: [...] }`); a row's line is its 1-based position. */
export function parseJsonRows(value: unknown): { rows: ImportRow[]; errors: LineError[] } {
  const list = Array.isArray(value) ? value : (value as { divisions?: unknown } | null)?.divisions;
  if (!Array.isArray(list)) return { rows: [], errors: [{ line: 1, detail: msg("divisions.import_list") }] };
  const errors: LineError[] = [];
  const rows: ImportRow[] = [];
  list.forEach((item, i) => {
    if (typeof item !== "object" || item === null) {
      errors.push({ line: i + 1, detail: msg("divisions.import_object") });
      return;
    }
    const parsed = row(i + 1, item as Record<string, unknown>, errors);
    if (parsed) rows.push(parsed);
  });
  return { rows, errors };
}
