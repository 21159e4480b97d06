import { z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { commit } from "../../shared/store/commit.js";
import { ledgerEntries } from "../activities/tables.js";
import { assertMayRevealPii } from "../../shared/auth/pii-reveal.js";
import { incidentId, tag } from "./common.js";
import { findIncident } from "./incident-model.js";
import { notifications, sites, volunteers } from "./tables.js";

/**
 * Volunteers' hours of a closed incident as CSV, in the columns the national volunteer service
 * information system (全国志愿服务信息系统) takes for a bulk upload of service records: the upload
 * needs clear identity numbers, so the export follows the reveal rule (pii:read, a signed-in person,
 * audited as `incident.hours_exported`). UTF-8 with a BOM (spreadsheet programs), CRLF lines, and
 * cells that would start a formula are quoted with a leading apostrophe.
 */
const header = [
  "志愿者姓名",
  "证件类型",
  "证件号码",
  "手机号码",
  "服务开始时间",
  "服务结束时间",
  "服务时长（小时）",
  "服务项目",
  "服务地点",
  "备注",
];

const cell = (value: string | number | null) => {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** Local (UTC+8) time as the upload expects it: "2026-08-13 14:00". */
const local = (iso: string | null) =>
  iso === null ? "" : new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");

const exportHours = protectedRoute({
  method: "get",
  path: "/v1/incidents/{id}/hours.csv",
  operationId: "exportIncidentHours",
  tags: [tag],
  summary: "Hours per volunteer as CSV for the national volunteer service information system",
  description:
    "One line per ledger entry the close posted. Clear identity numbers and phones: needs pii:read and a signed-in person (never an API key); audited.",
  scope: "emergency:read",
  errors: [404],
  request: { params: z.object({ id: incidentId }) },
  responses: {
    200: {
      description: "The CSV (UTF-8 with BOM).",
      content: { "text/csv": { schema: z.string().openapi({ example: `${header.join(",")}\r\n` }) } },
    },
  },
});

export const hoursExportRoutes = createRouter().openapi(exportHours, async (c) => {
  assertMayRevealPii(c.get("principal"));
  const incident = await findIncident(c, c.req.valid("param").id);
  const rows = await c
    .get("db")
    .select({
      name: volunteers.name,
      idCardCipher: volunteers.idCardCipher,
      phoneCipher: volunteers.phoneCipher,
      checkedInAt: notifications.checkedInAt,
      checkedOutAt: notifications.checkedOutAt,
      hours: ledgerEntries.hours,
      site: sites.name,
    })
    .from(ledgerEntries)
    .innerJoin(
      notifications,
      and(eq(notifications.tenantId, ledgerEntries.tenantId), eq(notifications.id, ledgerEntries.sourceId)),
    )
    .innerJoin(
      volunteers,
      and(eq(volunteers.tenantId, notifications.tenantId), eq(volunteers.id, notifications.volunteerId)),
    )
    .leftJoin(sites, and(eq(sites.tenantId, notifications.tenantId), eq(sites.id, notifications.siteId)))
    .where(
      and(
        eq(ledgerEntries.tenantId, incident.tenantId),
        eq(ledgerEntries.sourceType, "emergency"),
        eq(notifications.incidentId, incident.id),
      ),
    )
    .orderBy(asc(ledgerEntries.id));
  const pii = c.get("pii");
  const lines = [header.join(",")];
  for (const r of rows) {
    const end = r.checkedOutAt ?? incident.stoodDownAt ?? incident.closedAt;
    lines.push(
      [
        r.name,
        r.idCardCipher ? "居民身份证" : "",
        r.idCardCipher ? await pii.open(r.idCardCipher) : "",
        r.phoneCipher ? await pii.open(r.phoneCipher) : "",
        local(r.checkedInAt),
        local(end),
        r.hours,
        `${incident.drill ? "应急演练" : "应急响应"}：${incident.headline}`,
        r.site,
        incident.id,
      ]
        .map(cell)
        .join(","),
    );
  }
  await commit(c, {
    writes: [],
    audit: {
      action: "incident.hours_exported",
      targetType: "incident",
      targetId: incident.id,
      divisionPath: incident.divisionPath,
      tenantId: incident.tenantId,
      changes: { rows: rows.length, fields: ["name", "idCard", "phone"] },
    },
  });
  return c.body(`\uFEFF${lines.join("\r\n")}\r\n`, 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${incident.id}-hours.csv"`,
    "cache-control": "no-store",
  }) as never;
});
