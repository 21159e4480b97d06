import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { ApiError, notFound, type FieldError } from "../../shared/http/errors.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { fiveLinks } from "./tables.js";
import { msg, thing, zodMessage } from "../../shared/http/messages.js";

export const linkCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, zodMessage("field.five_link_code_format"))
  .openapi({ description: "A five-link code (see GET /v1/five-links).", example: "venue" });

const fiveLinkFields = {
  nameZh: z.string().trim().min(1).max(50).openapi({ example: "阵地联用" }),
  nameEn: z.string().trim().min(1).max(100).openapi({ example: "Venues shared" }),
  position: z.number().int().min(1).max(99).openapi({ description: "Display order.", example: 2 }),
  active: z.boolean().openapi({
    description: "Inactive links stay on the agreements that chose them but cannot be added to any agreement.",
  }),
};

const fiveLinkSchema = z
  .object({
    code: linkCodeSchema,
    ...fiveLinkFields,
    version: z.number().int().openapi({ example: 1 }),
    updatedAt: z.string().openapi({ example: "2026-01-01T00:00:00.000Z" }),
  })
  .openapi("FiveLink");

const patchFiveLinkSchema = z
  .object(fiveLinkFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchFiveLink", { example: { nameZh: "治理联抓", nameEn: "Governance co-managed" } });

type FiveLinkRow = typeof fiveLinks.$inferSelect;
const fiveLinkResponse = (description: string) => versionedResponse(fiveLinkSchema, description);
const codeParam = z.object({ code: linkCodeSchema });

const listFiveLinks = protectedRoute({
  method: "get",
  path: "/v1/five-links",
  operationId: "listFiveLinks",
  tags: ["reports"],
  summary: "The five links (五联), in display order",
  description:
    "Reference data owned by the city, the same for every tenant. The whole list in one response (it has a handful of rows).",
  scope: "tenants:read",
  responses: {
    200: {
      description: "Every five link, active or not.",
      content: { "application/json": { schema: z.object({ data: z.array(fiveLinkSchema) }).openapi("FiveLinkList") } },
    },
  },
});

const getFiveLink = protectedRoute({
  method: "get",
  path: "/v1/five-links/{code}",
  operationId: "getFiveLink",
  tags: ["reports"],
  summary: "One five link",
  scope: "tenants:read",
  errors: [404],
  request: { params: codeParam },
  responses: { 200: fiveLinkResponse("The five link.") },
});

const updateFiveLink = protectedRoute({
  method: "patch",
  path: "/v1/five-links/{code}",
  operationId: "updateFiveLink",
  tags: ["reports"],
  summary: "Rename, reorder or retire a five link (city only)",
  scope: "reference:write",
  errors: [404, 412, 428],
  request: {
    params: codeParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchFiveLinkSchema } } },
  },
  responses: { 200: fiveLinkResponse("The updated five link.") },
});

async function findLink(c: Context<AppEnv>, code: string): Promise<FiveLinkRow> {
  const [row] = await c.get("db").select().from(fiveLinks).where(eq(fiveLinks.code, code));
  if (!row) throw notFound("five link");
  return row;
}

/**
 * Every code must name an active link — or one the record already has (a retired link stays on
 * agreements that chose it); a 400 points at each code that does not.
 */
export async function requireActiveLinks(
  c: Context<AppEnv>,
  codes: readonly string[],
  alreadyChosen: readonly string[] = [],
  pointer = "/links",
): Promise<void> {
  const rows = await c
    .get("db")
    .select({ code: fiveLinks.code })
    .from(fiveLinks)
    .where(and(inArray(fiveLinks.code, [...codes]), eq(fiveLinks.active, true)));
  const active = new Set([...rows.map((r) => r.code), ...alreadyChosen]);
  const errors: FieldError[] = codes.flatMap((code, i) =>
    active.has(code)
      ? []
      : [{ in: "body" as const, pointer: `${pointer}/${i}`, detail: msg("reports.link_inactive", { code }) }],
  );
  if (errors.length) throw new ApiError("validation_failed", msg("reports.links_inactive"), { errors });
}

/** A non-empty list of distinct link codes; a duplicate is a 400 at its index. */
export const linkListSchema = z
  .array(linkCodeSchema)
  .min(1)
  .max(10)
  .superRefine((links, ctx) => {
    links.forEach((link, i) => {
      if (links.indexOf(link) !== i)
        ctx.addIssue({ code: "custom", path: [i], message: zodMessage("field.value_listed_twice", { value: link }) });
    });
  })
  .openapi({ example: ["organisation", "venue", "service"] });

export const fiveLinkRoutes = createRouter()
  .openapi(listFiveLinks, async (c) => {
    const rows = await c.get("db").select().from(fiveLinks).orderBy(asc(fiveLinks.position), asc(fiveLinks.code));
    return c.json({ data: rows }, 200);
  })
  .openapi(getFiveLink, async (c) => {
    const row = await findLink(c, c.req.valid("param").code);
    return c.json(row, 200, { etag: etagOf(row.version) });
  })
  .openapi(updateFiveLink, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const row = await findLink(c, c.req.valid("param").code);
    if (expectedVersion !== row.version) {
      throw new ApiError(
        "precondition_failed",
        msg("generic.version_mismatch", { what: thing("five link"), version: row.version, expected: expectedVersion }),
      );
    }
    const updatedAt = c.get("clock").now().toISOString();
    const updated: FiveLinkRow = { ...row, ...patch, version: row.version + 1, updatedAt };
    try {
      // City-owned reference data: no tenant column; the city's trail records the change.
      await commit(c, {
        writes: [
          c
            .get("db")
            .update(fiveLinks)
            .set({ ...patch, version: sql`${fiveLinks.version} + 1`, updatedAt })
            .where(and(eq(fiveLinks.code, row.code), eq(fiveLinks.version, row.version))),
          guardChanged(),
        ],
        audit: {
          action: "five_link.update",
          targetType: "five_link",
          targetId: row.code,
          // Only the city (reference:write) gets here: its own tenant's trail records the change.
          tenantId: c.get("principal").tenant,
          changes: { fields: Object.keys(patch), ...patch },
        },
      });
    } catch (err) {
      if (err instanceof GuardFailed)
        throw new ApiError("precondition_failed", msg("generic.changed_while_writing", { what: thing("five link") }));
      throw err;
    }
    return c.json(updated, 200, { etag: etagOf(updated.version) });
  });
