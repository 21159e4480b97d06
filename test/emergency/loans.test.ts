import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

/** Loans between counties: Suzhou (620902) borrows a Yumen (620981) mobile team for its incident. */
let w: World;
let yumen: TokenOptions;
let yumenRoot: DivisionRef;
let lent: { id: string };
let other: { id: string };
let yumenVolunteers: { id: string; name: string }[];
let incident: { id: string };

beforeAll(async () => {
  w = await createWorld();
  yumen = w.otherCounty;
  yumenRoot = await divisionNamed(w.ctx, "620981", "玉门市");
  const beiping = await divisionNamed(w.ctx, "620981", "北坪社区");
  yumenVolunteers = [];
  for (const i of [0, 1]) {
    const res = await w.ctx.call(yumen, "POST", "/v1/volunteers", {
      name: `玉门志愿者${i}`,
      phone: `1370000000${i}`,
      source: "professional_team",
      homeDivisionId: beiping.id,
    });
    expect(res.status).toBe(201);
    yumenVolunteers.push(res.body);
  }
  const team = async (name: string) => {
    const res = await w.ctx.call(yumen, "POST", "/v1/teams", {
      name,
      mode: "mobile",
      divisionId: yumenRoot.id,
      quorum: 1,
      responseDeadlineMinutes: 30,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  lent = await team("玉门市应急机动队");
  other = await team("玉门市第二机动队");
  for (const v of yumenVolunteers)
    await w.ctx.call(yumen, "POST", `/v1/teams/${lent.id}/members`, { volunteerId: v.id });
  await newTeam(w, w.fukang, "emergency", [await newVolunteer(w, w.fukang)]);
  incident = (await w.ctx.call(w.county, "POST", "/v1/incidents", declareBody(w))).body.incident;
});
afterAll(() => w.ctx.close());

const ask = (teamId: string) =>
  w.ctx.call(w.county, "POST", "/v1/team-loans", { incidentId: incident.id, teamId, note: "支援" });

describe("loans between counties", () => {
  it("a county cannot activate in another county except through a loan", async () => {
    const declared = await w.ctx.call(
      w.county,
      "POST",
      "/v1/incidents",
      declareBody(w, { affectedDivisionIds: [yumenRoot.id] }),
    );
    expect(declared.status).toBe(400);
    const theirs = await w.ctx.call(
      yumen,
      "POST",
      "/v1/incidents",
      declareBody(w, { affectedDivisionIds: [yumenRoot.id], activate: false }),
    );
    expect(theirs.status).toBe(201);
    expect((await w.ctx.call(w.county, "POST", `/v1/incidents/${theirs.body.incident.id}/activate`)).status).toBe(404);
    // Only mobile teams of another county can be asked for; own teams and unknown ids are a 400.
    const own = (await w.ctx.call(w.county, "GET", "/v1/teams")).body.data[0].id;
    expect((await ask(own)).status).toBe(400);
  });

  it("is asked for, then accepted by the lender only: the lent team is paged for the borrower's incident", async () => {
    const asked = await ask(lent.id);
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body).toMatchObject({ status: "requested", lenderTenant: "620981", tenant: "620902" });
    const id = asked.body.id;
    // Both counties see it; a third does not.
    expect((await w.ctx.call(yumen, "GET", `/v1/team-loans/${id}`)).status).toBe(200);
    expect((await w.ctx.call(yumen, "GET", "/v1/team-loans?side=lender")).body.data).toHaveLength(1);
    expect(
      (await w.ctx.call({ tenant: "620921", roles: ["county_admin"] }, "GET", `/v1/team-loans/${id}`)).status,
    ).toBe(404);
    // The borrower cannot accept its own request.
    expect((await w.ctx.call(w.county, "POST", `/v1/team-loans/${id}/accept`)).status).toBe(403);
    // Nothing paged yet.
    expect((await w.ctx.call(w.county, "GET", `/v1/incidents/${incident.id}/lent-teams`)).body.data).toEqual([]);

    const accepted = await w.ctx.call(yumen, "POST", `/v1/team-loans/${id}/accept`);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.status).toBe("accepted");
    const lenderIncident = accepted.body.lenderIncidentId;
    expect((await w.ctx.call(yumen, "POST", `/v1/team-loans/${id}/decline`)).status).toBe(409);
    await w.ctx.settle();

    // The lender sees its volunteers' pages in its own incident; the borrower only counts.
    const lenderPages = await w.ctx.call(yumen, "GET", `/v1/incidents/${lenderIncident}/notifications`);
    expect(lenderPages.body.data).toHaveLength(2);
    expect((await w.ctx.call(yumen, "GET", `/v1/incidents/${lenderIncident}`)).body.loanId).toBe(id);
    expect((await w.ctx.call(w.county, "GET", `/v1/incidents/${lenderIncident}`)).status).toBe(404);
    const borrowerPages = await w.ctx.call(w.county, "GET", `/v1/incidents/${incident.id}/notifications`);
    const borrowerIds = borrowerPages.body.data.map((n: { volunteerId: string }) => n.volunteerId);
    for (const v of yumenVolunteers) {
      expect(borrowerIds).not.toContain(v.id);
      expect((await w.ctx.call(w.county, "GET", `/v1/volunteers/${v.id}`)).status).toBe(404);
    }

    // A lent volunteer answers through the link: the borrower's counts move.
    const message = lenderPages.body.data[0].message as string;
    expect(message).toContain("富康社区暴雨内涝演练");
    const ok = await w.ctx.app.request(`/a/${tokenOf(message)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "answer", answer: "available", etaMinutes: 90 }),
    });
    expect(ok.status).toBe(200);
    const counts = await w.ctx.call(w.county, "GET", `/v1/incidents/${incident.id}/lent-teams`);
    expect(counts.body.data).toEqual([
      expect.objectContaining({ teamId: lent.id, lenderTenant: "620981", paged: 2, available: 1, noAnswer: 1 }),
    ]);
    const body = JSON.stringify(counts.body);
    for (const v of yumenVolunteers) {
      expect(body).not.toContain(v.id);
      expect(body).not.toContain(v.name);
    }
  });

  it("is declined or withdrawn, each side only its own move, illegal moves 409", async () => {
    const a = (await ask(other.id)).body.id;
    expect((await w.ctx.call(w.county, "POST", `/v1/team-loans/${a}/decline`)).status).toBe(403);
    expect((await w.ctx.call(yumen, "POST", `/v1/team-loans/${a}/decline`)).body.status).toBe("declined");
    expect((await w.ctx.call(yumen, "POST", `/v1/team-loans/${a}/accept`)).status).toBe(409);
    const b = (await ask(other.id)).body.id;
    expect((await w.ctx.call(yumen, "POST", `/v1/team-loans/${b}/cancel`)).status).toBe(403);
    expect((await w.ctx.call(w.county, "POST", `/v1/team-loans/${b}/cancel`)).body.status).toBe("cancelled");
    // Street admins neither ask nor decide (teams:lend is the county's).
    expect(
      (await w.ctx.call(w.street, "POST", "/v1/team-loans", { incidentId: incident.id, teamId: other.id })).status,
    ).toBe(403);
    const trail = await w.ctx.call(yumen, "GET", `/v1/audit-events?targetId=${a}`);
    expect(trail.body.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["team_loan.request"]),
    );
  });
});
