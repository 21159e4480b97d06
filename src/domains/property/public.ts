import { msg } from "../../shared/http/messages.js";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError, notFound } from "../../shared/http/errors.js";
import { createRouter, errorResponses } from "../../shared/api/openapi.js";
import type { RateRule } from "../../shared/http/rate-limit.js";
import { transition, updateVersioned } from "../../shared/store/records.js";
import { unknownReference } from "../../shared/store/references.js";
import {
  complaintEventPayload,
  fileComplaint,
  followUpTokenSchema,
  reporterPrincipal,
  tag,
  tokenHashOf,
  type ComplaintRow,
} from "./common.js";
import { commitNote, fileComplaintSchema, filingOf, followUpOf, followUpSchema } from "./complaints.js";
import { complaintMachine, dueAfter } from "./machines.js";
import { addNote } from "./notes.js";
import { photosOf, publicPhotoRoutes } from "./photos.js";
import { publicPhotoUploadRoutes } from "./photo-uploads.js";
import { complaints, compounds } from "./tables.js";
import { notesOf, presentPublic, publicComplaintSchema, reopenableUntil } from "./views.js";

/**
 * The reporter's side: no account, no credential but the follow-up token. These are the only
 * `security: []` routes of the area (listed in the README's "Red property and Open311"):
 *   POST /v1/public/complaints, GET /v1/public/complaints/{token},
 *   POST /v1/public/complaints/{token}/information, …/reopen, …/rating, …/photos, GET …/photos/{photoId},
 *   POST …/photo-uploads, …/photo-uploads/{uploadId}/attach.
 * Writes are audited as `link:<tenant>:complaint:<id>`.
 */

/** [D] Filings per client address per hour: the form is open to anyone. */
export const publicFilingRule: RateRule = { limit: 20, windowSeconds: 3600 };

const tokenParams = z.object({ token: followUpTokenSchema });
const publicView = { "application/json": { schema: publicComplaintSchema } };

function publicRoute<R extends Parameters<typeof createRoute>[0]>(route: R, errors: number[]) {
  return createRoute({
    ...route,
    tags: [tag],
    security: [],
    responses: { ...route.responses, ...errorResponses(errors) },
  });
}

const fileRoute = publicRoute(
  {
    method: "post",
    path: "/v1/public/complaints",
    operationId: "filePublicComplaint",
    summary: "A resident files a complaint (no account)",
    description: `Public: no credential. Answers the follow-up token once; keep it to follow the complaint, add information, reopen it and rate it. ${publicFilingRule.limit} filings per hour per client address (429 with Retry-After).`,
    request: { body: { required: true, content: { "application/json": { schema: fileComplaintSchema } } } },
    responses: {
      201: {
        description: "Filed.",
        content: {
          "application/json": {
            schema: z
              .object({ complaint: publicComplaintSchema, followUp: followUpSchema })
              .openapi("PublicFiledComplaint"),
          },
        },
      },
    },
  },
  [400, 415, 429],
);

const getRoute = publicRoute(
  {
    method: "get",
    path: "/v1/public/complaints/{token}",
    operationId: "followPublicComplaint",
    summary: "Follow a complaint with its token",
    description:
      "Public: the token is the credential. Shows the lifecycle and notes, never the handlers' internal data.",
    request: { params: tokenParams },
    responses: { 200: { description: "The complaint as its reporter sees it.", content: publicView } },
  },
  [400, 404],
);

/** A JSON body of one required text field, 1–1000 characters. */
const textBody = <F extends string>(field: F, name: string, example: string) => ({
  required: true,
  content: {
    "application/json": {
      schema: z
        .object({ [field]: z.string().trim().min(1).max(1000).openapi({ example }) } as Record<F, z.ZodString>)
        .strict()
        .openapi(name),
    },
  },
});

const informationRoute = publicRoute(
  {
    method: "post",
    path: "/v1/public/complaints/{token}/information",
    operationId: "addPublicComplaintInformation",
    summary: "The reporter adds information",
    description: "Not once it is closed (409). At most 50 notes per complaint.",
    request: {
      params: tokenParams,
      body: textBody("text", "PublicComplaintInformation", "充电线今天又拉出来了，在 3 号楼 2 单元。"),
    },
    responses: { 200: { description: "The complaint with the note.", content: publicView } },
  },
  [400, 404, 409],
);

const reopenRoute = publicRoute(
  {
    method: "post",
    path: "/v1/public/complaints/{token}/reopen",
    operationId: "reopenPublicComplaint",
    summary: "The reporter reopens a resolved complaint within the window",
    description:
      "From resolved, verified or closed (not one closed as duplicate or not responsible), until `reopenableUntil` (7 days after the resolution); a new deadline starts.",
    request: { params: tokenParams, body: textBody("reason", "ReopenComplaint", "飞线又出现了。") },
    responses: { 200: { description: "Reopened.", content: publicView } },
  },
  [400, 404, 409],
);

const ratingRoute = publicRoute(
  {
    method: "post",
    path: "/v1/public/complaints/{token}/rating",
    operationId: "ratePublicComplaint",
    summary: "The reporter rates the handling (满意度), once",
    description: "Once the complaint is verified or closed as resolved; a second rating is a 409.",
    request: {
      params: tokenParams,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({
                rating: z
                  .number()
                  .int()
                  .min(1)
                  .max(5)
                  .openapi({ description: "1 very dissatisfied … 5 very satisfied.", example: 5 }),
                comment: z.string().trim().max(500).optional().openapi({ example: "处理及时，谢谢社区。" }),
              })
              .strict()
              .openapi("RateComplaint"),
          },
        },
      },
    },
    responses: { 200: { description: "Rated.", content: publicView } },
  },
  [400, 404, 409],
);

/** The complaint a token opens, acting from then on as its reporter. */
async function byToken(c: Context<AppEnv>, token: string): Promise<ComplaintRow> {
  const [row] = await c
    .get("db")
    .select()
    .from(complaints)
    .where(eq(complaints.tokenHash, await tokenHashOf(token)));
  if (!row) throw notFound("complaint");
  c.set("principal", reporterPrincipal(row.tenantId, row.id));
  return row;
}

async function view(c: Context<AppEnv>, row: ComplaintRow) {
  const [compound] = await c
    .get("db")
    .select({ name: compounds.name })
    .from(compounds)
    .where(and(eq(compounds.tenantId, row.tenantId), eq(compounds.id, row.compoundId)));
  return presentPublic(row, compound?.name ?? "", await notesOf(c, row), await photosOf(c, row));
}

export const publicComplaintRoutes = createRouter()
  .route("/", publicPhotoRoutes(byToken))
  .route("/", publicPhotoUploadRoutes(byToken))
  .openapi(fileRoute, async (c) => {
    const body = c.req.valid("json");
    const decision = await c
      .get("rateLimiter")
      .consume(`public-complaints:${c.get("clientIp")() ?? "unknown"}`, publicFilingRule);
    if (!decision.allowed) {
      const retryAfter = String(Math.max(1, decision.retryAfterSeconds));
      throw new ApiError("rate_limited", msg("complaint.too_many_from_address"), {
        headers: { "retry-after": retryAfter },
      });
    }
    const [compound] = await c.get("db").select().from(compounds).where(eq(compounds.id, body.compoundId));
    if (!compound) throw unknownReference("/compoundId", "compound");
    c.set("principal", reporterPrincipal(compound.tenantId, "new"));
    const { row, token } = await fileComplaint(c, { ...filingOf(body), compound, channel: "link" });
    return c.json({ complaint: presentPublic(row, compound.name, [], []), followUp: followUpOf(token) }, 201, {
      location: followUpOf(token).path,
    });
  })
  .openapi(getRoute, async (c) => c.json(await view(c, await byToken(c, c.req.valid("param").token)), 200))
  .openapi(informationRoute, async (c) => {
    const row = await byToken(c, c.req.valid("param").token);
    if (row.status === "closed") throw new ApiError("conflict", msg("complaint.closed_reopen_first"));
    await commitNote(c, row, "reporter", c.req.valid("json").text);
    return c.json(await view(c, row), 200);
  })
  .openapi(reopenRoute, async (c) => {
    const row = await byToken(c, c.req.valid("param").token);
    const now = c.get("clock").now();
    complaintMachine.next(row.status, "reopen");
    const until = reopenableUntil(row);
    if (!until || now.toISOString() > until)
      throw new ApiError(
        "conflict",
        until ? msg("complaint.reopen_window_ended", { until }) : msg("complaint.cannot_reopen"),
      );
    const dueAt = await dueAfter(c.get("db"), now, row.category);
    const updated = await transition(c, {
      table: complaints,
      row,
      machine: complaintMachine,
      action: "reopen",
      targetType: "complaint",
      set: {
        dueAt,
        reopenCount: row.reopenCount + 1,
        closure: null,
        closedAt: null,
        rating: null,
        ratingComment: null,
      },
      alsoWrite: () => addNote(c, row, "reporter", c.req.valid("json").reason),
      events: (u) => [
        {
          type: "complaint.reopened",
          subjectType: "complaint",
          subjectId: u.id,
          payload: complaintEventPayload(u),
          tenantId: u.tenantId,
        },
      ],
    });
    return c.json(await view(c, updated), 200);
  })
  .openapi(ratingRoute, async (c) => {
    const row = await byToken(c, c.req.valid("param").token);
    const body = c.req.valid("json");
    const rateable = row.status === "verified" || (row.status === "closed" && row.closure === "resolved");
    if (!rateable) throw new ApiError("conflict", msg("complaint.not_rateable", { status: row.status }));
    if (row.rating !== null) throw new ApiError("conflict", msg("complaint.rated_already"));
    const updated = await updateVersioned(c, {
      table: complaints,
      row,
      set: { rating: body.rating, ratingComment: body.comment ?? null },
      audit: { action: "complaint.rate", targetType: "complaint", changes: { rating: body.rating } },
      events: (u) => [
        {
          type: "complaint.rated",
          subjectType: "complaint",
          subjectId: u.id,
          payload: { ...complaintEventPayload(u), rating: body.rating },
          tenantId: u.tenantId,
        },
      ],
    });
    return c.json(await view(c, updated), 200);
  });
