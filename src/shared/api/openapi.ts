import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { AppEnv } from "../request/context.js";
import { ApiError, errorCatalogue, problemDocument, validationError, type ErrorCode } from "../http/errors.js";
import { languages, msg, requestParts, thing, type Language } from "../http/messages.js";
import { isDesignedCityWrite } from "../auth/exceptions.js";
import { missingScope, refuseCrossTenantWrites, requireScope } from "./authenticate.js";
import { idempotentCreate } from "./idempotency.js";
import { rolesHolding, roles, roleScopes, scopes, type Scope } from "../auth/principal.js";

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: "https://hexi.dev/problems/not-found" }),
    title: z.string().openapi({ example: "Not found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: "No such division." }),
    code: z.enum(Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]]).openapi({ example: "not_found" }),
    requestId: z.string().openapi({ example: "01JDQ0W8D9R0T7ZQ6K1E6N3V4S" }),
    errors: z
      .array(
        z.object({
          in: z.enum(["body", "query", "path", "header"]),
          pointer: z.string().openapi({ example: "/limit" }),
          detail: z.string(),
        }),
      )
      .optional(),
    requiredScopes: z
      .array(z.string())
      .optional()
      .openapi({ description: "On a 403 for a missing scope: the scopes of which any one would do." }),
    rolesWithScope: z
      .array(z.string())
      .optional()
      .openapi({ description: "On a 403 for a missing scope: the roles that hold one of them." }),
  })
  .openapi("Problem", {
    description:
      "An RFC 9457 problem document. `title` and `detail` follow `Accept-Language` (zh-CN by default, en on request; the response's `Content-Language` says which); `code` is stable in every language. 问题文档：`title` 与 `detail` 随 `Accept-Language` 变化（默认简体中文），`code` 不变。",
  });

/** A representative problem of each status, for the docs (a 403 names the operation's own scope). */
function exampleError(status: number, anyOf: readonly Scope[]): ApiError {
  switch (status) {
    case 400:
      return new ApiError("validation_failed", msg("validation.one", { in: requestParts.body, pointer: "/name" }), {
        errors: [{ in: "body", pointer: "/name", detail: msg("field.required", { field: "name" }) }],
      });
    case 401:
      return new ApiError("unauthenticated", msg("auth.no_credential"));
    case 403:
      return anyOf.length ? missingScope(anyOf) : new ApiError("forbidden", msg("auth.city_writes"));
    case 408:
      return new ApiError("request_timeout", msg("http.request_timeout"));
    case 404:
      return new ApiError("not_found", msg("generic.no_such", { what: thing("record") }));
    case 409:
      return new ApiError("conflict", msg("generic.record_changed_concurrently"));
    case 412:
      return new ApiError("precondition_failed", msg("http.if_match_stale"));
    case 413:
      return new ApiError("payload_too_large", msg("http.body_too_large", { bytes: 1_048_576 }));
    case 415:
      return new ApiError("unsupported_media_type", msg("http.send_json_not", { type: "text/plain" }));
    case 428:
      return new ApiError("precondition_required", msg("http.if_match_required"));
    case 429:
      return new ApiError("rate_limited", msg("http.rate_limited_key", { limit: 600, seconds: 12 }));
    case 503:
      return new ApiError("unavailable", msg("generic.unavailable_database"));
    default:
      return new ApiError("internal", msg("generic.internal"));
  }
}

const languageLabels: Record<Language, string> = {
  "zh-CN": "简体中文 (default, or Accept-Language: zh-CN)",
  en: "English (Accept-Language: en)",
};

function problemExample(error: ApiError, language: Language) {
  return {
    summary: languageLabels[language],
    value: JSON.parse(problemDocument(error, "req_01KDVDNA011AKWK3RC504FTYF8", language).body),
  };
}

const exampleName = (status: number, language: Language) => `Problem${status}-${language}`;

/**
 * The example problem of each status in each language, once for the whole document (`routes.ts`
 * registers them as components): operations refer to them, except for the 403, which names each
 * operation's own scope.
 */
export function problemExampleComponents(): Record<string, ReturnType<typeof problemExample>> {
  return Object.fromEntries(
    Object.keys(errorDescriptions).flatMap((status) =>
      languages.map((language) => [
        exampleName(Number(status), language),
        problemExample(exampleError(Number(status), []), language),
      ]),
    ),
  );
}

function problemContent(status: number, anyOf: readonly Scope[]) {
  const examples = Object.fromEntries(
    languages.map((language) => [
      language,
      status === 403 && anyOf.length
        ? problemExample(missingScope(anyOf), language)
        : { $ref: `#/components/examples/${exampleName(status, language)}` },
    ]),
  );
  return { "application/problem+json": { schema: problemSchema, examples } };
}

const errorDescriptions: Record<number, string> = {
  400: "The request is malformed or fails validation.",
  401: "No valid credential was presented.",
  403: "The credential lacks the scope this operation needs.",
  404: "The resource does not exist or is outside the caller's reach.",
  409: "The request conflicts with the resource's current state.",
  412: "The resource changed since the given ETag.",
  413: "The request body is too large.",
  415: "The request body's content type is not supported.",
  428: "The operation needs an If-Match header.",
  429: "Too many requests; retry after the given time.",
  500: "Unexpected server error.",
  503: "A dependency (the database) is unavailable.",
};

/** The error responses of an operation, each with an example problem of that status in both languages. */
export function errorResponses(statuses: readonly number[], anyOf: readonly Scope[] = []) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: errorDescriptions[status]!, content: problemContent(status, anyOf) },
    ]),
  );
}

/** The scope sentence every protected operation's description ends with, in both languages. */
function scopeNote(anyOf: readonly Scope[]): string {
  const code = (s: string) => `\`${s}\``;
  const holders = rolesHolding(anyOf).map(code).join(", ") || "none / 无";
  const needs =
    anyOf.length === 1
      ? `**Scope / 权限范围:** ${code(anyOf[0]!)}`
      : `**Scopes / 权限范围 (any one / 任一):** ${anyOf.map(code).join(", ")}`;
  return `${needs} — roles that hold it / 拥有该权限的角色: ${holders}.`;
}

/**
 * Unknown query parameters are a 400 naming them, like unknown body fields: a misspelt filter
 * (\`?community=\` for \`?communityId=\`) must not quietly answer the unfiltered list.
 */
function strictQuery(request: RouteConfig["request"]): RouteConfig["request"] {
  const query = request?.query ?? z.object({});
  if (!(query instanceof z.ZodObject)) return request;
  return { ...request, query: query.strict() };
}

const idempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(8)
    .max(255)
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "Makes the create safe to retry: the same key and body return the first response; kept 24 h.",
      example: "4f9d2c1e-8b7a-4c3d-9e2f-1a2b3c4d5e6f",
    }),
});

/** Documented on every response that carries an entity version. */
export const etagHeader = {
  ETag: {
    description: "The entity version; send it back in If-Match to update.",
    schema: { type: "string" as const, example: '"v3"' },
  },
};

export const ifMatchHeader = z.object({
  // Optional in the schema so that a missing header is a 428 problem rather than a validation error.
  "if-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "Required: the ETag you last read (428 without it, 412 when stale).",
      example: '"v3"',
    }),
});

type ProtectedRoute = Omit<RouteConfig, "security" | "middleware"> & {
  operationId: string;
  /** The scope the principal must hold; every protected route names one. Several: any one of them suffices. */
  scope: Scope | readonly [Scope, ...Scope[]];
  /** Error statuses this operation can answer besides the ones every protected route can. */
  errors?: readonly number[];
  /** A create that honours `Idempotency-Key`. */
  idempotent?: boolean;
};

const protectedRouteErrors = [400, 401, 403, 429, 500];

/**
 * A route behind authentication: adds the scope guard, the security requirement and typed errors.
 * Every operation but a GET also refuses cross-tenant principals (the city), fail closed, unless it
 * is declared a designed city write in `shared/auth/exceptions.ts`.
 */
export function protectedRoute<R extends ProtectedRoute>(config: R) {
  const { scope, errors = [], idempotent = false, ...route } = config;
  const anyOf: readonly Scope[] = typeof scope === "string" ? [scope] : scope;
  const statuses = [...new Set([...protectedRouteErrors, ...errors, ...(idempotent ? [409] : [])])].sort();
  const guards = [requireScope(scope)];
  if (route.method !== "get" && !isDesignedCityWrite(route.operationId)) guards.push(refuseCrossTenantWrites());
  if (idempotent) guards.push(idempotentCreate());
  const request = strictQuery(route.request);
  return createRoute({
    ...route,
    description: [route.description, scopeNote(anyOf)].filter(Boolean).join("\n\n"),
    request: idempotent ? { ...request, headers: idempotencyHeader } : request,
    // One requirement per scheme and scope: requirements are alternatives, so any one scope suffices.
    security: (["bearerAuth", "apiKey"] as const).flatMap((scheme) => anyOf.map((s) => ({ [scheme]: [s] }))),
    // Documented for clients and read by the every-route sweep: any one of these scopes suffices.
    "x-hexi-scopes": anyOf,
    middleware: guards,
    responses: { ...route.responses, ...errorResponses(statuses, anyOf) },
  } as unknown as R);
}

/** A router whose validation failures become problems with field pointers. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success)
        throw validationError(
          result.error,
          result.target as "json" | "query" | "param" | "header" | "form",
          (result as { data?: unknown }).data,
        );
    },
  });
}

/** A response carrying one versioned entity and its ETag. */
export function versionedResponse<S extends z.ZodType>(schema: S, description: string) {
  return { description, headers: etagHeader, content: { "application/json": { schema } } };
}

/** The role → scope table (`roleScopes` in shared/auth/principal.ts) as Markdown, for the docs. */
export function roleScopeMatrix(): string {
  const header = `| Scope / 权限范围 | ${roles.map((r) => `\`${r}\``).join(" | ")} |`;
  const rule = `| --- | ${roles.map(() => ":-:").join(" | ")} |`;
  const rows = scopes.map(
    (scope) => `| \`${scope}\` | ${roles.map((r) => (roleScopes[r].includes(scope) ? "✓" : "")).join(" | ")} |`,
  );
  return [header, rule, ...rows].join("\n");
}

interface DocumentParameter {
  required?: boolean;
  description?: string;
  example?: unknown;
  examples?: unknown;
  schema?: { example?: unknown; examples?: unknown };
}
type DocumentOperation = { parameters?: DocumentParameter[] };

/**
 * Swagger UI's "Try it out" pre-fills every parameter that has an example. On an optional filter
 * that silently narrows the list to nothing (or sends a stale `If-Match: "v1"`), so only required
 * parameters keep their examples; an optional one's example moves into its description.
 */
export function withoutOptionalExamples<D extends { paths?: unknown }>(document: D): D {
  const paths = (document.paths ?? {}) as Record<string, Record<string, DocumentOperation>>;
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      for (const parameter of operation?.parameters ?? []) {
        if (parameter.required) continue;
        const example = parameter.example ?? parameter.schema?.example ?? firstOf(parameter.schema?.examples);
        delete parameter.example;
        delete parameter.examples;
        if (parameter.schema) {
          delete parameter.schema.example;
          delete parameter.schema.examples;
        }
        if (example !== undefined) {
          const shown = typeof example === "string" ? example : JSON.stringify(example);
          parameter.description = `${parameter.description ? `${parameter.description} ` : ""}e.g. \`${shown}\``;
        }
      }
    }
  }
  return document;
}

const firstOf = (value: unknown) => (Array.isArray(value) ? value[0] : undefined);
