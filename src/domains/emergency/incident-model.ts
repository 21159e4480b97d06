import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { divisionIdSchema, timestampsSchema } from "../../shared/http/schemas.js";
import type { PagingSettings } from "../../shared/messaging.js";
import { defineMachine } from "../../shared/store/state-machine.js";
import { findWithinReach } from "../../shared/store/records.js";
import { incidentId, siteId, skillListSchema, tokenLength } from "./common.js";
import { and, eq } from "drizzle-orm";
import {
  incidentLevels,
  incidents,
  incidentStatuses,
  incidentTypes,
  notifications,
  teamLoans,
  teamModes,
  volunteers,
} from "./tables.js";
import type { Db } from "../../db/client.js";
import { msg } from "../../shared/http/messages.js";

export type IncidentRow = typeof incidents.$inferSelect;

/**
 * declared → active (one key pages the teams) → standing_down → closed; cancelled while declared or
 * active (declared in error). Declaring with `activate: true` (the default) lands in active at once.
 */
export const incidentMachine = defineMachine("incident", incidentStatuses, {
  activate: { from: ["declared"], to: "active" },
  stand_down: { from: ["active"], to: "standing_down" },
  close: { from: ["active", "standing_down"], to: "closed" },
  cancel: { from: ["declared", "active"], to: "cancelled" },
});

/** While an incident is in these states its answer links work; closing or cancelling it expires them. */
export const liveStatuses = ["declared", "active", "standing_down"] as const;

export const incidentSchema = z
  .object({
    id: incidentId,
    tenant: z.string().openapi({ example: "620902" }),
    type: z.enum(incidentTypes),
    level: z.enum(incidentLevels).openapi({ description: "I (特别重大) … IV (一般)." }),
    headline: z.string().openapi({ example: "东北街暴雨内涝，急时小分队集结" }),
    instruction: z.string().openapi({ example: "请携带雨具到富康社区党群服务中心集结。" }),
    drill: z.boolean().openapi({ description: "A drill (CAP status Exercise): never counted with real incidents." }),
    dedupKey: z.string().openapi({ example: "sz-rainstorm-2026-08-13" }),
    affectedDivisionIds: z.array(divisionIdSchema),
    includeNormalTeams: z.boolean(),
    skills: skillListSchema,
    status: z.enum(incidentStatuses),
    message: z.string().openapi({
      description: "The page as sent, with `<token>` where each volunteer's own 12-character token goes.",
      example: "【酒泉志愿服务】东北街暴雨内涝，能否到岗请点 https://a.hexi.dev/a/<token>",
    }),
    activatedAt: z.string().nullable(),
    stoodDownAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    servedBySite: z
      .array(z.object({ siteId, people: z.number().int() }))
      .nullable()
      .openapi({ description: "The close report: people served per site." }),
    parentId: z.string().nullable().openapi({
      description: "The city-wide incident (全域统筹) this is the county's part of, if any.",
      example: "cwi_01KDVDNA011AKWK3RC504FTYF8",
    }),
    loanId: z.string().nullable().openapi({
      description: "Set on the lender's incident that pages a lent team: the accepted loan.",
      example: null,
    }),
    ...timestampsSchema,
  })
  .openapi("Incident");

export const presentIncident = (row: IncidentRow) => ({
  id: row.id,
  tenant: row.tenantId,
  type: row.type,
  level: row.level,
  headline: row.headline,
  instruction: row.instruction,
  drill: row.drill,
  dedupKey: row.dedupKey,
  affectedDivisionIds: row.affectedDivisionIds,
  includeNormalTeams: row.includeNormalTeams,
  skills: row.skills as z.infer<typeof skillListSchema>,
  status: row.status,
  message: [row.messagePrefix, "<token>", row.messageSuffix].join(""),
  activatedAt: row.activatedAt,
  stoodDownAt: row.stoodDownAt,
  closedAt: row.closedAt,
  cancelledAt: row.cancelledAt,
  servedBySite: row.servedBySite,
  parentId: row.parentId,
  loanId: row.loanId,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const incidentEventPayload = (row: IncidentRow) => ({
  incidentId: row.id,
  type: row.type,
  level: row.level,
  drill: row.drill,
  status: row.status,
  ...(row.parentId ? { parentId: row.parentId } : {}),
  ...(row.loanId ? { loanId: row.loanId } : {}),
});

export const incidentReach = { divisionPath: incidents.divisionPath };
export const findIncident = (c: Context<AppEnv>, id: string) =>
  findWithinReach(c, incidents, incidentReach, id, "incident");

export const activationSummarySchema = z
  .object({
    teams: z.number().int().openapi({ example: 3 }),
    volunteers: z.number().int().openapi({ description: "Volunteers paged, each once.", example: 21 }),
    byMode: z.array(
      z.object({
        mode: z.enum(teamModes),
        teams: z.number().int(),
        rostered: z.number().int().openapi({ description: "Roster places (a volunteer in two teams counts twice)." }),
      }),
    ),
    byTeam: z.array(
      z.object({ teamId: z.string(), name: z.string(), mode: z.enum(teamModes), rostered: z.number().int() }),
    ),
    byTeamTruncated: z.boolean(),
  })
  .openapi("ActivationSummary");

/** One SMS segment of Chinese text (UCS-2), signature included. */
export const smsSegmentLength = 70;

/**
 * The page as the approved template renders it: the provider signature 【…】, a drill marker, the
 * headline and the fixed link `https://<answer host>/a/<token>`. Checked against one segment at
 * declaration (a 400 naming the headline when it overflows).
 */
export function pageMessage(paging: PagingSettings, incident: { headline: string; drill: boolean }) {
  const prefix = `【${paging.smsSignature}】${incident.drill ? "演练：" : ""}${incident.headline}，能否到岗请点 https://${paging.answerHost}/a/`;
  const suffix = "";
  const length = [...prefix].length + tokenLength + [...suffix].length;
  if (length > smsSegmentLength) {
    throw new ApiError("validation_failed", msg("emergency.page_too_long", { length }), {
      errors: [
        {
          in: "body",
          pointer: "/headline",
          detail: msg("emergency.shorten_headline_field", {
            excess: length - smsSegmentLength,
            fixed: length - [...incident.headline].length,
          }),
        },
      ],
    });
  }
  return { prefix, suffix };
}

/**
 * Where a page's volunteers check in: the incident's own affected area and tenant, or, for a lender's
 * incident (`loanId`), the borrower's incident's area and sites while the loan stands — the lent team
 * works at the borrower's sites. No query for an incident of one tenant.
 */
export async function checkInArea(
  db: Db,
  incident: Pick<IncidentRow, "tenantId" | "loanId" | "affectedPaths">,
): Promise<{ tenantId: string; paths: string[] }> {
  if (!incident.loanId) return { tenantId: incident.tenantId, paths: incident.affectedPaths };
  const [borrowed] = await db
    .select({ tenantId: incidents.tenantId, paths: incidents.affectedPaths })
    .from(teamLoans)
    .innerJoin(incidents, and(eq(incidents.tenantId, teamLoans.tenantId), eq(incidents.id, teamLoans.incidentId)))
    .where(
      and(
        eq(teamLoans.id, incident.loanId),
        eq(teamLoans.lenderTenantId, incident.tenantId),
        eq(teamLoans.status, "accepted"),
      ),
    );
  return borrowed ?? { tenantId: incident.tenantId, paths: [] };
}

/** Join conditions from a page (notification) to its incident and to its volunteer. */
export const incidentOfPage = and(
  eq(incidents.tenantId, notifications.tenantId),
  eq(incidents.id, notifications.incidentId),
);
export const volunteerOfPage = and(
  eq(volunteers.tenantId, notifications.tenantId),
  eq(volunteers.id, notifications.volunteerId),
);

/** The page as an admin may read it: its answer token (the volunteer's credential) masked. */
export function redactToken(message: string, token: string): string {
  return message.split(token).join("*".repeat(token.length));
}

/** The deepest path containing every given path ("/a/b/c/" and "/a/b/d/" → "/a/b/"). */
export function commonAncestor(paths: readonly string[]): string {
  const split = paths.map((p) => p.split("/").filter(Boolean));
  const first = split[0] ?? [];
  let depth = 0;
  while (depth < first.length && split.every((s) => s[depth] === first[depth])) depth++;
  return `/${first.slice(0, depth).join("/")}/`;
}

/** What a declaration says, whoever makes it (a county, the city for each county touched, a loan). */
export interface IncidentDraft {
  type: IncidentRow["type"];
  level: IncidentRow["level"];
  headline: string;
  instruction: string;
  drill: boolean;
  dedupKey: string;
  includeNormalTeams: boolean;
  skills: string[];
}

/** A new incident row: declared, or active at once when `activate`. */
export function newIncidentRow(
  draft: IncidentDraft,
  where: { id: string; tenantId: string; divisions: { id: string; path: string }[]; divisionPath?: string },
  how: {
    message: { prefix: string; suffix: string };
    activate: boolean;
    declaredBy: string;
    at: string;
    parentId?: string | null;
    loanId?: string | null;
  },
): IncidentRow {
  return {
    id: where.id,
    tenantId: where.tenantId,
    type: draft.type,
    level: draft.level,
    headline: draft.headline,
    instruction: draft.instruction,
    drill: draft.drill,
    dedupKey: draft.dedupKey,
    affectedDivisionIds: where.divisions.map((d) => d.id),
    affectedPaths: where.divisions.map((d) => d.path),
    divisionPath: where.divisionPath ?? commonAncestor(where.divisions.map((d) => d.path)),
    includeNormalTeams: draft.includeNormalTeams,
    skills: draft.skills,
    messagePrefix: how.message.prefix,
    messageSuffix: how.message.suffix,
    status: how.activate ? "active" : "declared",
    declaredBy: how.declaredBy,
    activatedAt: how.activate ? how.at : null,
    stoodDownAt: null,
    closedAt: null,
    cancelledAt: null,
    servedBySite: null,
    parentId: how.parentId ?? null,
    loanId: how.loanId ?? null,
    version: 1,
    createdAt: how.at,
    updatedAt: how.at,
  };
}
