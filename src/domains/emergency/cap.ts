import { z } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import { divisions, tenants } from "../../db/tables.js";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { incidentId, tag } from "./common.js";
import { findIncident, type IncidentRow } from "./incident-model.js";

/**
 * OASIS CAP 1.2 (the Common Alerting Protocol) for an incident: one `alert` whose message type
 * follows the incident — `Alert` while declared or active, `Update` with responseType `AllClear` once
 * stood down or closed, `Cancel` when cancelled (declared in error) — the later two naming the
 * original in `references` (sender,identifier,sent). Drills are status `Exercise`. Scope `Restricted`
 * (volunteers and command staff), with the restriction stated. One `info` in zh-CN (the incident's own
 * text) and one in en. Validated in the tests against `cap/cap-1.2.xsd`, written from the specification.
 */

const categories: Record<IncidentRow["type"], string> = {
  rainstorm_flood: "Met",
  earthquake: "Geo",
  stranded_travellers: "Transport",
  public_health: "Health",
  fire: "Fire",
  snow_sandstorm: "Met",
  other: "Other",
};
const events: Record<IncidentRow["type"], [zh: string, en: string]> = {
  rainstorm_flood: ["暴雨洪涝", "Rainstorm and flooding"],
  earthquake: ["地震", "Earthquake"],
  stranded_travellers: ["旅客滞留", "Stranded travellers"],
  public_health: ["公共卫生事件", "Public health incident"],
  fire: ["火灾", "Fire"],
  snow_sandstorm: ["雨雪沙尘", "Snow and sandstorm"],
  other: ["突发事件", "Other emergency"],
};
/** Levels I–IV (特别重大, 重大, 较大, 一般) as CAP severities. */
export const severities = { I: "Extreme", II: "Severe", III: "Moderate", IV: "Minor" } as const;

/** CAP's dateTime: local time with a numeric offset, never "Z" (Jiuquan keeps UTC+8). */
export function capTime(iso: string): string {
  return `${new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

const xml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);
const el = (name: string, value: string | undefined | null) =>
  value == null ? "" : `<${name}>${xml(value)}</${name}>`;
const named = (name: string, valueName: string, value: string) =>
  `<${name}><valueName>${xml(valueName)}</valueName><value>${xml(value)}</value></${name}>`;

export interface CapContext {
  sender: string;
  tenant: { code: string; nameZh: string; nameEn: string };
  areas: { id: string; name: string; code: string | null }[];
}

export function capAlert(incident: IncidentRow, ctx: CapContext): string {
  const original = { identifier: incident.id, sent: capTime(incident.createdAt) };
  const msg =
    incident.status === "cancelled"
      ? {
          type: "Cancel",
          identifier: `${incident.id}.cancel`,
          sent: capTime(incident.cancelledAt ?? incident.updatedAt),
        }
      : incident.status === "standing_down" || incident.status === "closed"
        ? {
            type: "Update",
            identifier: `${incident.id}.all-clear`,
            sent: capTime(incident.stoodDownAt ?? incident.closedAt ?? incident.updatedAt),
          }
        : { type: "Alert", ...original };
  const over = msg.type !== "Alert";
  const responseType = msg.type === "Update" ? "AllClear" : msg.type === "Cancel" ? "None" : "Prepare";
  const [eventZh, eventEn] = events[incident.type];
  const areaNames = ctx.areas.map((a) => a.name).join("、");
  const geocodes = [
    named("geocode", "GB/T 2260", ctx.tenant.code),
    ...ctx.areas.map((a) => (a.code ? named("geocode", "GB/T 2260", a.code) : named("geocode", "HEXI_DIVISION", a.id))),
  ].join("");
  const info = (
    language: string,
    texts: {
      event: string;
      senderName: string;
      headline: string;
      description: string;
      instruction: string;
      areaDesc: string;
    },
  ) =>
    `<info>${el("language", language)}${el("category", categories[incident.type])}${el("event", texts.event)}${el(
      "responseType",
      responseType,
    )}${el("urgency", over ? "Past" : "Immediate")}${el("severity", severities[incident.level])}${el(
      "certainty",
      "Observed",
    )}${el("audience", language === "zh-CN" ? "应急志愿者与指挥人员" : "Response volunteers and command staff")}${named(
      "eventCode",
      "HEXI_INCIDENT_TYPE",
      incident.type,
    )}${el("effective", original.sent)}${el("senderName", texts.senderName)}${el("headline", texts.headline)}${el(
      "description",
      texts.description,
    )}${el("instruction", texts.instruction)}${named("parameter", "HEXI_LEVEL", incident.level)}<area>${el(
      "areaDesc",
      texts.areaDesc,
    )}${geocodes}</area></info>`;
  const zhHeadline =
    msg.type === "Update"
      ? `解除：${incident.headline}`
      : msg.type === "Cancel"
        ? `撤销：${incident.headline}`
        : incident.headline;
  const enHeadline = `${msg.type === "Update" ? "All clear: " : msg.type === "Cancel" ? "Cancelled: " : ""}${eventEn}, level ${incident.level}${incident.drill ? " (exercise)" : ""}, ${ctx.tenant.nameEn}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">${el("identifier", msg.identifier)}${el("sender", ctx.sender)}${el(
    "sent",
    msg.sent,
  )}${el("status", incident.drill ? "Exercise" : "Actual")}${el("msgType", msg.type)}${el("source", "Hexi")}${el(
    "scope",
    "Restricted",
  )}${el("restriction", "仅限应急志愿者与指挥人员 / Response volunteers and command staff only")}${
    msg.type === "Cancel" ? el("note", "Declared in error / 误报撤销") : ""
  }${over ? el("references", `${ctx.sender},${original.identifier},${original.sent}`) : ""}${el("incidents", incident.id)}${info(
    "zh-CN",
    {
      event: eventZh,
      senderName: ctx.tenant.nameZh,
      headline: zhHeadline,
      description: `${incident.drill ? "【演练】" : ""}${eventZh}（${incident.level}级），影响范围：${areaNames}。`,
      instruction: incident.instruction,
      areaDesc: areaNames,
    },
  )}${info("en", {
    event: eventEn,
    senderName: ctx.tenant.nameEn,
    headline: enHeadline,
    description: `${incident.drill ? "Exercise. " : ""}${eventEn}, level ${incident.level}. The instruction in Chinese is in the zh-CN block.`,
    instruction: "Follow the instruction of the zh-CN block; answer the page you received.",
    areaDesc: `${ctx.areas.length} division(s) of ${ctx.tenant.nameEn}: ${ctx.areas.map((a) => a.id).join(" ")}`,
  })}</alert>
`;
}

const exportCap = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/cap.xml",
  operationId: "exportIncidentCap",
  tags: [tag],
  summary: "The incident as an OASIS CAP 1.2 alert (zh-CN and en)",
  description:
    "Drills are status `Exercise`; levels I–IV map to severity Extreme / Severe / Moderate / Minor; `sent` carries a numeric offset; stand-down is an `Update` with responseType `AllClear`, cancellation a `Cancel`, both with `references` to the original alert; scope `Restricted`.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }) },
  responses: {
    200: {
      description: "The CAP alert.",
      content: {
        "application/cap+xml": { schema: z.string().openapi({ example: '<?xml version="1.0"?><alert …/>' }) },
      },
    },
  },
});

export const capRoutes = createRouter().openapi(exportCap, async (c) => {
  const incident = await findIncident(c, c.req.valid("param").id);
  const db = c.get("db");
  const [[tenant], areas] = await db.batch([
    db
      .select({ code: tenants.code, nameZh: tenants.nameZh, nameEn: tenants.nameEn })
      .from(tenants)
      .where(eq(tenants.code, incident.tenantId)),
    db
      .select({ id: divisions.id, name: divisions.name, code: divisions.code })
      .from(divisions)
      .where(and(eq(divisions.tenantId, incident.tenantId), inArray(divisions.id, incident.affectedDivisionIds))),
  ]);
  const body = capAlert(incident, {
    sender: `hexi-${incident.tenantId}@${c.get("paging").answerHost}`,
    tenant: tenant ?? { code: incident.tenantId, nameZh: incident.tenantId, nameEn: incident.tenantId },
    areas,
  });
  return c.body(body, 200, { "content-type": "application/cap+xml; charset=utf-8" }) as never;
});
