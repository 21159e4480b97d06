import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError, core } from "zod";
import {
  defaultLanguage,
  formatNames,
  negotiateLanguage,
  type Language,
  messageOfZodText,
  type Message,
  msg,
  problemTitles,
  renderMessage,
  renderText,
  requestParts,
  type Text,
  type Thing,
  thing,
  typeNames,
} from "./messages.js";

/**
 * The one catalogue of error codes. A code is the stable, machine-readable part of an
 * RFC 9457 problem: clients switch on it, so codes are never renamed, only added. Titles and
 * details in both languages are in ./messages.ts.
 */
export const errorCatalogue = {
  validation_failed: { status: 400 },
  malformed_request: { status: 400 },
  invalid_cursor: { status: 400 },
  malformed_json: { status: 400 },
  unauthenticated: { status: 401 },
  forbidden: { status: 403 },
  not_found: { status: 404 },
  method_not_allowed: { status: 405 },
  request_timeout: { status: 408 },
  conflict: { status: 409 },
  invalid_transition: { status: 409 },
  idempotency_key_reused: { status: 409 },
  precondition_failed: { status: 412 },
  payload_too_large: { status: 413 },
  unsupported_media_type: { status: 415 },
  expectation_failed: { status: 417 },
  precondition_required: { status: 428 },
  rate_limited: { status: 429 },
  headers_too_large: { status: 431 },
  internal: { status: 500 },
  unavailable: { status: 503 },
} as const satisfies Record<string, { status: number }>;

export type ErrorCode = keyof typeof errorCatalogue;

// Every code has a title in both languages, and every title a code.
const titlesCoverCodes: Record<ErrorCode, Text> = problemTitles;
const codesCoverTitles: Record<keyof typeof problemTitles, unknown> = errorCatalogue;
void titlesCoverCodes;
void codesCoverTitles;

/** One field-level problem; `pointer` is a JSON Pointer into the named request part. */
export interface FieldError {
  in: "body" | "query" | "path" | "header";
  pointer: string;
  detail: Message;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: { in: FieldError["in"]; pointer: string; detail: string }[];
  [extension: string]: unknown;
}

/** Throw this from anywhere below the app; `onError` renders it as a problem. */
export class ApiError extends Error {
  readonly status: number;
  /** Rendered per request in the language it asks for; without one, the detail repeats the title. */
  readonly detail: Message | undefined;
  constructor(
    readonly code: ErrorCode,
    detail?: Message,
    readonly extensions: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    // The English text, for logs and for anything that reads an Error's message.
    super(detail ? renderMessage(detail, "en") : problemTitles[code].en);
    this.detail = detail;
    this.status = errorCatalogue[code].status;
  }
}

export const notFound = (what: Thing) => new ApiError("not_found", msg("generic.no_such", { what: thing(what) }));

export const problemTypeBase = "https://hexi.dev/problems/";

/** A problem as status, headers and body: also for answers written outside the app (the Node server). */
export function problemDocument(
  error: ApiError,
  requestId: string,
  language: Language = defaultLanguage,
): { status: number; headers: Record<string, string>; body: string } {
  const { headers, errors, ...extensions } = error.extensions;
  const title = renderText(problemTitles[error.code], language);
  const body: Problem = {
    type: problemTypeBase + error.code.replaceAll("_", "-"),
    title,
    status: error.status,
    detail: error.detail ? renderMessage(error.detail, language) : title,
    code: error.code,
    requestId,
    ...extensions,
    ...(errors ? { errors: errors.map((e) => ({ ...e, detail: renderMessage(e.detail, language) })) } : {}),
  };
  return {
    status: error.status,
    body: JSON.stringify(body),
    headers: {
      "content-type": "application/problem+json; charset=utf-8",
      "x-request-id": requestId,
      ...languageHeaders(language),
      // RFC 9110: a 401 names the scheme the client should use.
      ...(error.status === 401 ? { "www-authenticate": 'Bearer realm="hexi"' } : {}),
      ...headers,
    },
  };
}

/** What every response says about its language (problems are rendered in it; the rest is data). */
export function languageHeaders(language: Language): Record<string, string> {
  return { "content-language": language, vary: "Accept-Language" };
}

export function problemResponse(c: Context, error: ApiError): Response {
  const language = negotiateLanguage(c.req.header("accept-language"));
  const { status, headers, body } = problemDocument(error, c.get("requestId") ?? "", language);
  // A fresh Response drops headers set on the context, so the request id (and a machine's RateLimit headers) are set here again.
  const rateLimit = c.get("rateLimitHeaders");
  return new Response(body, { status, headers: rateLimit ? { ...rateLimit, ...headers } : headers });
}

/**
 * The client hung up before its request was read (Node's "aborted" reset of the incoming body, or
 * the request's signal): nobody is left to answer, and the server is not at fault.
 */
export function clientClosedRequest(err: unknown, request: Request): boolean {
  if (request.signal?.aborted) return true;
  return err instanceof Error && (err as { code?: unknown }).code === "ECONNRESET" && err.message === "aborted";
}

const requestTargets = { json: "body", form: "body", query: "query", param: "path", header: "header" } as const;

const escapePointer = (p: PropertyKey) => String(p).replaceAll("~", "~0").replaceAll("/", "~1");
const pointerOf = (path: readonly PropertyKey[]) => `/${path.map(escapePointer).join("/")}`;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The messages of a lower and an upper bound, by what is bounded. */
const boundMessages = {
  too_small: {
    length: "field.too_short",
    items: "field.too_few",
    inclusive: "field.too_small",
    exclusive: "field.too_small_exclusive",
  },
  too_big: {
    length: "field.too_long",
    items: "field.too_many",
    inclusive: "field.too_big",
    exclusive: "field.too_big_exclusive",
  },
} as const;

/** What one zod issue says, as a catalogue message (never zod's English text). */
function issueMessage(issue: core.$ZodIssue, input: unknown, part: FieldError["in"]): Message {
  const field = String(issue.path.at(-1) ?? part);
  switch (issue.code) {
    case "invalid_type":
      // A missing field is "required", not "expected string, received undefined".
      if (valueAt(input, issue.path) === undefined) return msg("field.required", { field });
      return msg("field.expected_type", { expected: typeNames[issue.expected] ?? issue.expected });
    case "too_small":
    case "too_big": {
      const keys = boundMessages[issue.code];
      const limit = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
      if (issue.origin === "string") return msg(keys.length, { limit });
      if (issue.origin === "array" || issue.origin === "set") return msg(keys.items, { limit });
      return msg(issue.inclusive === false ? keys.exclusive : keys.inclusive, { limit });
    }
    case "invalid_format": {
      const own = messageOfZodText(issue.message);
      if (own) return own;
      if (issue.format === "regex" && "pattern" in issue && issue.pattern)
        return msg("field.pattern", { pattern: String(issue.pattern) });
      return msg("field.format", { format: formatNames[issue.format] ?? issue.format });
    }
    case "invalid_value":
      return msg("field.one_of", { values: issue.values.map((v) => JSON.stringify(v)) });
    case "not_multiple_of":
      return msg("field.multiple_of", { divisor: String(issue.divisor) });
    default:
      return (
        messageOfZodText(issue.message) ??
        (issue.code === "custom" && issue.message
          ? msg("field.untranslated", { text: issue.message })
          : msg("field.invalid"))
      );
  }
}

/**
 * Turns a zod failure for one request part into field errors with JSON Pointers, each message in
 * both languages. `input` is what was validated: it tells a missing field from a wrong one.
 */
export function validationError(error: ZodError, target: keyof typeof requestTargets, input?: unknown): ApiError {
  const part = requestTargets[target];
  const errors: FieldError[] = error.issues.flatMap((issue): FieldError[] =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          in: part,
          pointer: pointerOf([...issue.path, key]),
          detail: msg(part === "query" ? "field.unknown_query" : "field.unknown", { field: key }),
        }))
      : [{ in: part, pointer: pointerOf(issue.path), detail: issueMessage(issue, input, part) }],
  );
  const detail =
    errors.length === 1
      ? msg("validation.one", { in: requestParts[errors[0]!.in], pointer: errors[0]!.pointer })
      : msg("validation.many", { count: errors.length });
  return new ApiError("validation_failed", detail, { errors });
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
    if (err.status === 400 && /JSON/i.test(err.message))
      return new ApiError("malformed_json", msg("http.malformed_json"));
    if (err.status === 401) return new ApiError("unauthenticated");
    if (err.status === 415) return new ApiError("unsupported_media_type", msg("http.send_json"));
    if (err.status < 500) return new ApiError("validation_failed", msg("http.rejected", { reason: err.message }));
  }
  log("unhandled error", err);
  return new ApiError("internal", msg("generic.internal"));
}
