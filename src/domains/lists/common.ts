import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Scope } from "../../shared/auth/principal.js";
import type { AppEnv } from "../../shared/http/context.js";
import { etagOf, optionalIfMatch } from "../../shared/http/etag.js";
import { createRouter, etagHeader, protectedRoute } from "../../shared/http/openapi.js";
import type { Machine } from "../../shared/state-machine.js";
import { guardChanged, type DomainEvent } from "../../shared/store/commit.js";
import { transition, type VersionedRow, type VersionedTable } from "../../shared/store/records.js";

export const tag = "lists";

/**
 * [D] Free text rather than an enum: what communities ask for and what units offer (venues, funds,
 * volunteers, equipment, skills…) varies by place and year, and a new kind must not need a release.
 */
export const categorySchema = z.string().trim().min(1).max(50).openapi({ description: "Free text, 1–50 characters, e.g. 助老服务, 场地, 资金.", example: "助老服务" });
export const titleSchema = z.string().trim().min(1).max(200);
export const descriptionSchema = z.string().trim().max(2000);

/**
 * A status change of ANOTHER record in the same batch (a project's need, a need's project), guarded
 * so that the whole batch rolls back unless exactly that change happened.
 */
export function moveGuarded(
  c: Context<AppEnv>,
  table: VersionedTable & { status: SQLiteColumn },
  where: SQL,
  from: readonly string[],
  to: string,
  now: string,
): BatchItem<"sqlite">[] {
  return [
    c.var.db
      .update(table)
      .set({ status: to, version: sql`${table.version} + 1`, updatedAt: now } as never)
      .where(and(where, inArray(table.status, [...from]))),
    guardChanged(c),
  ];
}

const optionalIfMatchHeader = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ param: { name: "if-match", in: "header" }, description: "Optional: when sent, the ETag you last read (412 when stale).", example: '"v1"' }),
});

export interface Also {
  writes: BatchItem<"sqlite">[];
  events?: DomainEvent[];
  changes?: Record<string, unknown>;
}

export interface ActionSpec<R> {
  operationId: string;
  summary: string;
  description?: string;
  /** The scope, or several of which any one suffices. */
  scope: Scope | readonly [Scope, ...Scope[]];
  /** Outbox event suffix, past tense: `<targetType>.<event>`. */
  event: string;
  /** Throws when this principal, though it can see the row, may not take this action. */
  authorize?: (c: Context<AppEnv>, row: R) => void | Promise<void>;
  /**
   * What the action does to related records (a project's need, a need's project): guarded writes in
   * the same batch after the record's own, their outbox events and audit details (ids and states only).
   */
  also?: (c: Context<AppEnv>, row: R, now: string) => Promise<Also> | Also;
}

/**
 * One `POST <base>/{id}/<action>` operation per client action of a state machine: find the row
 * within reach, authorise, then move it with an optimistic write (optional If-Match) that carries
 * its audit event, its outbox events and any guarded writes to related records.
 */
export function actionRoutes<S extends string, A extends string, R extends VersionedRow & { status: S }>(config: {
  base: string;
  idSchema: z.ZodString;
  schema: z.ZodType;
  what: string;
  targetType: string;
  machine: Machine<S, A>;
  table: VersionedTable;
  find: (c: Context<AppEnv>, id: string) => Promise<R>;
  present: (c: Context<AppEnv>, row: R) => unknown;
  eventPayload: (row: R) => Record<string, unknown>;
  actions: Partial<Record<A, ActionSpec<R>>>;
}) {
  const router = createRouter();
  for (const action of config.machine.actions) {
    const spec = config.actions[action];
    if (!spec) continue;
    const { from, to } = config.machine.transitions[action];
    const route = protectedRoute({
      method: "post",
      path: `${config.base}/{id}/${action}`,
      operationId: spec.operationId,
      tags: [tag],
      summary: spec.summary,
      description:
        `${spec.description ? spec.description + "\n\n" : ""}Allowed from ${from.join(", ")}; leads to ${to}. ` +
        "From any other state it is a 409 `invalid_transition` naming the current state.",
      scope: spec.scope,
      errors: [404, 409, 412],
      request: { params: z.object({ id: config.idSchema }), headers: optionalIfMatchHeader },
      responses: {
        200: { description: `The ${config.what} after the action.`, headers: etagHeader, content: { "application/json": { schema: config.schema } } },
      },
    }) as ReturnType<typeof createRoute>;
    router.openapi(route, async (c: Context<AppEnv>) => {
      const expectedVersion = optionalIfMatch(c);
      const { id } = (c.req as unknown as { valid(target: "param"): { id: string } }).valid("param");
      const row = await config.find(c, id);
      await spec.authorize?.(c, row);
      // Related records are read only for a legal move, so an illegal one is the machine's 409.
      const legal = config.machine.transitions[action].from.includes(row.status);
      const also: Also = legal && spec.also ? await spec.also(c, row, c.var.clock.now().toISOString()) : { writes: [] };
      const updated = await transition<S, A, R>(c, {
        table: config.table,
        row,
        expectedVersion,
        machine: config.machine,
        action,
        targetType: config.targetType,
        changes: also.changes,
        alsoWrite: () => also.writes,
        events: (u) => [
          { type: `${config.targetType}.${spec.event}`, subjectType: config.targetType, subjectId: u.id, payload: config.eventPayload(u) },
          ...(also.events ?? []),
        ],
      });
      return c.json(await config.present(c, updated), 200, { etag: etagOf(updated.version) });
    });
  }
  return router;
}
