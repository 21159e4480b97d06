import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Scope } from "../../shared/auth/principal.js";
import type { ReachColumns } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/http/context.js";
import { etagOf, optionalIfMatch } from "../../shared/http/etag.js";
import { createRouter, etagHeader, protectedRoute } from "../../shared/http/openapi.js";
import type { Machine } from "../../shared/state-machine.js";
import { findWithinReach, transition, type VersionedRow, type VersionedTable } from "../../shared/store/records.js";

const optionalIfMatchHeader = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ param: { name: "if-match", in: "header" }, description: "Optional: when sent, the ETag you last read (412 when stale).", example: '"v1"' }),
});

export interface ActionSpec<R, B> {
  operationId: string;
  summary: string;
  description?: string;
  /** The request body, when the action takes one (always `.strict()`). */
  body?: z.ZodType<B>;
  /** Fields the action sets besides the status. */
  set?: (row: R, body: B, now: Date) => Partial<R>;
  /** Extra audit details (no personal data). */
  changes?: (body: B) => Record<string, unknown>;
  /** Outbox event suffix: `<targetType>.<event>`. */
  event: string;
}

/**
 * One `POST <base>/{id}/<action>` operation per state-machine action: find within reach, move
 * through the machine with an optimistic write (optional If-Match), audit, emit the event.
 */
export function actionRoutes<S extends string, A extends string, R extends VersionedRow & { status: S }>(config: {
  base: string;
  tag: string;
  idSchema: z.ZodString;
  scope: Scope;
  machine: Machine<S, A>;
  table: VersionedTable;
  reach: Omit<ReachColumns, "tenantId">;
  targetType: string;
  what: string;
  schema: z.ZodType;
  present: (row: R) => unknown;
  eventPayload: (row: R) => Record<string, unknown>;
  actions: { [K in A]: ActionSpec<R, any> };
}) {
  const router = createRouter();
  for (const action of config.machine.actions) {
    const spec = config.actions[action];
    const from = config.machine.transitions[action].from.join(", ");
    const route = protectedRoute({
      method: "post",
      path: `${config.base}/{id}/${action.replaceAll("_", "-")}`,
      operationId: spec.operationId,
      tags: [config.tag],
      summary: spec.summary,
      description: `${spec.description ? spec.description + "\n\n" : ""}Allowed from: ${from}; leads to ${config.machine.transitions[action].to}. Any other state is a 409 \`invalid_transition\` naming the current state.`,
      scope: config.scope,
      errors: [404, 409, 412],
      request: {
        params: z.object({ id: config.idSchema }),
        headers: optionalIfMatchHeader,
        ...(spec.body ? { body: { required: true, content: { "application/json": { schema: spec.body } } } } : {}),
      },
      responses: {
        200: { description: `The ${config.what} after the action.`, headers: etagHeader, content: { "application/json": { schema: config.schema } } },
      },
    }) as ReturnType<typeof createRoute>;
    router.openapi(route, async (c: Context<AppEnv>) => {
      const expectedVersion = optionalIfMatch(c);
      const body = spec.body ? (c.req as unknown as { valid(t: "json"): unknown }).valid("json") : undefined;
      const { id } = (c.req as unknown as { valid(t: "param"): { id: string } }).valid("param");
      const row = (await findWithinReach(c, config.table, config.reach, id, config.what)) as R;
      const updated = await transition<S, A, R>(c, {
        table: config.table,
        row,
        expectedVersion,
        machine: config.machine,
        action,
        set: spec.set?.(row, body, c.var.clock.now()),
        targetType: config.targetType,
        changes: spec.changes?.(body),
        events: (u) => [{ type: `${config.targetType}.${spec.event}`, subjectType: config.targetType, subjectId: u.id, payload: config.eventPayload(u) }],
      });
      return c.json(config.present(updated), 200, { etag: etagOf(updated.version) });
    });
  }
  return router;
}
