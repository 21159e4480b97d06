import { msg } from "../../shared/http/messages.js";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { units } from "../organisations/tables.js";
import { toWgs84 } from "../../shared/geo.js";
import { actionRoutes, resolvedByDeadline } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema } from "../../shared/http/schemas.js";
import { commit, GuardFailed } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach } from "../../shared/store/records.js";
import { requireReference } from "../../shared/store/references.js";
import {
  categorySchema,
  committeeId,
  complaintEventPayload,
  complaintId,
  compoundId,
  descriptionSchema,
  fileComplaint,
  followUpTokenSchema,
  locationSchema,
  reporterSchema,
  tag,
  type ComplaintRow,
} from "./common.js";
import { compoundReach } from "./compounds.js";
import { committeeReach } from "./committees.js";
import { complaintMachine, dueAfter, nextLevel } from "./machines.js";
import { addNote } from "./notes.js";
import { photosOf, staffPhotoRoutes } from "./photos.js";
import { photoUploadRoutes } from "./photo-uploads.js";
import {
  assigneeTypes,
  complaintLevels,
  complaints,
  complaintStatuses,
  compounds,
  ownersCommittees,
} from "./tables.js";
import { complaintSchema, complaintWithNotesSchema, notesOf, presentComplaint } from "./views.js";

/** Administrators see their subtree; a property company the complaints about its compounds or assigned to it. */
export const complaintReach = { divisionPath: complaints.divisionPath, companyUnitId: complaints.companyUnitId };
const findComplaint = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, complaints, complaintReach, id, "complaint");

export const fileComplaintSchema = z
  .object({
    compoundId,
    category: categorySchema,
    description: descriptionSchema,
    reporter: reporterSchema.optional(),
    location: locationSchema.optional(),
  })
  .strict()
  .openapi("FileComplaint", {
    example: {
      compoundId: "cpd_01KDVDNA011AKWK3RC504FTYF8",
      category: "flying_wire_charging",
      description: "3号楼楼道有人从窗户拉电线给电动车充电，存在火灾隐患。",
      reporter: { name: "王女士", phone: "13812345678" },
      location: { lat: 39.7461, long: 98.5153, datum: "gcj02" },
    },
  });

/** A filing body as the filing function takes it: the place converted to WGS-84. */
export function filingOf(body: z.infer<typeof fileComplaintSchema>) {
  const { location, ...rest } = body;
  return { ...rest, ...(location ? toWgs84(location, location.datum) : {}) };
}

export const followUpSchema = z
  .object({
    token: followUpTokenSchema,
    path: z.string().openapi({
      description: "Where the reporter follows the complaint (a public route; keep the token private).",
      example: "/v1/public/complaints/Qm8xZ2V0c1hq",
    }),
  })
  .openapi("ComplaintFollowUp", {
    description: "Shown once. The reporter's only way back to the complaint: only its hash is stored.",
  });
export const followUpOf = (token: string) => ({ token, path: `/v1/public/complaints/${token}` });

const filedSchema = z.object({ complaint: complaintSchema, followUp: followUpSchema }).openapi("FiledComplaint");

const createComplaint = protectedRoute({
  method: "post",
  path: "/v1/complaints",
  operationId: "createComplaint",
  tags: [tag],
  summary: "File a complaint on a resident's behalf (hotline, front desk)",
  description:
    "Residents file themselves through `POST /v1/public/complaints` (no account). Either way the answer carries the follow-up link to give the resident.",
  scope: "complaints:file",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: fileComplaintSchema } } } },
  responses: {
    201: {
      description: "The complaint was filed, reported; its deadline runs.",
      content: { "application/json": { schema: filedSchema } },
    },
  },
});

const listComplaints = protectedRoute({
  method: "get",
  path: "/v1/complaints",
  operationId: "listComplaints",
  tags: [tag],
  summary: "Complaints within reach",
  description:
    "Administrators see their subtree; a property company the complaints about the compounds it manages or assigned to it.",
  scope: "complaints:read",
  request: {
    query: pageQuerySchema.extend({
      status: z.enum(complaintStatuses).optional(),
      category: categorySchema.optional(),
      compoundId: compoundId.optional(),
      companyUnitId: idSchema("unit").optional(),
      level: z.enum(complaintLevels).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of complaints, in the requested `order`.",
      content: { "application/json": { schema: pageOf(complaintSchema, "ComplaintPage") } },
    },
  },
});

const getComplaint = protectedRoute({
  method: "get",
  path: "/v1/complaints/{id}",
  operationId: "getComplaint",
  tags: [tag],
  summary: "One complaint, with its notes",
  scope: "complaints:read",
  errors: [404],
  request: { params: z.object({ id: complaintId }) },
  responses: {
    200: {
      description: "The complaint.",
      headers: { ETag: { description: "The entity version.", schema: { type: "string" as const } } },
      content: { "application/json": { schema: complaintWithNotesSchema } },
    },
  },
});

const noteBody = z
  .object({ text: z.string().trim().min(1).max(1000).openapi({ example: "已联系物业，明早处理。" }) })
  .strict();

const addStaffNote = protectedRoute({
  method: "post",
  path: "/v1/complaints/{id}/notes",
  operationId: "addComplaintNote",
  tags: [tag],
  summary: "Add a note the reporter will see",
  scope: ["complaints:manage", "complaints:handle"],
  errors: [404, 409],
  request: {
    params: z.object({ id: complaintId }),
    body: { required: true, content: { "application/json": { schema: noteBody.openapi("ComplaintNoteInput") } } },
  },
  responses: {
    200: {
      description: "The complaint with its notes.",
      content: { "application/json": { schema: complaintWithNotesSchema } },
    },
  },
});

const assignSchema = z
  .object({
    assigneeType: z.enum(assigneeTypes),
    assigneeId: z
      .union([idSchema("unit"), committeeId])
      .optional()
      .openapi({
        description:
          "property_company: a unit of kind property_company (default: the compound's company); owners_committee: a committee of the compound; department: leave out.",
      }),
    departmentName: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "For a department: which one.", example: "市住建局物业科" }),
  })
  .strict()
  .openapi("AssignComplaint", { example: { assigneeType: "property_company" } });

const resolveSchema = z
  .object({
    resolution: z.string().trim().min(1).max(2000).openapi({ example: "已拆除飞线，并在楼下增设充电桩 4 个。" }),
  })
  .strict()
  .openapi("ResolveComplaint");
const reasonSchema = z
  .object({ reason: z.string().trim().min(1).max(1000).openapi({ example: "现场复核仍有飞线，请继续处理。" }) })
  .strict()
  .openapi("ComplaintReason");
const duplicateSchema = z.object({ duplicateOfId: complaintId }).strict().openapi("CloseComplaintAsDuplicate");
const notResponsibleSchema = z
  .object({ referredTo: z.string().trim().min(1).max(200).openapi({ example: "市场监管局（物业收费标准）" }) })
  .strict()
  .openapi("CloseComplaintAsNotResponsible");

/** The assignee an `assign` names: checked against the complaint's compound and tenant. */
async function assigneeOf(c: Context<AppEnv>, row: ComplaintRow, body: z.infer<typeof assignSchema>) {
  if (body.assigneeType === "department") {
    if (!body.departmentName)
      throw new ApiError("validation_failed", msg("complaint.department_required"), {
        errors: [{ in: "body", pointer: "/departmentName", detail: msg("complaint.department_required_field") }],
      });
    return { assigneeType: "department" as const, assigneeId: null, assigneeName: body.departmentName };
  }
  if (body.assigneeType === "owners_committee") {
    if (!body.assigneeId?.startsWith("ocm_"))
      throw new ApiError("validation_failed", msg("complaint.committee_required"), {
        errors: [{ in: "body", pointer: "/assigneeId", detail: msg("complaint.committee_id_required") }],
      });
    const committee = await requireReference(c, ownersCommittees, committeeReach, body.assigneeId, {
      pointer: "/assigneeId",
      what: "owners' committee",
    });
    if (committee.compoundId !== row.compoundId)
      throw new ApiError("validation_failed", msg("complaint.committee_other_compound"), {
        errors: [{ in: "body", pointer: "/assigneeId", detail: msg("complaint.committee_other_compound_field") }],
      });
    return { assigneeType: "owners_committee" as const, assigneeId: committee.id, assigneeName: committee.name };
  }
  const companyId = body.assigneeId ?? row.companyUnitId;
  if (!companyId?.startsWith("unit_"))
    throw new ApiError("validation_failed", msg("complaint.no_property_company"), {
      errors: [{ in: "body", pointer: "/assigneeId", detail: msg("complaint.company_id_required") }],
    });
  const [company] = await c
    .get("db")
    .select({ id: units.id, name: units.name, kind: units.kind })
    .from(units)
    .where(and(eq(units.id, companyId), eq(units.tenantId, row.tenantId)));
  if (company?.kind !== "property_company")
    throw new ApiError("validation_failed", msg("complaint.no_such_company"), {
      errors: [{ in: "body", pointer: "/assigneeId", detail: msg("complaint.not_property_company_field") }],
    });
  // The company assigned is the company that sees it.
  return {
    assigneeType: "property_company" as const,
    assigneeId: company.id,
    assigneeName: company.name,
    companyUnitId: company.id,
  };
}

/** A property company may move only the complaints assigned to it. */
function assignedToCaller(c: Context<AppEnv>, row: ComplaintRow) {
  const company = c.get("principal").owner?.companyUnitId;
  if (company && (row.assigneeType !== "property_company" || row.assigneeId !== company))
    throw new ApiError("forbidden", msg("complaint.not_your_company"));
}

const closableBy = (closure: "resolved" | "duplicate" | "not_responsible", at: string) => ({ closure, closedAt: at });

export const complaintRoutes = createRouter()
  .openapi(createComplaint, async (c) => {
    const body = c.req.valid("json");
    const compound = await requireReference(c, compounds, compoundReach, body.compoundId, {
      pointer: "/compoundId",
      what: "compound",
    });
    let response: unknown;
    let headers: Record<string, string> = {};
    await fileComplaint(c, { ...filingOf(body), compound, channel: "staff" }, (row, token) => {
      response = { complaint: presentComplaint(row), followUp: followUpOf(token) };
      headers = { etag: etagOf(row.version), location: `/v1/complaints/${row.id}` };
      return { status: 201, body: response, headers };
    });
    return c.json(response as z.infer<typeof filedSchema>, 201, headers);
  })
  .openapi(listComplaints, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, complaints, complaintReach, q, {
      status: [complaints.status, q.status],
      category: [complaints.category, q.category],
      compoundId: [complaints.compoundId, q.compoundId],
      companyUnitId: [complaints.companyUnitId, q.companyUnitId],
      level: [complaints.level, q.level],
    });
    return c.json({ data: page.data.map(presentComplaint), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getComplaint, async (c) => {
    const row = await findComplaint(c, c.req.valid("param").id);
    return c.json({ ...presentComplaint(row), notes: await notesOf(c, row), photos: await photosOf(c, row) }, 200, {
      etag: etagOf(row.version),
    });
  })
  .openapi(addStaffNote, async (c) => {
    const row = await findComplaint(c, c.req.valid("param").id);
    const { text } = c.req.valid("json");
    await commitNote(c, row, "staff", text);
    return c.json({ ...presentComplaint(row), notes: await notesOf(c, row), photos: await photosOf(c, row) }, 200);
  })
  .route("/", staffPhotoRoutes(findComplaint))
  .route("/", photoUploadRoutes(findComplaint))
  .route(
    "/",
    actionRoutes({
      base: "/v1/complaints",
      tag,
      idSchema: complaintId,
      schema: complaintSchema,
      targetType: "complaint",
      machine: complaintMachine,
      table: complaints,
      find: findComplaint,
      present: presentComplaint,
      eventPayload: complaintEventPayload,
      scope: "complaints:manage",
      actions: {
        accept: { operationId: "acceptComplaint", summary: "Accept a reported complaint (受理)", event: "accepted" },
        assign: {
          operationId: "assignComplaint",
          summary: "Assign it to the property company, the owners' committee or a department (派单)",
          description:
            "Also reassigns one already assigned or in progress, and takes up an escalated or reopened one. The deadline keeps running.",
          body: assignSchema,
          event: "assigned",
          effects: async (c, row, body: z.infer<typeof assignSchema>) => {
            const assignee = await assigneeOf(c, row, body);
            return { set: assignee, changes: { assigneeType: assignee.assigneeType, assigneeId: assignee.assigneeId } };
          },
        },
        start: {
          operationId: "startComplaint",
          summary: "Start work on an assigned complaint",
          scope: ["complaints:handle", "complaints:manage"],
          authorize: assignedToCaller,
          event: "started",
        },
        resolve: {
          operationId: "resolveComplaint",
          summary: "Report it resolved, saying how",
          description: "Records whether the resolution met the deadline (the on-time rate of the scorecards).",
          scope: ["complaints:handle", "complaints:manage"],
          authorize: assignedToCaller,
          body: resolveSchema,
          event: "resolved",
          effects: (c, row, body: z.infer<typeof resolveSchema>) => resolvedByDeadline(c, row, body),
        },
        send_back: {
          operationId: "sendBackComplaint",
          summary: "Send a resolution back: the community found it not done",
          body: reasonSchema,
          event: "sent_back",
          effects: (c, row, body: z.infer<typeof reasonSchema>) => ({ writes: addNote(c, row, "staff", body.reason) }),
        },
        verify: {
          operationId: "verifyComplaint",
          summary: "Verify the resolution on site (community 核实)",
          event: "verified",
        },
        close: {
          operationId: "closeComplaint",
          summary: "Close a verified complaint",
          event: "closed",
          effects: (c) => ({ set: closableBy("resolved", c.get("clock").now().toISOString()) }),
        },
        escalate: {
          operationId: "escalateComplaint",
          summary: "Escalate it a level (community → street → county) by hand",
          description:
            "The background job does the same when the deadline passes. A new deadline starts at the new level.",
          body: reasonSchema,
          event: "escalated",
          effects: async (c, row, body: z.infer<typeof reasonSchema>) => {
            if (row.level === "county") throw new ApiError("conflict", msg("complaint.already_county"));
            const now = c.get("clock").now();
            return {
              set: {
                level: nextLevel[row.level],
                dueAt: await dueAfter(c.get("db"), now, row.category),
                escalationCount: row.escalationCount + 1,
              },
              writes: addNote(
                c,
                row,
                "system",
                `已上报至${nextLevel[row.level] === "street" ? "街道" : "县（区）"}：${body.reason}`,
              ),
              changes: { level: [row.level, nextLevel[row.level]] },
            };
          },
        },
        close_duplicate: {
          operationId: "closeComplaintAsDuplicate",
          summary: "Close it as a duplicate of another complaint",
          body: duplicateSchema,
          event: "closed",
          effects: async (c, row, body: z.infer<typeof duplicateSchema>) => {
            if (body.duplicateOfId === row.id)
              throw new ApiError("validation_failed", msg("complaint.duplicate_itself"), {
                errors: [{ in: "body", pointer: "/duplicateOfId", detail: msg("complaint.duplicate_other") }],
              });
            await requireReference(c, complaints, complaintReach, body.duplicateOfId, {
              pointer: "/duplicateOfId",
              what: "complaint",
            });
            return {
              set: {
                ...closableBy("duplicate", c.get("clock").now().toISOString()),
                duplicateOfId: body.duplicateOfId,
              },
              changes: { duplicateOfId: body.duplicateOfId },
            };
          },
        },
        close_not_responsible: {
          operationId: "closeComplaintAsNotResponsible",
          summary: "Close it as not the community's or property's responsibility, naming the body referred to",
          body: notResponsibleSchema,
          event: "closed",
          effects: (c, _row, body: z.infer<typeof notResponsibleSchema>) => ({
            set: { ...closableBy("not_responsible", c.get("clock").now().toISOString()), referredTo: body.referredTo },
            changes: { referredTo: body.referredTo },
          }),
        },
      },
    }),
  );

/** A note and its audit and event, in one batch; a 409 once the complaint has `maxNotes`. */
export async function commitNote(c: Context<AppEnv>, row: ComplaintRow, author: "reporter" | "staff", text: string) {
  try {
    await commit(c, {
      writes: addNote(c, row, author, text),
      audit: {
        action: "complaint.add_note",
        targetType: "complaint",
        targetId: row.id,
        divisionPath: row.divisionPath,
        tenantId: row.tenantId,
        changes: { author },
      },
      events: [
        {
          type: "complaint.information_added",
          subjectType: "complaint",
          subjectId: row.id,
          payload: { ...complaintEventPayload(row), author },
          tenantId: row.tenantId,
        },
      ],
    });
  } catch (err) {
    if (err instanceof GuardFailed) throw new ApiError("conflict", msg("complaint.notes_full"));
    throw err;
  }
}
