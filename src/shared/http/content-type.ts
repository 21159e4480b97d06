import type { Context, MiddlewareHandler } from "hono";
import { ApiError, languageHeaders } from "./errors.js";
import { msg, negotiateLanguage } from "./messages.js";

const methodsWithBody = new Set(["POST", "PUT", "PATCH"]);
const jsonType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Whether the request carries body bytes. HTTP/1.1 frames a body with Content-Length or
 * Transfer-Encoding; without either there is none (`curl -X POST …/confirm`). A runtime may still
 * hand over a stream (Node's adapter does), and an in-process `Request` has no framing headers, so
 * when neither header says, the stream is read (it is cached: handlers read it again).
 */
async function hasBody(c: Context): Promise<boolean> {
  if (c.req.raw.body === null) return false;
  const length = c.req.header("content-length");
  if (length !== undefined) return length.trim() !== "0";
  if (c.req.header("transfer-encoding") !== undefined) return true;
  return (await c.req.arrayBuffer()).byteLength > 0;
}

/**
 * `Content-Language` and `Vary: Accept-Language` on every response: problem titles and details
 * follow `Accept-Language` (zh-CN by default, en on request), so caches must key on it. Set before
 * the handler, so responses built with `c.json`/`c.body` carry them without a header copy; problem
 * documents set them themselves.
 */
export function contentLanguage(): MiddlewareHandler {
  return async (c, next) => {
    for (const [name, value] of Object.entries(languageHeaders(negotiateLanguage(c.req.header("accept-language"))))) {
      c.header(name, value, { append: name === "vary" });
    }
    await next();
  };
}

/**
 * Bodies are JSON unless a route says otherwise; anything else is a 415 before any handler runs.
 * A request with no body at all (an action that takes none) needs no Content-Type.
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
      const type = c.req.header("content-type");
      if (!(type && jsonType.test(type)) && (await hasBody(c))) {
        throw new ApiError(
          "unsupported_media_type",
          type ? msg("http.send_json_not", { type: type.split(";")[0]!.trim() }) : msg("http.send_json"),
          { headers: { "accept-post": "application/json", "accept-patch": "application/json" } },
        );
      }
    }
    await next();
  };
}
