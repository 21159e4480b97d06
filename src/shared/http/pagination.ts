import { z } from "@hono/zod-openapi";
import { asc, desc, gt, lt, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";
import { ApiError } from "./errors.js";
import { type Message, msg } from "./messages.js";

export const maxPageSize = 100;

export const pageOrders = ["oldest", "newest"] as const;
export type PageOrder = (typeof pageOrders)[number];

/** The `order` parameter; a list whose natural reading is newest first (the audit trail) defaults to it. */
export function orderSchema(defaultOrder: PageOrder = "oldest") {
  return z
    .enum(pageOrders)
    .default(defaultOrder)
    .openapi({
      description:
        "oldest: oldest first; newest: newest first. Ids are time-ordered, so this is creation order. " +
        "A cursor continues in the order it was issued for: send the same `order` with it (400 `invalid_cursor` otherwise).",
      example: defaultOrder,
    });
}

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxPageSize)
    .default(20)
    .openapi({ description: `Page size, 1–${maxPageSize}.`, example: 20 }),
  cursor: z
    .string()
    .max(512)
    .optional()
    .openapi({ description: "Opaque cursor from the previous page's `nextCursor`." }),
  order: orderSchema(),
});

export type PageQuery = z.infer<typeof pageQuerySchema>;

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
    })
    .openapi(name);
}

/**
 * Cursors are opaque to clients: base64url of the last row's sort key and the order it was read in.
 * Lists use keyset pagination on time-ordered ids, so a page costs one index range scan and never a COUNT.
 */
export function encodeCursor(lastKey: string, order: PageOrder = "oldest"): string {
  const json = JSON.stringify({ k: lastKey, o: order });
  // Keys are ASCII (ids, codes): btoa takes the string as it is; anything else goes through UTF-8 bytes.
  const base64 = asciiOnly.test(json) ? btoa(json) : undefined;
  return base64 === undefined
    ? encodeBase64Url(new TextEncoder().encode(json).buffer)
    : base64.replace(/[/+]/g, (m) => (m === "/" ? "_" : "-"));
}

const asciiOnly = /^[\x20-\x7e]*$/;

const invalidCursor = (detail: Message) =>
  new ApiError("invalid_cursor", msg("http.cursor_invalid"), {
    errors: [{ in: "query", pointer: "/cursor", detail }],
  });

/**
 * The key a cursor continues after. A cursor issued for one order is refused for the other, so a
 * newest-first cursor is never silently replayed oldest-first (a cursor without an order, from
 * before lists had one, is refused too: the client starts again).
 */
export function decodeCursor(cursor: string | undefined, order: PageOrder = "oldest"): string | undefined {
  if (cursor === undefined) return undefined;
  let decoded: { k?: unknown; o?: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Url(cursor)));
    if (parsed && typeof parsed === "object") decoded = parsed;
  } catch {
    // the same error as a structurally wrong cursor
  }
  if (!decoded || typeof decoded.k !== "string" || !pageOrders.includes(decoded.o as PageOrder))
    throw invalidCursor(msg("http.cursor_malformed"));
  if (decoded.o !== order) throw invalidCursor(msg("http.cursor_other_order", { order: String(decoded.o) }));
  return decoded.k;
}

/** Rows were fetched with `limit + 1`; the extra row only says whether another page exists. */
export function toPage<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => string,
  order: PageOrder = "oldest",
): { data: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: encodeCursor(keyOf(data[data.length - 1]!), order) };
}

/**
 * Keyset pagination over one unique, indexed column (a time-ordered id, or a tenant's code):
 *
 *   const keys = keyset(needs.id, q);
 *   const rows = await db.select().from(needs).where(and(filters…, keys.after)).orderBy(keys.orderBy).limit(keys.limit);
 *   const page = keys.of(rows); // { data, nextCursor }
 *
 * Newest first reads the index backwards (`< cursor`, descending); oldest first forwards.
 */
export function keyset(column: SQLiteColumn, query: { limit: number; cursor?: string; order?: PageOrder }) {
  const order = query.order ?? "oldest";
  const key = decodeCursor(query.cursor, order);
  const newest = order === "newest";
  return {
    /** Rows past the cursor in this order; undefined on the first page. */
    after: key === undefined ? undefined : newest ? lt(column, key) : gt(column, key),
    /** The same condition on a placeholder named `after`, for prepared statements (with `afterKey` as its value). */
    afterPlaceholder:
      key === undefined
        ? undefined
        : newest
          ? lt(column, sql.placeholder("after"))
          : gt(column, sql.placeholder("after")),
    afterKey: key,
    /** What distinguishes the SQL of one page query from another's. */
    shape: `${order}|${key === undefined ? "first" : "next"}`,
    orderBy: newest ? desc(column) : asc(column),
    /** One row more than the page, to know whether another page follows. */
    limit: query.limit + 1,
    /** The page and the cursor after its last row (keyed by `id` unless told otherwise). */
    of: <T>(rows: T[], keyOf: (row: T) => string = (row) => (row as { id: string }).id) =>
      toPage(rows, query.limit, keyOf, order),
  };
}
