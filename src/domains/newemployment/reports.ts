import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { actionRoutes, resolvedByDeadline } from "../../shared/api/actions.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { actorOf } from "../../shared/auth/principal.js";
import { toWgs84 } from "../../shared/geo.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { msg } from "../../shared/http/messages.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, timestampsSchema } from "../../shared/http/schemas.js";
import type { AppEnv } from "../../shared/request/context.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireReference } from "../../shared/store/references.js";
import { routeByPlace } from "./areas.js";
import {
  latSchema,
  longSchema,
  placeSchema,
  platformUnitId,
  quickReportEventPayload,
  quickReportId,
  tag,
  workerId,
} from "./common.js";
import { pointsFor, quickReportDueAt, quickReportMachine } from "./machines.js";
import { photosOfReport, photoSchema, reportPhotoRoutes } from "./report-photos.js";
import { workerReach } from "./workers.js";
import {
  gigWorkers,
  quickReportCategories,
  quickReportLevels,
  quickReportPoints,
  quickReports,
  quickReportStatuses,
} from "./tables.js";

export type QuickReportRow = typeof quickReports.$inferSelect;

/** Administrators: their subtree (where the report was routed); a platform: its workers' reports; a worker: their own. */
export const quickReportReach = {
  divisionPath: quickReports.divisionPath,
  companyUnitId: quickReports.platformUnitId,
  workerId: quickReports.workerId,
};
export const findQuickReport = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, quickReports, quickReportReach, id, "quick report");

const categorySchema = z.enum(quickReportCategories).openapi({
  description:
    "hazard 安全隐患, blocked_fire_lane 占用消防通道, broken_facility 设施损坏, elderly_needs_help 老人需要帮助, other 其他.",
  example: "blocked_fire_lane",
});

const fileSchema = z
  .object({
    workerId: workerId.optional().openapi({
      description: "The worker reporting. A worker's own token leaves it out; a platform names one of its workers.",
    }),
    category: categorySchema,
    description: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .openapi({ example: "富康家园 3 号楼东侧消防通道被三辆私家车占用。" }),
    place: placeSchema,
    address: z.string().trim().min(1).max(200).optional().openapi({ example: "肃州区富康路 18 号富康家园 3 号楼东侧" }),
  })
  .strict()
  .openapi("FileQuickReport", {
    example: {
      category: "blocked_fire_lane",
      description: "富康家园 3 号楼东侧消防通道被三辆私家车占用。",
      place: { lat: 39.7446, long: 98.5131, datum: "gcj02" },
      address: "肃州区富康路 18 号富康家园 3 号楼东侧",
    },
  });

export const quickReportSchema = z
  .object({
    id: quickReportId,
    tenant: z.string().openapi({ example: "620902" }),
    workerId,
    platformUnitId,
    category: categorySchema,
    description: z.string(),
    place: z.object({ lat: latSchema, long: longSchema }).openapi({ description: "WGS-84, whatever datum was given." }),
    datum: z.enum(["wgs84", "gcj02"]).openapi({ description: "The datum the place was given in." }),
    address: z.string().nullable(),
    communityId: divisionIdSchema.openapi({ description: "The community it was routed to, which handles it." }),
    routedBy: z.enum(["boundary", "nearest"]).openapi({
      description:
        "boundary: the place lies inside the community's boundary; nearest: the community's centre is the nearest.",
    }),
    distanceMetres: z.number().int().openapi({ description: "From the community's centre.", example: 420 }),
    status: z.enum(quickReportStatuses),
    dueAt: z.string().openapi({ example: "2026-12-01T06:00:00.000Z" }),
    handler: z.string().nullable().openapi({ description: "Who handles it (a grid worker, a department)." }),
    resolution: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    onTime: z.boolean().nullable(),
    rejectionReason: z.string().nullable(),
    points: z.number().int().openapi({ description: "Points it earned its worker (on acceptance).", example: 8 }),
    level: z.enum(quickReportLevels).openapi({
      description:
        "community: the community it was routed to handles it; street: its deadline passed unresolved, so the street does (the background job).",
    }),
    escalatedAt: z.string().nullable().openapi({ description: "When it went to the street, if it did." }),
    ...timestampsSchema,
  })
  .openapi("QuickReport");
const withPhotosSchema = quickReportSchema.extend({ photos: z.array(photoSchema) }).openapi("QuickReportWithPhotos");

export const presentQuickReport = (row: QuickReportRow) => ({
  id: row.id,
  tenant: row.tenantId,
  workerId: row.workerId,
  platformUnitId: row.platformUnitId,
  category: row.category,
  description: row.description,
  place: { lat: row.lat, long: row.long },
  datum: row.datum,
  address: row.address,
  communityId: row.communityId,
  routedBy: row.routedBy,
  distanceMetres: row.distanceMetres,
  status: row.status,
  dueAt: row.dueAt,
  handler: row.handler,
  resolution: row.resolution,
  resolvedAt: row.resolvedAt,
  onTime: row.onTime,
  rejectionReason: row.rejectionReason,
  points: row.points,
  level: row.level,
  escalatedAt: row.escalatedAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const fileQuickReport = protectedRoute({
  method: "post",
  path: "/v1/quick-reports",
  operationId: "fileQuickReport",
  tags: [tag],
  summary: "File a quick report (随手拍) as a worker, or for one as their platform",
  description:
    "The place is converted to WGS-84 and decides the community that handles it: the one whose boundary contains it, else the nearest community centre of the tenant. Add photos with `POST /v1/quick-reports/{id}/photos`.",
  scope: "quickreports:file",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: fileSchema } } } },
  responses: {
    201: {
      description: "Filed and routed; its deadline runs.",
      headers: { ETag: { description: "The entity version.", schema: { type: "string" as const } } },
      content: { "application/json": { schema: quickReportSchema } },
    },
  },
});

const listQuickReports = protectedRoute({
  method: "get",
  path: "/v1/quick-reports",
  operationId: "listQuickReports",
  tags: [tag],
  summary: "Quick reports within reach",
  scope: "quickreports:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(quickReportStatuses).optional(),
      level: z.enum(quickReportLevels).optional(),
      category: categorySchema.optional(),
      communityId: divisionIdSchema.optional(),
      workerId: workerId.optional(),
      platformUnitId: platformUnitId.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of quick reports.",
      content: { "application/json": { schema: pageOf(quickReportSchema, "QuickReportPage") } },
    },
  },
});

const getQuickReport = protectedRoute({
  method: "get",
  path: "/v1/quick-reports/{id}",
  operationId: "getQuickReport",
  tags: [tag],
  summary: "One quick report, with its photos",
  scope: "quickreports:read",
  errors: [404],
  request: { params: z.object({ id: quickReportId }) },
  responses: {
    200: {
      description: "The report.",
      headers: { ETag: { description: "The entity version.", schema: { type: "string" as const } } },
      content: { "application/json": { schema: withPhotosSchema } },
    },
  },
});

const startSchema = z
  .object({ handler: z.string().trim().min(1).max(100).optional().openapi({ example: "富康社区第三网格 李网格员" }) })
  .strict()
  .openapi("StartQuickReport");
const resolveSchema = z
  .object({ resolution: z.string().trim().min(1).max(2000).openapi({ example: "已联系车主挪车，通道已畅通。" }) })
  .strict()
  .openapi("ResolveQuickReport");
const reasonSchema = z
  .object({ reason: z.string().trim().min(1).max(1000).openapi({ example: "现场复核：并无占道。" }) })
  .strict()
  .openapi("QuickReportReason");

/** The worker a filing names: one the caller reaches (a platform its own, a worker themselves), active. */
async function reporterOf(c: Context<AppEnv>, named: string | undefined) {
  const id = named ?? c.get("principal").owner?.workerId;
  if (!id)
    throw new ApiError("validation_failed", msg("newemp.worker_required"), {
      errors: [{ in: "body", pointer: "/workerId", detail: msg("newemp.worker_required") }],
    });
  const worker = await requireReference(c, gigWorkers, workerReach, id, {
    pointer: "/workerId",
    what: "new-employment worker",
  });
  if (!worker.active)
    throw new ApiError("validation_failed", msg("newemp.worker_inactive"), {
      errors: [{ in: "body", pointer: "/workerId", detail: msg("newemp.worker_inactive") }],
    });
  return worker;
}

export const quickReportRoutes = createRouter()
  .openapi(fileQuickReport, async (c) => {
    const body = c.req.valid("json");
    const worker = await reporterOf(c, body.workerId);
    const place = toWgs84(body.place, body.place.datum);
    const routed = await routeByPlace(c, worker.tenantId, place);
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: QuickReportRow = {
      id: newId("qrp", now.getTime()),
      tenantId: worker.tenantId,
      workerId: worker.id,
      platformUnitId: worker.platformUnitId,
      category: body.category,
      description: body.description,
      lat: place.lat,
      long: place.long,
      datum: body.place.datum,
      address: body.address ?? null,
      ...routed,
      status: "reported",
      dueAt: await quickReportDueAt(c.get("db"), now, body.category),
      handler: null,
      resolution: null,
      resolvedAt: null,
      onTime: null,
      rejectionReason: null,
      points: 0,
      level: "community",
      escalatedAt: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const response = presentQuickReport(row);
    const headers = await commitCreated(c, `/v1/quick-reports/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(quickReports).values(row)],
      audit: {
        action: "quick_report.create",
        targetType: "quick_report",
        targetId: row.id,
        divisionPath: row.divisionPath,
        tenantId: row.tenantId,
        changes: { category: row.category, routedBy: row.routedBy, datum: row.datum, fields: Object.keys(body) },
      },
      events: [
        {
          type: "quick_report.filed",
          subjectType: "quick_report",
          subjectId: row.id,
          payload: quickReportEventPayload(row),
          tenantId: row.tenantId,
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listQuickReports, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, quickReports, quickReportReach, q, {
      status: [quickReports.status, q.status],
      level: [quickReports.level, q.level],
      category: [quickReports.category, q.category],
      communityId: [quickReports.communityId, q.communityId],
      workerId: [quickReports.workerId, q.workerId],
      platformUnitId: [quickReports.platformUnitId, q.platformUnitId],
    });
    return c.json({ data: page.data.map(presentQuickReport), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getQuickReport, async (c) => {
    const row = await findQuickReport(c, c.req.valid("param").id);
    return c.json({ ...presentQuickReport(row), photos: await photosOfReport(c, row) }, 200, {
      etag: etagOf(row.version),
    });
  })
  .route("/", reportPhotoRoutes(findQuickReport))
  .route(
    "/",
    actionRoutes({
      base: "/v1/quick-reports",
      tag,
      idSchema: quickReportId,
      schema: quickReportSchema,
      targetType: "quick_report",
      machine: quickReportMachine,
      table: quickReports,
      find: findQuickReport,
      present: presentQuickReport,
      eventPayload: quickReportEventPayload,
      scope: "quickreports:manage",
      actions: {
        accept: {
          operationId: "acceptQuickReport",
          summary: "Accept a quick report (受理): its worker earns the category's points",
          description: "The points entry is appended to the ledger in the same write as the acceptance.",
          event: "accepted",
          effects: (c, row) => {
            const points = pointsFor[row.category];
            const at = c.get("clock").now();
            return {
              set: { points },
              writes: [
                c
                  .get("db")
                  .insert(quickReportPoints)
                  .values({
                    id: newId("qpt", at.getTime()),
                    tenantId: row.tenantId,
                    workerId: row.workerId,
                    platformUnitId: row.platformUnitId,
                    divisionPath: row.divisionPath,
                    reportId: row.id,
                    points,
                    reason: "accepted",
                    note: null,
                    createdBy: actorOf(c.get("principal")),
                    createdAt: at.toISOString(),
                  }),
              ],
              changes: { points },
            };
          },
        },
        start: {
          operationId: "startQuickReport",
          summary: "Start handling it, naming who handles it",
          body: startSchema,
          event: "started",
          effects: (_c, _row, body: z.infer<typeof startSchema>) => ({
            set: { handler: body.handler ?? null },
            changes: { handler: body.handler !== undefined },
          }),
        },
        resolve: {
          operationId: "resolveQuickReport",
          summary: "Report it resolved, saying how",
          body: resolveSchema,
          event: "resolved",
          effects: (c, row, body: z.infer<typeof resolveSchema>) => resolvedByDeadline(c, row, body),
        },
        send_back: {
          operationId: "sendBackQuickReport",
          summary: "Send a resolution back: found not done",
          body: reasonSchema,
          event: "sent_back",
          effects: (_c, _row, body: z.infer<typeof reasonSchema>) => ({
            set: { resolution: null, resolvedAt: null, onTime: null },
            changes: { reason: body.reason },
          }),
        },
        close: { operationId: "closeQuickReport", summary: "Close a resolved quick report", event: "closed" },
        reject: {
          operationId: "rejectQuickReport",
          summary: "Reject it: not true, a duplicate, or not the community's matter (no points)",
          description: "A report already accepted keeps the points it earned; correct them on the ledger if needed.",
          body: reasonSchema,
          event: "rejected",
          effects: (_c, _row, body: z.infer<typeof reasonSchema>) => ({
            set: { rejectionReason: body.reason },
            changes: { rejected: true },
          }),
        },
      },
    }),
  );
