import { z } from "@hono/zod-openapi";
import { newId } from "../../db/ids.js";
import { actionRoutes } from "../../shared/api/actions.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, visibleWithinReach } from "../../shared/store/records.js";
import { unknownReference } from "../../shared/store/references.js";
import { orgReportMachine } from "./machines.js";
import { partyOrgIdSchema, requirePartyOrg, unitOrgCategories } from "./references.js";
import { orgReports, orgReportStatuses } from "./tables.js";
import { msg } from "../../shared/http/messages.js";

const orgReportId = idSchema("orep");

const orgReportSchema = z
  .object({
    id: orgReportId,
    tenant: z.string().openapi({ example: "620902" }),
    unitOrgId: partyOrgIdSchema.openapi({ description: "The reporting unit (or two-new) party organisation." }),
    communityOrgId: partyOrgIdSchema.openapi({ description: "The community party organisation it reports to." }),
    slipNumber: z
      .string()
      .openapi({ description: "报到单 number, unique within the tenant.", example: "SZ-2026-0042" }),
    reportDate: dateSchema,
    liaisonName: z.string().openapi({ example: "王敏" }),
    status: z.enum(orgReportStatuses),
    ...timestampsSchema,
  })
  .openapi("OrgReport");

const createOrgReportSchema = z
  .object({
    unitOrgId: partyOrgIdSchema,
    communityOrgId: partyOrgIdSchema,
    slipNumber: z.string().trim().min(1).max(64).openapi({ example: "SZ-2026-0042" }),
    reportDate: dateSchema,
    liaisonName: z.string().trim().min(1).max(100).openapi({ example: "王敏" }),
  })
  .strict()
  .openapi("CreateOrgReport", {
    example: {
      unitOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      communityOrgId: "org_01KDVDNA02Q7M4V1Z8XG3H6J9K",
      slipNumber: "SZ-2026-0042",
      reportDate: "2026-11-26",
      liaisonName: "王敏",
    },
  });

type OrgReportRow = typeof orgReports.$inferSelect;
const present = (row: OrgReportRow) => ({
  id: row.id,
  tenant: row.tenantId,
  unitOrgId: row.unitOrgId,
  communityOrgId: row.communityOrgId,
  slipNumber: row.slipNumber,
  reportDate: row.reportDate,
  liaisonName: row.liaisonName,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
/** Community and street admins reach a report through the community's path, a unit admin through its unit org. */
const reach = { divisionPath: orgReports.divisionPath, unitOrgId: orgReports.unitOrgId };
const conflicts = { "org_reports.slip_number": msg("unique.slip_number") };
const eventPayload = (row: OrgReportRow) => ({
  orgReportId: row.id,
  unitOrgId: row.unitOrgId,
  communityOrgId: row.communityOrgId,
  status: row.status,
});
const orgReportResponse = (description: string) => versionedResponse(orgReportSchema, description);

const createOrgReport = protectedRoute({
  method: "post",
  path: "/v1/org-reports",
  operationId: "createOrgReport",
  tags: ["reports"],
  summary: "Submit a unit party organisation's report slip (报到单) to a community",
  description:
    "A unit admin submits for its own unit organisation only; a street or community admin for unit organisations in its subtree. The report starts `submitted` and lives in the community's division.",
  scope: "reports:submit",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createOrgReportSchema } } } },
  responses: { 201: orgReportResponse("The report was submitted.") },
});

const listOrgReports = protectedRoute({
  method: "get",
  path: "/v1/org-reports",
  operationId: "listOrgReports",
  tags: ["reports"],
  summary: "Unit reports within reach",
  scope: "reports:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(orgReportStatuses).optional(),
      unitOrgId: partyOrgIdSchema.optional(),
      communityOrgId: partyOrgIdSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of reports, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(orgReportSchema, "OrgReportPage") } },
    },
  },
});

const getOrgReport = protectedRoute({
  method: "get",
  path: "/v1/org-reports/{id}",
  operationId: "getOrgReport",
  tags: ["reports"],
  summary: "One unit report",
  scope: "reports:read",
  errors: [404],
  request: { params: z.object({ id: orgReportId }) },
  responses: { 200: orgReportResponse("The report.") },
});

const crudRoutes = createRouter()
  .openapi(createOrgReport, async (c) => {
    const body = c.req.valid("json");
    const { principal } = c.var;
    if (principal.owner) {
      // Owner-only principals: a unit admin for its own unit organisation; a member has no unit to report.
      if (!principal.owner.unitOrgId) throw new ApiError("forbidden", msg("reports.unit_report_who"));
      if (body.unitOrgId !== principal.owner.unitOrgId) throw unknownReference("/unitOrgId", "party organisation");
    }
    const unitOrg = await requirePartyOrg(c, body.unitOrgId, { pointer: "/unitOrgId", categories: unitOrgCategories });
    const communityOrg = await requirePartyOrg(c, body.communityOrgId, {
      pointer: "/communityOrgId",
      categories: ["community"],
    });
    const now = c.get("clock").now();
    const row: OrgReportRow = {
      id: newId("orep", now.getTime()),
      tenantId: principal.tenant,
      unitOrgId: unitOrg.id,
      communityOrgId: communityOrg.id,
      divisionPath: communityOrg.divisionPath,
      slipNumber: body.slipNumber,
      reportDate: body.reportDate,
      liaisonName: body.liaisonName,
      status: "submitted",
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/org-reports/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(orgReports).values(row)],
      audit: {
        action: "org_report.create",
        targetType: "org_report",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        { type: "org_report.submitted", subjectType: "org_report", subjectId: row.id, payload: eventPayload(row) },
      ],
      conflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(listOrgReports, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, orgReports, reach, q, {
      status: [orgReports.status, q.status],
      unitOrgId: [orgReports.unitOrgId, q.unitOrgId],
      communityOrgId: [orgReports.communityOrgId, q.communityOrgId],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getOrgReport, async (c) => {
    const row = await findWithinReach(c, orgReports, reach, c.req.valid("param").id, "org report");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  });

const transitions = actionRoutes({
  base: "/v1/org-reports",
  tag: "reports",
  idSchema: orgReportId,
  scope: "reports:manage",
  machine: orgReportMachine,
  table: orgReports,
  find: (c, id) => findWithinReach(c, orgReports, reach, id, "org report"),
  visible: visibleWithinReach(orgReports, reach),
  targetType: "org_report",
  schema: orgReportSchema,
  present,
  eventPayload,
  actions: {
    receive: {
      operationId: "receiveOrgReport",
      summary: "Sign the report slip (the community received the unit)",
      event: "received",
    },
    activate: {
      operationId: "activateOrgReport",
      summary: "Mark a received report active",
      description: "Creating a co-building agreement between the two organisations does this too.",
      event: "activated",
    },
    end: { operationId: "endOrgReport", summary: "End a unit's report", event: "ended" },
  },
});

export const orgReportRoutes = createRouter().route("/", crudRoutes).route("/", transitions);
