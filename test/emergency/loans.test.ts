import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents } from "../../src/db/tables.js";
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
let site: { id: string };

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
  site = (
    await w.ctx.call(w.county, "POST", "/v1/sites", {
      name: "富康社区党群服务中心",
      kind: "resettlement",
      divisionId: w.fukang.id,
      address: "富康路 12 号",
      capacity: 2,
    })
  ).body;
});
afterAll(() => w.ctx.close());

const ask = (teamId: string, incidentId = incident.id) =>
  w.ctx.call(w.county, "POST", "/v1/team-loans", { incidentId, teamId, note: "支援" });
/** The actions a county's trail records about a target. */
const trail = async (who: TokenOptions, targetId: string) =>
  ((await w.ctx.call(who, "GET", `/v1/audit-events?targetId=${targetId}`)).body.data as { action: string }[]).map(
    (e) => e.action,
  );
const eventsOf = (tenantId: string, subjectId: string) =>
  w.ctx.db
    .select({ type: outboxEvents.type })
    .from(outboxEvents)
    .where(and(eq(outboxEvents.tenantId, tenantId), eq(outboxEvents.subjectId, subjectId)))
    .then((rows) => rows.map((r) => r.type).sort());
let lenderIncident: string;
let lentToken: string;

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
    lenderIncident = accepted.body.lenderIncidentId;
    // Audited in both trails; the lender's also records the incident the loan created in its tenant.
    expect(await trail(w.county, id)).toEqual(expect.arrayContaining(["team_loan.request", "team_loan.accept"]));
    expect(await trail(yumen, id)).toEqual(expect.arrayContaining(["team_loan.request", "team_loan.accept"]));
    expect(await trail(yumen, lenderIncident)).toEqual(["incident.declare"]);
    expect(await eventsOf("620902", id)).toEqual(["team_loan.accepted", "team_loan.requested"]);
    expect(await eventsOf("620981", id)).toEqual(["team_loan.accepted", "team_loan.requested"]);
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
    lentToken = tokenOf(message);
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
    // Each move is in both counties' trails, and both outboxes.
    for (const who of [w.county, yumen]) {
      expect(await trail(who, a)).toEqual(expect.arrayContaining(["team_loan.request", "team_loan.decline"]));
      expect(await trail(who, b)).toEqual(expect.arrayContaining(["team_loan.request", "team_loan.cancel"]));
    }
    expect(await eventsOf("620981", a)).toEqual(["team_loan.declined", "team_loan.requested"]);
    expect(await eventsOf("620981", b)).toEqual(["team_loan.cancelled", "team_loan.requested"]);
  });

  it("lets a lent volunteer check in at the borrower's sites through the link, the borrower seeing counts only", async () => {
    const link = `/a/${lentToken}`;
    const html = await (await w.ctx.app.request(link)).text();
    expect(html).toContain("富康社区党群服务中心");
    expect(html).toContain(site.id);
    const post = (body: unknown) =>
      w.ctx.app.request(link, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const checkedIn = await post({ action: "check_in", siteId: site.id });
    expect(checkedIn.status, await checkedIn.clone().text()).toBe(200);
    expect(((await checkedIn.json()) as { siteId: string }).siteId).toBe(site.id);
    // The borrower's site counts the place; its lent-team counts move; the volunteer stays the lender's.
    expect((await w.ctx.call(w.county, "GET", `/v1/sites/${site.id}`)).body.occupancy).toBe(1);
    const counts = await w.ctx.call(w.county, "GET", `/v1/incidents/${incident.id}/lent-teams`);
    expect(counts.body.data[0]).toMatchObject({ checkedIn: 1 });
    for (const v of yumenVolunteers) expect(JSON.stringify(counts.body)).not.toContain(v.id);
    // The check-in is in the lender's trail (the volunteer's county), not the borrower's.
    expect(await trail(yumen, lenderIncident)).toContain("incident.volunteer_check_in");
    expect(await trail(w.county, lenderIncident)).toEqual([]);
    // A site of a county that lent nothing is no choice: the lender's own sites are not the borrower's area.
    const yumenSite = await w.ctx.call(yumen, "POST", "/v1/sites", {
      name: "玉门市应急避难场所",
      kind: "muster_point",
      divisionId: yumenRoot.id,
      address: "玉门市",
      capacity: 10,
    });
    expect(yumenSite.status, JSON.stringify(yumenSite.body)).toBe(201);
    const other = await w.ctx.app.request(`/a/${lentToken}`);
    expect(await other.text()).not.toContain(yumenSite.body.id);
    // Check-out gives the borrower's place back.
    expect((await post({ action: "check_out" })).status).toBe(200);
    expect((await w.ctx.call(w.county, "GET", `/v1/sites/${site.id}`)).body.occupancy).toBe(0);
  });

  it("follows the borrower's incident: standing down and closing move the lender's incident; waiting requests are withdrawn", async () => {
    const waiting = (await ask(other.id)).body.id;
    expect((await w.ctx.call(w.county, "POST", `/v1/incidents/${incident.id}/stand-down`)).status).toBe(200);
    const mirror = () => w.ctx.call(yumen, "GET", `/v1/incidents/${lenderIncident}`);
    expect((await mirror()).body.status).toBe("standing_down");
    // A request still waiting cannot be accepted any more: withdrawn in the same commit, in both trails.
    expect((await w.ctx.call(yumen, "GET", `/v1/team-loans/${waiting}`)).body.status).toBe("cancelled");
    for (const who of [w.county, yumen]) expect(await trail(who, waiting)).toContain("team_loan.cancel");
    expect(await eventsOf("620981", waiting)).toEqual(["team_loan.cancelled", "team_loan.requested"]);
    // Standing down keeps the lent volunteers' links (check-out); closing expires them and posts hours with the lender.
    expect((await w.ctx.app.request(`/a/${lentToken}`)).status).toBe(200);
    const closed = await w.ctx.call(w.county, "POST", `/v1/incidents/${incident.id}/close`, {
      servedBySite: [{ siteId: site.id, people: 12 }],
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect((await mirror()).body.status).toBe("closed");
    expect((await w.ctx.app.request(`/a/${lentToken}`)).status).toBe(404);
    expect(await trail(yumen, lenderIncident)).toEqual(
      expect.arrayContaining(["incident.declare", "incident.stand_down", "incident.close"]),
    );
    expect(await eventsOf("620981", lenderIncident)).toEqual(
      expect.arrayContaining(["incident.declared", "incident.stood_down", "incident.closed"]),
    );
    const hours = await w.ctx.call(yumen, "GET", `/v1/ledger-entries?volunteerId=${yumenVolunteers[0]!.id}`);
    const lentHours = await w.ctx.call(yumen, "GET", `/v1/ledger-entries?volunteerId=${yumenVolunteers[1]!.id}`);
    expect([...hours.body.data, ...lentHours.body.data]).toHaveLength(1); // the one who checked in, in the lender's ledger
    // The borrower still cannot read the lender's incident.
    expect((await w.ctx.call(w.county, "GET", `/v1/incidents/${lenderIncident}`)).status).toBe(404);
  });

  it("a cancelled borrower's incident cancels the lender's", async () => {
    const next = (await w.ctx.call(w.county, "POST", "/v1/incidents", declareBody(w))).body.incident;
    const loan = (await ask(lent.id, next.id)).body.id;
    const accepted = await w.ctx.call(yumen, "POST", `/v1/team-loans/${loan}/accept`);
    expect(accepted.status).toBe(200);
    expect((await w.ctx.call(w.county, "POST", `/v1/incidents/${next.id}/cancel`)).status).toBe(200);
    const mirror = await w.ctx.call(yumen, "GET", `/v1/incidents/${accepted.body.lenderIncidentId}`);
    expect(mirror.body.status).toBe("cancelled");
    expect(await trail(yumen, accepted.body.lenderIncidentId)).toContain("incident.cancel");
  });
});
