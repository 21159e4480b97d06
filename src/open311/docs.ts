import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { complaintCategories } from "../domains/property/tables.js";
import { open311Base } from "./routes.js";

const format = z.enum(["xml", "json"]).openapi({
  param: { name: "format", in: "path" },
  description: "xml (required by the specification) or json.",
  example: "xml",
});
const jurisdiction = z
  .string()
  .regex(/^\d{6}$/)
  .openapi({ param: { name: "jurisdiction_id", in: "query" }, description: "The tenant code.", example: "620902" });
const apiKeyParam = (why: string) =>
  z
    .string()
    .optional()
    .openapi({ param: { name: "api_key", in: "query" }, description: why, example: "hx_live_…" });

const xmlExample = (example: string) => ({ "text/xml": { schema: { type: "string" as const }, example } });
const jsonContent = (example: unknown) => ({ "application/json": { schema: {}, example } });
const errors = {
  400: {
    description:
      "A missing or invalid argument (GeoReport error document: `<errors><error><code/><description/></error></errors>`).",
    content: {
      ...xmlExample(
        '<?xml version="1.0" encoding="utf-8"?>\n<errors>\n  <error>\n    <code>400</code>\n    <description>jurisdiction_id was not provided (the six-digit tenant code, e.g. 620902).</description>\n  </error>\n</errors>\n',
      ),
      ...jsonContent([
        { code: 400, description: "jurisdiction_id was not provided (the six-digit tenant code, e.g. 620902)." },
      ]),
    },
  },
  404: { description: "Unknown jurisdiction_id, service_code, request or token (GeoReport error document)." },
};
const forbidden = {
  403: { description: "Missing or invalid api_key, or one without the needed scope (GeoReport error document)." },
};

const request = {
  service_request_id: "cmp_01KDVDNA011AKWK3RC504FTYF8",
  status: "open",
  status_notes: "assigned",
  service_name: "飞线充电 Flying-wire charging",
  service_code: "flying_wire_charging",
  description: "3号楼楼道有人从窗户拉电线给电动车充电。",
  agency_responsible: "酒泉市安居物业服务有限公司",
  service_notice:
    "The community accepts and assigns it; it is due within 24 hours, and escalated to the street when overdue.",
  requested_datetime: "2026-12-01T02:00:00.000Z",
  updated_datetime: "2026-12-01T03:10:00.000Z",
  expected_datetime: "2026-12-02T02:00:00.000Z",
  address: "富康家园, 酒泉市肃州区富康路 18 号",
  address_id: "cpd_01KDVDNA011AKWK3RC504FTYF8",
  zipcode: null,
  lat: 39.7446,
  long: 98.5131,
  media_url: null,
};

/** Documents the GeoReport v2 facade (served by plain routes in routes.ts) in the OpenAPI document. */
export function registerOpen311Docs(app: Pick<OpenAPIHono, "openAPIRegistry">) {
  const tags = ["open311"];
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/open311/discovery.{format}",
    operationId: "open311Discovery",
    tags,
    summary: "Open311 Service Discovery: the GeoReport v2 endpoint and its formats",
    security: [],
    request: { params: z.object({ format }) },
    responses: {
      200: {
        description: "The discovery document.",
        content: jsonContent({
          changeset: "2026-12-04T00:00:00Z",
          contact:
            "The county organisation department of the jurisdiction (jurisdiction_id = its six-digit tenant code).",
          key_service:
            "API keys are issued by a county administrator: POST /v1/api-keys (scopes complaints:file, complaints:read).",
          endpoints: [
            {
              specification: "http://wiki.open311.org/GeoReport_v2",
              url: "https://api.hexi.example/open311/v2",
              changeset: "2026-12-04T00:00:00Z",
              type: "production",
              formats: ["text/xml", "application/json"],
            },
          ],
        }),
      },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${open311Base}/services.{format}`,
    operationId: "open311ListServices",
    tags,
    summary: "GeoReport v2: service list (the complaint categories)",
    security: [],
    request: { params: z.object({ format }), query: z.object({ jurisdiction_id: jurisdiction }) },
    responses: {
      200: {
        description: "One service per complaint category, all with `metadata` true (the compound attribute).",
        content: jsonContent(
          complaintCategories.slice(0, 1).map((code) => ({
            service_code: code,
            service_name: "物业费 Property fees",
            description:
              "红色物业 complaint: property fees in a residential compound (小区). Handled within 120 hours, then escalated.",
            metadata: true,
            type: "realtime",
            keywords: "物业费, property fees, 物业, property",
            group: "红色物业",
          })),
        ),
      },
      ...errors,
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${open311Base}/services/{service_code}.{format}`,
    operationId: "open311GetServiceDefinition",
    tags,
    summary: "GeoReport v2: service definition (the `compound` attribute: a list of the jurisdiction's compounds)",
    security: [],
    request: {
      params: z.object({
        service_code: z.enum(complaintCategories).openapi({ param: { name: "service_code", in: "path" } }),
        format,
      }),
      query: z.object({ jurisdiction_id: jurisdiction }),
    },
    responses: {
      200: {
        description: "The attributes to send as `attribute[code]`.",
        content: jsonContent({
          service_code: "parking",
          attributes: [
            {
              variable: true,
              code: "compound",
              datatype: "singlevaluelist",
              required: true,
              datatype_description: "The residential compound (小区); it may also be sent as address_id.",
              order: 1,
              description: "Which compound (小区) is it about?",
              values: [{ key: "cpd_01KDVDNA011AKWK3RC504FTYF8", name: "富康家园" }],
            },
          ],
        }),
      },
      ...errors,
    },
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: `${open311Base}/requests.{format}`,
    operationId: "open311CreateRequest",
    tags,
    summary: "GeoReport v2: file a complaint (form-encoded, `attribute[code]` fields)",
    description:
      "A documented exception to the JSON-only rule: the body is `application/x-www-form-urlencoded` as the specification has it. `api_key` is a Hexi API key of the jurisdiction's tenant with the scope `complaints:file`. The compound is `attribute[compound]` or `address_id`; `lat`/`long` are WGS-84. `first_name`, `last_name`, `phone` and `email` are sealed like every reporter contact; `device_id` and `media_url` are not kept. The answer carries `service_request_id` and also `token`, the reporter's follow-up token (a Hexi deviation: keep it for the reporter).",
    security: [],
    request: {
      params: z.object({ format }),
      body: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({
              api_key: z.string(),
              jurisdiction_id: z.string(),
              service_code: z.enum(complaintCategories),
              "attribute[compound]": z.string().optional(),
              address_id: z.string().optional(),
              lat: z.string().optional(),
              long: z.string().optional(),
              address_string: z.string().optional(),
              email: z.string().optional(),
              first_name: z.string().optional(),
              last_name: z.string().optional(),
              phone: z.string().optional(),
              description: z.string(),
              account_id: z.string().optional(),
            }),
            example:
              "api_key=hx_live_…&jurisdiction_id=620902&service_code=flying_wire_charging&attribute[compound]=cpd_01KDVDNA011AKWK3RC504FTYF8&lat=39.7446&long=98.5131&description=3号楼楼道飞线充电",
          },
        },
      },
    },
    responses: {
      201: {
        description: "Filed.",
        content: jsonContent([
          {
            service_request_id: request.service_request_id,
            token: "Qm8xZ2V0c1hq",
            service_notice: request.service_notice,
            account_id: null,
          },
        ]),
      },
      ...errors,
      ...forbidden,
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${open311Base}/requests.{format}`,
    operationId: "open311SearchRequests",
    tags,
    summary: "GeoReport v2: search requests",
    description:
      "Arguments as the specification: `service_request_id` (comma list, overrides the rest), `service_code`, `start_date`, `end_date` (at most 90 days; default the last 90), `status` (open, closed). Newest first, at most 1,000. Hexi deviation: needs an `api_key` with `complaints:read`.",
    security: [],
    request: {
      params: z.object({ format }),
      query: z.object({
        jurisdiction_id: jurisdiction,
        api_key: apiKeyParam("A Hexi API key of the tenant with complaints:read."),
        service_request_id: z.string().optional(),
        service_code: z.string().optional(),
        start_date: z.string().optional(),
        end_date: z.string().optional(),
        status: z.string().optional(),
      }),
    },
    responses: { 200: { description: "The requests.", content: jsonContent([request]) }, ...errors, ...forbidden },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${open311Base}/requests/{service_request_id}.{format}`,
    operationId: "open311GetRequest",
    tags,
    summary: "GeoReport v2: one request",
    description:
      "With an `api_key` holding `complaints:read`, or (Hexi extension) the reporter's `token` for this request.",
    security: [],
    request: {
      params: z.object({
        service_request_id: z.string().openapi({ param: { name: "service_request_id", in: "path" } }),
        format,
      }),
      query: z.object({
        jurisdiction_id: jurisdiction,
        api_key: apiKeyParam("A Hexi API key of the tenant with complaints:read."),
        token: z
          .string()
          .optional()
          .openapi({ param: { name: "token", in: "query" }, description: "The reporter's follow-up token." }),
      }),
    },
    responses: { 200: { description: "The request.", content: jsonContent([request]) }, ...errors, ...forbidden },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${open311Base}/tokens/{token}.{format}`,
    operationId: "open311GetRequestIdFromToken",
    tags,
    summary: "GeoReport v2: service_request_id from a token",
    security: [],
    request: {
      params: z.object({ token: z.string().openapi({ param: { name: "token", in: "path" } }), format }),
      query: z.object({ jurisdiction_id: jurisdiction }),
    },
    responses: {
      200: {
        description: "The request's id.",
        content: jsonContent([{ service_request_id: request.service_request_id, token: "Qm8xZ2V0c1hq" }]),
      },
      ...errors,
    },
  });
}
