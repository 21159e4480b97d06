import { expect } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/** A settable clock, so deadlines and windows are tested without waiting. */
export class TestClock {
  constructor(public at = new Date("2026-12-01T02:00:00.000Z")) {}
  now = () => new Date(this.at.getTime());
  advanceHours(h: number) {
    this.at = new Date(this.at.getTime() + h * 3_600_000);
  }
}

export interface PropertyWorld {
  ctx: TestContext;
  clock: TestClock;
  fukang: DivisionRef;
  beiyuan: DivisionRef;
  county: TokenOptions;
  fukangAdmin: TokenOptions;
  beiyuanAdmin: TokenOptions;
  streetAdmin: TokenOptions;
  otherCounty: TokenOptions;
  company: { id: string; token: TokenOptions };
  otherCompany: { id: string; token: TokenOptions };
  compound: { id: string };
  /** A compound of the other company, in 北苑社区. */
  beiyuanCompound: { id: string };
}

export async function propertyWorld(overrides: Partial<AppDeps> = {}): Promise<PropertyWorld> {
  const clock = new TestClock();
  const ctx = await createTestContext({ clock, ...overrides });
  const fukang = await divisionNamed(ctx, "620902", "富康社区");
  const beiyuan = await divisionNamed(ctx, "620902", "北苑社区");
  const street = await divisionNamed(ctx, "620902", "东北街街道");
  const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
  const newCompany = async (name: string) => {
    const res = await ctx.call(county, "POST", "/v1/units", { name, kind: "property_company", divisionId: fukang.id });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    return {
      id,
      token: { tenant: "620902", roles: ["property_company"], unit: id, sub: `staff-${name}` } as TokenOptions,
    };
  };
  const company = await newCompany("酒泉市安居物业服务有限公司");
  const otherCompany = await newCompany("酒泉市宜家物业有限公司");
  const newCompound = async (community: DivisionRef, propertyUnitId: string, name: string) => {
    const res = await ctx.call(county, "POST", "/v1/compounds", {
      communityId: community.id,
      name,
      address: "酒泉市肃州区富康路 18 号",
      households: 864,
      propertyUnitId,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  return {
    ctx,
    clock,
    fukang,
    beiyuan,
    county,
    fukangAdmin: { tenant: "620902", roles: ["community_admin"], org: fukang.id, sub: "fukang-admin" },
    beiyuanAdmin: { tenant: "620902", roles: ["community_admin"], org: beiyuan.id, sub: "beiyuan-admin" },
    streetAdmin: { tenant: "620902", roles: ["street_admin"], org: street.id, sub: "street-admin" },
    otherCounty: { tenant: "620981", roles: ["county_admin"], sub: "yumen" },
    company,
    otherCompany,
    compound: await newCompound(fukang, company.id, "富康家园"),
    beiyuanCompound: await newCompound(beiyuan, otherCompany.id, "北苑小区"),
  };
}

/** A JSON request without any credential (the reporter's side). */
export async function anonymous(
  ctx: TestContext,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await ctx.app.request(path, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
