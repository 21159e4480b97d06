import { OpenAPIHono } from "@hono/zod-openapi";
import { accessRoutes } from "./domains/access/routes.js";
import { activityRoutes } from "./domains/activities/routes.js";
import { auditRoutes } from "./domains/audit/routes.js";
import { certificateRoutes } from "./domains/certificates/routes.js";
import { divisionRoutes } from "./domains/divisions/routes.js";
import { emergencyRoutes } from "./domains/emergency/routes.js";
import { listRoutes } from "./domains/lists/routes.js";
import { organisationRoutes } from "./domains/organisations/routes.js";
import { propertyRoutes } from "./domains/property/routes.js";
import { newEmploymentRoutes } from "./domains/newemployment/routes.js";
import { reportRoutes } from "./domains/reports/routes.js";
import { statsRoutes } from "./domains/stats/stats.js";
import { governanceRoutes } from "./domains/governance/routes.js";
import { healthRoutes, meRoutes } from "./domains/system/routes.js";
import { tenantRoutes } from "./domains/tenants/routes.js";
import { registerOpen311Docs } from "./open311/docs.js";
import { open311Routes } from "./open311/routes.js";
import { registerWebhookDocs } from "./domains/webhooks/openapi.js";
import { webhookRoutes } from "./domains/webhooks/routes.js";
import type { AppEnv } from "./shared/request/context.js";
import { roleScopeMatrix, withoutOptionalExamples, problemExampleComponents } from "./shared/api/openapi.js";

/** Every documented route, by domain area. Adding an area is one line here. */
export const apiRoutes = new OpenAPIHono<AppEnv>()
  .route("/", healthRoutes)
  .route("/", meRoutes)
  .route("/", tenantRoutes)
  .route("/", divisionRoutes)
  .route("/", organisationRoutes)
  .route("/", reportRoutes)
  .route("/", statsRoutes)
  .route("/", listRoutes)
  .route("/", activityRoutes)
  .route("/", emergencyRoutes)
  .route("/", propertyRoutes)
  .route("/", certificateRoutes)
  .route("/", newEmploymentRoutes)
  .route("/", auditRoutes)
  .route("/", accessRoutes)
  .route("/", webhookRoutes)
  .route("/", governanceRoutes);

apiRoutes.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
  description:
    "A JWT from a trusted issuer (ES256 or EdDSA) carrying `tenant`, `roles` and optionally `org` — including the access tokens `POST /v1/oauth/token` issues to API clients — or an API key (`Bearer hx_live_…`). The city tenant (620900) takes only the roles `city_admin` and `auditor`; `city_admin` belongs to the city only. The city reads across the county-level tenants and changes their records through no operation (403). Each operation lists the scopes it takes in its security requirements, its description and `x-hexi-scopes` (any one suffices); the role → scope table is in the API description.",
});
apiRoutes.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
  type: "apiKey",
  in: "header",
  name: "X-API-Key",
  description:
    "An API key (`hx_live_…`) from `POST /v1/api-keys`; it may also be sent as `Authorization: Bearer hx_live_…`.",
});
for (const [name, example] of Object.entries(problemExampleComponents())) {
  apiRoutes.openAPIRegistry.registerComponent("examples", name, example);
}
registerWebhookDocs(apiRoutes);
// Open311 GeoReport v2: plain routes (`.xml`/`.json` suffixes), documented separately.
apiRoutes.route("/", open311Routes);
registerOpen311Docs(apiRoutes);

let document: ReturnType<typeof apiRoutes.getOpenAPI31Document> | undefined;

/** The OpenAPI 3.1 document, generated from the route schemas once per process. */
export function openApiDocument() {
  document ??= withoutOptionalExamples(
    apiRoutes.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Hexi API",
        version: "0.1.0",
        license: { name: "Proprietary", url: "https://hexi.dev/license" },
        description: `Multi-tenant API for Jiuquan's urban party-building complex (城市基层党建综合体): tenants, divisions and the 五联双报到 records.\n\nErrors are RFC 9457 problem documents with a stable \`code\`. Their \`title\` and \`detail\` (and each field error's \`detail\`) follow \`Accept-Language\`: Simplified Chinese (zh-CN) by default, English with \`Accept-Language: en\`; every response carries \`Content-Language\` and \`Vary: Accept-Language\`. 错误为 RFC 9457 问题文档，\`code\` 稳定不变；\`title\` 和 \`detail\` 默认为简体中文，发送 \`Accept-Language: en\` 时为英文。\n\nUnknown query parameters and body fields are a 400 naming them. Lists use keyset pagination (\`limit\`, \`cursor\`, \`nextCursor\`).\n\n## Roles and scopes / 角色与权限范围\n\nEach operation states the scope it needs (any one, where it lists several); a 403 names the missing scope and the roles that hold it. A token's roles grant these scopes (a token's \`scope\` claim may narrow them; an API key holds the scopes it was given):\n\n${roleScopeMatrix()}`,
      },
      servers: [{ url: "/", description: "The server that serves this document" }],
      tags: [
        { name: "system", description: "Health and the caller's identity." },
        { name: "tenants", description: "The city and its seven county-level divisions." },
        { name: "divisions", description: "County → street/town → community → grid." },
        { name: "organisations", description: "Units, party organisations and party members." },
        {
          name: "reports",
          description:
            "双报到: unit and member reports, co-building agreements, the five links, feedback to employers, evaluations.",
        },
        { name: "lists", description: "三张清单 (needs, resources, projects) and service posts with claims." },
        { name: "activities", description: "Activities, participation, the hours and points ledger." },
        {
          name: "emergency",
          description:
            "平急结合·应急支援: volunteers, teams (normal, emergency, mobile), sites, and incidents with one-key activation, answer links, progress, close reports and CAP 1.2 export.",
        },
        {
          name: "property",
          description:
            "红色物业: compounds (小区), owners' committees, property companies (units of kind property_company) and residents' complaints, with the reporter's follow-up link (public routes under /v1/public/).",
        },
        {
          name: "new-employment",
          description:
            "新就业群体: couriers, riders and drivers (workers of platforms: units of kind delivery_platform, courier_company, ride_hailing_platform), warm stations (暖心驿站), communities' areas for routing by place, quick reports (随手拍) and their points ledger. Volunteer teams are the emergency area's (`source` new_employment).",
        },
        {
          name: "open311",
          description:
            "Open311 GeoReport v2 over the property complaints: `jurisdiction_id` is the tenant code, `api_key` a Hexi API key; XML or JSON by suffix; errors in GeoReport's own format.",
        },
        { name: "stats", description: "Counts per tenant and community." },
        {
          name: "governance",
          description:
            "一核引领 measures for streets and communities: duty lists (职责清单, city templates and county editions, with a public read).",
        },
        { name: "audit", description: "The audit trail of every write." },
        {
          name: "access",
          description:
            "Third-party access: API clients (OAuth 2.0 client credentials), API keys, the token endpoint and signing keys. Machine credentials are rate-limited (RateLimit-Policy/RateLimit headers, 429 with Retry-After); a revoked key or client stops working within 30 s.",
        },
        {
          name: "webhooks",
          description:
            "Outbound webhooks (Standard Webhooks): endpoint subscriptions, deliveries, and under `webhooks` the events they carry.",
        },
      ],
    }),
  );
  return document;
}
