import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.js";

const methodsWithBody = new Set(["POST", "PUT", "PATCH"]);
const jsonType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Bodies are JSON unless a route says otherwise; anything else is a 415 before any handler runs.
 * Exceptions: the exact `exceptPaths` (the OAuth token endpoint) and paths matching `exceptPatterns`
 * (Open311's form-encoded `POST requests.{format}`, whose errors are its own; photo uploads).
 */
export function requireJsonBodies(
  exceptPaths: ReadonlySet<string> = new Set(),
  exceptPatterns: readonly RegExp[] = [],
): MiddlewareHandler {
  return async (c, next) => {
    if (
      methodsWithBody.has(c.req.method) &&
      !exceptPaths.has(c.req.path) &&
      !exceptPatterns.some((pattern) => pattern.test(c.req.path))
    ) {
      const hasBody = c.req.raw.body !== null && c.req.header("content-length") !== "0";
      const type = c.req.header("content-type");
      if (hasBody && (!type || !jsonType.test(type))) {
        throw new ApiError(
          "unsupported_media_type",
          `Send the body as application/json${type ? `, not ${type.split(";")[0]}` : ""}.`,
          {
            headers: { "accept-post": "application/json", "accept-patch": "application/json" },
          },
        );
      }
    }
    await next();
  };
}
