import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

/** Drill results in /v1/stats: acknowledgement rate and time to quorum, never mixed with real incidents unless asked. */
let w: World;
let team: { id: string };

const answer = (message: string, available: boolean) =>
  w.ctx.app.request(`/a/${tokenOf(message)}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: "answer", answer: available ? "available" : "unavailable" }),
  });
const pagesOf = async (id: string) =>
  (await w.ctx.call(w.county, "GET", `/v1/incidents/${id}/notifications`)).body.data as { message: string }[];

beforeAll(async () => {
  w = await createWorld();
  const v = [];
  for (let i = 0; i < 4; i++) v.push(await newVolunteer(w, w.fukang));
  team = await newTeam(w, w.fukang, "emergency", v, { quorum: 2 });

  // A drill: three of four answer, two available, the second one 5 minutes in (quorum at 300 s).
  const drill = (await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { drill: true }))).body.incident;
  const drillPages = await pagesOf(drill.id);
  w.clock.advanceMinutes(2);
  await answer(drillPages[0]!.message, true);
  await answer(drillPages[1]!.message, false);
  w.clock.advanceMinutes(3);
  await answer(drillPages[2]!.message, true);

  // A real incident: one answer only, quorum never reached.
  const real = (await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { drill: false }))).body.incident;
  await answer((await pagesOf(real.id))[0]!.message, true);
});
afterAll(() => w.ctx.close());

describe("drill results in /v1/stats", () => {
  it("counts real incidents by default, drills only when asked, both with drill=all", async () => {
    const real = (await w.ctx.call(w.county, "GET", "/v1/stats")).body;
    expect(real.drill).toBe("false");
    expect(real.data[0].emergency).toEqual({
      incidents: 1,
      activations: 1,
      rostered: 4,
      acknowledged: 1,
      ackRate: 0.25,
      quorumReached: 0,
      avgSecondsToQuorum: null,
    });
    const drills = (await w.ctx.call(w.county, "GET", "/v1/stats?drill=true")).body;
    expect(drills.data[0].emergency).toEqual({
      incidents: 1,
      activations: 1,
      rostered: 4,
      acknowledged: 3,
      ackRate: 0.75,
      quorumReached: 1,
      avgSecondsToQuorum: 300,
    });
    const all = (await w.ctx.call(w.county, "GET", "/v1/stats?drill=all")).body;
    expect(all.data[0].emergency).toMatchObject({ incidents: 2, activations: 2, acknowledged: 4, quorumReached: 1 });
    // Another county sees none of it.
    const other = (await w.ctx.call(w.otherCounty, "GET", "/v1/stats?drill=true")).body;
    expect(other.data[0].emergency).toMatchObject({ incidents: 0, ackRate: null });
  });

  it("gives per-team drill results, paged", async () => {
    const res = await w.ctx.call(w.street, "GET", "/v1/stats/teams?drill=true&limit=10");
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      expect.objectContaining({ teamId: team.id, mode: "emergency", ackRate: 0.75, avgSecondsToQuorum: 300 }),
    ]);
    expect(res.body.nextCursor).toBeNull();
    const city = await w.ctx.call({ tenant: "620900", roles: ["city_admin"] }, "GET", "/v1/stats/teams?drill=false");
    expect(city.body.data.find((t: { teamId: string }) => t.teamId === team.id)).toMatchObject({ quorumReached: 0 });
  });
});
