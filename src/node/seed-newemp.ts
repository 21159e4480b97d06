import type { DivisionRow } from "../db/seed/demo.js";
import type { volunteers } from "../domains/emergency/tables.js";
import { quickReportDeadlines, pointsFor } from "../domains/newemployment/machines.js";
import {
  type communityAreas,
  type gigWorkers,
  quickReportCategories,
  type quickReportPoints,
  type quickReports,
  stationServices,
  type warmStations,
} from "../domains/newemployment/tables.js";
import type { units } from "../domains/organisations/tables.js";
import { calendarOf, deadlineAfter } from "../shared/calendar.js";
import { officialCalendars } from "../domains/governance/working-days.js";
import type { SeedTools } from "./seed-property.js";

const platforms = [
  ["美团外卖", "delivery_platform", "delivery"],
  ["饿了么", "delivery_platform", "delivery"],
  ["顺丰速运", "courier_company", "courier"],
  ["中通快递", "courier_company", "courier"],
  ["滴滴出行", "ride_hailing_platform", "ride_hailing"],
] as const;
const vehicleOf = { delivery: "e_bike", courier: "tricycle", ride_hailing: "car" } as const;
const lifecycle = [
  ["reported", 6],
  ["accepted", 6],
  ["processing", 8],
  ["resolved", 10],
  ["closed", 60],
  ["rejected", 10],
] as const;

/**
 * 新就业群体 at scale: five platforms per tenant (units), an area per community (a centre for each,
 * a boundary square for every other one, around Jiuquan), a warm station per community, a worker
 * record for each new-employment volunteer (the 1,800 couriers, riders and drivers of the 26 teams,
 * sharing the volunteer's sealed phone) and about ten quick reports per worker over 2026, spread over
 * the lifecycle, with points for the accepted ones.
 */
export function newEmploymentSeed(
  tools: SeedTools,
  communities: DivisionRow[],
  couriers: (typeof volunteers.$inferInsert)[],
  scale: number,
) {
  const { rand, pick, chance, nextId, stamp } = tools;
  const platformRows: (typeof units.$inferInsert)[] = [];
  const platformsOf = new Map<string, { id: string; trade: (typeof platforms)[number][2] }[]>();
  for (const tenant of new Set(communities.map((c) => c.tenantId))) {
    const home = communities.find((c) => c.tenantId === tenant)!;
    for (const [name, kind, trade] of platforms) {
      const id = nextId("unit");
      platformRows.push({
        id,
        tenantId: tenant,
        name: `${name}${home.name.slice(0, 2)}站`,
        creditCode: null,
        kind,
        divisionId: home.id,
        divisionPath: home.path,
        version: 1,
        createdAt: stamp(),
        updatedAt: stamp(),
      });
      platformsOf.set(tenant, [...(platformsOf.get(tenant) ?? []), { id, trade }]);
    }
  }
  // Communities on a grid around Jiuquan (39.74 N, 98.51 E), 0.02° apart; every other one with a boundary.
  const centres = new Map<string, { lat: number; long: number }>();
  const areaRows: (typeof communityAreas.$inferInsert)[] = communities.map((community, i) => {
    const centre = { lat: 39.64 + Math.floor(i / 10) * 0.02, long: 98.41 + (i % 10) * 0.02 };
    centres.set(community.id, centre);
    const half = 0.008;
    const boundary =
      i % 2 === 0
        ? ([
            [centre.lat - half, centre.long - half],
            [centre.lat + half, centre.long - half],
            [centre.lat + half, centre.long + half],
            [centre.lat - half, centre.long + half],
          ] as [number, number][])
        : null;
    return {
      id: nextId("car"),
      tenantId: community.tenantId,
      communityId: community.id,
      divisionPath: community.path,
      centreLat: centre.lat,
      centreLong: centre.long,
      boundary,
      minLat: boundary ? centre.lat - half : null,
      maxLat: boundary ? centre.lat + half : null,
      minLong: boundary ? centre.long - half : null,
      maxLong: boundary ? centre.long + half : null,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    };
  });
  const stationRows: (typeof warmStations.$inferInsert)[] = communities.map((community) => ({
    id: nextId("wst"),
    tenantId: community.tenantId,
    name: `${community.name}暖心驿站`,
    divisionId: community.id,
    divisionPath: community.path,
    address: `${community.name}党群服务中心一楼`,
    lat: centres.get(community.id)!.lat + 0.001,
    long: centres.get(community.id)!.long + 0.001,
    services: stationServices.filter((s) => s === "rest" || s === "water" || chance(0.5)),
    openingHours: pick(["08:00-22:00", "07:00-21:00", "24h"]),
    active: true,
    version: 1,
    createdAt: stamp(),
    updatedAt: stamp(),
  }));
  const stationOf = new Map(stationRows.map((s) => [s.divisionId, s.id!]));
  const communitiesOf = new Map<string, DivisionRow[]>();
  for (const c of communities) communitiesOf.set(c.tenantId, [...(communitiesOf.get(c.tenantId) ?? []), c]);

  const workerRows: (typeof gigWorkers.$inferInsert)[] = couriers.map((v) => {
    const platform = pick(platformsOf.get(v.tenantId)!);
    return {
      id: nextId("gwk"),
      tenantId: v.tenantId,
      name: v.name,
      phoneCipher: v.phoneCipher,
      phoneHash: v.phoneHash,
      phoneMasked: v.phoneMasked,
      idCardCipher: null,
      idCardHash: null,
      idCardMasked: null,
      trade: platform.trade,
      platformUnitId: platform.id,
      vehicleType: vehicleOf[platform.trade],
      baseDivisionId: v.homeDivisionId,
      divisionPath: v.divisionPath,
      stationId: stationOf.get(v.homeDivisionId) ?? null,
      volunteerId: v.id,
      active: v.active ?? true,
      version: 1,
      createdAt: stamp(),
      updatedAt: stamp(),
    };
  });

  const calendar = calendarOf(officialCalendars);
  const reportRows: (typeof quickReports.$inferInsert)[] = [];
  const pointRows: (typeof quickReportPoints.$inferInsert)[] = [];
  const yearStart = Date.parse("2026-01-01T00:00:00.000Z");
  const total = Math.max(communities.length, Math.round(18_000 * scale));
  for (let n = 0; n < total; n++) {
    const worker = pick(workerRows);
    const community = chance(0.7)
      ? (communities.find((c) => c.id === worker.baseDivisionId) ?? pick(communitiesOf.get(worker.tenantId)!))
      : pick(communitiesOf.get(worker.tenantId)!);
    const centre = centres.get(community.id)!;
    const category = pick(quickReportCategories);
    const status = tools.pickWeighted(rand, lifecycle);
    const created = new Date(yearStart + Math.floor(rand() * 330) * 86_400_000 + Math.floor(rand() * 86_400_000));
    const due = deadlineAfter(created, quickReportDeadlines[category], calendar).toISOString();
    const accepted = status !== "reported" && status !== "rejected";
    const resolved = status === "resolved" || status === "closed";
    const resolvedAt = resolved
      ? new Date(created.getTime() + (chance(0.85) ? 0.5 : 3) * (Date.parse(due) - created.getTime())).toISOString()
      : null;
    const id = nextId("qrp");
    const at = created.toISOString();
    reportRows.push({
      id,
      tenantId: worker.tenantId,
      workerId: worker.id!,
      platformUnitId: worker.platformUnitId,
      category,
      description: `${community.name}辖区发现${category === "elderly_needs_help" ? "独居老人需要帮助" : "问题"}，请社区处理。`,
      lat: centre.lat + (rand() - 0.5) * 0.01,
      long: centre.long + (rand() - 0.5) * 0.01,
      datum: chance(0.8) ? "gcj02" : "wgs84",
      address: `${community.name}辖区`,
      communityId: community.id,
      divisionPath: community.path,
      routedBy: chance(0.5) ? "boundary" : "nearest",
      distanceMetres: Math.floor(rand() * 600),
      status,
      dueAt: due,
      handler: accepted ? `${community.name}网格员` : null,
      resolution: resolved ? "已处理完毕。" : null,
      resolvedAt,
      onTime: resolvedAt ? resolvedAt <= due : null,
      rejectionReason: status === "rejected" ? "现场复核：情况不属实。" : null,
      points: accepted ? pointsFor[category] : 0,
      version: 1,
      createdAt: at,
      updatedAt: resolvedAt ?? at,
    });
    if (accepted)
      pointRows.push({
        id: nextId("qpt"),
        tenantId: worker.tenantId,
        workerId: worker.id!,
        platformUnitId: worker.platformUnitId,
        divisionPath: community.path,
        reportId: id,
        points: pointsFor[category],
        reason: "accepted",
        note: null,
        createdBy: "system:seed",
        createdAt: at,
      });
  }
  // Ids are time-ordered: list pages follow filing order when the rows go in by id.
  reportRows.sort((a, b) => (a.id! < b.id! ? -1 : 1));
  return { platformRows, areaRows, stationRows, workerRows, reportRows, pointRows };
}
