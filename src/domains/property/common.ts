import { zodMessage } from "../../shared/http/messages.js";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { encodeBase64Url } from "hono/utils/encode";
import { newId } from "../../db/ids.js";
import type { Principal } from "../../shared/auth/principal.js";
import { sha256Hex } from "../../shared/crypto/hash.js";
import { maskName, maskPhone } from "../../shared/crypto/pii.js";
import type { AppEnv } from "../../shared/request/context.js";
import { idSchema } from "../../shared/http/schemas.js";
import { insertRow } from "../../shared/store/prepared.js";
import { commit } from "../../shared/store/commit.js";
import { dueAfter } from "./machines.js";
import {
  complaintCategories,
  complaints,
  type ComplaintCategory,
  type compounds,
  type ReporterMasked,
} from "./tables.js";

export const tag = "property";
export const compoundId = idSchema("cpd");
export const committeeId = idSchema("ocm");
/** A party organisation id (`org_…`), the shape organisations/ gives it (a domain reads another only through its tables). */
export const partyOrgId = idSchema("org");
export const complaintId = idSchema("cmp");

export type CompoundRow = typeof compounds.$inferSelect;
export type ComplaintRow = typeof complaints.$inferSelect;

export const categorySchema = z.enum(complaintCategories).openapi({
  description:
    "property_fee 物业费, parking 停车, blocked_fire_lane 占用消防通道, flying_wire_charging 飞线充电, pets 宠物, noise 噪音, repairs 维修, other 其他.",
  example: "flying_wire_charging",
});

export const categoryNames: Record<ComplaintCategory, { zh: string; en: string }> = {
  property_fee: { zh: "物业费", en: "Property fees" },
  parking: { zh: "停车", en: "Parking" },
  blocked_fire_lane: { zh: "占用消防通道", en: "Blocked fire lane" },
  flying_wire_charging: { zh: "飞线充电", en: "Flying-wire charging" },
  pets: { zh: "宠物", en: "Pets" },
  noise: { zh: "噪音", en: "Noise" },
  repairs: { zh: "维修", en: "Repairs" },
  other: { zh: "其他", en: "Other" },
};

export const descriptionSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .openapi({ example: "3号楼楼道有人从窗户拉电线给电动车充电，存在火灾隐患。" });

export const reporterSchema = z
  .object({
    name: z.string().trim().min(1).max(50).optional().openapi({ example: "王女士" }),
    phone: z
      .string()
      .trim()
      .regex(/^1[3-9]\d{9}$/, zodMessage("field.mobile_format"))
      .optional()
      .openapi({ example: "13812345678" }),
    email: z.email().max(200).optional().openapi({ example: "resident@example.cn" }),
  })
  .strict()
  .openapi("ComplaintReporter", {
    description:
      "How to reach the reporter; all optional (anonymous complaints are allowed). Sealed at rest, shown masked.",
  });
export type Reporter = z.infer<typeof reporterSchema>;

/** Where the problem is, in the datum the client's map gave (Chinese map SDKs give GCJ-02); stored as WGS-84. */
export const locationSchema = z
  .object({
    lat: z.number().min(-90).max(90).openapi({ example: 39.7461 }),
    long: z.number().min(-180).max(180).openapi({ example: 98.5153 }),
    datum: z.enum(["wgs84", "gcj02"]).openapi({
      description: "wgs84 (GPS, Open311) or gcj02 (AMap/高德, Tencent, WeChat `wx.getLocation`): converted to WGS-84.",
      example: "gcj02",
    }),
  })
  .strict()
  .openapi("ComplaintLocation");

export function maskEmail(email: string): string {
  const [local = "", domain = ""] = email.split("@");
  return `${local.slice(0, 1)}***@${domain}`;
}

/** The follow-up token: 9 random bytes (72 bits) as 12 base64url characters. Only its SHA-256 is stored. */
export function newFollowUpToken(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(9)).buffer);
}
export const followUpTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{12}$/, zodMessage("complaint.token_format"))
  .openapi({ description: "The follow-up token filing returned.", example: "Qm8xZ2V0c1hq" });

export const tokenHashOf = (token: string) => sha256Hex(`complaint-link:${token}`);

/** The principal a reporter acts as through the follow-up link: no scopes, audited as `link:<tenant>:complaint:<id>`. */
export function reporterPrincipal(tenant: string, complaint: string): Principal {
  return {
    tenant,
    subject: `complaint:${complaint}`,
    roles: [],
    scopes: new Set(),
    credential: "link",
    crossTenant: false,
  };
}

export const complaintEventPayload = (row: ComplaintRow) => ({
  complaintId: row.id,
  compoundId: row.compoundId,
  communityId: row.communityId,
  companyUnitId: row.companyUnitId,
  category: row.category,
  status: row.status,
  level: row.level,
  assigneeType: row.assigneeType,
  closure: row.closure,
  dueAt: row.dueAt,
});

export interface FilingInput {
  compound: CompoundRow;
  category: ComplaintCategory;
  description: string;
  channel: ComplaintRow["channel"];
  reporter?: Reporter;
  lat?: number;
  long?: number;
  addressString?: string;
}

/**
 * Files a complaint (from the public link form, staff on a resident's behalf, or Open311): the
 * record, its audit event and `complaint.reported`, in one batch. Answers the row and the clear
 * follow-up token, which exists nowhere else afterwards.
 */
export async function fileComplaint(
  c: Context<AppEnv>,
  input: FilingInput,
  created?: (row: ComplaintRow, token: string) => { status: number; body: unknown; headers: Record<string, string> },
): Promise<{ row: ComplaintRow; token: string }> {
  const now = c.get("clock").now();
  const at = now.toISOString();
  const token = newFollowUpToken();
  const { reporterCipher, reporterMasked } = await sealReporter(c, input.reporter);
  const row: ComplaintRow = {
    id: newId("cmp", now.getTime()),
    tenantId: input.compound.tenantId,
    compoundId: input.compound.id,
    communityId: input.compound.communityId,
    divisionPath: input.compound.divisionPath,
    companyUnitId: input.compound.propertyUnitId,
    category: input.category,
    description: input.description,
    channel: input.channel,
    reporterCipher,
    reporterMasked,
    tokenHash: await tokenHashOf(token),
    lat: input.lat ?? null,
    long: input.long ?? null,
    addressString: input.addressString ?? null,
    status: "reported",
    level: "community",
    assigneeType: null,
    assigneeId: null,
    assigneeName: null,
    dueAt: await dueAfter(c.get("db"), now, input.category),
    resolvedAt: null,
    resolution: null,
    onTime: null,
    closedAt: null,
    closure: null,
    duplicateOfId: null,
    referredTo: null,
    reopenCount: 0,
    escalationCount: 0,
    rating: null,
    ratingComment: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  await commit(
    c,
    {
      writes: [insertRow(c.get("db"), complaints, row)],
      audit: {
        action: "complaint.create",
        targetType: "complaint",
        targetId: row.id,
        divisionPath: row.divisionPath,
        tenantId: row.tenantId,
        changes: {
          channel: row.channel,
          category: row.category,
          fields: [
            "compoundId",
            "category",
            "description",
            ...Object.keys(input.reporter ?? {}).map((k) => `reporter.${k}`),
          ],
        },
      },
      events: [
        {
          type: "complaint.reported",
          subjectType: "complaint",
          subjectId: row.id,
          payload: complaintEventPayload(row),
          tenantId: row.tenantId,
        },
      ],
    },
    created?.(row, token),
  );
  return { row, token };
}

async function sealReporter(c: Context<AppEnv>, reporter: Reporter | undefined) {
  if (!reporter || (!reporter.name && !reporter.phone && !reporter.email))
    return { reporterCipher: null, reporterMasked: null };
  const masked: ReporterMasked = {
    name: reporter.name ? maskName(reporter.name) : null,
    phone: reporter.phone ? maskPhone(reporter.phone) : null,
    email: reporter.email ? maskEmail(reporter.email) : null,
  };
  return { reporterCipher: await c.get("pii").seal(JSON.stringify(reporter)), reporterMasked: masked };
}
