import { z } from "@hono/zod-openapi";
import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";
import { ApiError } from "./errors.js";

export const maxPageSize = 100;

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
});

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
    })
    .openapi(name);
}

/**
 * Cursors are opaque to clients: base64url of the last row's sort key. Lists use keyset
 * pagination on time-ordered ids, so a page costs one index range scan and never a COUNT.
 */
export function encodeCursor(lastKey: string): string {
  return encodeBase64Url(new TextEncoder().encode(JSON.stringify({ k: lastKey })).buffer);
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const decoded: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Url(cursor)));
    if (decoded && typeof decoded === "object" && typeof (decoded as { k?: unknown }).k === "string") {
      return (decoded as { k: string }).k;
    }
  } catch {
    // fall through to the same error as a structurally wrong cursor
  }
  throw new ApiError("invalid_cursor", "The cursor is not one this API issued; start again without it.", {
    errors: [{ in: "query", pointer: "/cursor", detail: "Not a valid cursor." }],
  });
}

/** Rows were fetched with `limit + 1`; the extra row only says whether another page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): { data: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: encodeCursor(keyOf(data[data.length - 1]!)) };
}
