import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

/** Site occupancy follows check-ins and check-outs through the answer link, in the same batch. */
let w: World;
let site: { id: string; version: number };
let tokens: string[];

const answer = (token: string, body: unknown) =>
  w.ctx.app.request(`/a/${token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const occupancy = async () => (await w.ctx.call(w.county, "GET", `/v1/sites/${site.id}`)).body.occupancy as number;

beforeAll(async () => {
  w = await createWorld();
  const v = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang)];
  await newTeam(w, w.fukang, "emergency", v);
  site = (
    await w.ctx.call(w.county, "POST", "/v1/sites", {
      name: "富康社区集结点",
      kind: "muster_point",
      divisionId: w.fukang.id,
      address: "富康路 1 号",
      capacity: 2,
    })
  ).body;
  const declared = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
  expect(declared.status).toBe(201);
  const pages = await w.ctx.call(w.street, "GET", `/v1/incidents/${declared.body.incident.id}/notifications`);
  tokens = pages.body.data.map((p: { message: string }) => tokenOf(p.message));
});
afterAll(() => w.ctx.close());

describe("site occupancy", () => {
  it("rises with each check-in up to the capacity, then refuses with 409 and changes nothing", async () => {
    expect((await answer(tokens[0]!, { action: "check_in", siteId: site.id })).status).toBe(200);
    expect(await occupancy()).toBe(1);
    expect((await answer(tokens[1]!, { action: "check_in", siteId: site.id })).status).toBe(200);
    expect(await occupancy()).toBe(2);
    const full = await answer(tokens[2]!, { action: "check_in", siteId: site.id });
    expect(full.status).toBe(409);
    expect(((await full.json()) as { detail: string }).detail).toContain("满员");
    expect(await occupancy()).toBe(2);
    // The refused volunteer's page is unchanged: not checked in.
    const page = await w.ctx.app.request(`/a/${tokens[2]}`);
    expect(await page.text()).toContain("已满");
  });

  it("falls with each check-out, never below zero", async () => {
    expect((await answer(tokens[0]!, { action: "check_out" })).status).toBe(200);
    expect(await occupancy()).toBe(1);
    expect((await answer(tokens[2]!, { action: "check_in", siteId: site.id })).status).toBe(200);
    expect(await occupancy()).toBe(2);
    // An admin sets the occupancy by hand to 0 (people left); check-outs then keep it at 0.
    const read = await w.ctx.call(w.county, "GET", `/v1/sites/${site.id}`);
    const patched = await w.ctx.call(
      w.county,
      "PATCH",
      `/v1/sites/${site.id}`,
      { occupancy: 0 },
      { "if-match": read.headers.get("etag")! },
    );
    expect(patched.status).toBe(200);
    expect((await answer(tokens[1]!, { action: "check_out" })).status).toBe(200);
    expect((await answer(tokens[2]!, { action: "check_out" })).status).toBe(200);
    expect(await occupancy()).toBe(0);
  });
});
