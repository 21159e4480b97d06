import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";

/**
 * The caller's address on Node. With no proxy configured it is the TCP peer, and X-Forwarded-For is
 * ignored (anyone can send it). With `trustedHops` proxies in front, each appends the address it saw
 * to X-Forwarded-For, so the client is the `trustedHops`-th entry from the right; entries further
 * left were written by the client and are never trusted. Too few entries: unknown (allow-lists fail closed).
 */
export function nodeClientIp(trustedHops: number): (c: Context) => string | undefined {
  return (c) => {
    if (trustedHops > 0) {
      const forwarded = (c.req.header("x-forwarded-for") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      return forwarded[forwarded.length - trustedHops];
    }
    try {
      return getConnInfo(c).remote.address;
    } catch {
      return undefined; // not served by @hono/node-server (app.request in tests)
    }
  };
}
