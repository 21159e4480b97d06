import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq } from "drizzle-orm";
import type { AppEnv } from "../../shared/request/context.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { categorySchema, committeeId, complaintId, compoundId, type ComplaintRow } from "./common.js";
import { reopenWindowHours } from "./machines.js";
import { photoSchema } from "./photos.js";
import {
  assigneeTypes,
  complaintChannels,
  complaintClosures,
  complaintLevels,
  complaintNotes,
  complaintStatuses,
} from "./tables.js";

const noteSchema = z
  .object({
    author: z.enum(["reporter", "staff", "system"]),
    text: z.string().openapi({ example: "充电线今天又拉出来了，在 3 号楼 2 单元。" }),
    at: z.string().openapi({ example: "2026-12-04T09:30:00.000Z" }),
  })
  .openapi("ComplaintNote");

const lifecycleFields = {
  status: z.enum(complaintStatuses).openapi({
    description:
      "reported → accepted → assigned → processing → resolved → verified → closed; escalated when overdue; reopened by the reporter; closed as duplicate or not responsible.",
  }),
  dueAt: z.string().openapi({
    description: "When the current deadline passes (plain hours per category; see the README).",
    example: "2026-12-05T09:00:00.000Z",
  }),
  resolution: z.string().nullable().openapi({ example: "已拆除飞线，并在楼下增设充电桩 4 个。" }),
  closure: z.enum(complaintClosures).nullable(),
  duplicateOfId: complaintId.nullable(),
  referredTo: z.string().nullable().openapi({ description: "The body a not-responsible complaint was referred to." }),
  rating: z.number().int().min(1).max(5).nullable().openapi({ description: "The reporter's satisfaction, 1–5." }),
  reopenableUntil: z
    .string()
    .nullable()
    .openapi({ description: "Until when the reporter may reopen it (a resolved, verified or closed one)." }),
};

export const complaintSchema = z
  .object({
    id: complaintId,
    tenant: z.string().openapi({ example: "620902" }),
    compoundId,
    communityId: divisionIdSchema,
    companyUnitId: idSchema("unit").nullable().openapi({ description: "The property company that sees it." }),
    category: categorySchema,
    description: z.string(),
    channel: z.enum(complaintChannels),
    reporter: z
      .object({ name: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() })
      .nullable()
      .openapi({
        description: "Masked; null when anonymous or erased by the retention rule.",
        example: { name: "王**", phone: "138****5678", email: null },
      }),
    lat: z.number().nullable().openapi({ description: "WGS-84 latitude, when given." }),
    long: z.number().nullable().openapi({ description: "WGS-84 longitude, when given." }),
    addressString: z.string().nullable(),
    level: z
      .enum(complaintLevels)
      .openapi({ description: "Who answers for it now: community, then street, then county." }),
    assigneeType: z.enum(assigneeTypes).nullable(),
    assigneeId: z
      .union([idSchema("unit"), committeeId])
      .nullable()
      .openapi({ description: "The property company (unit) or owners' committee; null for a department." }),
    assigneeName: z.string().nullable().openapi({ example: "市住建局物业科" }),
    ...lifecycleFields,
    onTime: z.boolean().nullable().openapi({ description: "Whether the last resolution met its deadline." }),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    reopenCount: z.number().int(),
    escalationCount: z.number().int(),
    ...timestampsSchema,
  })
  .openapi("Complaint");

export const complaintWithNotesSchema = complaintSchema
  .extend({ notes: z.array(noteSchema) })
  .openapi("ComplaintDetail");

/** What the reporter sees through the follow-up link: the lifecycle, never who handles it internally or others' data. */
export const publicComplaintSchema = z
  .object({
    id: complaintId,
    category: categorySchema,
    compoundName: z.string().openapi({ example: "富康家园" }),
    description: z.string(),
    ...lifecycleFields,
    notes: z.array(noteSchema),
    photos: z.array(photoSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("PublicComplaint");

export function reopenableUntil(row: ComplaintRow): string | null {
  if (!row.resolvedAt || !["resolved", "verified", "closed"].includes(row.status) || row.closure === "duplicate")
    return null;
  if (row.closure === "not_responsible") return null;
  return new Date(Date.parse(row.resolvedAt) + reopenWindowHours * 3_600_000).toISOString();
}

/** The lifecycle fields both views show (`lifecycleFields`). */
function lifecycleOf(row: ComplaintRow) {
  return {
    status: row.status,
    dueAt: row.dueAt,
    resolution: row.resolution,
    closure: row.closure,
    duplicateOfId: row.duplicateOfId,
    referredTo: row.referredTo,
    rating: row.rating,
    reopenableUntil: reopenableUntil(row),
  };
}

export function presentComplaint(row: ComplaintRow) {
  return {
    id: row.id,
    tenant: row.tenantId,
    compoundId: row.compoundId,
    communityId: row.communityId,
    companyUnitId: row.companyUnitId,
    category: row.category,
    description: row.description,
    channel: row.channel,
    reporter: row.reporterMasked ?? null,
    lat: row.lat,
    long: row.long,
    addressString: row.addressString,
    level: row.level,
    assigneeType: row.assigneeType,
    assigneeId: row.assigneeId,
    assigneeName: row.assigneeName,
    ...lifecycleOf(row),
    onTime: row.onTime,
    resolvedAt: row.resolvedAt,
    closedAt: row.closedAt,
    reopenCount: row.reopenCount,
    escalationCount: row.escalationCount,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A complaint's notes, oldest first (at most `maxNotes`, the cap on adding them). */
export async function notesOf(c: Context<AppEnv>, row: ComplaintRow) {
  const notes = await c
    .get("db")
    .select({ author: complaintNotes.author, text: complaintNotes.text, at: complaintNotes.createdAt })
    .from(complaintNotes)
    .where(and(eq(complaintNotes.tenantId, row.tenantId), eq(complaintNotes.complaintId, row.id)))
    .orderBy(asc(complaintNotes.id))
    .limit(maxNotes);
  return notes;
}

/** [D] At most this many notes per complaint (reporter and staff together): the link is unauthenticated. */
export const maxNotes = 50;

export function presentPublic(
  row: ComplaintRow,
  compoundName: string,
  notes: Awaited<ReturnType<typeof notesOf>>,
  photos: z.infer<typeof photoSchema>[],
) {
  return {
    id: row.id,
    category: row.category,
    compoundName,
    description: row.description,
    ...lifecycleOf(row),
    notes,
    photos,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
