import { z } from "@hono/zod-openapi";
import { and, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { actorOf, type Principal } from "../../shared/auth/principal.js";
import { withinReach } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema } from "../../shared/http/schemas.js";
import { localQuarter } from "../../shared/calendar.js";
import { commit } from "../../shared/store/commit.js";
import { findVisible, findWithinReach, readRows } from "../../shared/store/records.js";
import { memberReach, members } from "../organisations/tables.js";
import { ledgerEntries } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const ledgerEntryId = idSchema("led");
const memberId = idSchema("mem");
const volunteerId = idSchema("vol");

/** `2026-Q3`. */
export const quarterSchema = z
  .string()
  .regex(/^\d{4}-Q[1-4]$/, zodMessage("field.quarter_format"))
  .openapi({ example: "2026-Q3" });
const yearSchema = z.coerce.number().int().min(2000).max(2100).openapi({ example: 2026 });

/** The ledger's year and quarter of an instant, in China time. */
export function quarterOf(instant: string): { year: number; quarter: string } {
  const quarter = localQuarter(new Date(instant));
  return { year: Number(quarter.slice(0, 4)), quarter };
}

export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;

/** Unique constraints a ledger insert may hit: a source posts once, an entry is reversed once. */
export const ledgerConflicts = {
  "ledger_entries.reverses_id": msg("ledger.already_reversed"),
  "ledger_entries.source_id": msg("ledger.already_posted"),
};

/** A new ledger entry, credited to the principal that caused it. */
export function ledgerEntry(
  c: Context<AppEnv>,
  fields: Omit<
    LedgerEntryRow,
    "id" | "createdBy" | "createdAt" | "reversesId" | "reason" | "tenantId" | "volunteerId"
  > &
    Partial<Pick<LedgerEntryRow, "reversesId" | "reason" | "tenantId" | "volunteerId">>,
): LedgerEntryRow {
  const now = c.get("clock").now();
  return {
    id: newId("led", now.getTime()),
    tenantId: c.get("principal").tenant,
    reversesId: null,
    reason: null,
    volunteerId: null,
    createdBy: actorOf(c.get("principal")),
    createdAt: now.toISOString(),
    ...fields,
  };
}

const nothing = sql`0`;

/**
 * Who sees which entries: the tenant (subtree) for administrators, a member their own, and a unit
 * admin the entries of the members its unit party organisation employs (members.employer_org_id,
 * same tenant: the employer's view across tenants is the quarterly feedback).
 */
export function ledgerReach(c: Context<AppEnv>): SQL {
  const principal: Principal = c.get("principal");
  const columns = { tenantId: ledgerEntries.tenantId, divisionPath: ledgerEntries.divisionPath };
  if (!principal.owner) return withinReach(principal, columns);
  const { memberId: own, unitOrgId } = principal.owner;
  const owned = [
    own ? eq(ledgerEntries.memberId, own) : undefined,
    unitOrgId
      ? inArray(
          ledgerEntries.memberId,
          c
            .get("db")
            .select({ id: members.id })
            .from(members)
            .where(and(eq(members.tenantId, principal.tenant), eq(members.employerOrgId, unitOrgId))),
        )
      : undefined,
  ].filter(Boolean) as SQL[];
  return and(withinReach({ ...principal, owner: undefined }, columns), owned.length ? or(...owned) : nothing)!;
}

const ledgerEntrySchema = z
  .object({
    id: ledgerEntryId,
    tenant: z.string(),
    memberId: memberId
      .nullable()
      .openapi({ description: "The party member credited; null for a volunteer who is not a party member." }),
    volunteerId: volunteerId
      .nullable()
      .openapi({ description: "The volunteer credited (emergency hours); null for a member's service hours." }),
    year: z.number().int().openapi({ example: 2026 }),
    quarter: z.string().openapi({ example: "2026-Q3" }),
    hours: z.number().openapi({ description: "Negative on a reversing entry.", example: 2.5 }),
    points: z.number().int().openapi({ example: 25 }),
    sourceType: z.enum(["participation", "correction", "emergency"]),
    sourceId: z.string().openapi({
      description: "The participation (or emergency record) posted; for a correction, the entry it reverses.",
      example: "part_01KDVDNA011AKWK3RC504FTYF8",
    }),
    reversesId: ledgerEntryId.nullable().openapi({ description: "Set on a reversing entry." }),
    reason: z.string().nullable(),
    createdBy: z.string().openapi({ example: "jwt:620902:community-admin-1" }),
    createdAt: z.string().openapi({ example: "2026-09-12T04:00:00.000Z" }),
  })
  .openapi("LedgerEntry", { description: "Append-only: never changed or deleted; a correction is a reversing entry." });

const present = (row: LedgerEntryRow) => ({
  id: row.id,
  tenant: row.tenantId,
  memberId: row.memberId,
  volunteerId: row.volunteerId,
  year: row.year,
  quarter: row.quarter,
  hours: row.hours,
  points: row.points,
  sourceType: row.sourceType,
  sourceId: row.sourceId,
  reversesId: row.reversesId,
  reason: row.reason,
  createdBy: row.createdBy,
  createdAt: row.createdAt,
});

const balanceSchema = z
  .object({
    memberId,
    year: z.number().int().openapi({ example: 2026 }),
    hours: z.number().openapi({ example: 12.75 }),
    points: z.number().int().openapi({ example: 128 }),
  })
  .openapi("Balance");

const reverseSchema = z
  .object({ reason: z.string().trim().min(1).max(500).openapi({ example: "签退时间登记错误" }) })
  .strict()
  .openapi("ReverseLedgerEntry");

const entryContent = { "application/json": { schema: ledgerEntrySchema } };

const listLedgerEntries = protectedRoute({
  method: "get",
  path: "/v1/ledger-entries",
  operationId: "listLedgerEntries",
  tags: ["activities"],
  summary: "Hours and points ledger entries within reach",
  description:
    "Members see their own entries; unit admins those of the members their unit party organisation employs; administrators their subtree.",
  scope: "ledger:read",
  request: {
    query: pageQuerySchema.extend({
      memberId: memberId.optional(),
      volunteerId: volunteerId.optional(),
      year: yearSchema.optional(),
      quarter: quarterSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of entries, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(ledgerEntrySchema, "LedgerEntryPage") } },
    },
  },
});

const getLedgerEntry = protectedRoute({
  method: "get",
  path: "/v1/ledger-entries/{id}",
  operationId: "getLedgerEntry",
  tags: ["activities"],
  summary: "One ledger entry",
  scope: "ledger:read",
  errors: [404],
  request: { params: z.object({ id: ledgerEntryId }) },
  responses: { 200: { description: "The entry.", content: entryContent } },
});

const reverseLedgerEntry = protectedRoute({
  method: "post",
  path: "/v1/ledger-entries/{id}/reverse",
  operationId: "reverseLedgerEntry",
  tags: ["activities"],
  summary: "Correct an entry by appending its reversal",
  description:
    "Appends an entry with negated hours and points (sourceType correction). An entry is reversed at most once, and a reversal cannot itself be reversed (409).",
  scope: "ledger:correct",
  idempotent: true,
  errors: [404, 409],
  request: {
    params: z.object({ id: ledgerEntryId }),
    body: { required: true, content: { "application/json": { schema: reverseSchema } } },
  },
  responses: {
    201: {
      description: "The reversing entry.",
      headers: { Location: { description: "The new entry.", schema: { type: "string" as const } } },
      content: entryContent,
    },
  },
});

const getMemberBalance = protectedRoute({
  method: "get",
  path: "/v1/members/{id}/balance",
  operationId: "getMemberBalance",
  tags: ["activities"],
  summary: "A member's hours and points in a year",
  description: "Sums of the ledger entries within the caller's reach (reversals included).",
  scope: "ledger:read",
  errors: [404],
  request: { params: z.object({ id: memberId }), query: z.object({ year: yearSchema }) },
  responses: { 200: { description: "The sums.", content: { "application/json": { schema: balanceSchema } } } },
});

const findEntry = (c: Context<AppEnv>, id: string): Promise<LedgerEntryRow> =>
  findVisible(c, ledgerEntries, id, "ledger entry", ledgerReach(c));

export const ledgerRoutes = createRouter()
  .openapi(listLedgerEntries, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(ledgerEntries.id, q);
    const rows = await readRows(
      c,
      c
        .get("db")
        .select()
        .from(ledgerEntries)
        .where(
          and(
            ledgerReach(c),
            q.memberId ? eq(ledgerEntries.memberId, q.memberId) : undefined,
            q.volunteerId ? eq(ledgerEntries.volunteerId, q.volunteerId) : undefined,
            q.year ? eq(ledgerEntries.year, q.year) : undefined,
            q.quarter ? eq(ledgerEntries.quarter, q.quarter) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getLedgerEntry, async (c) => c.json(present(await findEntry(c, c.req.valid("param").id)), 200))
  .openapi(reverseLedgerEntry, async (c) => {
    const original = await findEntry(c, c.req.valid("param").id);
    if (original.reversesId) throw new ApiError("conflict", msg("ledger.reversal_of_reversal"));
    const { reason } = c.req.valid("json");
    const row = ledgerEntry(c, {
      tenantId: original.tenantId,
      memberId: original.memberId,
      volunteerId: original.volunteerId,
      divisionPath: original.divisionPath,
      year: original.year,
      quarter: original.quarter,
      hours: -original.hours,
      points: -original.points,
      sourceType: "correction",
      sourceId: original.id,
      reversesId: original.id,
      reason,
    });
    const response = present(row);
    const headers = { location: `/v1/ledger-entries/${row.id}` };
    await commit(
      c,
      {
        writes: [c.get("db").insert(ledgerEntries).values(row)],
        audit: {
          action: "ledger_entry.reverse",
          targetType: "ledger_entry",
          targetId: original.id,
          divisionPath: original.divisionPath,
          changes: { reversalId: row.id, hours: row.hours, points: row.points },
        },
        events: [
          {
            type: "ledger_entry.reversed",
            subjectType: "ledger_entry",
            subjectId: original.id,
            payload: {
              reversalId: row.id,
              memberId: row.memberId,
              volunteerId: row.volunteerId,
              quarter: row.quarter,
              hours: row.hours,
              points: row.points,
            },
          },
        ],
        conflicts: ledgerConflicts,
      },
      { status: 201, body: response, headers },
    );
    return c.json(response, 201, headers);
  })
  .openapi(getMemberBalance, async (c) => {
    const { id } = c.req.valid("param");
    const { year } = c.req.valid("query");
    // The same reach as GET /v1/members/{id}: a member outside it is a 404 here too.
    await findWithinReach(c, members, memberReach, id, "member");
    const [sums] = await c
      .get("db")
      .select({
        hours: sql<number>`coalesce(sum(${ledgerEntries.hours}), 0)`,
        points: sql<number>`coalesce(sum(${ledgerEntries.points}), 0)`,
      })
      .from(ledgerEntries)
      .where(and(ledgerReach(c), eq(ledgerEntries.memberId, id), eq(ledgerEntries.year, year)));
    return c.json({ memberId: id, year, hours: Number(sums?.hours ?? 0), points: Number(sums?.points ?? 0) }, 200);
  });
