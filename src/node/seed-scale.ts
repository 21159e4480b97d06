import type { Client, InValue } from "@libsql/client";
import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { newId, seededRandom } from "../db/ids.js";
import { countyTenantCodes, jiuquanTenants } from "../db/reference.js";
import { divisionRows, type DivisionRow, type DivisionSpec } from "../db/seed/demo.js";
import { divisions, tenants } from "../db/tables.js";
import { activities, employerFeedback, ledgerEntries, participations } from "../domains/activities/tables.js";
import { needs, postClaims, servicePosts, postCategories } from "../domains/lists/tables.js";
import { members, partyOrgs, units } from "../domains/organisations/tables.js";
import { agreements, memberReports, orgReports } from "../domains/reports/tables.js";
import { maskIdCard, maskPhone, type PiiVault } from "../shared/crypto/pii.js";
import { seedGovernance } from "./seed-governance.js";
import { governanceCountsBackfill } from "../domains/governance/counts.js";
import { sites, teamMembers, teams, volunteers, volunteerSources } from "../domains/emergency/tables.js";
import { skillCodes } from "../domains/emergency/common.js";
import { complaints, compounds } from "../domains/property/tables.js";
import { propertySeed } from "./seed-property.js";
import { newEmploymentSeed } from "./seed-newemp.js";
import { certificateSeed } from "./seed-certificates.js";
import { certificates } from "../domains/certificates/tables.js";
import type { CertificateKeys } from "../shared/auth/certificate-keys.js";
import {
  communityAreas,
  gigWorkers,
  quickReportPoints,
  quickReports,
  warmStations,
} from "../domains/newemployment/tables.js";

/**
 * Jiuquan at its real size (docs/domain.md#scale), deterministic for a given seed: 7 tenants, 7 streets,
 * 85 communities, 3,904 party organisations and 83,670 members at scale 1, with their reports,
 * agreements, needs, posts, activities, participations, ledger entries and last quarter's feedback.
 * `scale` multiplies everything that lives inside a community; the division tree stays the real one.
 */

/** Communities per tenant (85 in all) and how each tenant's streets and towns are named. */
const layout: Record<string, { communities: number; parents: { name: string; level: "street" | "town" }[] }> = {
  "620902": {
    communities: 40,
    parents: [
      ...["东北街", "东南街", "工业园", "西北街", "西南街", "新城"].map((n) => ({
        name: `${n}街道`,
        level: "street" as const,
      })),
      { name: "银达镇", level: "town" as const },
    ],
  },
  "620981": {
    communities: 12,
    parents: [
      { name: "新市区街道", level: "street" },
      { name: "玉门镇", level: "town" },
    ],
  },
  "620982": {
    communities: 12,
    parents: [
      { name: "沙州镇", level: "town" },
      { name: "七里镇", level: "town" },
    ],
  },
  "620921": { communities: 7, parents: [{ name: "金塔镇", level: "town" }] },
  "620922": { communities: 7, parents: [{ name: "渊泉镇", level: "town" }] },
  "620923": { communities: 3, parents: [{ name: "党城湾镇", level: "town" }] },
  "620924": { communities: 4, parents: [{ name: "红柳湾镇", level: "town" }] },
};

const communityStems = [
  "富康",
  "北苑",
  "东苑",
  "春光",
  "嘉峪",
  "西关",
  "南苑",
  "新华",
  "明珠",
  "阳光",
  "和平",
  "幸福",
  "育才",
  "文化",
  "胜利",
  "建设",
  "祁连",
  "泉湖",
  "金泉",
  "银河",
  "长城",
  "丝路",
  "飞天",
  "玉门",
  "敦煌",
  "绿洲",
  "光明",
  "民主",
  "团结",
  "兴盛",
];
const surnames =
  "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文";
const givenChars =
  "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏海燕雪梅晓东文博浩然子涵欣怡宇轩佳琪思远";
const unitKinds = ["organ", "enterprise", "institution", "two_new_economic", "two_new_social"] as const;
const unitNames = [
  "自然资源局",
  "市场监督管理局",
  "人民医院",
  "第一中学",
  "供电公司",
  "农商银行",
  "物流有限公司",
  "建筑工程公司",
  "律师事务所",
  "社会工作服务中心",
  "税务局",
  "水务集团",
  "文化馆",
  "职业技术学院",
  "燃气公司",
];

/** Fractional scales (e.g. 0.01) make small databases with the same shape, for tests and demos. */
export const scaleCounts = (scale: number) => {
  const times = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    unitOrgs: times(3_812),
    members: times(83_670),
    needsPerCommunity: times(20),
    postsPerCommunity: times(8),
    activitiesPerCommunity: times(40),
    participantsPerActivity: 10,
    volunteers: times(16_800),
    normalTeams: times(2_110),
    emergencyTeams: times(2_713),
    mobileTeams: times(82),
    newEmploymentTeams: times(26),
    newEmploymentVolunteers: times(1_800),
  };
};

export type SeedProgress = (stage: string, done: number, total: number) => void;

export async function seedScale(
  client: Client,
  vault: PiiVault,
  options: {
    scale: number;
    seed: number;
    progress: SeedProgress;
    now: Date;
    /** Fill this existing tree (tenants and divisions already in the database) instead of creating Jiuquan's real one. */
    divisions?: DivisionRow[];
    /** Signs the seeded certificates (the keys the server will verify with); without them, none are seeded. */
    certificates?: CertificateKeys;
  },
) {
  const { scale, progress } = options;
  const counts = scaleCounts(scale);
  const rand = mulberry(options.seed);
  const idRandom = seededRandom(options.seed ^ 0x5eed);
  let tick = Date.parse("2025-01-01T00:00:00.000Z");
  const nextId = (prefix: string) => newId(prefix, tick++, idRandom);
  const stamp = () => new Date(tick).toISOString();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const chance = (p: number) => rand() < p;
  const chosenLinks = () => {
    const chosen = ["organisation", "venue", "activity", "resource", "service"].filter(() => chance(0.6));
    return chosen.length ? chosen : ["organisation"];
  };
  const personName = () => pick([...surnames]) + pick([...givenChars]) + (chance(0.6) ? pick([...givenChars]) : "");

  // 1. Tenants and the division tree: Jiuquan's real one, or the tree already in the database (the demo's).
  const divisionInserts: DivisionRow[] = options.divisions ?? [];
  if (!options.divisions) {
    let stemIndex = 0;
    for (const [i, code] of countyTenantCodes.entries()) {
      const tenant = jiuquanTenants.find((t) => t.code === code)!;
      const { communities, parents } = layout[code]!;
      const tree: DivisionSpec[] = parents.map((p) => ({ ...p, children: [] }));
      for (let c = 0; c < communities; c++) {
        const stem = communityStems[stemIndex++ % communityStems.length]!;
        const name = `${stem}${stemIndex > communityStems.length ? "二" : ""}社区`;
        tree[c % tree.length]!.children!.push({
          name,
          level: "community",
          children: Array.from({ length: 4 }, (_, g) => ({ name: `${name}第${g + 1}网格`, level: "grid" as const })),
        });
      }
      divisionInserts.push(
        ...divisionRows(code, { name: tenant.nameZh, code }, tree, options.seed + i, new Date(tick)),
      );
    }
    await insertChunked(
      client,
      tenants,
      jiuquanTenants.map((t) => ({ ...t, createdAt: stamp() })),
      progress,
      "tenants",
    );
    await insertChunked(client, divisions, divisionInserts, progress, "divisions");
  }
  const communities = divisionInserts.filter((d) => d.level === "community");
  const gridsOf = new Map<string, DivisionRow[]>();
  for (const d of divisionInserts) if (d.level === "grid") append(gridsOf, d.parentId!, d);
  const communitiesOf = new Map<string, DivisionRow[]>();
  for (const c of communities) append(communitiesOf, c.tenantId, c);
  const tenantWeights = countyTenantCodes.map((code) => (communitiesOf.get(code)?.length ?? 0) / communities.length);
  const pickTenant = () => {
    let r = rand();
    for (const [i, w] of tenantWeights.entries()) {
      r -= w;
      if (r < 0) return countyTenantCodes[i]!;
    }
    return countyTenantCodes[0]!;
  };

  // 2. Party organisations: street working committees, community organisations, unit organisations with their units.
  const orgRows: (typeof partyOrgs.$inferInsert)[] = [];
  const communityOrgOf = new Map<string, typeof partyOrgs.$inferInsert>();
  for (const d of divisionInserts) {
    if (d.level === "street") {
      orgRows.push(orgRow(d, `${d.name}党工委`, "working_committee", "street_working_committee"));
    }
  }
  for (const c of communities) {
    const org = orgRow(c, `${c.name}党委`, "committee", "community");
    communityOrgOf.set(c.id, org);
    orgRows.push(org);
  }
  const unitRows: (typeof units.$inferInsert)[] = [];
  const unitOrgsOf = new Map<string, (typeof partyOrgs.$inferInsert)[]>();
  const unitOrgCommunity = new Map<string, DivisionRow>();
  for (let i = 0; i < counts.unitOrgs; i++) {
    // Every tenant gets a unit first, so even a tiny scale has employers everywhere.
    const tenant = countyTenantCodes[i] ?? pickTenant();
    const community = pick(communitiesOf.get(tenant)!);
    const kind = pick(unitKinds);
    const unit = {
      id: nextId("unit"),
      tenantId: tenant,
      name: `${jiuquanTenants.find((t) => t.code === tenant)!.nameZh}${pick(unitNames)}${i + 1}`,
      creditCode: creditCode(i),
      kind,
      divisionId: community.id,
      divisionPath: community.path,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    };
    unitRows.push(unit);
    const org = orgRow(
      community,
      `${unit.name}党支部`,
      "branch",
      kind.startsWith("two_new") ? "two_new" : "unit",
      unit.id,
    );
    orgRows.push(org);
    append(unitOrgsOf, tenant, org);
    unitOrgCommunity.set(org.id, community);
  }
  await insertChunked(client, units, unitRows, progress, "units");
  await insertChunked(client, partyOrgs, orgRows, progress, "party organisations");

  // 3. Members, with sealed ID cards and phones.
  const memberRows: (typeof members.$inferInsert)[] = [];
  const reportRows: (typeof memberReports.$inferInsert)[] = [];
  const chunk = 2_000;
  for (let start = 0; start < counts.members; start += chunk) {
    const batch: (typeof members.$inferInsert)[] = [];
    const end = Math.min(start + chunk, counts.members);
    const people = Array.from({ length: end - start }, (_, k) => {
      const n = start + k;
      const tenant = pickTenant();
      return {
        n,
        tenant,
        idCard: idCardNumber(tenant, n),
        phone: `1${pick(["38", "39", "50", "58", "77", "86", "89"])}${String(n).padStart(8, "0")}`,
      };
    });
    const sealed = await Promise.all(
      people.map(
        async (p) =>
          [
            await vault.seal(p.idCard),
            await vault.fingerprint(p.idCard),
            await vault.seal(p.phone),
            await vault.fingerprint(p.phone),
          ] as const,
      ),
    );
    for (const [k, p] of people.entries()) {
      const residence = pick(communitiesOf.get(p.tenant)!);
      const classification = pickWeighted(rand, [
        ["in_service", 45],
        ["retired", 30],
        ["mobile", 5],
        ["new_employment", 3],
        ["elderly_infirm", 5],
        ["other", 12],
      ] as const);
      const ownUnitOrg = pick(unitOrgsOf.get(p.tenant)!);
      // About one in twenty in-service members works for a unit in another county-level tenant.
      const employer =
        classification === "in_service" ? (chance(0.05) ? pick(unitOrgsOf.get(pickTenant())!) : ownUnitOrg) : undefined;
      const [idCardCipher, idCardHash, phoneCipher, phoneHash] = sealed[k]!;
      const member = {
        id: nextId("mem"),
        tenantId: p.tenant,
        name: personName(),
        gender: chance(0.5) ? ("male" as const) : ("female" as const),
        birthDate: `${p.idCard.slice(6, 10)}-${p.idCard.slice(10, 12)}-${p.idCard.slice(12, 14)}`,
        idCardCipher,
        idCardHash,
        idCardMasked: maskIdCard(p.idCard),
        phoneCipher,
        phoneHash,
        phoneMasked: maskPhone(p.phone),
        joinDate: `${2000 + Math.floor(rand() * 25)}-07-01`,
        status: chance(0.05) ? ("probationary" as const) : ("full" as const),
        classification,
        orgId: classification === "retired" ? communityOrgOf.get(residence.id)!.id : ownUnitOrg.id,
        employerUnitId: employer?.unitId ?? null,
        employerOrgId: employer?.id ?? null,
        employerTenantId: employer?.tenantId ?? null,
        residenceDivisionId: residence.id,
        divisionPath: residence.path,
        skills: chance(0.3) ? [pick(["法律", "医疗", "教育", "电工", "心理咨询", "摄影"])] : [],
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      };
      batch.push(member);
      // Four in five in-service members have reported; the rest can still file (the write benchmark uses them).
      if (classification === "in_service" && chance(0.8)) {
        const status = pickWeighted(rand, [
          ["active", 70],
          ["confirmed", 10],
          ["submitted", 8],
          ["overdue", 7],
          ["ended", 5],
        ] as const);
        const grids = gridsOf.get(residence.id);
        const grid = grids && chance(0.7) ? pick(grids) : undefined;
        reportRows.push({
          id: nextId("mrep"),
          tenantId: p.tenant,
          memberId: member.id,
          communityId: residence.id,
          gridId: grid?.id ?? null,
          divisionPath: grid?.path ?? residence.path,
          channel: pick(["online", "on_site", "qr_code"] as const),
          skills: member.skills,
          intentions: [pick(["社区治理", "文明实践", "助老助残", "环境整治", "普法宣传"])],
          status,
          endReason: status === "ended" ? pick(["moved", "lapsed"] as const) : null,
          employerOrgId: member.employerOrgId,
          employerTenantId: member.employerTenantId,
          confirmedAt: status === "submitted" ? null : stamp(),
          lastRecheckAt: status === "active" ? stamp() : null,
          recheckDueOn: status === "active" || status === "overdue" ? "2027-03-31" : null,
          version: 1,
          createdAt: stamp(),
          updatedAt: stamp(),
        });
      }
    }
    memberRows.push(...batch);
    await insertChunked(client, members, batch, () => {}, "members");
    progress("members", end, counts.members);
  }
  await insertChunked(client, memberReports, reportRows, progress, "member reports");

  // 4. Unit organisations report to their community; most have signed an agreement.
  const orgReportRows: (typeof orgReports.$inferInsert)[] = [];
  const agreementRows: (typeof agreements.$inferInsert)[] = [];
  let slip = 0;
  for (const org of orgRows.filter((o) => o.category === "unit" || o.category === "two_new")) {
    const community = unitOrgCommunity.get(org.id)!;
    const communityOrg = communityOrgOf.get(community.id)!;
    const status = pickWeighted(rand, [
      ["active", 60],
      ["received", 20],
      ["submitted", 15],
      ["ended", 5],
    ] as const);
    orgReportRows.push({
      id: nextId("orep"),
      tenantId: org.tenantId,
      unitOrgId: org.id,
      communityOrgId: communityOrg.id,
      divisionPath: community.path,
      slipNumber: `BD-${org.tenantId}-${String(++slip).padStart(6, "0")}`,
      reportDate: "2025-03-01",
      liaisonName: personName(),
      status,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    });
    if (status === "active") {
      agreementRows.push({
        id: nextId("agr"),
        tenantId: org.tenantId,
        unitOrgId: org.id,
        communityOrgId: communityOrg.id,
        divisionPath: community.path,
        startsOn: "2025-04-01",
        endsOn: "2027-03-31",
        liaisonName: personName(),
        links: chosenLinks(),
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
    }
  }
  await insertChunked(client, orgReports, orgReportRows, progress, "org reports");
  await insertChunked(client, agreements, agreementRows, progress, "agreements");

  // 5. Needs and service posts per community; a few claims.
  const needRows: (typeof needs.$inferInsert)[] = [];
  const postRows: (typeof servicePosts.$inferInsert)[] = [];
  const claimRows: (typeof postClaims.$inferInsert)[] = [];
  const membersOfCommunity = new Map<string, (typeof members.$inferInsert)[]>();
  for (const m of memberRows) append(membersOfCommunity, m.residenceDivisionId!, m);
  for (const c of communities) {
    for (let i = 0; i < counts.needsPerCommunity; i++) {
      needRows.push({
        id: nextId("need"),
        tenantId: c.tenantId,
        communityId: c.id,
        divisionPath: c.path,
        category: pick(["助老助残", "环境整治", "文化活动", "法律咨询", "医疗义诊", "安全巡逻"]),
        title: `${c.name}${pick(["老旧小区", "楼道", "广场", "活动室"])}${pick(["清理", "维修", "志愿服务", "宣讲"])}`,
        description: "社区发布的需求",
        quantity: 1 + Math.floor(rand() * 10),
        deadline: "2026-12-31",
        status: pickWeighted(rand, [
          ["open", 60],
          ["matched", 20],
          ["closed", 15],
          ["cancelled", 5],
        ] as const),
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
    }
    const residents = membersOfCommunity.get(c.id) ?? [];
    for (let i = 0; i < counts.postsPerCommunity; i++) {
      const post = {
        id: nextId("post"),
        tenantId: c.tenantId,
        communityId: c.id,
        divisionPath: c.path,
        category: postCategories[i % postCategories.length]!,
        title: `${c.name}服务岗${i + 1}`,
        description: "在职党员认领的服务岗位",
        headcount: 3 + Math.floor(rand() * 5),
        status: "open" as const,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      };
      postRows.push(post);
      // Two distinct residents per post (when the community has two).
      for (let k = 0; k < Math.min(2, residents.length); k++) {
        const member = residents[(i * 2 + k) % residents.length]!;
        claimRows.push({
          id: nextId("claim"),
          tenantId: c.tenantId,
          postId: post.id,
          memberId: member.id,
          divisionPath: c.path,
          status: "active",
          version: 1,
          createdAt: stamp(),
          updatedAt: stamp(),
        });
      }
    }
  }
  await insertChunked(client, needs, needRows, progress, "needs");
  await insertChunked(client, servicePosts, postRows, progress, "service posts");
  await insertChunked(client, postClaims, claimRows, progress, "post claims");

  // 6. Activities, participations and the ledger entries of verified participations.
  const activityRows: (typeof activities.$inferInsert)[] = [];
  const participationRows: (typeof participations.$inferInsert)[] = [];
  const ledgerRows: (typeof ledgerEntries.$inferInsert)[] = [];
  for (const c of communities) {
    const residents = membersOfCommunity.get(c.id) ?? [];
    for (let i = 0; i < counts.activitiesPerCommunity; i++) {
      const day = 1 + Math.floor(rand() * 300);
      const starts = new Date(Date.UTC(2026, 0, day, 1 + Math.floor(rand() * 8)));
      const hours = 1 + Math.floor(rand() * 4);
      const ends = new Date(starts.getTime() + hours * 3_600_000);
      const kind = pickWeighted(rand, [
        ["service", 60],
        ["lecture", 20],
        ["theme_day", 15],
        ["drill", 5],
      ] as const);
      const activity = {
        id: nextId("act"),
        tenantId: c.tenantId,
        communityId: c.id,
        divisionPath: c.path,
        organiserOrgId: communityOrgOf.get(c.id)!.id,
        kind,
        lectureTalk:
          kind === "lecture"
            ? pick([
                "leader_situation",
                "expert_theory",
                "secretary_policy",
                "model_deeds",
                "member_experience",
              ] as const)
            : null,
        title: `${c.name}${kind === "lecture" ? "五讲课堂" : "志愿服务"}${i + 1}`,
        startsAt: starts.toISOString(),
        endsAt: ends.toISOString(),
        place: `${c.name}党群服务中心`,
        capacity: 20,
        pointsPerHour: 10,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      };
      activityRows.push(activity);
      const quarter = `${starts.getUTCFullYear()}-Q${Math.floor(starts.getUTCMonth() / 3) + 1}`;
      for (let k = 0; k < Math.min(counts.participantsPerActivity, residents.length); k++) {
        const member = residents[(i * counts.participantsPerActivity + k) % residents.length]!;
        const status = pickWeighted(rand, [
          ["verified", 70],
          ["checked_out", 10],
          ["signed_up", 10],
          ["no_show", 10],
        ] as const);
        const part = {
          id: nextId("part"),
          tenantId: c.tenantId,
          activityId: activity.id,
          memberId: member.id,
          divisionPath: c.path,
          status,
          checkedInAt: status === "verified" || status === "checked_out" ? activity.startsAt : null,
          checkedOutAt: status === "verified" || status === "checked_out" ? activity.endsAt : null,
          hours: status === "verified" ? hours : null,
          rating: status === "verified" ? 3 + Math.floor(rand() * 3) : null,
          version: 1,
          createdAt: stamp(),
          updatedAt: stamp(),
        };
        participationRows.push(part);
        if (status === "verified") {
          ledgerRows.push({
            id: nextId("led"),
            tenantId: c.tenantId,
            memberId: member.id,
            divisionPath: member.divisionPath!,
            year: starts.getUTCFullYear(),
            quarter,
            hours,
            points: hours * activity.pointsPerHour,
            sourceType: "participation",
            sourceId: part.id,
            reversesId: null,
            reason: null,
            createdBy: "seed",
            createdAt: stamp(),
          });
        }
      }
    }
  }
  await insertChunked(client, activities, activityRows, progress, "activities");
  await insertChunked(client, participations, participationRows, progress, "participations");
  await insertChunked(client, ledgerEntries, ledgerRows, progress, "ledger entries");

  // 7. Last quarter's feedback to employers, for every active report with an employer.
  const hoursByMember = new Map<string, { hours: number; points: number }>();
  for (const l of ledgerRows.filter((l) => l.quarter === "2026-Q3")) {
    if (!l.memberId) continue;
    const sum = hoursByMember.get(l.memberId) ?? { hours: 0, points: 0 };
    sum.hours += l.hours;
    sum.points += l.points;
    hoursByMember.set(l.memberId, sum);
  }
  const feedbackRows = reportRows
    .filter((r) => r.status === "active" && r.employerOrgId)
    .map((r) => ({
      id: nextId("fb"),
      tenantId: r.tenantId,
      memberReportId: r.id,
      memberId: r.memberId,
      divisionPath: r.divisionPath,
      quarter: "2026-Q3",
      hours: hoursByMember.get(r.memberId)?.hours ?? 0,
      points: hoursByMember.get(r.memberId)?.points ?? 0,
      rating: null,
      comment: null,
      recipientOrgId: r.employerOrgId!,
      recipientTenantId: r.employerTenantId ?? r.tenantId,
      status: pickWeighted(rand, [
        ["acknowledged", 60],
        ["sent", 30],
        ["generated", 10],
      ] as const),
      sentAt: stamp(),
      acknowledgedAt: null,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    }));
  await insertChunked(client, employerFeedback, feedbackRows, progress, "employer feedback");

  // 8. 一核引领: duty lists, admission, community workers, standardisation, organisational life, mobility.
  const governance = await seedGovernance({
    scale,
    rand,
    nextId,
    stamp,
    pick,
    chance,
    personName,
    divisions: divisionInserts,
    orgRows,
    memberRows,
    vault,
    idCard: idCardNumber,
    weighted: (choices) => pickWeighted(rand, choices),
    insert: (table, rows, stage) => insertChunked(client, table, rows, progress, stage),
  });
  // The stats' running totals of what was just inserted (the same statements as migration 0015).
  for (const statement of governanceCountsBackfill) await client.execute(statement);
  // 9. 平急结合: volunteers (phones sealed like members'), normal, emergency and mobile teams, each
  // volunteer in one to three teams of their tenant (their own community's first), 26 new-employment
  // teams of couriers, riders and drivers, and a service centre and a muster point per community.
  const emergency = await seedEmergency();
  await insertChunked(client, volunteers, emergency.volunteerRows, progress, "volunteers");
  await insertChunked(client, teams, emergency.teamRows, progress, "teams");
  await insertChunked(client, teamMembers, emergency.membershipRows, progress, "team members");
  await insertChunked(client, sites, emergency.siteRows, progress, "sites");
  // 10. 红色物业: property companies, compounds and their complaints.
  const property = await propertySeed(
    { rand, pick, chance, nextId, stamp, personName, pickWeighted },
    vault,
    communities,
    scale,
  );
  await insertChunked(client, units, property.companyRows, progress, "property companies");
  await insertChunked(client, compounds, property.compoundRows, progress, "compounds");
  await insertChunked(client, complaints, property.complaintRows, progress, "complaints");
  // 11. 新就业群体: platforms, community areas, warm stations, the couriers' worker records, a year of quick reports.
  const gig = newEmploymentSeed(
    { rand, pick, chance, nextId, stamp, personName, pickWeighted },
    communities,
    emergency.volunteerRows.filter((v) => v.source === "new_employment"),
    scale,
  );
  await insertChunked(client, units, gig.platformRows, progress, "platforms");
  await insertChunked(client, communityAreas, gig.areaRows, progress, "community areas");
  await insertChunked(client, warmStations, gig.stationRows, progress, "warm stations");
  await insertChunked(client, gigWorkers, gig.workerRows, progress, "gig workers");
  await insertChunked(client, quickReports, gig.reportRows, progress, "quick reports");
  await insertChunked(client, quickReportPoints, gig.pointRows, progress, "points");
  // 12. 无证明城市: service-hours and team-membership certificates, signed, a few revoked.
  const certificateRows = options.certificates
    ? await certificateSeed({ rand, pick, chance, nextId, stamp, personName, pickWeighted }, options.certificates, {
        scale,
        now: options.now,
        authorityOf: (code) => jiuquanTenants.find((t) => t.code === code)?.nameZh ?? code,
        memberRows,
        ledgerRows,
        volunteerRows: emergency.volunteerRows,
        teamRows: emergency.teamRows,
        membershipRows: emergency.membershipRows,
      })
    : [];
  await insertChunked(client, certificates, certificateRows, progress, "certificates");

  return {
    tenants: options.divisions ? 0 : jiuquanTenants.length,
    divisions: divisionInserts.length,
    communities: communities.length,
    partyOrgs: orgRows.length,
    units: unitRows.length,
    members: memberRows.length,
    memberReports: reportRows.length,
    orgReports: orgReportRows.length,
    agreements: agreementRows.length,
    needs: needRows.length,
    servicePosts: postRows.length,
    postClaims: claimRows.length,
    activities: activityRows.length,
    participations: participationRows.length,
    ledgerEntries: ledgerRows.length,
    employerFeedback: feedbackRows.length,
    ...governance,
    volunteers: emergency.volunteerRows.length,
    teams: emergency.teamRows.length,
    teamMembers: emergency.membershipRows.length,
    sites: emergency.siteRows.length,
    propertyCompanies: property.companyRows.length,
    compounds: property.compoundRows.length,
    complaints: property.complaintRows.length,
    platforms: gig.platformRows.length,
    warmStations: gig.stationRows.length,
    gigWorkers: gig.workerRows.length,
    quickReports: gig.reportRows.length,
    pointsEntries: gig.pointRows.length,
    certificates: certificateRows.length,
    revokedCertificates: certificateRows.filter((c) => c.status === "revoked").length,
  };

  async function seedEmergency() {
    const teamRows: (typeof teams.$inferInsert)[] = [];
    const teamsOfCommunity = new Map<string, (typeof teams.$inferInsert)[]>();
    const teamsOfTenant = new Map<string, (typeof teams.$inferInsert)[]>();
    const countyOf = new Map(divisionInserts.filter((d) => d.level === "county").map((d) => [d.tenantId, d]));
    const upper = divisionInserts.filter((d) => d.level === "street" || d.level === "town");
    const team = (
      owner: DivisionRow,
      mode: "normal" | "emergency" | "mobile",
      name: string,
      source: "new_employment" | null = null,
    ) => {
      const row = {
        id: nextId("team"),
        tenantId: owner.tenantId,
        name,
        mode,
        divisionId: owner.id,
        divisionPath: owner.path,
        divisionLevel: owner.level,
        orgId: null,
        source,
        skills: skillCodes.filter(() => chance(0.15)),
        quorum: 2,
        responseDeadlineMinutes: pick([15, 30, 30, 60]),
        active: true,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      };
      teamRows.push(row);
      return row;
    };
    const communityOf = () => pick(communitiesOf.get(pickTenant())!);
    for (let i = 0; i < counts.normalTeams + counts.emergencyTeams; i++) {
      const owner = communityOf();
      const mode = i < counts.normalTeams ? "normal" : "emergency";
      const row = team(owner, mode, `${owner.name}${mode === "normal" ? "平时" : "急时"}小分队${i + 1}`);
      append(teamsOfCommunity, owner.id, row);
      append(teamsOfTenant, owner.tenantId, row);
    }
    for (let i = 0; i < counts.mobileTeams; i++) {
      // Most mobile teams belong to a street or town; some are the county's own reserve.
      const owner = chance(0.3) ? countyOf.get(pickTenant())! : pick(upper);
      append(teamsOfTenant, owner.tenantId, team(owner, "mobile", `${owner.name}应急志愿服务机动队${i + 1}`));
    }
    const newEmployment = Array.from({ length: counts.newEmploymentTeams }, (_, i) => {
      const owner = pick(upper);
      return team(owner, "emergency", `${owner.name}新就业群体志愿服务队${i + 1}`, "new_employment");
    });

    const volunteerRows: (typeof volunteers.$inferInsert)[] = [];
    const membershipRows: (typeof teamMembers.$inferInsert)[] = [];
    const join = (t: typeof teams.$inferInsert, volunteerId: string) =>
      membershipRows.push({
        id: nextId("tmem"),
        tenantId: t.tenantId,
        teamId: t.id,
        volunteerId,
        role: "member",
        divisionPath: t.divisionPath,
        createdAt: stamp(),
      });
    const total = counts.volunteers + counts.newEmploymentVolunteers;
    for (let n = 0; n < total; n++) {
      const courier = n >= counts.volunteers;
      const courierTeam = courier ? pick(newEmployment) : undefined;
      const home = courierTeam ? pick(communitiesOf.get(courierTeam.tenantId)!) : communityOf();
      const phone = `1${pick(["33", "53", "73", "80", "81", "99"])}${String(n).padStart(8, "0")}`;
      const id = nextId("vol");
      volunteerRows.push({
        id,
        tenantId: home.tenantId,
        name: personName(),
        phoneCipher: await vault.seal(phone),
        phoneHash: await vault.fingerprint(phone),
        phoneMasked: maskPhone(phone),
        idCardCipher: null,
        idCardHash: null,
        idCardMasked: null,
        memberId: null,
        source: courier ? "new_employment" : pick(volunteerSources.filter((s) => s !== "new_employment")),
        skills: courier ? ["driving"] : skillCodes.filter(() => chance(0.12)),
        certificates: [],
        homeDivisionId: home.id,
        divisionPath: home.path,
        active: !chance(0.03),
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
      if (courierTeam) {
        join(courierTeam, id);
        continue;
      }
      const near = teamsOfCommunity.get(home.id) ?? [];
      const pool = near.length ? near : (teamsOfTenant.get(home.tenantId) ?? []);
      const chosen = new Set<typeof teams.$inferInsert>();
      const wanted = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < wanted * 2 && chosen.size < wanted && pool.length; k++)
        chosen.add(chance(0.15) ? pick(teamsOfTenant.get(home.tenantId)!) : pick(pool));
      for (const t of chosen) join(t, id);
    }
    // Every team with members gets a leader: its first member.
    const led = new Set<string>();
    for (const m of membershipRows)
      if (!led.has(m.teamId)) {
        led.add(m.teamId);
        m.role = "leader";
      }

    const siteRows = communities.flatMap((c) =>
      (["service_centre", "muster_point"] as const).map((kind) => ({
        id: nextId("site"),
        tenantId: c.tenantId,
        name: `${c.name}${kind === "service_centre" ? "党群服务中心" : "应急集结点"}`,
        kind,
        divisionId: c.id,
        divisionPath: c.path,
        address: `${c.name}${kind === "service_centre" ? "服务中心" : "广场"}`,
        latitude: null,
        longitude: null,
        capacity: kind === "service_centre" ? 300 : 1_000,
        occupancy: 0,
        status: "open" as const,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      })),
    );
    return { volunteerRows, teamRows, membershipRows, siteRows };
  }

  function orgRow(
    d: DivisionRow,
    name: string,
    type: (typeof partyOrgs.$inferInsert)["type"],
    category: (typeof partyOrgs.$inferInsert)["category"],
    unitId: string | null = null,
  ) {
    return {
      id: nextId("org"),
      tenantId: d.tenantId,
      name,
      type,
      category,
      parentId: null,
      divisionId: d.id,
      divisionPath: d.path,
      unitId,
      secretaryName: personName(),
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    };
  }
}

/**
 * Inserts rows in multi-row statements, a few thousand rows per atomic batch. The SQL is built here
 * rather than by drizzle's builder, which costs more than the insert itself at this volume; values
 * still pass through each column's own driver mapping (JSON, booleans).
 */
async function insertChunked<T extends Record<string, unknown>>(
  client: Client,
  table: SQLiteTable,
  rows: T[],
  progress: SeedProgress,
  stage: string,
) {
  if (rows.length === 0) return;
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key in rows[0]!);
  const perStatement = Math.max(1, Math.floor(30_000 / columns.length));
  const statementsPerBatch = 8;
  const head = `insert into "${getTableName(table)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")}) values `;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  for (let start = 0; start < rows.length; start += perStatement * statementsPerBatch) {
    const statements = [];
    for (let s = start; s < Math.min(rows.length, start + perStatement * statementsPerBatch); s += perStatement) {
      const slice = rows.slice(s, s + perStatement);
      const args: InValue[] = [];
      for (const row of slice) {
        for (const [key, column] of columns) {
          const value = row[key];
          args.push(value === null || value === undefined ? null : (column.mapToDriverValue(value) as InValue));
        }
      }
      statements.push({ sql: head + slice.map(() => tuple).join(", "), args });
    }
    await client.batch(statements, "write");
    progress(stage, Math.min(rows.length, start + perStatement * statementsPerBatch), rows.length);
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function mulberry(seed: number): () => number {
  const bytes = seededRandom(seed);
  const buffer = new Uint8Array(4);
  return () => {
    bytes(buffer);
    return (((buffer[0]! << 24) | (buffer[1]! << 16) | (buffer[2]! << 8) | buffer[3]!) >>> 0) / 4_294_967_296;
  };
}

function pickWeighted<T extends string>(rand: () => number, options: readonly (readonly [T, number])[]): T {
  const total = options.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [value, weight] of options) {
    r -= weight;
    if (r < 0) return value;
  }
  return options[options.length - 1]![0];
}

/**
 * A PRC resident ID with a valid GB 11643 check digit, unique per sequence number n: the birth date
 * walks 1950–2004 by a stride coprime with the span, and n % 500 is the three-digit sequence.
 */
export function idCardNumber(tenant: string, n: number): string {
  const span = 20_089; // days from 1950-01-01, a prime larger than any n / 500 we generate
  const day = (Math.floor(n / 500) * 37) % span;
  const birth = new Date(Date.UTC(1950, 0, 1) + day * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
  return withCheckDigit(`${tenant}${birth}${String(n % 500).padStart(3, "0")}`);
}

export function withCheckDigit(body17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body17].reduce((s, ch, i) => s + Number(ch) * weights[i]!, 0);
  return body17 + "10X98765432"[sum % 11];
}

function creditCode(i: number): string {
  return `91620900${String(i).padStart(9, "0")}X`;
}
