import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, count, eq, inArray, sql, type SQL } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findPublished, listWithinReach, visiblePublished } from "../../shared/store/records.js";
import { requireDivisionForWrite } from "../../shared/store/references.js";
import { descriptionSchema, tag, titleSchema } from "./common.js";
import { liveClaimStatuses, postMachine } from "./machines.js";
import { postCategories, postClaims, servicePosts } from "./tables.js";

export const postId = idSchema("post");

const categoryNames: Record<(typeof postCategories)[number], string> = {
  organisation_building: "组织建设",
  legal_aid: "法律咨询与援助",
  poverty_disability_employment: "助困扶残与就业援助",
  community_governance: "社区治理",
  health_medical: "健康医疗",
  culture_sports: "文化体育",
  safety_patrol: "安全宣传与治安巡逻",
  other: "其他",
};

const postCategorySchema = z.enum(postCategories).openapi({
  description: `服务岗位 category: ${postCategories.map((k) => `\`${k}\` ${categoryNames[k]}`).join("; ")}.`,
  example: "health_medical",
});
const postStatuses = ["open", "closed"] as const;

const postFields = {
  category: postCategorySchema,
  title: titleSchema.openapi({ example: "社区卫生服务站义诊岗" }),
  description: descriptionSchema.openapi({ example: "每月第一个周六上午在社区党群服务中心为居民量血压、测血糖。" }),
  headcount: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .openapi({ description: "Seats: claims that are applied, approved or active count against it.", example: 3 }),
};

const postSchema = z
  .object({
    id: postId,
    tenant: z.string().openapi({ example: "620902" }),
    communityId: divisionIdSchema,
    ...postFields,
    seatsTaken: z
      .number()
      .int()
      .openapi({ description: "Claims holding a seat now (applied, approved or active).", example: 1 }),
    status: z.enum(postStatuses).openapi({ description: "open (claimable) or closed." }),
    ...timestampsSchema,
  })
  .openapi("ServicePost");

const createPostSchema = z
  .object({ communityId: divisionIdSchema, ...postFields })
  .strict()
  .openapi("CreateServicePost", {
    example: {
      communityId: "div_01KDVDNA011AKWK3RC504FTYF8",
      category: "health_medical",
      title: "社区卫生服务站义诊岗",
      description: "每月第一个周六上午为居民量血压、测血糖。",
      headcount: 3,
    },
  });

export type PostRow = typeof servicePosts.$inferSelect;

const present = (row: PostRow, seatsTaken: number) => ({
  id: row.id,
  tenant: row.tenantId,
  communityId: row.communityId,
  category: row.category,
  title: row.title,
  description: row.description,
  headcount: row.headcount,
  seatsTaken,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Seats taken on a page of posts: one grouped query, however long the page. */
/** The live claims of posts, counted per post. */
const seatsTaken = (c: Context<AppEnv>, tenantIds: string[] | SQL, postIds: string[]) =>
  c
    .get("db")
    .select({ postId: postClaims.postId, n: count() })
    .from(postClaims)
    .where(
      and(
        Array.isArray(tenantIds) ? inArray(postClaims.tenantId, tenantIds) : eq(postClaims.tenantId, tenantIds),
        inArray(postClaims.postId, postIds),
        inArray(postClaims.status, [...liveClaimStatuses]),
      ),
    )
    .groupBy(postClaims.postId);

async function seatsTakenOf(c: Context<AppEnv>, rows: PostRow[]): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  const counts = await seatsTaken(
    c,
    [...new Set(rows.map((r) => r.tenantId))],
    rows.map((r) => r.id),
  );
  return new Map(counts.map((r) => [r.postId, r.n]));
}

const presentOne = async (row: PostRow, c: Context<AppEnv>) =>
  present(row, (await seatsTakenOf(c, [row])).get(row.id) ?? 0);

/** `presentOne` with its count read in an action's own batch. */
const presentAlong = {
  read: (c: Context<AppEnv>, id: string) =>
    seatsTaken(c, sql`(select ${servicePosts.tenantId} from ${servicePosts} where ${servicePosts.id} = ${id})`, [id]),
  present: (row: PostRow, read: unknown) => present(row, (read as { n: number }[])[0]?.n ?? 0),
};
const postResponse = (description: string) => versionedResponse(postSchema, description);

const createPost = protectedRoute({
  method: "post",
  path: "/v1/service-posts",
  operationId: "createServicePost",
  tags: [tag],
  summary: "Publish a service post (服务岗位) in a community",
  scope: "lists:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createPostSchema } } } },
  responses: { 201: postResponse("The post was published, open.") },
});

const listPosts = protectedRoute({
  method: "get",
  path: "/v1/service-posts",
  operationId: "listServicePosts",
  tags: [tag],
  summary: "Service posts within reach",
  description:
    "Members and unit admins see every post of their tenant (they claim them); administrators see their subtree.",
  scope: "lists:read",
  request: {
    query: pageQuerySchema.extend({
      communityId: divisionIdSchema.optional(),
      category: postCategorySchema.optional(),
      status: z.enum(postStatuses).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of posts, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(postSchema, "ServicePostPage") } },
    },
  },
});

const getPost = protectedRoute({
  method: "get",
  path: "/v1/service-posts/{id}",
  operationId: "getServicePost",
  tags: [tag],
  summary: "One service post",
  scope: "lists:read",
  errors: [404],
  request: { params: z.object({ id: postId }) },
  responses: { 200: postResponse("The post.") },
});

export const postRoutes = createRouter()
  .openapi(createPost, async (c) => {
    const body = c.req.valid("json");
    const community = await requireDivisionForWrite(c, body.communityId, {
      pointer: "/communityId",
      levels: ["community"],
    });
    const now = c.get("clock").now();
    const row: PostRow = {
      id: newId("post", now.getTime()),
      tenantId: c.get("principal").tenant,
      communityId: community.id,
      divisionPath: community.path,
      category: body.category,
      title: body.title,
      description: body.description,
      headcount: body.headcount,
      status: "open",
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row, 0);
    const headers = await commitCreated(c, `/v1/service-posts/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(servicePosts).values(row)],
      audit: {
        action: "service_post.create",
        targetType: "service_post",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "service_post.published",
          subjectType: "service_post",
          subjectId: row.id,
          payload: { postId: row.id, communityId: row.communityId, category: row.category, headcount: row.headcount },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listPosts, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(
      c,
      servicePosts,
      { divisionPath: servicePosts.divisionPath },
      q,
      {
        communityId: [servicePosts.communityId, q.communityId],
        category: [servicePosts.category, q.category],
        status: [servicePosts.status, q.status],
      },
      "published",
    );
    const seats = await seatsTakenOf(c, page.data);
    return c.json({ data: page.data.map((r) => present(r, seats.get(r.id) ?? 0)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getPost, async (c) => {
    const row = await findPublished(c, servicePosts, c.req.valid("param").id, "service post");
    return c.json(await presentOne(row, c), 200, { etag: etagOf(row.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/service-posts",
      tag,
      idSchema: postId,
      schema: postSchema,
      targetType: "service_post",
      machine: postMachine,
      table: servicePosts,
      find: (c, id) => findPublished(c, servicePosts, id, "service post"),
      visible: visiblePublished(servicePosts),
      present: presentOne,
      presentAlong,
      eventPayload: (row) => ({ postId: row.id, communityId: row.communityId, status: row.status }),
      actions: {
        close: {
          operationId: "closeServicePost",
          summary: "Close a post to new claims",
          description: "Existing claims are kept.",
          scope: "lists:write",
          event: "closed",
        },
        reopen: {
          operationId: "reopenServicePost",
          summary: "Reopen a closed post",
          scope: "lists:write",
          event: "reopened",
        },
      },
    }),
  );
