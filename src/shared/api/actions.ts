import { type createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { BatchItem } from "drizzle-orm/batch";
import type { Scope } from "../auth/principal.js";
import type { Machine } from "../store/state-machine.js";
import type { AuditEntry, DomainEvent } from "../store/commit.js";
import {
  columnInSql,
  payloadInSql,
  transition,
  transitionWithinReach,
  type VersionedRow,
  type VersionedTable,
} from "../store/records.js";
import { GuardFailed } from "../store/commit.js";
import { and, sql, type SQL } from "drizzle-orm";
import type { AppEnv } from "../request/context.js";
import { etagOf, optionalIfMatch } from "../http/etag.js";
import { ApiError } from "../http/errors.js";
import { msg } from "../http/messages.js";
import { createRouter, etagHeader, protectedRoute } from "./openapi.js";
import type { Message } from "../http/messages.js";

export const optionalIfMatchHeader = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "Optional: when sent, the ETag you last read (412 when stale).",
      example: '"v1"',
    }),
});

type Scopes = Scope | readonly [Scope, ...Scope[]];

/** What an action does besides moving the status; all of it lands in the one batch with the record's own write. */
export interface ActionEffects<R> {
  /** Fields set besides the status (never from a body as-is: the body is checked, these are derived). */
  set?: Partial<R>;
  /** Guarded writes to related records (a project's need, a ledger entry), after the record's own. */
  writes?: BatchItem<"sqlite">[];
  /** Outbox events besides the action's own `event`. */
  events?: DomainEvent[];
  /** Audit details besides the status change (ids and states; field names only for personal data). */
  changes?: Record<string, unknown>;
  /** Audit events in other trails besides the record's own (the other tenant of a record two tenants share). */
  audit?: AuditEntry[];
  /** Client-facing details for unique constraints these writes may hit. */
  conflicts?: Record<string, Message>;
}

export interface ActionSpec<R, B = any> {
  operationId: string;
  summary: string;
  description?: string;
  /** The scope, or several of which any one suffices; defaults to the config's. */
  scope?: Scopes;
  /** The request body (`.strict()`). Optional for the client when the schema accepts `{}`. */
  body?: z.ZodType<B>;
  /** The record, if the caller may see it (otherwise the 404 of a missing one); defaults to the config's. */
  find?: (c: Context<AppEnv>, id: string) => Promise<R>;
  /**
   * The records this action may touch, as its own `find` applies (instead of the config's `visible`):
   * with it, an action with a `find` of its own can still be one round trip.
   */
  visible?: (c: Context<AppEnv>) => SQL;
  /** Throws (403) when this principal, though it sees the record, may not take this action. */
  authorize?: (c: Context<AppEnv>, row: R) => void | Promise<void>;
  /**
   * `authorize` as a condition on the record (true where it would pass): with it, an action that has
   * an `authorize` can still be one round trip; `authorize` then runs only to say why nothing was written.
   */
  allowed?: (c: Context<AppEnv>) => SQL;
  /** Runs only for a legal move, so an illegal one is the machine's 409 before related records are read. */
  effects?: (c: Context<AppEnv>, row: R, body: B) => ActionEffects<R> | Promise<ActionEffects<R>>;
  /**
   * Effects from the request alone (a timestamp, a due date, a reason from the body), never from the
   * record as read: instead of `effects`, they let the action be written in one round trip (see
   * `visible`). Writes and events that need the record's columns read them in SQL by `id` (a subselect).
   */
  requestEffects?: (c: Context<AppEnv>, body: B, id: string) => ActionEffects<R>;
  /** Runs after the commit (e.g. hands queued work to a deferred sender). */
  after?: (c: Context<AppEnv>, updated: R) => void;
  /** Emits `<targetType>.<event>` with the config's `eventPayload`. */
  event?: string;
  /** The tenant whose outbox carries `event`; the record's own by default. A plain column keeps the action one round trip. */
  eventTenant?: (updated: R) => string;
}

export interface ActionRoutes<S extends string, A extends string, R extends VersionedRow & { status: S }> {
  /** `POST <base>/{id}/<action-in-kebab-case>`. */
  base: string;
  tag: string;
  idSchema: z.ZodString;
  /** The response schema, and how a row becomes it. */
  schema: z.ZodType;
  present: (row: R, c: Context<AppEnv>) => unknown;
  /**
   * When `present` reads more than the row (a post's seats taken): that read, run in a one-trip
   * action's own batch after its write, and the response made from the row and the read's rows.
   */
  presentAlong?: {
    read: (c: Context<AppEnv>, id: string) => BatchItem<"sqlite">;
    present: (row: R, read: unknown, c: Context<AppEnv>) => unknown;
  };
  machine: Machine<S, A>;
  table: VersionedTable;
  /** e.g. `member_report`: audit actions `<targetType>.<action>`, event types `<targetType>.<event>`. */
  targetType: string;
  scope?: Scopes;
  find?: (c: Context<AppEnv>, id: string) => Promise<R>;
  /**
   * The records the caller may act on, as the condition `find` applies. With it, an action that has
   * no `effects` (only `requestEffects`), no `find` of its own unless with its own `visible`, no
   * `authorize` unless with its `allowed`, an `eventTenant` (if any) that is a column and an
   * `eventPayload` that is a projection of columns is one round trip: the update carries the
   * condition, the states it moves from and the If-Match version (`transitionWithinReach`); `find`
   * (and `authorize`) run only to say why nothing was written (404, 403, 409, 412).
   */
  visible?: (c: Context<AppEnv>) => SQL;
  eventPayload?: (row: R) => Record<string, unknown>;
  /** The client actions; a machine action left out (one done by another record's write) gets no route. */
  actions: { [K in A]?: ActionSpec<R> };
}

const kebab = (action: string) => action.replaceAll("_", "-");

/**
 * One `POST <base>/{id}/<action>` per client action of a state machine: find the record within
 * reach, authorise, check the move (409 `invalid_transition` naming the current state), then write
 * it with an optimistic update (optional If-Match, 412 when stale) that carries the audit event,
 * the outbox events and any guarded writes to related records in one batch.
 */
export function actionRoutes<S extends string, A extends string, R extends VersionedRow & { status: S }>(
  config: ActionRoutes<S, A, R>,
) {
  const router = createRouter();
  const what = config.targetType.replaceAll("_", " ");
  for (const action of config.machine.actions) {
    const spec = config.actions[action];
    if (!spec) continue;
    const scope = spec.scope ?? config.scope;
    const find = spec.find ?? config.find;
    if (!scope || !find || (spec.event && !config.eventPayload))
      throw new Error(`${config.targetType}.${action}: needs a scope, a find and, with an event, an eventPayload`);
    const { from, to } = config.machine.transitions[action];
    const route = protectedRoute({
      method: "post",
      path: `${config.base}/{id}/${kebab(action)}`,
      operationId: spec.operationId,
      tags: [config.tag],
      summary: spec.summary,
      description: `${spec.description ? `${spec.description}\n\n` : ""}Allowed from: ${from.join(", ")}; leads to ${to}. Any other state is a 409 \`invalid_transition\` naming the current state.`,
      scope,
      errors: [404, 409, 412],
      request: {
        params: z.object({ id: config.idSchema }),
        headers: optionalIfMatchHeader,
        ...(spec.body
          ? {
              body: {
                required: !spec.body.safeParse({}).success,
                content: { "application/json": { schema: spec.body } },
              },
            }
          : {}),
      },
      responses: {
        200: {
          description: `The ${what} after the action.`,
          headers: etagHeader,
          content: { "application/json": { schema: config.schema } },
        },
      },
    }) as ReturnType<typeof createRoute>;
    if (spec.effects && spec.requestEffects)
      throw new Error(`${config.targetType}.${action}: effects or requestEffects, not both`);
    const visible = spec.visible ?? (spec.find ? undefined : config.visible);
    const oneTrip =
      visible &&
      (!spec.authorize || spec.allowed) &&
      !spec.effects &&
      (!spec.eventTenant || columnInSql(config.table, spec.eventTenant, "") !== undefined) &&
      (!spec.event || payloadInSql(config.table, config.eventPayload!, "") !== undefined);
    router.openapi(route, async (c: Context<AppEnv>) => {
      const expectedVersion = optionalIfMatch(c);
      const req = c.req as unknown as { valid(target: "param" | "json"): Record<string, unknown> };
      const body = spec.body ? req.valid("json") : undefined;
      const id = req.valid("param").id as string;
      if (oneTrip) {
        const effects = spec.requestEffects?.(c, body, id) ?? {};
        let updated: R;
        let read: unknown[];
        try {
          ({ row: updated, read } = (await transitionWithinReach(c, {
            table: config.table as VersionedTable & { status: never },
            id,
            visible: spec.allowed ? and(visible(c), spec.allowed(c))! : visible(c),
            machine: config.machine,
            action,
            expectedVersion,
            set: effects.set,
            targetType: config.targetType,
            changes: effects.changes,
            alsoAudit: effects.audit,
            writes: effects.writes,
            conflicts: effects.conflicts,
            events: [
              ...(spec.event
                ? [
                    {
                      type: `${config.targetType}.${spec.event}`,
                      subjectType: config.targetType,
                      subjectId: id,
                      payload: payloadInSql(config.table, config.eventPayload!, id)!,
                      tenantId: spec.eventTenant
                        ? columnInSql(config.table, spec.eventTenant, id)!
                        : sql`(select ${config.table.tenantId} from ${config.table} where ${config.table.id} = ${id})`,
                    },
                  ]
                : []),
              ...(effects.events ?? []),
            ],
            reads: config.presentAlong ? [config.presentAlong.read(c, id)] : undefined,
          })) as { row: R; read: unknown[] });
        } catch (err) {
          if (!(err instanceof GuardFailed)) throw err;
          // Nothing was written: the record says why (only on this path is it read).
          const row = await find(c, id);
          await spec.authorize?.(c, row);
          config.machine.next(row.status, action);
          throw expectedVersion !== undefined && row.version !== expectedVersion
            ? new ApiError(
                "precondition_failed",
                msg("generic.record_version_mismatch", { version: row.version, expected: expectedVersion }),
              )
            : new ApiError("conflict", msg("generic.record_changed_concurrently"));
        }
        spec.after?.(c, updated);
        const response = config.presentAlong
          ? config.presentAlong.present(updated, read[0], c)
          : config.present(updated, c);
        return c.json(await response, 200, { etag: etagOf(updated.version) });
      }
      const row = await find(c, id);
      await spec.authorize?.(c, row);
      config.machine.next(row.status, action);
      const effects = (await (spec.effects?.(c, row, body) ?? spec.requestEffects?.(c, body, id))) ?? {};
      const updated = await transition<S, A, R>(c, {
        table: config.table,
        row,
        expectedVersion,
        machine: config.machine,
        action,
        set: effects.set,
        targetType: config.targetType,
        changes: effects.changes,
        alsoAudit: effects.audit,
        alsoWrite: effects.writes ? () => effects.writes! : undefined,
        conflicts: effects.conflicts,
        events: (u) => [
          ...(spec.event
            ? [
                {
                  type: `${config.targetType}.${spec.event}`,
                  subjectType: config.targetType,
                  subjectId: u.id,
                  payload: config.eventPayload!(u),
                  tenantId: spec.eventTenant?.(u) ?? u.tenantId,
                },
              ]
            : []),
          ...(effects.events ?? []),
        ],
      });
      spec.after?.(c, updated);
      return c.json(await config.present(updated, c), 200, { etag: etagOf(updated.version) });
    });
  }
  return router;
}

/** A record with a deadline that is resolved by an action (a complaint, a quick report). */
interface ResolvableRow {
  dueAt: string;
  resolution: string | null;
  resolvedAt: string | null;
  onTime: boolean | null;
}

/**
 * The effects of a `resolve` action on a record with a deadline: how it was resolved, when, and
 * whether that met the deadline (the on-time rate of the scorecards).
 */
export function resolvedByDeadline<R extends ResolvableRow>(
  c: Context<AppEnv>,
  row: R,
  body: { resolution: string },
): ActionEffects<R> {
  const at = c.get("clock").now().toISOString();
  const onTime = at <= row.dueAt;
  return { set: { resolution: body.resolution, resolvedAt: at, onTime } as Partial<R>, changes: { onTime } };
}
