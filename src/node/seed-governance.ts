import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { CITY_TENANT, countyTenantCodes } from "../db/reference.js";
import type { DivisionRow } from "../db/seed/demo.js";
import {
  admissionKinds,
  admissionRefusals,
  admissionRequests,
  admissionTargets,
  checklists,
  communityWorkers,
  dutyItems,
  dutyLists,
  inspections,
  meetingAttendance,
  mobilityRecords,
  orgMeetings,
  rectifications,
  streetBodies,
  tierOfPost,
  workerAssessments,
  workerGradeChanges,
  workerPosts,
  type DutyKind,
} from "../domains/governance/tables.js";
import { addWorkingDays, calendarOf, officialCalendars } from "../domains/governance/working-days.js";
import type { members, partyOrgs } from "../domains/organisations/tables.js";
import { maskIdCard, maskPhone, type PiiVault } from "../shared/crypto/pii.js";
import { addMonths } from "../shared/calendar.js";

/**
 * 一核引领 records at Jiuquan's scale (volumes per scale 1; `times` scales what lives inside a
 * community or an organisation):
 * - duty lists: the city's street (193 items, 6 areas) and community (37 items, 3 areas) templates,
 *   each county's adopted, published edition of both (a few items adjusted or added): 1,854 items, not scaled;
 * - admission requests over 2026: 20 per community (1,700), 1–3 target communities each, and 5
 *   community refusals per community (425) besides the automatic ones;
 * - community workers: 12 per community (1,020), with their appointment and 2025 assessment;
 * - one checklist edition per tenant, one 2026 inspection per party organisation (3,904) with its
 *   rectifications; 8 meetings per organisation in 2026 (quarterly members' meeting and party lecture:
 *   31,232) with attendance for every member of the organisation (about 650,000 rows; 6.5 million at scale 10);
 * - mobility records for every member classified mobile (about 5 % of members);
 * - the 四办三中心一执法队 of every street and town.
 */
export interface GovernanceSeedContext {
  scale: number;
  rand: () => number;
  nextId: (prefix: string) => string;
  stamp: () => string;
  pick: <T>(items: readonly T[]) => T;
  chance: (p: number) => boolean;
  personName: () => string;
  divisions: DivisionRow[];
  orgRows: (typeof partyOrgs.$inferInsert)[];
  memberRows: (typeof members.$inferInsert)[];
  vault: PiiVault;
  idCard: (tenant: string, n: number) => string;
  weighted: <T extends string>(options: readonly (readonly [T, number])[]) => T;
  insert: (table: SQLiteTable, rows: Record<string, unknown>[], stage: string) => Promise<void>;
}

const streetAreas = ["党的建设", "经济发展", "民生服务", "平安法治", "城市管理", "社会治理"];
const communityAreas = ["党的建设", "平安法治", "民生服务"];

export async function seedGovernance(ctx: GovernanceSeedContext) {
  const { rand, nextId, stamp, pick, chance } = ctx;
  const times = (n: number) => Math.max(1, Math.round(n * ctx.scale));
  const communities = ctx.divisions.filter((d) => d.level === "community");
  const streets = ctx.divisions.filter((d) => d.level === "street" || d.level === "town");
  const communitiesOfStreet = new Map<string, DivisionRow[]>();
  for (const c of communities) {
    const list = communitiesOfStreet.get(c.parentId!) ?? [];
    list.push(c);
    communitiesOfStreet.set(c.parentId!, list);
  }
  const at = "2026-01-05T01:00:00.000Z";
  const calendar = calendarOf(officialCalendars);

  // 1. Duty lists: city templates, then each county's adopted, adjusted and published edition.
  const lists: (typeof dutyLists.$inferInsert)[] = [];
  const items: (typeof dutyItems.$inferInsert)[] = [];
  const publishedItems = new Map<string, (typeof dutyItems.$inferInsert)[]>();
  const template = (level: "street" | "community", count: number, areas: string[], kinds: [DutyKind, number][]) => {
    const list = {
      id: nextId("dlist"),
      tenantId: CITY_TENANT,
      level,
      title: `酒泉市${level === "street" ? "街道职责清单" : "社区职责事项清单"}（模板）`,
      edition: 1,
      status: "published" as const,
      templateId: null,
      effectiveDate: "2026-01-01",
      publishedAt: at,
      supersededAt: null,
      supersededBy: null,
      version: 2,
      createdAt: at,
      updatedAt: at,
    };
    lists.push(list);
    const rows = Array.from({ length: count }, (_, i) => ({
      id: nextId("ditem"),
      tenantId: CITY_TENANT,
      listId: list.id,
      area: areas[Math.floor((i * areas.length) / count)]!,
      number: i + 1,
      name: `${level === "street" ? "街道" : "社区"}事项${i + 1}`,
      content: "依照法律法规履行的职责事项。",
      legalBasis: "《中华人民共和国城市居民委员会组织法》",
      kind: kindAt(i, count, kinds),
      leadDepartment: pick(["市民政局", "市公安局", "市住建局", "市卫健委", "市人社局", "市司法局"]),
      effectiveDate: "2026-01-01",
      templateItemId: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    }));
    items.push(...rows);
    return { list, rows };
  };
  const templates = {
    street: template("street", 193, streetAreas, [
      ["basic", 111],
      ["assisting", 71],
      ["returned", 11],
    ]),
    community: template("community", 37, communityAreas, [
      ["statutory", 20],
      ["assisting", 12],
      ["negative", 5],
    ]),
  };
  for (const tenant of countyTenantCodes) {
    for (const level of ["street", "community"] as const) {
      const { list: t, rows } = templates[level];
      const list = { ...t, id: nextId("dlist"), tenantId: tenant, title: `${level}职责清单`, templateId: t.id };
      lists.push(list);
      const own: (typeof dutyItems.$inferInsert)[] = rows.map((r) => ({
        ...r,
        id: nextId("ditem"),
        tenantId: tenant,
        listId: list.id,
        templateItemId: r.id,
        leadDepartment: chance(0.05) ? `${tenant}本级部门` : r.leadDepartment,
      }));
      own.push({
        ...own[own.length - 1]!,
        id: nextId("ditem"),
        number: own.length + 1,
        templateItemId: null,
        name: "本地增补事项",
      });
      items.push(...own);
      if (level === "community") publishedItems.set(tenant, own);
    }
  }
  await ctx.insert(dutyLists, lists, "duty lists");
  await ctx.insert(dutyItems, items, "duty items");

  // 2. Admission requests over 2026, and communities' refusals.
  const requests: (typeof admissionRequests.$inferInsert)[] = [];
  const targets: (typeof admissionTargets.$inferInsert)[] = [];
  const refusals: (typeof admissionRefusals.$inferInsert)[] = [];
  const departments = [
    ["dept-civil-affairs", "民政局"],
    ["dept-housing", "住建局"],
    ["dept-health", "卫健委"],
    ["dept-public-security", "公安局"],
    ["dept-market", "市场监管局"],
    ["dept-emergency", "应急管理局"],
  ] as const;
  for (const street of streets) {
    const own = communitiesOfStreet.get(street.id) ?? [];
    if (own.length === 0) continue;
    for (let i = 0; i < times(20) * own.length; i++) {
      const day = 1 + Math.floor(rand() * 330);
      const submitted = dateOf(day);
      const [departmentId, departmentName] = pick(departments);
      const chosen = own.filter(() => chance(0.4)).slice(0, 3);
      const targetsOf = chosen.length ? chosen : [pick(own)];
      const item = chance(0.4) ? pick(publishedItems.get(street.tenantId)!) : undefined;
      const listed = item !== undefined;
      const status: (typeof admissionRequests.$inferInsert)["status"] = listed
        ? item.kind === "negative"
          ? "refused"
          : pick(["approved", "active", "expired"] as const)
        : ctx.weighted([
            ["street_review", 5],
            ["county_review", 5],
            ["approved", 15],
            ["active", 30],
            ["expired", 20],
            ["rejected", 15],
            ["returned", 5],
            ["withdrawn", 5],
          ] as const);
      const streetDeadline = listed ? null : addWorkingDays(submitted, 5, calendar);
      const request = {
        id: nextId("adm"),
        tenantId: street.tenantId,
        departmentId,
        departmentName: `${departmentName}`,
        kind: pick(admissionKinds),
        title: `${departmentName}${pick(["入户调查", "创建达标", "挂牌", "台账填报", "检查考核", "证明开具"])}`,
        description: "职能部门申请社区承担的工作。",
        streetId: street.id,
        divisionPath: street.path,
        communityIds: targetsOf.map((c) => c.id),
        periodStart: submitted,
        periodEnd: dateOf(Math.min(365, day + 30 + Math.floor(rand() * 90))),
        fundingYuan: chance(0.6) ? 1000 * (1 + Math.floor(rand() * 50)) : 0,
        staffProvided: Math.floor(rand() * 4),
        dutyItemId: item?.id ?? null,
        route: listed ? ("listed" as const) : ("reviewed" as const),
        status,
        streetDeadline,
        countyDeadline: !listed && status !== "street_review" ? addWorkingDays(streetDeadline!, 10, calendar) : null,
        decisionNote: null,
        decidedAt: null,
        version: 1,
        createdAt: `${submitted}T02:00:00.000Z`,
        updatedAt: `${submitted}T02:00:00.000Z`,
      };
      requests.push(request);
      for (const c of targetsOf) {
        targets.push({ tenantId: c.tenantId, requestId: request.id, communityId: c.id, divisionPath: c.path });
        if (status === "refused") refusals.push(refusal(c, submitted, request.id, departmentId, departmentName));
      }
    }
    for (const c of own) {
      for (let i = 0; i < times(5); i++) {
        const [departmentId, departmentName] = pick(departments);
        refusals.push(refusal(c, dateOf(1 + Math.floor(rand() * 330)), null, departmentId, departmentName));
      }
    }
  }
  await ctx.insert(admissionRequests, requests, "admission requests");
  await ctx.insert(admissionTargets, targets, "admission targets");
  await ctx.insert(admissionRefusals, refusals, "admission refusals");

  // 3. Community workers with their appointment and their 2025 assessment.
  const workers: (typeof communityWorkers.$inferInsert)[] = [];
  const grades: (typeof workerGradeChanges.$inferInsert)[] = [];
  const assessments: (typeof workerAssessments.$inferInsert)[] = [];
  const bands = { principal: [7, 18], deputy: [4, 15], other: [1, 12] } as const;
  let n = 0;
  for (const c of communities) {
    for (let i = 0; i < times(12); i++) {
      const post = i < 2 ? workerPosts[i]! : i < 4 ? "deputy" : pick(["member", "grid_worker"] as const);
      const tier = tierOfPost[post];
      const [lo, hi] = bands[tier];
      const grade = lo + Math.floor(rand() * (hi - lo));
      const idCard = ctx.idCard(c.tenantId, 900_000 + n++);
      const phone = `1${pick(["36", "51", "87"])}${String(n).padStart(8, "0")}`;
      const worker = {
        id: nextId("cw"),
        tenantId: c.tenantId,
        communityId: c.id,
        divisionPath: c.path,
        name: ctx.personName(),
        idCardCipher: await ctx.vault.seal(idCard),
        idCardHash: await ctx.vault.fingerprint(idCard),
        idCardMasked: maskIdCard(idCard),
        phoneCipher: await ctx.vault.seal(phone),
        phoneMasked: maskPhone(phone),
        post,
        tier,
        grade,
        education: pick(["secondary", "college", "bachelor", "bachelor", "master_or_above"] as const),
        serviceStartDate: `${2008 + Math.floor(rand() * 17)}-07-01`,
        socialWorkerLevel: pick(["none", "none", "assistant", "intermediate", "senior"] as const),
        status: "active" as const,
        version: 2,
        createdAt: stamp(),
        updatedAt: stamp(),
      };
      workers.push(worker);
      const history = (
        fromGrade: number | null,
        toGrade: number,
        reason: "appointment" | "assessment",
        on: string,
      ) => ({
        id: nextId("wgc"),
        tenantId: c.tenantId,
        workerId: worker.id,
        divisionPath: c.path,
        fromGrade,
        toGrade,
        tier,
        reason,
        effectiveOn: on,
        createdAt: stamp(),
      });
      const result = ctx.weighted([
        ["excellent", 15],
        ["competent", 75],
        ["basically_competent", 8],
        ["incompetent", 2],
      ] as const);
      const before = result === "excellent" ? grade - 1 : result === "incompetent" ? grade + 1 : grade;
      grades.push(history(null, before, "appointment", worker.serviceStartDate));
      if (before !== grade) grades.push(history(before, grade, "assessment", "2026-01-01"));
      assessments.push({
        id: nextId("wa"),
        tenantId: c.tenantId,
        workerId: worker.id,
        divisionPath: c.path,
        year: 2025,
        result,
        gradeBefore: before,
        gradeAfter: grade,
        createdAt: stamp(),
      });
    }
  }
  await ctx.insert(communityWorkers, workers, "community workers");
  await ctx.insert(workerGradeChanges, grades, "worker grade changes");
  await ctx.insert(workerAssessments, assessments, "worker assessments");

  // 4. Street bodies: 四办三中心一执法队 for every street and town.
  const bodies = streets.flatMap((s) =>
    [
      ["党政综合办公室", "office"],
      ["党建工作办公室", "office"],
      ["平安建设办公室", "office"],
      ["社会事务办公室", "office"],
      ["党群服务中心", "centre"],
      ["综治中心", "centre"],
      ["便民服务中心", "centre"],
      ["综合行政执法队", "enforcement_team"],
    ].map(([name, kind]) => {
      const quota = 4 + Math.floor(rand() * 10);
      return {
        id: nextId("sbody"),
        tenantId: s.tenantId,
        streetId: s.id,
        divisionPath: s.path,
        name: name!,
        kind: kind as "office",
        quota,
        filled: Math.max(0, quota - Math.floor(rand() * 4)),
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      };
    }),
  );
  await ctx.insert(streetBodies, bodies, "street bodies");

  // 5. Checklists, a 2026 inspection per party organisation, rectifications; meetings with attendance.
  const checklistItems = Array.from({ length: 20 }, (_, i) => ({
    code: `${Math.floor(i / 4) + 1}.${(i % 4) + 1}`,
    area: ["组织设置", "组织生活", "党员队伍", "阵地建设", "基础保障"][Math.floor(i / 4)]!,
    standard: `标准${i + 1}`,
    points: 5,
  }));
  const checklistOf = new Map<string, string>();
  const checklistRows = countyTenantCodes.map((tenant) => {
    const id = nextId("chkl");
    checklistOf.set(tenant, id);
    return {
      id,
      tenantId: tenant,
      title: "党支部标准化规范化建设评分表",
      edition: 1,
      items: checklistItems,
      maxScore: 100,
      status: "active" as const,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
  });
  await ctx.insert(checklists, checklistRows, "checklists");
  const inspectionRows: (typeof inspections.$inferInsert)[] = [];
  const rectRows: (typeof rectifications.$inferInsert)[] = [];
  const streetPathOf = (path: string) => `${path.split("/").slice(0, 3).join("/")}/`;
  for (const org of ctx.orgRows) {
    const inspectedOn = dateOf(30 + Math.floor(rand() * 280));
    const scores = checklistItems.map((item) => ({
      code: item.code,
      score: chance(0.08) ? 2 + Math.floor(rand() * 3) : 5,
    }));
    const shortfalls = scores.filter((s) => s.score < 5);
    const inspection = {
      id: nextId("insp"),
      tenantId: org.tenantId,
      orgId: org.id!,
      divisionPath: org.divisionPath,
      checklistId: checklistOf.get(org.tenantId)!,
      inspectedOn,
      inspectorPath: chance(0.7) ? streetPathOf(org.divisionPath) : "",
      scores,
      totalScore: scores.reduce((s, x) => s + x.score, 0),
      maxScore: 100,
      shortfalls: shortfalls.length,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    };
    inspectionRows.push(inspection);
    const deadline = addMonths(inspectedOn, 1);
    for (const s of shortfalls) {
      const status =
        deadline < "2026-11-01"
          ? pick(["closed", "closed", "closed", "submitted", "open"] as const)
          : pick(["open", "submitted"] as const);
      rectRows.push({
        id: nextId("rect"),
        tenantId: org.tenantId,
        inspectionId: inspection.id,
        orgId: org.id!,
        divisionPath: org.divisionPath,
        inspectorPath: inspection.inspectorPath,
        itemCode: s.code,
        standard: checklistItems.find((i) => i.code === s.code)!.standard,
        shortfall: 5 - s.score,
        deadline,
        owner: "支部书记",
        evidence: status === "open" ? null : "整改材料已提交。",
        status,
        closedAt: status === "closed" ? `${deadline}T02:00:00.000Z` : null,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
    }
  }
  await ctx.insert(inspections, inspectionRows, "inspections");
  await ctx.insert(rectifications, rectRows, "rectifications");

  const membersOfOrg = new Map<string, string[]>();
  for (const m of ctx.memberRows) {
    if (!m.orgId) continue;
    const list = membersOfOrg.get(m.orgId) ?? [];
    list.push(m.id!);
    membersOfOrg.set(m.orgId, list);
  }
  let meetings = 0;
  let attendanceRows = 0;
  const meetingBatch: (typeof orgMeetings.$inferInsert)[] = [];
  let attendanceBatch: (typeof meetingAttendance.$inferInsert)[] = [];
  const flush = async () => {
    await ctx.insert(orgMeetings, meetingBatch.splice(0), "org meetings");
    await ctx.insert(meetingAttendance, attendanceBatch, "meeting attendance");
    attendanceBatch = [];
  };
  for (const org of ctx.orgRows) {
    const roster = membersOfOrg.get(org.id!) ?? [];
    for (let q = 0; q < 4; q++) {
      for (const kind of ["branch_members_meeting", "party_lecture"] as const) {
        const heldOn = dateOf(q * 91 + 10 + Math.floor(rand() * 60));
        const attendance = roster.map((memberId) => ({ memberId, present: chance(0.85) }));
        const meeting = {
          id: nextId("meet"),
          tenantId: org.tenantId,
          orgId: org.id!,
          divisionPath: org.divisionPath,
          kind,
          heldOn,
          topic: kind === "party_lecture" ? "专题党课" : "支部党员大会",
          expected: attendance.length,
          present: attendance.filter((a) => a.present).length,
          version: 1,
          createdAt: stamp(),
          updatedAt: stamp(),
        };
        meetingBatch.push(meeting);
        meetings++;
        for (const a of attendance)
          attendanceBatch.push({
            tenantId: org.tenantId,
            meetingId: meeting.id,
            orgId: org.id!,
            memberId: a.memberId,
            heldOn,
            present: a.present,
          });
        attendanceRows += attendance.length;
      }
    }
    if (attendanceBatch.length > 50_000) await flush();
  }
  await flush();

  // 6. Mobility records for members classified mobile; a third received in another tenant.
  const orgsOfTenant = new Map<string, (typeof partyOrgs.$inferInsert)[]>();
  for (const o of ctx.orgRows) {
    const list = orgsOfTenant.get(o.tenantId) ?? [];
    list.push(o);
    orgsOfTenant.set(o.tenantId, list);
  }
  const mobility: (typeof mobilityRecords.$inferInsert)[] = [];
  for (const m of ctx.memberRows.filter((x) => x.classification === "mobile")) {
    const leftOn = dateOf(1 + Math.floor(rand() * 300));
    const receivingTenant = chance(0.3) ? pick(countyTenantCodes) : chance(0.5) ? m.tenantId : null;
    const receiving = receivingTenant ? pick(orgsOfTenant.get(receivingTenant)!) : undefined;
    const lastContactOn = addMonths(leftOn, Math.floor(rand() * 4));
    const status = ctx.weighted([
      ["outflow", 80],
      ["lost_contact", 5],
      ["located", 3],
      ["returned", 10],
      ["transferred", 2],
    ] as const);
    const phone = m.phoneMasked ?? "138****0000";
    mobility.push({
      id: nextId("mob"),
      tenantId: m.tenantId,
      memberId: m.id!,
      homeOrgId: m.orgId ?? null,
      divisionPath: m.divisionPath,
      destination: pick(["兰州市城关区", "嘉峪关市", "新疆乌鲁木齐市", "西安市雁塔区", "张掖市甘州区"]),
      certificateNumber: `${m.tenantId}-2026-${String(mobility.length + 1).padStart(5, "0")}`,
      contactCipher: m.phoneCipher ?? "",
      contactMasked: phone,
      receivingTenantId: receivingTenant,
      receivingOrgId: receiving?.id ?? null,
      receivingDivisionPath: receiving?.divisionPath ?? null,
      leftOn,
      checkIntervalMonths: 3,
      lostContactMonths: 6,
      lastContactOn,
      nextCheckDue: addMonths(lastContactOn, 3),
      checkOverdue: status === "lost_contact",
      lostContactDueOn: addMonths(lastContactOn, 6),
      status,
      endNote: null,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    });
  }
  await ctx.insert(mobilityRecords, mobility, "mobility records");

  return {
    dutyLists: lists.length,
    dutyItems: items.length,
    admissionRequests: requests.length,
    admissionRefusals: refusals.length,
    communityWorkers: workers.length,
    streetBodies: bodies.length,
    inspections: inspectionRows.length,
    rectifications: rectRows.length,
    orgMeetings: meetings,
    meetingAttendance: attendanceRows,
    mobilityRecords: mobility.length,
  };

  function refusal(c: DivisionRow, on: string, requestId: string | null, departmentId: string, name: string) {
    return {
      id: nextId("refusal"),
      tenantId: c.tenantId,
      communityId: c.id,
      divisionPath: c.path,
      requestedBy: name,
      departmentId,
      kind: pick(admissionKinds),
      what: "未列入清单、未经准入的工作",
      requestedOn: on,
      requestId,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    };
  }
}

/** Day `n` (1-based) of 2026 as a date. */
function dateOf(day: number): string {
  return new Date(Date.UTC(2026, 0, day)).toISOString().slice(0, 10);
}

/** Kinds laid out in runs over the list's numbers, in the given proportions. */
function kindAt(i: number, count: number, kinds: [DutyKind, number][]): DutyKind {
  let edge = 0;
  for (const [kind, n] of kinds) {
    edge += n;
    if (i < (edge * count) / kinds.reduce((s, [, k]) => s + k, 0)) return kind;
  }
  return kinds[kinds.length - 1]![0];
}
