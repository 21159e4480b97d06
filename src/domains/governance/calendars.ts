import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { CITY_TENANT } from "../../db/reference.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { dateSchema } from "../../shared/http/schemas.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { tag } from "./common.js";
import { workingCalendars } from "./tables.js";
import { calendarOf, yearsFrom, type WorkingCalendar } from "./working-days.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const yearSchema = z.coerce
  .number()
  .int()
  .min(2000)
  .max(2100)
  .openapi({ param: { name: "year", in: "path" }, example: 2026 });

const daySchema = z.object({
  date: dateSchema,
  kind: z.enum(["holiday", "workday"]).openapi({
    description: "holiday: a day off (放假); workday: a weekend day worked (调休上班).",
  }),
  name: z.string().trim().min(1).max(50).openapi({ example: "春节" }),
});

const calendarSchema = z
  .object({
    year: z.number().int().openapi({ example: 2026 }),
    source: z.string().openapi({ example: "国务院办公厅关于2026年部分节假日安排的通知" }),
    days: z.array(daySchema),
    version: z.number().int().openapi({ example: 1 }),
    updatedAt: z.string(),
  })
  .openapi("WorkingCalendar", {
    description:
      "A year's exceptions to Monday–Friday. Working days = make-up working days (`workday`) plus Mondays–Fridays that are not a `holiday`. A year with no calendar counts plain Monday–Friday.",
  });

const putCalendarSchema = z
  .object({
    source: z.string().trim().min(1).max(200),
    days: z
      .array(daySchema)
      .max(120)
      .superRefine((days, ctx) => {
        const seen = new Set<string>();
        days.forEach((d, i) => {
          if (seen.has(d.date))
            ctx.addIssue({
              code: "custom",
              path: [i, "date"],
              message: zodMessage("field.value_listed_twice", { value: d.date }),
            });
          seen.add(d.date);
          const weekday = new Date(`${d.date}T00:00:00Z`).getUTCDay();
          if (d.kind === "workday" && weekday !== 0 && weekday !== 6)
            ctx.addIssue({ code: "custom", path: [i, "kind"], message: zodMessage("governance.makeup_day_weekend") });
        });
      }),
  })
  .strict()
  .openapi("PutWorkingCalendar", {
    example: {
      source: "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）",
      days: [
        { date: "2026-02-14", kind: "workday", name: "春节调休上班" },
        { date: "2026-02-16", kind: "holiday", name: "春节" },
      ],
    },
  });

const listCalendars = protectedRoute({
  method: "get",
  path: "/v1/working-calendars",
  operationId: "listWorkingCalendars",
  tags: [tag],
  summary: "The working-day calendars loaded, one per year",
  description: "Reference data owned by the city. The whole list in one response (a row per year).",
  scope: "tenants:read",
  responses: {
    200: {
      description: "Every year loaded, oldest first.",
      content: {
        "application/json": { schema: z.object({ data: z.array(calendarSchema) }).openapi("WorkingCalendarList") },
      },
    },
  },
});

const getCalendar = protectedRoute({
  method: "get",
  path: "/v1/working-calendars/{year}",
  operationId: "getWorkingCalendar",
  tags: [tag],
  summary: "One year's working-day calendar",
  scope: "tenants:read",
  errors: [404],
  request: { params: z.object({ year: yearSchema }) },
  responses: { 200: versionedResponse(calendarSchema, "The year's calendar.") },
});

const putCalendar = protectedRoute({
  method: "put",
  path: "/v1/working-calendars/{year}",
  operationId: "putWorkingCalendar",
  tags: [tag],
  summary: "Load or replace a year's working-day calendar (city only)",
  description:
    "Replaces the year's holidays and make-up working days. Replacing an existing year needs `If-Match` (428 without, 412 when stale); loading a new year takes none. Deadlines already computed are not moved.",
  scope: "reference:write",
  errors: [409, 412, 428],
  request: {
    params: z.object({ year: yearSchema }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: putCalendarSchema } } },
  },
  responses: { 200: versionedResponse(calendarSchema, "The year's calendar as stored.") },
});

/** The working calendar for deadlines starting on `from`: the loaded years it may touch. */
export async function workingCalendarFor(c: Context<AppEnv>, from: string, n: number): Promise<WorkingCalendar> {
  const rows = await c
    .get("db")
    .select({ days: workingCalendars.days })
    .from(workingCalendars)
    .where(inArray(workingCalendars.year, yearsFrom(from, n)));
  return calendarOf(rows);
}

export const calendarRoutes = createRouter()
  .openapi(listCalendars, async (c) => {
    const rows = await c.get("db").select().from(workingCalendars).orderBy(asc(workingCalendars.year));
    return c.json({ data: rows }, 200);
  })
  .openapi(getCalendar, async (c) => {
    const [row] = await c
      .get("db")
      .select()
      .from(workingCalendars)
      .where(eq(workingCalendars.year, c.req.valid("param").year));
    if (!row) throw notFound("working calendar");
    return c.json(row, 200, { etag: etagOf(row.version) });
  })
  .openapi(putCalendar, async (c) => {
    const year = c.req.valid("param").year;
    const body = c.req.valid("json");
    const outside = body.days.findIndex((d) => !d.date.startsWith(`${year}-`));
    if (outside >= 0) {
      throw new ApiError("validation_failed", msg("governance.calendar_year", { year }), {
        errors: [
          { in: "body", pointer: `/days/${outside}/date`, detail: msg("governance.calendar_year_field", { year }) },
        ],
      });
    }
    const db = c.get("db");
    const [existing] = await db.select().from(workingCalendars).where(eq(workingCalendars.year, year));
    const ifMatch = c.req.header("if-match");
    if (existing && !ifMatch) throw new ApiError("precondition_required", msg("http.if_match_required"));
    if (existing && ifMatch !== etagOf(existing.version))
      throw new ApiError(
        "precondition_failed",
        msg("governance.calendar_etag", { year, etag: etagOf(existing.version) }),
      );
    const days = [...body.days].sort((a, b) => a.date.localeCompare(b.date));
    const updatedAt = c.get("clock").now().toISOString();
    const row = { year, source: body.source, days, version: (existing?.version ?? 0) + 1, updatedAt };
    const write = existing
      ? db
          .update(workingCalendars)
          .set({ source: row.source, days, version: sql`${workingCalendars.version} + 1`, updatedAt })
          .where(and(eq(workingCalendars.year, year), eq(workingCalendars.version, existing.version)))
      : db.insert(workingCalendars).values(row);
    try {
      // City-owned reference data: no tenant column; the city's trail and outbox record the change.
      await commit(c, {
        writes: [write, guardChanged()],
        audit: {
          action: "working_calendar.put",
          targetType: "working_calendar",
          targetId: String(year),
          tenantId: CITY_TENANT,
          changes: { source: body.source, days: days.length },
        },
        events: [
          {
            type: "working_calendar.updated",
            subjectType: "working_calendar",
            subjectId: String(year),
            tenantId: CITY_TENANT,
            payload: { year, version: row.version, days: days.length },
          },
        ],
        conflicts: { "working_calendars.year": msg("governance.calendar_race", { year }) },
      });
    } catch (err) {
      if (err instanceof GuardFailed) throw new ApiError("precondition_failed", msg("governance.calendar_changed"));
      throw err;
    }
    return c.json(row, 200, { etag: etagOf(row.version) });
  });
