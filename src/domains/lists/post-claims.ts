import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { publishedReach } from "../../shared/auth/reach.js";
import { actionRoutes } from "../../shared/api/actions.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf } from "../../shared/http/etag.js";
import { ApiError } from "../../shared/http/errors.js";
import { createRouter, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, guardChanged, GuardFailed } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, visibleWithinReach } from "../../shared/store/records.js";
import { requireReference, unknownReference } from "../../shared/store/references.js";
import { members } from "../organisations/tables.js";
import { tag } from "./common.js";
import { claimMachine, liveClaimStatuses } from "./machines.js";
import { postId } from "./posts.js";
import { postClaims, postClaimStatuses, servicePosts } from "./tables.js";
import { msg } from "../../shared/http/messages.js";

const claimId = idSchema("claim");
const memberId = idSchema("mem");

const claimSchema = z
  .object({
    id: claimId,
    tenant: z.string().openapi({ example: "620902" }),
    postId,
    memberId,
    status: z.enum(postClaimStatuses).openapi({
      description:
        "applied → approved | rejected; approved → active; applied, approved or active → released. Applied, approved and active claims hold a seat.",
    }),
    ...timestampsSchema,
  })
  .openapi("PostClaim");

const createClaimSchema = z
  .object({
    postId,
    memberId: memberId.optional().openapi({
      description: "A member may omit it (themselves); a community admin claiming on a member's behalf must send it.",
    }),
  })
  .strict()
  .openapi("CreatePostClaim", { example: { postId: "post_01KDVDNA011AKWK3RC504FTYF8" } });

type ClaimRow = typeof postClaims.$inferSelect;

const present = (row: ClaimRow) => ({
  id: row.id,
  tenant: row.tenantId,
  postId: row.postId,
  memberId: row.memberId,
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});
const eventPayload = (row: ClaimRow) => ({
  claimId: row.id,
  postId: row.postId,
  memberId: row.memberId,
  status: row.status,
});

/** Members see their own claims; administrators the claims on posts of their subtree. */
const reach = { divisionPath: postClaims.divisionPath, memberId: postClaims.memberId };
const conflicts = { "post_claims.post_id": msg("unique.claim_live") };
const claimResponse = (description: string) => versionedResponse(claimSchema, description);

const createClaim = protectedRoute({
  method: "post",
  path: "/v1/post-claims",
  operationId: "createPostClaim",
  tags: [tag],
  summary: "Claim a service post (岗位认领)",
  description:
    "A member claims for themselves; a community admin may claim on behalf of a member within reach. A claim beyond the post's headcount is a 409 `conflict` (post is full), even under concurrent claims; a second live claim by the same member on the same post is a 409 too.",
  scope: "posts:claim",
  idempotent: true,
  errors: [409],
  request: { body: { required: true, content: { "application/json": { schema: createClaimSchema } } } },
  responses: { 201: claimResponse("The claim was filed, applied.") },
});

const listClaims = protectedRoute({
  method: "get",
  path: "/v1/post-claims",
  operationId: "listPostClaims",
  tags: [tag],
  summary: "Post claims within reach",
  scope: "lists:read",
  request: {
    query: pageQuerySchema.extend({
      postId: postId.optional(),
      memberId: memberId.optional(),
      status: z.enum(postClaimStatuses).optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of claims, in the requested `order` (oldest first by default).",
      content: { "application/json": { schema: pageOf(claimSchema, "PostClaimPage") } },
    },
  },
});

const getClaim = protectedRoute({
  method: "get",
  path: "/v1/post-claims/{id}",
  operationId: "getPostClaim",
  tags: [tag],
  summary: "One post claim",
  scope: "lists:read",
  errors: [404],
  request: { params: z.object({ id: claimId }) },
  responses: { 200: claimResponse("The claim.") },
});

async function requirePost(c: Context<AppEnv>, id: string) {
  const [post] = await c
    .get("db")
    .select()
    .from(servicePosts)
    .where(
      and(
        eq(servicePosts.id, id),
        eq(servicePosts.tenantId, c.get("principal").tenant),
        publishedReach(c.get("principal"), servicePosts),
      ),
    );
  if (!post) throw unknownReference("/postId", "service post");
  return post;
}

/** The member claiming: a member themselves (another member is outside their ownership), or one within an admin's subtree. */
async function requireClaimant(c: Context<AppEnv>, bodyMemberId: string | undefined) {
  const id = bodyMemberId ?? c.get("principal").owner?.memberId;
  if (!id) {
    throw new ApiError("validation_failed", msg("field.required", { field: "memberId" }), {
      errors: [{ in: "body", pointer: "/memberId", detail: msg("lists.claim_member_required_field") }],
    });
  }
  return requireReference(c, members, { divisionPath: members.divisionPath, memberId: members.id }, id, {
    pointer: "/memberId",
    what: "party member",
  });
}

const closedPost = () => new ApiError("conflict", msg("lists.post_closed"));

export const postClaimRoutes = createRouter()
  .openapi(createClaim, async (c) => {
    const body = c.req.valid("json");
    const post = await requirePost(c, body.postId);
    const member = await requireClaimant(c, body.memberId);
    if (post.status !== "open") throw closedPost();
    const now = c.get("clock").now();
    const at = now.toISOString();
    const row: ClaimRow = {
      id: newId("claim", now.getTime()),
      tenantId: post.tenantId,
      postId: post.id,
      memberId: member.id,
      divisionPath: post.divisionPath,
      status: "applied",
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    const live = sql.join(
      liveClaimStatuses.map((s) => sql`${s}`),
      sql`, `,
    );
    const response = present(row);
    const headers = { etag: etagOf(row.version), location: `/v1/post-claims/${row.id}` };
    try {
      await commit(
        c,
        {
          writes: [
            // The seat count is checked by the INSERT itself, so concurrent claims cannot overfill the post.
            c.get("db").run(sql`
              insert into post_claims (id, tenant_id, post_id, member_id, division_path, status, version, created_at, updated_at)
              select ${row.id}, ${row.tenantId}, ${row.postId}, ${row.memberId}, ${row.divisionPath}, ${row.status}, ${row.version}, ${at}, ${at}
              where (select count(*) from post_claims where tenant_id = ${row.tenantId} and post_id = ${row.postId} and status in (${live}))
                  < (select headcount from service_posts where tenant_id = ${row.tenantId} and id = ${row.postId} and status = 'open')`),
            guardChanged(),
          ],
          audit: {
            action: "post_claim.create",
            targetType: "post_claim",
            targetId: row.id,
            divisionPath: row.divisionPath,
            changes: { postId: row.postId, status: row.status },
          },
          events: [
            { type: "post_claim.applied", subjectType: "post_claim", subjectId: row.id, payload: eventPayload(row) },
          ],
          conflicts,
        },
        { status: 201, body: response, headers },
      );
    } catch (err) {
      if (!(err instanceof GuardFailed)) throw err;
      const [now] = await c
        .get("db")
        .select({ status: servicePosts.status })
        .from(servicePosts)
        .where(eq(servicePosts.id, post.id));
      throw now?.status === "open"
        ? new ApiError("conflict", msg("lists.post_full", { headcount: post.headcount }))
        : closedPost();
    }
    return c.json(response, 201, headers);
  })
  .openapi(listClaims, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, postClaims, reach, q, {
      postId: [postClaims.postId, q.postId],
      memberId: [postClaims.memberId, q.memberId],
      status: [postClaims.status, q.status],
    });
    return c.json({ data: page.data.map(present), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getClaim, async (c) => {
    const row = await findWithinReach(c, postClaims, reach, c.req.valid("param").id, "post claim");
    return c.json(present(row), 200, { etag: etagOf(row.version) });
  })
  .route(
    "/",
    actionRoutes({
      base: "/v1/post-claims",
      tag,
      idSchema: claimId,
      schema: claimSchema,
      targetType: "post_claim",
      machine: claimMachine,
      table: postClaims,
      find: (c, id) => findWithinReach(c, postClaims, reach, id, "post claim"),
      visible: visibleWithinReach(postClaims, reach),
      present,
      eventPayload,
      actions: {
        approve: {
          operationId: "approvePostClaim",
          summary: "Approve a claim",
          scope: "lists:write",
          event: "approved",
        },
        reject: {
          operationId: "rejectPostClaim",
          summary: "Reject a claim; its seat is freed",
          scope: "lists:write",
          event: "rejected",
        },
        activate: {
          operationId: "activatePostClaim",
          summary: "The member starts serving in the post",
          scope: "lists:write",
          event: "activated",
        },
        release: {
          operationId: "releasePostClaim",
          summary: "Release a claim; its seat is freed",
          description:
            "By the member (their own claim) or a community admin within reach. [D] Also withdraws a claim that is still applied or approved.",
          scope: ["posts:claim", "lists:write"],
          event: "released",
        },
      },
    }),
  );
