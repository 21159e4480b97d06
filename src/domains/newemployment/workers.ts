import { z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { idCardSchema, phoneSchema, revealPersonalData, sealedPhone } from "../../shared/api/personal-data.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { maskIdCard, maskName } from "../../shared/crypto/pii.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { commitCreated } from "../../shared/store/commit.js";
import { assertMayRevealPii } from "../../shared/auth/pii-reveal.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite, requireReference, unknownReference } from "../../shared/store/references.js";
import { volunteers } from "../emergency/tables.js";
import { platformKinds, units } from "../organisations/tables.js";
import { platformUnitId, stationId, tag, workerId } from "./common.js";
import { stationReach } from "./stations.js";
import { gigWorkers, quickReportPoints, vehicleTypes, warmStations, workerTrades } from "./tables.js";

/**
 * 新就业群体 workers: personal data sealed, fingerprinted and masked like volunteers' (revealed only
 * with `reveal=pii` under the members' rule, audited); seen by the administrators of the community they work from, by their platform, and by
 * themselves (a `gig_worker` token whose subject is their id).
 */
export type WorkerRow = typeof gigWorkers.$inferSelect;
export const workerReach = {
  divisionPath: gigWorkers.divisionPath,
  companyUnitId: gigWorkers.platformUnitId,
  workerId: gigWorkers.id,
};
export const findWorker = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, gigWorkers, workerReach, id, "new-employment worker");

const workerFields = {
  name: z.string().trim().min(1).max(50).openapi({ example: "马小军" }),
  trade: z.enum(workerTrades).openapi({ description: "delivery 外卖骑手, courier 快递员, ride_hailing 网约车司机." }),
  platformUnitId: platformUnitId.openapi({
    description: "The platform: a unit of kind delivery_platform, courier_company or ride_hailing_platform.",
  }),
  vehicleType: z.enum(vehicleTypes),
  baseDivisionId: divisionIdSchema.openapi({ description: "The community (or street) they work from." }),
  stationId: stationId.nullable().openapi({ description: "The warm station they use as a base, if any." }),
  volunteerId: idSchema("vol")
    .nullable()
    .openapi({ description: "Their volunteer record, which puts them in a volunteer team (`source` new_employment)." }),
};

const workerSchema = z
  .object({
    id: workerId,
    tenant: z.string().openapi({ example: "620902" }),
    ...workerFields,
    phone: z.string().openapi({ description: "Masked unless revealed with `reveal=pii`.", example: "139****2046" }),
    idCard: z
      .string()
      .nullable()
      .openapi({ description: "Masked unless revealed with `reveal=pii`.", example: "6209**********0024" }),
    active: z.boolean(),
    ...timestampsSchema,
  })
  .openapi("GigWorker");
const workerWithPointsSchema = workerSchema
  .extend({ points: z.number().int().openapi({ description: "The points balance (sum of the ledger).", example: 35 }) })
  .openapi("GigWorkerWithPoints");

const createWorkerSchema = z
  .object({
    ...workerFields,
    phone: phoneSchema,
    idCard: idCardSchema.optional(),
    stationId: stationId.optional(),
    volunteerId: idSchema("vol").optional(),
  })
  .strict()
  .openapi("CreateGigWorker", {
    example: {
      name: "马小军",
      trade: "delivery",
      platformUnitId: "unit_01KDVDNA011AKWK3RC504FTYF8",
      vehicleType: "e_bike",
      baseDivisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
      phone: "13909372046",
    },
  });

export const presentWorker = (
  row: WorkerRow,
  crossTenant = false,
  clear?: { phone: string; idCard: string | null },
) => ({
  id: row.id,
  tenant: row.tenantId,
  name: crossTenant ? maskName(row.name) : row.name,
  trade: row.trade,
  platformUnitId: row.platformUnitId,
  vehicleType: row.vehicleType,
  baseDivisionId: row.baseDivisionId,
  stationId: row.stationId,
  volunteerId: row.volunteerId,
  phone: clear?.phone ?? row.phoneMasked,
  idCard: clear ? clear.idCard : row.idCardMasked,
  active: row.active,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** A worker's points balance: the sum of their ledger entries. */
export async function pointsOf(c: Context<AppEnv>, row: WorkerRow): Promise<number> {
  const [sum] = await c
    .get("db")
    .select({ points: sql<number>`coalesce(sum(${quickReportPoints.points}), 0)` })
    .from(quickReportPoints)
    .where(and(eq(quickReportPoints.tenantId, row.tenantId), eq(quickReportPoints.workerId, row.id)));
  return Number(sum?.points ?? 0);
}

/** The platform a body names: a unit of a platform kind in the caller's tenant. */
async function platformOf(c: Context<AppEnv>, id: string) {
  const [unit] = await c
    .get("db")
    .select({ id: units.id, kind: units.kind })
    .from(units)
    .where(and(eq(units.id, id), eq(units.tenantId, c.get("principal").tenant)));
  if (!unit) throw unknownReference("/platformUnitId", "new-employment platform");
  if (!(platformKinds as readonly string[]).includes(unit.kind))
    throw new ApiError("validation_failed", msg("newemp.not_platform", { kind: unit.kind }), {
      errors: [{ in: "body", pointer: "/platformUnitId", detail: msg("newemp.not_platform", { kind: unit.kind }) }],
    });
  return unit.id;
}

const createWorker = protectedRoute({
  method: "post",
  path: "/v1/gig-workers",
  operationId: "createGigWorker",
  tags: [tag],
  summary: "Register a courier, rider or driver (新就业群体)",
  description:
    "Phone and ID card are sealed and answered masked. Link `volunteerId` to put them in a volunteer team (the emergency area's teams, `source` new_employment).",
  scope: "newemp:write",
  idempotent: true,
  errors: [409],
  request: { body: { required: true, content: { "application/json": { schema: createWorkerSchema } } } },
  responses: { 201: versionedResponse(workerSchema, "The worker was registered.") },
});

const listWorkers = protectedRoute({
  method: "get",
  path: "/v1/gig-workers",
  operationId: "listGigWorkers",
  tags: [tag],
  summary: "Workers within reach",
  description:
    "Administrators: those working from their subtree; a platform: its own; a worker: themselves. `phone` is an exact-match lookup by keyed hash.",
  scope: "newemp:read",
  request: {
    query: pageQuerySchema.extend({
      platformUnitId: platformUnitId.optional(),
      trade: z.enum(workerTrades).optional(),
      baseDivisionId: divisionIdSchema.optional(),
      phone: phoneSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of workers, personal data masked.",
      content: { "application/json": { schema: pageOf(workerSchema, "GigWorkerPage") } },
    },
  },
});

const getWorker = protectedRoute({
  method: "get",
  path: "/v1/gig-workers/{id}",
  operationId: "getGigWorker",
  tags: [tag],
  summary: "One worker, with their points balance",
  description:
    "Masked by default. `reveal=pii` answers the clear phone and ID card number under the members' rule: the scope pii:read, a signed-in person (never an API key), audited as `gig_worker.pii_revealed`.",
  scope: "newemp:read",
  errors: [404],
  request: {
    params: z.object({ id: workerId }),
    query: z.object({ reveal: z.enum(["pii"]).optional().openapi({ description: "`pii`: answer clear values." }) }),
  },
  responses: { 200: versionedResponse(workerWithPointsSchema, "The worker (masked).") },
});

export const workerRoutes = createRouter()
  .openapi(createWorker, async (c) => {
    const body = c.req.valid("json");
    const { pii, clock, principal } = c.var;
    const division = await requireDivisionForWrite(c, body.baseDivisionId, {
      pointer: "/baseDivisionId",
      levels: ["street", "town", "community", "grid"],
    });
    const platform = await platformOf(c, body.platformUnitId);
    if (body.stationId)
      await requireReference(c, warmStations, stationReach, body.stationId, {
        pointer: "/stationId",
        what: "warm station",
      });
    if (body.volunteerId)
      await requireReference(c, volunteers, { divisionPath: volunteers.divisionPath }, body.volunteerId, {
        pointer: "/volunteerId",
        what: "volunteer",
      });
    const at = clock.now();
    const row: WorkerRow = {
      id: newId("gwk", at.getTime()),
      tenantId: principal.tenant,
      name: body.name,
      ...((await sealedPhone(c, body.phone)) as { phoneCipher: string; phoneHash: string; phoneMasked: string }),
      idCardCipher: body.idCard ? await pii.seal(body.idCard) : null,
      idCardHash: body.idCard ? await pii.fingerprint(body.idCard) : null,
      idCardMasked: body.idCard ? maskIdCard(body.idCard) : null,
      trade: body.trade,
      platformUnitId: platform,
      vehicleType: body.vehicleType,
      baseDivisionId: division.id,
      divisionPath: division.path,
      stationId: body.stationId ?? null,
      volunteerId: body.volunteerId ?? null,
      active: true,
      version: 1,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    const response = presentWorker(row);
    const headers = await commitCreated(c, `/v1/gig-workers/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(gigWorkers).values(row)],
      audit: {
        action: "gig_worker.create",
        targetType: "gig_worker",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "gig_worker.registered",
          subjectType: "gig_worker",
          subjectId: row.id,
          payload: {
            workerId: row.id,
            platformUnitId: row.platformUnitId,
            trade: row.trade,
            baseDivisionId: row.baseDivisionId,
          },
        },
      ],
      conflicts: { "gig_workers.tenant_id": msg("newemp.phone_taken") },
    });
    return c.json(response, 201, headers);
  })
  .openapi(listWorkers, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, gigWorkers, workerReach, q, {
      platformUnitId: [gigWorkers.platformUnitId, q.platformUnitId],
      trade: [gigWorkers.trade, q.trade],
      baseDivisionId: [gigWorkers.baseDivisionId, q.baseDivisionId],
      phone: [gigWorkers.phoneHash, q.phone ? await c.get("pii").fingerprint(q.phone) : undefined],
    });
    const crossTenant = c.get("principal").crossTenant;
    return c.json({ data: page.data.map((r) => presentWorker(r, crossTenant)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getWorker, async (c) => {
    const reveal = c.req.valid("query").reveal === "pii";
    if (reveal) assertMayRevealPii(c.get("principal"));
    const row = await findWorker(c, c.req.valid("param").id);
    const points = await pointsOf(c, row);
    if (!reveal)
      return c.json({ ...presentWorker(row, c.get("principal").crossTenant), points }, 200, {
        etag: etagOf(row.version),
      });
    const clear = await revealPersonalData(c, "gig_worker", row);
    return c.json({ ...presentWorker(row, false, clear), points }, 200, {
      etag: etagOf(row.version),
      "cache-control": "no-store",
    });
  });
