import { z } from "@hono/zod-openapi";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { units } from "../organisations/tables.js";
import { withinReach } from "../../shared/auth/reach.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { divisionIdSchema } from "../../shared/http/schemas.js";
import { complaintCategories, complaints, compounds } from "./tables.js";

const rate = (description: string) =>
  z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .openapi({ description: `${description} Null when nothing to measure.`, example: 0.85 });

const scorecardSchema = z
  .object({
    id: z.string().openapi({
      description:
        "The compound (cpd_…) or property company (unit_…); `none` for complaints about self-managed compounds.",
      example: "unit_01KDVDNA011AKWK3RC504FTYF8",
    }),
    tenant: z.string().openapi({ example: "620902" }),
    name: z.string().openapi({ example: "酒泉市安居物业服务有限公司" }),
    complaints: z.number().int().openapi({ example: 42 }),
    byCategory: z.record(z.enum(complaintCategories), z.number().int()).openapi({
      description: "Every category, zeros included.",
      example: {
        property_fee: 6,
        parking: 9,
        blocked_fire_lane: 3,
        flying_wire_charging: 8,
        pets: 4,
        noise: 5,
        repairs: 6,
        other: 1,
      },
    }),
    resolved: z.number().int().openapi({ description: "Complaints resolved at least once.", example: 38 }),
    onTimeRate: rate("Share of resolved complaints whose last resolution met its deadline."),
    reopenRate: rate("Share of resolved complaints the reporter reopened at least once."),
    satisfaction: z
      .number()
      .min(1)
      .max(5)
      .nullable()
      .openapi({ description: "Mean rating (1–5); null with no ratings.", example: 4.4 }),
    ratings: z.number().int().openapi({ example: 21 }),
  })
  .openapi("PropertyScorecard");

const getScorecards = protectedRoute({
  method: "get",
  path: "/v1/stats/property",
  operationId: "getPropertyScorecards",
  tags: ["stats"],
  summary: "红色物业 scorecards per property company or per compound",
  description:
    "Volume by category, on-time rate, reopen rate and satisfaction over the complaints within reach (the city: all seven tenants), so a county can rank its property companies. Sorted by volume, most first. Counts only: no personal data.",
  scope: "stats:read",
  request: {
    query: z.object({
      groupBy: z.enum(["company", "compound"]).default("company"),
      communityId: divisionIdSchema.optional().openapi({ description: "Only complaints in this community." }),
    }),
  },
  responses: {
    200: {
      description: "One scorecard per company or compound with complaints.",
      content: {
        "application/json": { schema: z.object({ data: z.array(scorecardSchema) }).openapi("PropertyScorecards") },
      },
    },
  },
});

export const propertyStatsRoutes = createRouter().openapi(getScorecards, async (c) => {
  const { groupBy, communityId } = c.req.valid("query");
  const db = c.get("db");
  const key = groupBy === "company" ? complaints.companyUnitId : complaints.compoundId;
  const rows = await db
    .select({
      tenant: complaints.tenantId,
      key,
      category: complaints.category,
      n: count(),
      resolved: sql<number>`sum(case when ${complaints.resolvedAt} is not null then 1 else 0 end)`,
      onTime: sql<number>`sum(case when ${complaints.onTime} = 1 then 1 else 0 end)`,
      reopened: sql<number>`sum(case when ${complaints.resolvedAt} is not null and ${complaints.reopenCount} > 0 then 1 else 0 end)`,
      ratingSum: sql<number>`coalesce(sum(${complaints.rating}), 0)`,
      ratings: count(complaints.rating),
    })
    .from(complaints)
    .where(
      and(
        withinReach(c.get("principal"), { tenantId: complaints.tenantId, divisionPath: complaints.divisionPath }),
        communityId ? eq(complaints.communityId, communityId) : undefined,
      ),
    )
    .groupBy(complaints.tenantId, key, complaints.category);
  const cards = new Map<
    string,
    z.infer<typeof scorecardSchema> & { onTimeN: number; reopenN: number; ratingSum: number }
  >();
  for (const r of rows) {
    const id = r.key ?? "none";
    const mapKey = `${r.tenant}|${id}`;
    let card = cards.get(mapKey);
    if (!card) {
      card = {
        id,
        tenant: r.tenant,
        name: "",
        complaints: 0,
        byCategory: Object.fromEntries(complaintCategories.map((k) => [k, 0])) as Record<
          (typeof complaintCategories)[number],
          number
        >,
        resolved: 0,
        onTimeRate: null,
        reopenRate: null,
        satisfaction: null,
        ratings: 0,
        onTimeN: 0,
        reopenN: 0,
        ratingSum: 0,
      };
      cards.set(mapKey, card);
    }
    card.complaints += r.n;
    card.byCategory[r.category] += r.n;
    card.resolved += Number(r.resolved);
    card.onTimeN += Number(r.onTime);
    card.reopenN += Number(r.reopened);
    card.ratingSum += Number(r.ratingSum);
    card.ratings += r.ratings;
  }
  const names = await namesOf(
    c.get("db"),
    groupBy,
    [...cards.values()].map((card) => card.id),
  );
  const data = [...cards.values()]
    .map(({ onTimeN, reopenN, ratingSum, ...card }) => ({
      ...card,
      name: names.get(card.id) ?? (card.id === "none" ? "（无物业 / 自管）" : ""),
      onTimeRate: card.resolved ? round(onTimeN / card.resolved) : null,
      reopenRate: card.resolved ? round(reopenN / card.resolved) : null,
      satisfaction: card.ratings ? round(ratingSum / card.ratings) : null,
    }))
    .sort((a, b) => b.complaints - a.complaints || a.id.localeCompare(b.id));
  return c.json({ data }, 200);
});

const round = (x: number) => Math.round(x * 1000) / 1000;

async function namesOf(db: Db, groupBy: "company" | "compound", ids: string[]) {
  const wanted = ids.filter((id) => id !== "none");
  if (wanted.length === 0) return new Map<string, string>();
  const table = groupBy === "company" ? units : compounds;
  const rows: { id: string; name: string }[] = await db
    .select({ id: table.id, name: table.name })
    .from(table)
    .where(inArray(table.id, wanted));
  return new Map(rows.map((r) => [r.id, r.name]));
}
