import { encodeBase64Url } from "hono/utils/encode";
import type { DivisionRow } from "../db/seed/demo.js";
import { categoryNames } from "../domains/property/common.js";
import { deadlines } from "../domains/property/machines.js";
import { calendarOf, deadlineAfter } from "../shared/calendar.js";
import { officialCalendars } from "../domains/governance/working-days.js";
import { complaintCategories, type complaints, type compounds } from "../domains/property/tables.js";
import type { units } from "../domains/organisations/tables.js";
import { sha256Hex } from "../shared/crypto/hash.js";
import { maskName, maskPhone, type PiiVault } from "../shared/crypto/pii.js";

/** What the scale seed lends this step: its deterministic random source, ids and clock. */
export interface SeedTools {
  rand: () => number;
  pick: <T>(items: readonly T[]) => T;
  chance: (p: number) => boolean;
  nextId: (prefix: string) => string;
  stamp: () => string;
  personName: () => string;
  pickWeighted: <T extends string>(rand: () => number, options: readonly (readonly [T, number])[]) => T;
}

const compoundStems = ["富康", "阳光", "锦绣", "金泉", "祁连", "丝路", "春华", "嘉园", "和平", "泉湖", "明珠", "绿洲"];
const companyStems = ["安居", "宜家", "泉城", "祁连山", "酒钢", "金色家园", "恒信", "嘉禾"];
const lifecycle = [
  ["reported", 8],
  ["accepted", 6],
  ["assigned", 8],
  ["processing", 10],
  ["resolved", 10],
  ["verified", 8],
  ["closed", 45],
  ["escalated", 3],
  ["reopened", 2],
] as const;

/**
 * 红色物业 at scale: property companies per tenant (a unit each), compounds per community, and
 * complaints per compound spread over the lifecycle, with sealed reporter phones. Counts scale with
 * `scale` like the rest of the seed (Jiuquan: ~12 compounds per community, ~6 complaints per compound a year).
 */
export async function propertySeed(tools: SeedTools, vault: PiiVault, communities: DivisionRow[], scale: number) {
  const { rand, pick, chance, nextId, stamp } = tools;
  const times = (n: number) => Math.max(1, Math.round(n * scale));
  const companyRows: (typeof units.$inferInsert)[] = [];
  const companiesOf = new Map<string, string[]>();
  for (const tenant of new Set(communities.map((c) => c.tenantId))) {
    const home = communities.find((c) => c.tenantId === tenant)!;
    for (let i = 0; i < Math.max(1, Math.round(communities.filter((c) => c.tenantId === tenant).length / 4)); i++) {
      const id = nextId("unit");
      companyRows.push({
        id,
        tenantId: tenant,
        name: `${pick(companyStems)}物业服务有限公司${i + 1}`,
        creditCode: null,
        kind: "property_company",
        divisionId: home.id,
        divisionPath: home.path,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
      companiesOf.set(tenant, [...(companiesOf.get(tenant) ?? []), id]);
    }
  }
  const compoundRows: (typeof compounds.$inferInsert)[] = [];
  for (const community of communities) {
    for (let i = 0; i < times(12); i++) {
      compoundRows.push({
        id: nextId("cpd"),
        tenantId: community.tenantId,
        name: `${pick(compoundStems)}${pick(["家园", "小区", "花园", "苑"])}${i + 1}期`,
        communityId: community.id,
        divisionPath: community.path,
        address: `${community.name}辖区${i + 1}号`,
        households: 120 + Math.floor(rand() * 1200),
        propertyUnitId: chance(0.9) ? pick(companiesOf.get(community.tenantId)!) : null,
        partyOrgId: null,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
    }
  }
  const complaintRows: (typeof complaints.$inferInsert)[] = [];
  const calendar = calendarOf(officialCalendars);
  for (const compound of compoundRows) {
    for (let i = 0; i < times(6); i++) {
      const category = pick(complaintCategories);
      const status = tools.pickWeighted(rand, lifecycle);
      // Ids are time-ordered (Open311 searches by them): a complaint's time is its id's.
      const created = Date.parse(stamp());
      const due = deadlineAfter(new Date(created), deadlines[category], calendar).getTime();
      const resolvedLate = chance(0.15);
      const resolved = ["resolved", "verified", "closed", "reopened"].includes(status);
      const phone = `13${String(Math.floor(rand() * 1e9)).padStart(9, "0")}`;
      const name = tools.personName();
      complaintRows.push({
        id: nextId("cmp"),
        tenantId: compound.tenantId,
        compoundId: compound.id,
        communityId: compound.communityId,
        divisionPath: compound.divisionPath,
        companyUnitId: compound.propertyUnitId ?? null,
        category,
        description: `${compound.name}：${categoryNames[category].zh}问题，请尽快处理。`,
        channel: pick(["link", "link", "staff", "open311"] as const),
        reporterCipher: await vault.seal(JSON.stringify({ name, phone })),
        reporterMasked: { name: maskName(name), phone: maskPhone(phone), email: null },
        tokenHash: await sha256Hex(
          `complaint-link:${encodeBase64Url(Uint8Array.from({ length: 9 }, () => Math.floor(rand() * 256)).buffer)}`,
        ),
        lat: null,
        long: null,
        addressString: null,
        status,
        level: status === "escalated" ? "street" : "community",
        assigneeType: ["reported", "accepted"].includes(status)
          ? null
          : compound.propertyUnitId
            ? "property_company"
            : "owners_committee",
        assigneeId: ["reported", "accepted"].includes(status) ? null : (compound.propertyUnitId ?? null),
        assigneeName: null,
        dueAt: new Date(due).toISOString(),
        resolvedAt: resolved ? new Date(due + (resolvedLate ? 1 : -1) * 3_600_000).toISOString() : null,
        resolution: resolved ? "已处理" : null,
        onTime: resolved ? !resolvedLate : null,
        closedAt: status === "closed" ? new Date(due + 86_400_000).toISOString() : null,
        closure: status === "closed" ? "resolved" : null,
        duplicateOfId: null,
        referredTo: null,
        reopenCount: status === "reopened" || chance(0.05) ? 1 : 0,
        escalationCount: status === "escalated" ? 1 : 0,
        rating: status === "closed" && chance(0.6) ? 1 + Math.floor(rand() * 5) : null,
        ratingComment: null,
        version: 1,
        createdAt: new Date(created).toISOString(),
        updatedAt: stamp(),
      });
    }
  }
  return { companyRows, compoundRows, complaintRows };
}
