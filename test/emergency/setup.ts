import { expect } from "vitest";
import { developmentChannel, type MessageChannel, type PagingSettings } from "../../src/shared/messaging.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

/** An emergency test world on the demo seed: a movable clock, the development channel, and the 东北街 area. */
export interface World {
  ctx: TestContext;
  clock: { now: () => Date; advanceMinutes(m: number): void };
  channel: ReturnType<typeof developmentChannel>;
  county: TokenOptions;
  street: TokenOptions;
  otherCounty: TokenOptions;
  dongbei: DivisionRef; // 东北街街道
  fukang: DivisionRef; // 富康社区 (东北街)
  beiyuan: DivisionRef; // 北苑社区 (东北街)
  dongyuan: DivisionRef; // 东苑社区 (东南街)
  countyRoot: DivisionRef; // 肃州区
}

export async function createWorld(
  options: { channel?: MessageChannel; paging?: Partial<PagingSettings> } = {},
): Promise<World> {
  let nowMs = Date.parse("2026-08-13T06:00:00.000Z");
  const clock = {
    now: () => new Date(nowMs),
    advanceMinutes(m: number) {
      nowMs += m * 60_000;
    },
  };
  const channel = developmentChannel();
  const ctx = await createTestContext({
    clock,
    paging: {
      answerHost: "a.hexi.dev",
      smsSignature: "酒泉志愿服务",
      channel: options.channel ?? channel,
      showDevelopmentMessages: true,
      ...options.paging,
    },
  });
  const dongbei = await divisionNamed(ctx, "620902", "东北街街道");
  return {
    ctx,
    clock,
    channel,
    county: { tenant: "620902", roles: ["county_admin"], sub: "county-admin" },
    street: { tenant: "620902", roles: ["street_admin"], org: dongbei.id, sub: "dongbei-admin" },
    otherCounty: { tenant: "620981", roles: ["county_admin"], sub: "yumen-admin" },
    dongbei,
    fukang: await divisionNamed(ctx, "620902", "富康社区"),
    beiyuan: await divisionNamed(ctx, "620902", "北苑社区"),
    dongyuan: await divisionNamed(ctx, "620902", "东苑社区"),
    countyRoot: await divisionNamed(ctx, "620902", "肃州区"),
  };
}

let phone = 13900000000;

export async function newVolunteer(w: World, home: DivisionRef, over: Record<string, unknown> = {}) {
  phone += 1;
  const res = await w.ctx.call(w.county, "POST", "/v1/volunteers", {
    name: `志愿者${phone % 1000}`,
    phone: String(phone),
    source: "individual",
    homeDivisionId: home.id,
    ...over,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; phone: string };
}

export async function newTeam(
  w: World,
  owner: DivisionRef,
  mode: "normal" | "emergency" | "mobile",
  members: { id: string }[],
  over: Record<string, unknown> = {},
) {
  const res = await w.ctx.call(w.county, "POST", "/v1/teams", {
    name: `${owner.name}${mode}队`,
    mode,
    divisionId: owner.id,
    quorum: 2,
    responseDeadlineMinutes: 30,
    ...over,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const team = res.body as { id: string };
  for (const [i, m] of members.entries()) {
    const added = await w.ctx.call(w.county, "POST", `/v1/teams/${team.id}/members`, {
      volunteerId: m.id,
      role: i === 0 ? "leader" : "member",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
  }
  return team;
}

export const declareBody = (w: World, over: Record<string, unknown> = {}) => ({
  type: "rainstorm_flood",
  level: "III",
  affectedDivisionIds: [w.fukang.id],
  headline: "富康社区暴雨内涝演练",
  instruction: "请携带雨具到富康社区党群服务中心集结。",
  drill: true,
  dedupKey: `drill-${Math.random().toString(36).slice(2)}`,
  ...over,
});

/** The token in a page's message: the last 12 characters of its link. */
export const tokenOf = (message: string) => /\/a\/([0-9A-Za-z]{12})/.exec(message)?.[1] ?? "";
