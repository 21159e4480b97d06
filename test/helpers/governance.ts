import { expect } from "vitest";
import type { TestContext } from "./app.js";

/** A county's published community duty list with one statutory and one negative-list item. */
export async function publishCommunityList(ctx: TestContext, county: { tenant: string; roles: ["county_admin"] }) {
  const list = await ctx.call(county, "POST", "/v1/duty-lists", { level: "community", title: "社区职责事项清单" });
  const add = (number: number, kind: string) =>
    ctx.call(county, "POST", `/v1/duty-lists/${list.body.id}/items`, {
      area: "民生服务",
      number,
      name: `事项${number}`,
      content: "",
      legalBasis: "",
      kind,
    });
  const items = { statutory: (await add(1, "statutory")).body.id, negative: (await add(2, "negative")).body.id };
  expect((await ctx.call(county, "POST", `/v1/duty-lists/${list.body.id}/publish`)).status).toBe(200);
  return items;
}

/** An admission request's body: a survey of two communities of one street in March 2031. */
export const admissionRequestBody = (
  streetId: string,
  communityIds: string[],
  fields: Record<string, unknown> = {},
) => ({
  departmentName: "区民政局",
  kind: "survey",
  title: "入户调查",
  description: "每户一份问卷。",
  streetId,
  communityIds,
  periodStart: "2031-03-01",
  periodEnd: "2031-03-31",
  fundingYuan: 20000,
  staffProvided: 2,
  ...fields,
});
