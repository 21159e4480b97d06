import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import type { Scope } from "../../shared/auth/principal.js";
import type { AppEnv } from "../../shared/http/context.js";
import { etagOf, optionalIfMatch } from "../../shared/http/etag.js";
import { etagHeader, protectedRoute } from "../../shared/http/openapi.js";
import type { Machine } from "../../shared/state-machine.js";
import type { DomainEvent } from "../../shared/store/commit.js";
import { transition, type VersionedRow, type VersionedTable } from "../../shared/store/records.js";

const optionalIfMatchHeader = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ param: { name: "if-match", in: "header" }, description: "Optional: when sent, the ETag you last read (412 when stale).", example: '"v1"' }),
});

/** What an action does besides moving the status: fields it sets, writes in the same batch, events, audit details. */
export interface ActionEffects<R> {
  set?: Partial<R>;
  writes?: BatchItem<"sqlite">[];
  events?: (updated: R) => DomainEvent[];
  changes?: Record<string, unknown>;
  conflicts?: Record<string, string>;
}

export interface ActionSpec<R, B> {
  operationId: string;
  summary: string;
  description: string;
  scope: Scope | readonly [Scope, ...Scope[]];
  /** An optional body (always `.strict()`); absent means {}. */
  body?: z.ZodType<B>;
  /** The record, if the caller may act on it; otherwise the 404 of a missing one. */
  find: (c: Context<AppEnv>, id: string) => Promise<R>;
  effects?: (c: Context<AppEnv>, row: R, body: B) => Promise<ActionEffects<R>> | ActionEffects<R>;
}

/**
 * One `POST <base>/{id}/<action>` per state-machine action: find the record, move it through the
 * machine with an optimistic write (optional If-Match), audit and emit in the same batch.
 */
export function addActionRoutes<S extends string, A extends string, R extends VersionedRow & { status: S }>(
  router: OpenAPIHono<AppEnv>,
  config: {
    base: string;
    idSchema: z.ZodString;
    machine: Machine<S, A>;
    table: VersionedTable;
    targetType: string;
    tag: string;
    schema: z.ZodType;
    present: (row: R) => unknown;
    actions: { [K in A]: ActionSpec<R, any> };
  },
) {
  for (const action of config.machine.actions) {
    const spec = config.actions[action];
    const { from, to } = config.machine.transitions[action];
    const route = protectedRoute({
      method: "post",
      path: `${config.base}/{id}/${action.replaceAll("_", "-")}`,
      operationId: spec.operationId,
      tags: [config.tag],
      summary: spec.summary,
      description: `${spec.description}\n\nAllowed from: ${from.join(", ")}; leads to ${to}. Any other state is a 409 \`invalid_transition\` naming the current state.`,
      scope: spec.scope,
      errors: [404, 409, 412],
      request: {
        params: z.object({ id: config.idSchema }),
        headers: optionalIfMatchHeader,
        ...(spec.body ? { body: { required: false, content: { "application/json": { schema: spec.body } } } } : {}),
      },
      responses: {
        200: { description: `The ${config.targetType.replaceAll("_", " ")} after the action.`, headers: etagHeader, content: { "application/json": { schema: config.schema } } },
      },
    }) as ReturnType<typeof createRoute>;
    router.openapi(route, async (c: Context<AppEnv>) => {
      const expectedVersion = optionalIfMatch(c);
      const req = c.req as unknown as { valid(target: "param" | "json"): Record<string, unknown> };
      const body = spec.body ? req.valid("json") : {};
      const row = await spec.find(c, req.valid("param").id as string);
      const effects = (await spec.effects?.(c, row, body)) ?? {};
      const updated = await transition<S, A, R>(c, {
        table: config.table,
        row,
        expectedVersion,
        machine: config.machine,
        action,
        set: effects.set,
        targetType: config.targetType,
        changes: effects.changes,
        alsoWrite: effects.writes ? () => effects.writes! : undefined,
        events: effects.events,
        conflicts: effects.conflicts,
      });
      return c.json(config.present(updated), 200, { etag: etagOf(updated.version) });
    });
  }
  return router;
}
