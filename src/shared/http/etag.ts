import type { Context } from "hono";
import { ApiError } from "./errors.js";
import { msg } from "./messages.js";

/** Strong entity tag from a row version: `"v3"`. */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** PATCH needs `If-Match` with the version the client last saw: 428 without it, 412 when stale (checked by the write). */
export function requireIfMatch(c: Context): number {
  const header = c.req.header("if-match");
  if (!header) throw new ApiError("precondition_required", msg("http.if_match_required"));
  const match = /^(?:W\/)?"v(\d{1,12})"$/.exec(header.trim());
  if (!match) throw new ApiError("precondition_failed", msg("http.if_match_stale"));
  return Number(match[1]);
}

/** Optional `If-Match` on actions: when sent it must match, like on PATCH. */
export function optionalIfMatch(c: Context): number | undefined {
  return c.req.header("if-match") ? requireIfMatch(c) : undefined;
}
