import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorld, declareBody, newTeam, newVolunteer, type World } from "./setup.js";

/** Tasks of an incident: to an activated team or a paged volunteer, with their lifecycle and who may assign. */
let w: World;
let team: { id: string };
let idle: { id: string };
let v: { id: string }[];
let incident: { id: string };

beforeAll(async () => {
  w = await createWorld();
  v = [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang), await newVolunteer(w, w.dongyuan)];
  team = await newTeam(w, w.fukang, "emergency", [v[0]!, v[1]!]);
  idle = await newTeam(w, w.dongyuan, "emergency", [v[2]!]); // another street: not activated
  const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
  expect(res.status).toBe(201);
  incident = res.body.incident;
});
afterAll(() => w.ctx.close());

const base = () => `/v1/incidents/${incident.id}/tasks`;

describe("tasks", () => {
  it("are assigned to an activated team or a paged volunteer, never to others", async () => {
    const toTeam = await w.ctx.call(w.street, "POST", base(), { title: "转运物资", teamId: team.id });
    expect(toTeam.status, JSON.stringify(toTeam.body)).toBe(201);
    expect(toTeam.body).toMatchObject({ status: "assigned", teamId: team.id, volunteerId: null });
    expect(toTeam.headers.get("location")).toBe(`/v1/tasks/${toTeam.body.id}`);
    const toPerson = await w.ctx.call(w.street, "POST", base(), { title: "引导群众", volunteerId: v[1]!.id });
    expect(toPerson.status).toBe(201);

    const notActivated = await w.ctx.call(w.street, "POST", base(), { title: "x", teamId: idle.id });
    expect(notActivated.status).toBe(400);
    expect(notActivated.body.errors[0].pointer).toBe("/teamId");
    const notPaged = await w.ctx.call(w.street, "POST", base(), { title: "x", volunteerId: v[2]!.id });
    expect(notPaged.body.errors[0].pointer).toBe("/volunteerId");
    const both = await w.ctx.call(w.street, "POST", base(), { title: "x", teamId: team.id, volunteerId: v[0]!.id });
    expect(both.status).toBe(400);
    const neither = await w.ctx.call(w.street, "POST", base(), { title: "x" });
    expect(neither.status).toBe(400);
  });

  it("move assigned → accepted → done, or cancelled; illegal moves are 409", async () => {
    const task = (await w.ctx.call(w.street, "POST", base(), { title: "搭建帐篷", teamId: team.id })).body;
    expect((await w.ctx.call(w.street, "POST", `/v1/tasks/${task.id}/complete`)).status).toBe(409);
    const accepted = await w.ctx.call(w.street, "POST", `/v1/tasks/${task.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.acceptedAt).not.toBeNull();
    const done = await w.ctx.call(w.street, "POST", `/v1/tasks/${task.id}/complete`);
    expect(done.body).toMatchObject({ status: "done" });
    const cancel = await w.ctx.call(w.street, "POST", `/v1/tasks/${task.id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.code).toBe("invalid_transition");

    const other = (await w.ctx.call(w.street, "POST", base(), { title: "清点物资", volunteerId: v[0]!.id })).body;
    expect((await w.ctx.call(w.county, "POST", `/v1/tasks/${other.id}/cancel`)).body.status).toBe("cancelled");
  });

  it("list with keyset pagination and filters", async () => {
    const first = await w.ctx.call(w.street, "GET", `${base()}?limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toBeTruthy();
    const rest = await w.ctx.call(w.street, "GET", `${base()}?limit=2&cursor=${first.body.nextCursor}`);
    const all = [...first.body.data, ...rest.body.data];
    expect(all).toHaveLength(4);
    expect(new Set(all.map((t: { id: string }) => t.id)).size).toBe(4);
    const byTeam = await w.ctx.call(w.street, "GET", `${base()}?teamId=${team.id}&status=done`);
    expect(byTeam.body.data).toHaveLength(1);
  });

  it("are assigned per the role table and within reach", async () => {
    const auditor = { tenant: "620902", roles: ["auditor" as const], sub: "auditor" };
    expect((await w.ctx.call(auditor, "POST", base(), { title: "x", teamId: team.id })).status).toBe(403);
    expect((await w.ctx.call(auditor, "GET", base())).status).toBe(200);
    const otherStreet = await w.ctx.call(
      { tenant: "620902", roles: ["street_admin"], org: (await divisionOf("东南街街道")).id, sub: "dongnan" },
      "POST",
      base(),
      { title: "x", teamId: team.id },
    );
    expect(otherStreet.status).toBe(404);
    expect((await w.ctx.call(w.otherCounty, "GET", base())).status).toBe(404);
  });

  it("are refused once the incident stands down", async () => {
    expect((await w.ctx.call(w.street, "POST", `/v1/incidents/${incident.id}/stand-down`)).status).toBe(200);
    const late = await w.ctx.call(w.street, "POST", base(), { title: "x", teamId: team.id });
    expect(late.status).toBe(409);
  });
});

async function divisionOf(name: string) {
  const { divisionNamed } = await import("../helpers/fixtures.js");
  return divisionNamed(w.ctx, "620902", name);
}
