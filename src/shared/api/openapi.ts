import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { AppEnv } from "../request/context.js";
import { errorCatalogue, validationError, type ErrorCode } from "../http/errors.js";
import { isDesignedCityWrite } from "../auth/exceptions.js";
import { refuseCrossTenantWrites, requireScope } from "./authenticate.js";
import { idempotentCreate } from "./idempotency.js";
import type { Scope } from "../auth/principal.js";

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
  })
  .openapi("Problem", { description: "An RFC 9457 problem document." });

const problemContent = { "application/problem+json": { schema: problemSchema } };

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

export function errorResponses(statuses: readonly number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: errorDescriptions[status]!, content: problemContent }]),
  );
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
  const statuses = [...new Set([...protectedRouteErrors, ...errors, ...(idempotent ? [409] : [])])].sort();
  const guards = [requireScope(scope)];
  if (route.method !== "get" && !isDesignedCityWrite(route.operationId)) guards.push(refuseCrossTenantWrites());
  if (idempotent) guards.push(idempotentCreate());
  return createRoute({
    ...route,
    request: idempotent ? { ...route.request, headers: idempotencyHeader } : route.request,
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    // Documented for clients and read by the every-route sweep: any one of these scopes suffices.
    "x-hexi-scopes": typeof scope === "string" ? [scope] : scope,
    middleware: guards,
    responses: { ...route.responses, ...errorResponses(statuses) },
  } as unknown as R);
}

/** A router whose validation failures become problems with field pointers. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success)
        throw validationError(result.error, result.target as "json" | "query" | "param" | "header" | "form");
    },
  });
}

/** A response carrying one versioned entity and its ETag. */
export function versionedResponse<S extends z.ZodType>(schema: S, description: string) {
  return { description, headers: etagHeader, content: { "application/json": { schema } } };
}
