import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

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

  it("are seen by their volunteer on the answer page, and accepted and marked done through the link", async () => {
    const pages = (await w.ctx.call(w.street, "GET", `/v1/incidents/${incident.id}/notifications`)).body.data as {
      volunteerId: string;
      message: string;
    }[];
    const linkOf = (volunteer: { id: string }) =>
      `/a/${tokenOf(pages.find((p) => p.volunteerId === volunteer.id)!.message)}`;
    const toTeam = (
      await w.ctx.call(w.street, "POST", base(), { title: "巡查积水点", detail: "富康路沿线", teamId: team.id })
    ).body;
    const toV0 = (await w.ctx.call(w.street, "POST", base(), { title: "看守物资", volunteerId: v[0]!.id })).body;
    const move = (volunteer: { id: string }, taskId: string, action: string) =>
      w.ctx.app.request(`${linkOf(volunteer)}/tasks/${taskId}/${action}`, { method: "POST" });

    // v1's page shows the team's task (and the one assigned to v1 earlier), not v0's own; no personal data.
    const html1 = await (await w.ctx.app.request(linkOf(v[1]!))).text();
    expect(html1).toContain("巡查积水点");
    expect(html1).toContain("富康路沿线");
    expect(html1).toContain("引导群众");
    expect(html1).not.toContain("看守物资");
    for (const volunteer of v) expect(html1).not.toContain(volunteer.id);
    expect(html1).not.toMatch(/1[3-9]\d{9}/);
    expect(await (await w.ctx.app.request(linkOf(v[0]!))).text()).toContain("看守物资");

    // v1 cannot move v0's task (the same 404 as an unknown one); a forged token moves nothing.
    expect((await move(v[1]!, toV0.id, "accept")).status).toBe(404);
    expect((await w.ctx.app.request(`/a/AAAAAAAAAAAA/tasks/${toV0.id}/accept`, { method: "POST" })).status).toBe(404);
    // Done before accepted is a 409; accept, then done.
    expect((await move(v[1]!, toTeam.id, "complete")).status).toBe(409);
    const accepted = await move(v[1]!, toTeam.id, "accept");
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({
      id: toTeam.id,
      title: "巡查积水点",
      detail: "富康路沿线",
      status: "accepted",
    });
    expect((await move(v[1]!, toTeam.id, "accept")).status).toBe(409);
    const done = await move(v[0]!, toTeam.id, "complete"); // a teammate marks it done
    expect(done.status).toBe(200);
    expect((await w.ctx.call(w.street, "GET", `/v1/tasks/${toTeam.id}`)).body).toMatchObject({ status: "done" });

    // Audited as the volunteer acting through the link, with the task events; admins still move tasks.
    const trail = await w.ctx.call(w.county, "GET", `/v1/audit-events?targetId=${toTeam.id}`);
    const byAction = Object.fromEntries(
      (trail.body.data as { action: string; actor: string }[]).map((e) => [e.action, e.actor]),
    );
    expect(byAction["task.accept"]).toBe(`ack_link:620902:volunteer:${v[1]!.id}`);
    expect(byAction["task.complete"]).toBe(`ack_link:620902:volunteer:${v[0]!.id}`);
    expect((await w.ctx.call(w.street, "POST", `/v1/tasks/${toV0.id}/accept`)).status).toBe(200);
  });

  it("share the link's rate limit", async () => {
    const pages = (await w.ctx.call(w.street, "GET", `/v1/incidents/${incident.id}/notifications`)).body.data as {
      volunteerId: string;
      message: string;
    }[];
    const link = `/a/${tokenOf(pages.find((p) => p.volunteerId === v[1]!.id)!.message)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push(
        (await w.ctx.app.request(`${link}/tasks/task_01KDVDNA011AKWK3RC504FTYF8/accept`, { method: "POST" })).status,
      );
    expect(statuses).toContain(429);
    expect((await w.ctx.app.request(link)).status).toBe(429);
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
