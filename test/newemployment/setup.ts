import { expect } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

export interface Party {
  id: string;
  token: TokenOptions;
}

export interface NewEmploymentWorld {
  ctx: TestContext;
  fukang: DivisionRef;
  beiyuan: DivisionRef;
  beiping: DivisionRef;
  county: TokenOptions;
  yumen: TokenOptions;
  fukangAdmin: TokenOptions;
  beiyuanAdmin: TokenOptions;
  meituan: Party;
  sf: Party;
  rider: Party;
  courier: Party;
}

/**
 * 富康社区 has a boundary (39.740–39.750 N, 98.505–98.519 E, WGS-84) and its centre in it; 北苑社区 a
 * centre alone, just north of 富康's boundary (so it is the nearest centre to places near 富康's north
 * edge); 北坪社区 of 玉门 (another tenant) a centre. Two platforms (美团, 顺丰), a worker of each.
 */
export const fukangBoundary = [
  { lat: 39.74, long: 98.505 },
  { lat: 39.75, long: 98.505 },
  { lat: 39.75, long: 98.519 },
  { lat: 39.74, long: 98.519 },
];

export async function newEmploymentWorld(overrides: Partial<AppDeps> = {}): Promise<NewEmploymentWorld> {
  const ctx = await createTestContext(overrides);
  const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
  const yumen: TokenOptions = { tenant: "620981", roles: ["county_admin"], sub: "yumen-1" };
  const fukang = await divisionNamed(ctx, "620902", "富康社区");
  const beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  const beiping = await divisionNamed(ctx, "620981", "北坪社区");
  const platform = async (name: string, kind: string): Promise<Party> => {
    const res = await ctx.call(county, "POST", "/v1/units", { name, kind, divisionId: fukang.id });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    return { id, token: { tenant: "620902", roles: ["platform"], unit: id, sub: `ops-${name}` } };
  };
  const meituan = await platform("美团酒泉站", "delivery_platform");
  const sf = await platform("顺丰速运酒泉分部", "courier_company");
  const worker = async (name: string, platformUnitId: string, phone: string, trade: string): Promise<Party> => {
    const res = await ctx.call(county, "POST", "/v1/gig-workers", {
      name,
      trade,
      platformUnitId,
      vehicleType: "e_bike",
      baseDivisionId: fukang.id,
      phone,
      idCard: "620902198805010024",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.id as string;
    return { id, token: { tenant: "620902", roles: ["gig_worker"], sub: id } };
  };
  const rider = await worker("马小军", meituan.id, "13909372046", "delivery");
  const courier = await worker("李快递", sf.id, "13909372047", "courier");
  const area = (who: TokenOptions, id: string, body: unknown) =>
    ctx.call(who, "PUT", `/v1/community-areas/${id}`, body);
  const fukangArea = { datum: "wgs84", centre: { lat: 39.745, long: 98.512 }, boundary: fukangBoundary };
  expect((await area(county, fukang.id, fukangArea)).status).toBe(200);
  expect((await area(county, beiyuan.id, { datum: "wgs84", centre: { lat: 39.753, long: 98.515 } })).status).toBe(200);
  expect((await area(yumen, beiping.id, { datum: "wgs84", centre: { lat: 40.28, long: 97.04 } })).status).toBe(200);
  return {
    ctx,
    fukang,
    beiyuan,
    beiping,
    county,
    yumen,
    fukangAdmin: { tenant: "620902", roles: ["community_admin"], org: fukang.id, sub: "fukang-admin" },
    beiyuanAdmin: { tenant: "620902", roles: ["community_admin"], org: beiyuan.id, sub: "beiyuan-admin" },
    meituan,
    sf,
    rider,
    courier,
  };
}
