import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";

/**
 * The one catalogue of error codes. A code is the stable, machine-readable part of an
 * RFC 9457 problem: clients switch on it, so codes are never renamed, only added.
 */
export const errorCatalogue = {
  validation_failed: { status: 400, title: "The request is not valid" },
  malformed_request: { status: 400, title: "The request is not well-formed HTTP" },
  invalid_cursor: { status: 400, title: "The pagination cursor is not valid" },
  malformed_json: { status: 400, title: "The request body is not valid JSON" },
  unauthenticated: { status: 401, title: "Authentication is required" },
  forbidden: { status: 403, title: "Not allowed" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  request_timeout: { status: 408, title: "The request did not arrive in time" },
  conflict: { status: 409, title: "Conflict with the current state" },
  invalid_transition: { status: 409, title: "The action is not allowed in the current state" },
  idempotency_key_reused: { status: 409, title: "The idempotency key was used with a different request" },
  precondition_failed: { status: 412, title: "The resource has changed" },
  payload_too_large: { status: 413, title: "The request body is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported content type" },
  expectation_failed: { status: 417, title: "The expectation cannot be met" },
  precondition_required: { status: 428, title: "A precondition header is required" },
  rate_limited: { status: 429, title: "Too many requests" },
  headers_too_large: { status: 431, title: "The request header fields are too large" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** One field-level problem; `pointer` is a JSON Pointer into the named request part. */
export interface FieldError {
  in: "body" | "query" | "path" | "header";
  pointer: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Throw this from anywhere below the app; `onError` renders it as a problem. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extensions: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail ?? errorCatalogue[code].title);
    this.status = errorCatalogue[code].status;
  }
}

export const notFound = (what = "resource") => new ApiError("not_found", `No such ${what}.`);

export const problemTypeBase = "https://hexi.dev/problems/";

/** A problem as status, headers and body: also for answers written outside the app (the Node server). */
export function problemDocument(
  error: ApiError,
  requestId: string,
): { status: number; headers: Record<string, string>; body: string } {
  const { headers, ...extensions } = error.extensions;
  const body: Problem = {
    type: problemTypeBase + error.code.replaceAll("_", "-"),
    title: errorCatalogue[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
    requestId,
    ...extensions,
  };
  return {
    status: error.status,
    body: JSON.stringify(body),
    headers: {
      "content-type": "application/problem+json; charset=utf-8",
      "x-request-id": requestId,
      // RFC 9110: a 401 names the scheme the client should use.
      ...(error.status === 401 ? { "www-authenticate": 'Bearer realm="hexi"' } : {}),
      ...headers,
    },
  };
}

export function problemResponse(c: Context, error: ApiError): Response {
  const { status, headers, body } = problemDocument(error, c.get("requestId") ?? "");
  // A fresh Response drops headers set on the context, so the request id is set here again.
  return new Response(body, { status, headers });
}

/**
 * The client hung up before its request was read (Node's "aborted" reset of the incoming body, or
 * the request's signal): nobody is left to answer, and the server is not at fault.
 */
export function clientClosedRequest(err: unknown, request: Request): boolean {
  if (request.signal?.aborted) return true;
  return err instanceof Error && (err as { code?: unknown }).code === "ECONNRESET" && err.message === "aborted";
}

const requestParts = { json: "body", form: "body", query: "query", param: "path", header: "header" } as const;

/** Turns a zod failure for one request part into field errors with JSON Pointers. */
export function validationError(error: ZodError, target: keyof typeof requestParts): ApiError {
  const errors: FieldError[] = error.issues.map((issue) => {
    const path = [...issue.path];
    if (issue.code === "unrecognized_keys") path.push(...issue.keys.slice(0, 1));
    return {
      in: requestParts[target],
      pointer: `/${path.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`,
      detail: issue.code === "unrecognized_keys" ? `Unknown field(s): ${issue.keys.join(", ")}.` : issue.message,
    };
  });
  const where = errors.length === 1 ? ` at ${errors[0]!.in} ${errors[0]!.pointer}` : "";
  return new ApiError("validation_failed", `The request has ${errors.length} invalid field(s)${where}.`, { errors });
}

/** Maps anything thrown to a problem; unknown errors become a 500 that leaks nothing. */
export function toApiError(err: unknown, log: (message: string, error: unknown) => void): ApiError {
  if (err instanceof ApiError) return err;
  // An ApiError thrown from inside a query (the database layer wraps what it catches) is still the client's answer.
  for (
    let e = (err as { cause?: unknown })?.cause, depth = 0;
    e && depth < 4;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof ApiError) return e;
  }
  if (err instanceof HTTPException) {
    if (err.status === 413) return new ApiError("payload_too_large");
    if (err.status === 400 && /JSON/i.test(err.message)) return new ApiError("malformed_json", err.message);
    if (err.status === 401) return new ApiError("unauthenticated");
    if (err.status < 500) return new ApiError("validation_failed", err.message);
  }
  log("unhandled error", err);
  return new ApiError("internal", "An unexpected error occurred. Quote the request id when reporting it.");
}
