import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
import { gigWorkers } from "../../src/domains/newemployment/tables.js";
import { isCatalogued } from "../../src/domains/webhooks/catalogue.js";
import { memoryBlobStore } from "../../src/shared/blobs.js";
import { distanceMetres, wgs84ToGcj02 } from "../../src/shared/geo.js";
import type { TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import { newEmploymentWorld, type Party } from "./setup.js";

let ctx: TestContext;
let fukang: DivisionRef;
let beiyuan: DivisionRef;
let beiping: DivisionRef;
let county: TokenOptions;
let yumen: TokenOptions;
let fukangAdmin: TokenOptions;
let beiyuanAdmin: TokenOptions;
let meituan: Party;
let sf: Party;
let rider: Party;
let courier: Party;

beforeAll(async () => {
  ({ ctx, fukang, beiyuan, beiping, county, yumen, fukangAdmin, beiyuanAdmin, meituan, sf, rider, courier } =
    await newEmploymentWorld({ blobs: memoryBlobStore() }));
});
afterAll(() => ctx.close());

const file = (who: TokenOptions, place: { lat: number; long: number; datum: string }, over: object = {}) =>
  ctx.call(who, "POST", "/v1/quick-reports", {
    category: "blocked_fire_lane",
    description: "消防通道被三辆私家车占用。",
    place,
    address: "富康家园 3 号楼东侧",
    ...over,
  });
const act = (who: TokenOptions, id: string, action: string, body?: unknown) =>
  ctx.call(who, "POST", `/v1/quick-reports/${id}/${action}`, body);

describe("community areas", () => {
  it("replaces an area only with If-Match, and stores GCJ-02 input as WGS-84", async () => {
    const current = await ctx.call(county, "GET", `/v1/community-areas/${beiyuan.id}`);
    expect(current.status).toBe(200);
    const gcj = wgs84ToGcj02({ lat: 39.753, long: 98.515 });
    const body = { datum: "gcj02", centre: gcj };
    expect((await ctx.call(county, "PUT", `/v1/community-areas/${beiyuan.id}`, body)).status).toBe(428);
    expect(
      (await ctx.call(county, "PUT", `/v1/community-areas/${beiyuan.id}`, body, { "if-match": '"v9"' })).status,
    ).toBe(412);
    const replaced = await ctx.call(county, "PUT", `/v1/community-areas/${beiyuan.id}`, body, {
      "if-match": current.headers.get("etag")!,
    });
    expect(replaced.status).toBe(200);
    expect(distanceMetres(replaced.body.centre, { lat: 39.753, long: 98.515 })).toBeLessThan(0.01);
    // Another tenant's community is not found; a community admin sets only their own.
    expect((await ctx.call(yumen, "GET", `/v1/community-areas/${fukang.id}`)).status).toBe(404);
    expect((await ctx.call(beiyuanAdmin, "PUT", `/v1/community-areas/${fukang.id}`, body)).status).toBe(404);
  });
});

describe("routing by place", () => {
  it("routes a place inside a boundary to that community, even when another centre is nearer", async () => {
    const place = { lat: 39.7495, long: 98.515 };
    // 北苑's centre is nearer than 富康's, but the place lies inside 富康's boundary.
    expect(distanceMetres(place, { lat: 39.753, long: 98.515 })).toBeLessThan(
      distanceMetres(place, { lat: 39.745, long: 98.512 }),
    );
    const res = await file(rider.token, { ...place, datum: "wgs84" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ communityId: fukang.id, routedBy: "boundary", status: "reported" });
    expect(res.body.workerId).toBe(rider.id);
    expect(res.body.platformUnitId).toBe(meituan.id);
  });

  it("falls back to the nearest community centre of the tenant outside every boundary", async () => {
    const north = await file(rider.token, { lat: 39.76, long: 98.515, datum: "wgs84" });
    expect(north.body).toMatchObject({ communityId: beiyuan.id, routedBy: "nearest" });
    const south = await file(rider.token, { lat: 39.735, long: 98.512, datum: "wgs84" });
    expect(south.body).toMatchObject({ communityId: fukang.id, routedBy: "nearest" });
    // 玉门's 北坪 is far nearer to a place in 玉门, but routing stays in the worker's tenant.
    const yumenPlace = await file(rider.token, { lat: 40.28, long: 97.04, datum: "wgs84" });
    expect(yumenPlace.body.communityId).not.toBe(beiping.id);
  });

  it("converts GCJ-02 to WGS-84 before routing: the same numbers as WGS-84 would land elsewhere", async () => {
    const wgs = { lat: 39.7496, long: 98.515 }; // inside 富康, near its north edge
    const gcj = wgs84ToGcj02(wgs); // a few hundred metres north-east: outside the boundary
    const converted = await file(rider.token, { ...gcj, datum: "gcj02" });
    expect(converted.body).toMatchObject({ communityId: fukang.id, routedBy: "boundary", datum: "gcj02" });
    expect(distanceMetres(converted.body.place, wgs)).toBeLessThan(0.01);
    const raw = await file(rider.token, { ...gcj, datum: "wgs84" });
    expect(raw.body).toMatchObject({ communityId: beiyuan.id, routedBy: "nearest" });
  });

  it("routes in the worker's own tenant, and answers 400 where the tenant has no community area", async () => {
    const driverIn = async (admin: TokenOptions, divisionId: string, phone: string) => {
      const platform = await ctx.call(admin, "POST", "/v1/units", {
        name: "滴滴出行",
        kind: "ride_hailing_platform",
        divisionId,
      });
      const driver = await ctx.call(admin, "POST", "/v1/gig-workers", {
        name: "张司机",
        trade: "ride_hailing",
        platformUnitId: platform.body.id,
        vehicleType: "car",
        baseDivisionId: divisionId,
        phone,
      });
      expect(driver.status).toBe(201);
      return { tenant: admin.tenant, roles: ["gig_worker"], sub: driver.body.id } as TokenOptions;
    };
    // 玉门 has one area (北坪): a place in 玉门 goes there.
    const yumenDriver = await driverIn(yumen, beiping.id, "13909372048");
    const res = await file(yumenDriver, { lat: 40.3, long: 97.1, datum: "wgs84" });
    expect(res.body).toMatchObject({ communityId: beiping.id, routedBy: "nearest" });
    // 敦煌 has none yet.
    const dunhuang: TokenOptions = { tenant: "620982", roles: ["county_admin"], sub: "dunhuang-1" };
    const dongdajie = await divisionNamed(ctx, "620982", "东大街社区");
    const none = await file(await driverIn(dunhuang, dongdajie.id, "13909372050"), {
      lat: 40.14,
      long: 94.66,
      datum: "wgs84",
    });
    expect(none.status).toBe(400);
  });
});

describe("who files", () => {
  it("a worker files for themselves; a platform for its own workers only", async () => {
    const place = { lat: 39.745, long: 98.51, datum: "wgs84" };
    expect((await file(meituan.token, place)).status).toBe(400); // a platform must name the worker
    expect((await file(meituan.token, place, { workerId: rider.id })).status).toBe(201);
    expect((await file(meituan.token, place, { workerId: courier.id })).status).toBe(400);
    expect((await file(rider.token, place, { workerId: courier.id })).status).toBe(400);
    // Community admins handle reports; they do not file them.
    expect((await file(fukangAdmin, place, { workerId: rider.id })).status).toBe(403);
  });

  it("refuses a unit that is not a platform when registering a worker", async () => {
    const organ = await ctx.call(county, "POST", "/v1/units", { name: "某局", kind: "organ", divisionId: fukang.id });
    const res = await ctx.call(county, "POST", "/v1/gig-workers", {
      name: "x",
      trade: "courier",
      platformUnitId: organ.body.id,
      vehicleType: "e_bike",
      baseDivisionId: fukang.id,
      phone: "13909372049",
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe("/platformUnitId");
    // A second worker with the same phone in the tenant is a conflict.
    const twin = await ctx.call(county, "POST", "/v1/gig-workers", {
      name: "y",
      trade: "delivery",
      platformUnitId: meituan.id,
      vehicleType: "e_bike",
      baseDivisionId: fukang.id,
      phone: "13909372046",
    });
    expect(twin.status).toBe(409);
  });
});

describe("lifecycle and points", () => {
  it("accepts (points on the ledger), handles, resolves and closes; illegal moves are 409", async () => {
    const filed = await file(rider.token, { lat: 39.745, long: 98.51, datum: "wgs84" });
    const id = filed.body.id as string;
    const before = (await ctx.call(rider.token, "GET", `/v1/gig-workers/${rider.id}/points`)).body.balance as number;
    expect((await act(fukangAdmin, id, "resolve", { resolution: "x" })).status).toBe(409);
    expect((await act(rider.token, id, "accept")).status).toBe(403);
    expect((await act(beiyuanAdmin, id, "accept")).status).toBe(404);
    const accepted = await act(fukangAdmin, id, "accept");
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: "accepted", points: 8 });
    expect((await act(fukangAdmin, id, "accept")).status).toBe(409);
    expect((await act(fukangAdmin, id, "start", { handler: "第三网格 李网格员" })).body.status).toBe("processing");
    const resolved = await act(fukangAdmin, id, "resolve", { resolution: "已联系车主挪车，通道已畅通。" });
    expect(resolved.body).toMatchObject({ status: "resolved", onTime: true });
    expect((await act(fukangAdmin, id, "close")).body.status).toBe("closed");

    const points = await ctx.call(rider.token, "GET", `/v1/gig-workers/${rider.id}/points`);
    expect(points.status).toBe(200);
    expect(points.body.balance).toBe(before + 8);
    expect(points.body.data.find((e: { reportId: string }) => e.reportId === id)).toMatchObject({
      points: 8,
      reason: "accepted",
    });
    expect((await ctx.call(rider.token, "GET", `/v1/gig-workers/${rider.id}`)).body.points).toBe(before + 8);

    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, id));
    const types = events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["quick_report.filed", "quick_report.accepted", "quick_report.closed"]),
    );
    for (const type of types) expect(isCatalogued(type), type).toBe(true);
  });

  it("a rejected report earns nothing", async () => {
    const filed = await file(courier.token, { lat: 39.745, long: 98.51, datum: "wgs84" }, { category: "other" });
    const rejected = await act(fukangAdmin, filed.body.id, "reject", { reason: "现场复核：并无占道。" });
    expect(rejected.body).toMatchObject({ status: "rejected", points: 0, rejectionReason: "现场复核：并无占道。" });
    expect((await ctx.call(courier.token, "GET", `/v1/gig-workers/${courier.id}/points`)).body.balance).toBe(0);
  });
});

describe("reach", () => {
  it("another tenant's, another community's, another platform's or another worker's report is 404", async () => {
    const filed = await file(rider.token, { lat: 39.745, long: 98.51, datum: "wgs84" });
    const path = `/v1/quick-reports/${filed.body.id}`;
    expect((await ctx.call(fukangAdmin, "GET", path)).status).toBe(200);
    expect((await ctx.call(meituan.token, "GET", path)).status).toBe(200);
    expect((await ctx.call(rider.token, "GET", path)).status).toBe(200);
    expect((await ctx.call(yumen, "GET", path)).status).toBe(404);
    expect((await ctx.call(beiyuanAdmin, "GET", path)).status).toBe(404);
    expect((await ctx.call(sf.token, "GET", path)).status).toBe(404);
    expect((await ctx.call(courier.token, "GET", path)).status).toBe(404);
    expect((await act(yumen, filed.body.id, "accept")).status).toBe(404);
    // Lists are narrowed the same way.
    const mine = await ctx.call(courier.token, "GET", "/v1/quick-reports?limit=100");
    expect(mine.body.data.every((r: { workerId: string }) => r.workerId === courier.id)).toBe(true);
    const platform = await ctx.call(sf.token, "GET", "/v1/gig-workers");
    expect(platform.body.data.map((w: { id: string }) => w.id)).toEqual([courier.id]);
    expect((await ctx.call(yumen, "GET", "/v1/gig-workers")).body.data).toEqual([
      expect.objectContaining({ name: "张司机" }),
    ]);
    expect((await ctx.call(courier.token, "GET", `/v1/gig-workers/${rider.id}/points`)).status).toBe(404);
  });
});

describe("personal data", () => {
  it("keeps phones and ID cards sealed at rest and masked in every answer", async () => {
    const res = await ctx.call(county, "GET", `/v1/gig-workers/${rider.id}`);
    expect(res.body.phone).toBe("139****2046");
    expect(res.body.idCard).toMatch(/^6209\*+0024$/);
    expect(JSON.stringify(res.body)).not.toContain("13909372046");
    const [row] = await ctx.db.select().from(gigWorkers).where(eq(gigWorkers.id, rider.id));
    expect(row!.phoneCipher).not.toContain("13909372046");
    expect(await ctx.pii.open(row!.phoneCipher)).toBe("13909372046");
    const byPhone = await ctx.call(county, "GET", "/v1/gig-workers?phone=13909372046");
    expect(byPhone.body.data.map((w: { id: string }) => w.id)).toEqual([rider.id]);
    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, rider.id));
    expect(JSON.stringify(events)).not.toContain("13909372046");
    expect(JSON.stringify(events)).not.toContain("马小军");
  });
});

describe("photos and stations", () => {
  it("takes a worker's photo with the complaints' checks and serves it only within reach", async () => {
    const filed = await file(rider.token, { lat: 39.745, long: 98.51, datum: "wgs84" });
    const enc = (t: string) => new TextEncoder().encode(t);
    const exif = enc("Exif\0\0GPSLatitude=39.7446");
    const jpeg = Uint8Array.from([
      0xff,
      0xd8,
      0xff,
      0xe1,
      0,
      exif.length + 2,
      ...exif,
      0xff,
      0xda,
      0,
      8,
      1,
      1,
      0,
      0,
      0x3f,
      0,
      ...enc("pixels"),
      0xff,
      0xd9,
    ]);
    const upload = await ctx.as(rider.token)(`/v1/quick-reports/${filed.body.id}/photos`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: jpeg,
    });
    expect(upload.status).toBe(201);
    const photo = (await upload.json()) as { id: string; author: string; bytes: number };
    expect(photo.author).toBe("worker");
    expect(photo.bytes).toBeLessThan(jpeg.length);
    const heic = await ctx.as(rider.token)(`/v1/quick-reports/${filed.body.id}/photos`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: Uint8Array.from([0, 0, 0, 24, ...enc("ftypheic"), 0, 0, 0, 0, ...enc("mif1heic")]),
    });
    expect(heic.status).toBe(415);
    const path = `/v1/quick-reports/${filed.body.id}/photos/${photo.id}`;
    const served = await ctx.as(fukangAdmin)(path);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).includes(Buffer.from("GPS"))).toBe(false);
    expect((await ctx.as(yumen)(path)).status).toBe(404);
    expect((await ctx.as(courier.token)(path)).status).toBe(404);
    expect((await ctx.call(fukangAdmin, "GET", `/v1/quick-reports/${filed.body.id}`)).body.photos).toHaveLength(1);
  });

  it("publishes warm stations to the tenant's workers and platforms", async () => {
    const created = await ctx.call(fukangAdmin, "POST", "/v1/warm-stations", {
      name: "富康社区暖心驿站",
      divisionId: fukang.id,
      address: "肃州区富康路 18 号党群服务中心一楼",
      place: { lat: 39.7454, long: 98.5126, datum: "gcj02" },
      services: ["rest", "water", "heating", "charging"],
      openingHours: "08:00-22:00",
    });
    expect(created.status).toBe(201);
    for (const who of [rider.token, meituan.token, county])
      expect((await ctx.call(who, "GET", "/v1/warm-stations")).body.data.map((s: { id: string }) => s.id)).toContain(
        created.body.id,
      );
    expect((await ctx.call(yumen, "GET", `/v1/warm-stations/${created.body.id}`)).status).toBe(404);
    expect((await ctx.call(rider.token, "POST", "/v1/warm-stations", {})).status).toBe(403);
  });

  it("keeps the 26 teams in the emergency model: a team of source new_employment", async () => {
    const team = await ctx.call(county, "POST", "/v1/teams", {
      name: "肃州区新就业群体志愿服务队1",
      mode: "emergency",
      divisionId: fukang.id,
      source: "new_employment",
      quorum: 3,
      responseDeadlineMinutes: 30,
    });
    expect(team.status).toBe(201);
    expect(team.body.source).toBe("new_employment");
    const listed = await ctx.call(county, "GET", "/v1/teams?source=new_employment");
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([team.body.id]);
  });
});
