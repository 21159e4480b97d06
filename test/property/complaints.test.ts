import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { escalateOverdueComplaints, eraseExpiredReporters } from "../../src/domains/property/escalation.js";
import { complaints } from "../../src/domains/property/tables.js";
import { isCatalogued } from "../../src/domains/webhooks/catalogue.js";
import { distanceMetres, wgs84ToGcj02 } from "../../src/shared/geo.js";
import { anonymous, propertyWorld, type PropertyWorld } from "./setup.js";

let w: PropertyWorld;
beforeAll(async () => {
  w = await propertyWorld();
});
afterAll(() => w.ctx.close());

const filing = (over: Record<string, unknown> = {}) => ({
  compoundId: w.compound.id,
  category: "flying_wire_charging",
  description: "3号楼楼道有人从窗户拉电线给电动车充电。",
  reporter: { name: "王秀兰", phone: "13812345678" },
  ...over,
});

async function fileAsResident(over: Record<string, unknown> = {}) {
  const res = await anonymous(w.ctx, "POST", "/v1/public/complaints", filing(over));
  expect(res.status).toBe(201);
  return { id: res.body.complaint.id as string, token: res.body.followUp.token as string, body: res.body };
}

const act = (who = w.fukangAdmin, id: string, action: string, body?: unknown) =>
  w.ctx.call(who, "POST", `/v1/complaints/${id}/${action}`, body);

async function eventsOf(id: string) {
  const rows = await w.ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, id));
  return rows.map((r) => r.type);
}

describe("compounds and owners' committees", () => {
  it("links a compound to a property company, which sees only its own compounds", async () => {
    const mine = await w.ctx.call(w.company.token, "GET", "/v1/compounds");
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((c: { id: string }) => c.id)).toEqual([w.compound.id]);
    expect((await w.ctx.call(w.company.token, "GET", `/v1/compounds/${w.beiyuanCompound.id}`)).status).toBe(404);
    expect((await w.ctx.call(w.otherCounty, "GET", `/v1/compounds/${w.compound.id}`)).status).toBe(404);
    expect((await w.ctx.call(w.beiyuanAdmin, "GET", `/v1/compounds/${w.compound.id}`)).status).toBe(404);
  });

  it("refuses a unit that is not a property company, and a company cannot write compounds", async () => {
    const organ = await w.ctx.call(w.county, "POST", "/v1/units", {
      name: "某局",
      kind: "organ",
      divisionId: w.fukang.id,
    });
    const res = await w.ctx.call(w.county, "POST", "/v1/compounds", {
      communityId: w.fukang.id,
      name: "x",
      address: "y",
      households: 1,
      propertyUnitId: organ.body.id,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe("/propertyUnitId");
    const write = await w.ctx.call(w.company.token, "POST", "/v1/compounds", {
      communityId: w.fukang.id,
      name: "x",
      address: "y",
      households: 1,
    });
    expect(write.status).toBe(403);
  });

  it("registers an owners' committee of a compound", async () => {
    const res = await w.ctx.call(w.fukangAdmin, "POST", "/v1/owners-committees", {
      compoundId: w.compound.id,
      name: "富康家园第二届业主委员会",
      termEndsOn: "2028-06-30",
    });
    expect(res.status).toBe(201);
    const list = await w.ctx.call(w.company.token, "GET", `/v1/owners-committees?compoundId=${w.compound.id}`);
    expect(list.body.data).toHaveLength(1);
  });
});

describe("a resident's complaint through the follow-up link", () => {
  it("files without an account: a 12-character token, masked contact, sealed at rest, audited as the link", async () => {
    const { id, token, body } = await fileAsResident();
    expect(token).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(body.complaint.status).toBe("reported");
    expect(body.followUp.path).toBe(`/v1/public/complaints/${token}`);
    const [row] = await w.ctx.db.select().from(complaints).where(eq(complaints.id, id));
    expect(row!.reporterCipher).not.toContain("13812345678");
    expect(JSON.parse(await w.ctx.pii.open(row!.reporterCipher!))).toEqual({ name: "王秀兰", phone: "13812345678" });
    expect(row!.tokenHash).not.toContain(token);
    const staff = await w.ctx.call(w.fukangAdmin, "GET", `/v1/complaints/${id}`);
    expect(staff.body.reporter).toEqual({ name: "王**", phone: "138****5678", email: null });
    const [audit] = await w.ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, id));
    expect(audit!.actor).toBe("link:620902:complaint:new");
    expect(audit!.actorKind).toBe("link");
    expect(await eventsOf(id)).toEqual(["complaint.reported"]);
  });

  it("follows by token; a wrong token is a 404 and the view never shows the reporter", async () => {
    const { token } = await fileAsResident();
    const view = await anonymous(w.ctx, "GET", `/v1/public/complaints/${token}`);
    expect(view.status).toBe(200);
    expect(view.body.compoundName).toBe("富康家园");
    expect(JSON.stringify(view.body)).not.toContain("138");
    expect((await anonymous(w.ctx, "GET", "/v1/public/complaints/AAAAAAAAAAAA")).status).toBe(404);
    expect((await anonymous(w.ctx, "GET", "/v1/public/complaints/short")).status).toBe(400);
  });

  it("stores a place given in GCJ-02 (a Chinese map SDK's) as WGS-84", async () => {
    const wgs = { lat: 39.7326, long: 98.4943 };
    const gcj = wgs84ToGcj02(wgs);
    const { id } = await fileAsResident({ location: { ...gcj, datum: "gcj02" } });
    const staff = await w.ctx.call(w.fukangAdmin, "GET", `/v1/complaints/${id}`);
    expect(distanceMetres(wgs, { lat: staff.body.lat, long: staff.body.long })).toBeLessThan(0.01);
  });

  it("adds information the staff see", async () => {
    const { id, token } = await fileAsResident();
    const res = await anonymous(w.ctx, "POST", `/v1/public/complaints/${token}/information`, { text: "在 2 单元。" });
    expect(res.status).toBe(200);
    expect(res.body.notes).toEqual([expect.objectContaining({ author: "reporter", text: "在 2 单元。" })]);
    const staff = await w.ctx.call(w.fukangAdmin, "GET", `/v1/complaints/${id}`);
    expect(staff.body.notes).toHaveLength(1);
  });

  it("answers 503 to a photo when the server has no photo storage", async () => {
    const { token } = await fileAsResident();
    const res = await w.ctx.app.request(`/v1/public/complaints/${token}/photos`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    });
    expect(res.status).toBe(503);
  });

  it("refuses a compound that does not exist", async () => {
    const res = await anonymous(
      w.ctx,
      "POST",
      "/v1/public/complaints",
      filing({ compoundId: "cpd_01KDVDNA011AKWK3RC504FTYF8" }),
    );
    expect(res.status).toBe(400);
  });
});

describe("the lifecycle", () => {
  it("reported → accepted → assigned → processing → resolved → verified → closed, then rated", async () => {
    const { id, token } = await fileAsResident({ category: "parking" });
    expect((await act(w.fukangAdmin, id, "accept")).status).toBe(200);
    const assigned = await act(w.fukangAdmin, id, "assign", { assigneeType: "property_company" });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({
      status: "assigned",
      assigneeId: w.company.id,
      assigneeName: "酒泉市安居物业服务有限公司",
    });
    // Another company neither sees nor moves it.
    expect((await act(w.otherCompany.token, id, "start")).status).toBe(404);
    expect((await act(w.company.token, id, "start")).status).toBe(200);
    // A company cannot verify its own work.
    expect((await act(w.company.token, id, "resolve", { resolution: "已清理" })).status).toBe(200);
    expect((await act(w.company.token, id, "verify")).status).toBe(403);
    expect((await act(w.fukangAdmin, id, "verify")).status).toBe(200);
    const closed = await act(w.fukangAdmin, id, "close");
    expect(closed.body).toMatchObject({ status: "closed", closure: "resolved", onTime: true });
    const rated = await anonymous(w.ctx, "POST", `/v1/public/complaints/${token}/rating`, { rating: 4 });
    expect(rated.status).toBe(200);
    expect(rated.body.rating).toBe(4);
    expect((await anonymous(w.ctx, "POST", `/v1/public/complaints/${token}/rating`, { rating: 5 })).status).toBe(409);
    expect(await eventsOf(id)).toEqual([
      "complaint.reported",
      "complaint.accepted",
      "complaint.assigned",
      "complaint.started",
      "complaint.resolved",
      "complaint.verified",
      "complaint.closed",
      "complaint.rated",
    ]);
  });

  it("answers 409 invalid_transition naming the state", async () => {
    const { id } = await fileAsResident();
    const res = await act(w.fukangAdmin, id, "verify");
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "invalid_transition", currentState: "reported" });
  });

  it("assigns to the owners' committee or a department, and a company only what is assigned to it", async () => {
    const { id } = await fileAsResident({ category: "pets" });
    await act(w.fukangAdmin, id, "accept");
    const committees = await w.ctx.call(w.fukangAdmin, "GET", `/v1/owners-committees?compoundId=${w.compound.id}`);
    const toCommittee = await act(w.fukangAdmin, id, "assign", {
      assigneeType: "owners_committee",
      assigneeId: committees.body.data[0].id,
    });
    expect(toCommittee.body.assigneeType).toBe("owners_committee");
    expect((await act(w.company.token, id, "start")).status).toBe(403);
    const toDept = await act(w.fukangAdmin, id, "assign", {
      assigneeType: "department",
      departmentName: "市住建局物业科",
    });
    expect(toDept.body).toMatchObject({ assigneeType: "department", assigneeId: null, assigneeName: "市住建局物业科" });
    expect((await act(w.fukangAdmin, id, "assign", { assigneeType: "department" })).status).toBe(400);
  });

  it("closes as a duplicate (linked) or as not responsible (with the body referred to); neither can be reopened", async () => {
    const first = await fileAsResident();
    const second = await fileAsResident();
    const dup = await act(w.fukangAdmin, second.id, "close-duplicate", { duplicateOfId: first.id });
    expect(dup.body).toMatchObject({
      status: "closed",
      closure: "duplicate",
      duplicateOfId: first.id,
      reopenableUntil: null,
    });
    expect((await act(w.fukangAdmin, first.id, "close-duplicate", { duplicateOfId: first.id })).status).toBe(400);
    const nr = await act(w.fukangAdmin, first.id, "close-not-responsible", { referredTo: "市场监管局" });
    expect(nr.body).toMatchObject({ closure: "not_responsible", referredTo: "市场监管局" });
    expect(
      (await anonymous(w.ctx, "POST", `/v1/public/complaints/${second.token}/reopen`, { reason: "x" })).status,
    ).toBe(409);
  });

  it("reopens within the window with a new deadline, not after it", async () => {
    const { id, token } = await fileAsResident({ category: "noise" });
    await act(w.fukangAdmin, id, "accept");
    await act(w.fukangAdmin, id, "assign", { assigneeType: "property_company" });
    await act(w.company.token, id, "resolve", { resolution: "已劝导" });
    w.clock.advanceHours(24);
    const reopened = await anonymous(w.ctx, "POST", `/v1/public/complaints/${token}/reopen`, { reason: "又吵了" });
    expect(reopened.status).toBe(200);
    expect(reopened.body.status).toBe("reopened");
    expect(reopened.body.dueAt).toBe(new Date(w.clock.now().getTime() + 24 * 3_600_000).toISOString());
    await act(w.fukangAdmin, id, "assign", { assigneeType: "property_company" });
    await act(w.company.token, id, "resolve", { resolution: "再次劝导" });
    w.clock.advanceHours(7 * 24 + 1);
    const late = await anonymous(w.ctx, "POST", `/v1/public/complaints/${token}/reopen`, { reason: "又吵了" });
    expect(late.status).toBe(409);
    const staff = await w.ctx.call(w.fukangAdmin, "GET", `/v1/complaints/${id}`);
    expect(staff.body.reopenCount).toBe(1);
  });
});

describe("deadlines and escalation", () => {
  it("escalates an overdue complaint to the street, once, and the street takes it up", async () => {
    const { id } = await fileAsResident({ category: "blocked_fire_lane" }); // 4 hours
    await act(w.fukangAdmin, id, "accept");
    const later = new Date(w.clock.now().getTime() + 5 * 3_600_000);
    expect(await escalateOverdueComplaints(w.ctx.db, later)).toBeGreaterThanOrEqual(1);
    const [row] = await w.ctx.db.select().from(complaints).where(eq(complaints.id, id));
    expect(row).toMatchObject({ status: "escalated", level: "street", escalationCount: 1 });
    expect(row!.dueAt).toBe(new Date(later.getTime() + 4 * 3_600_000).toISOString());
    const [audit] = await w.ctx.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, "complaint.escalate")));
    expect(audit!.actor).toBe("system:scheduler");
    await escalateOverdueComplaints(w.ctx.db, later);
    expect((await eventsOf(id)).filter((t) => t === "complaint.escalated")).toHaveLength(1);
    const street = await w.ctx.call(w.streetAdmin, "GET", "/v1/complaints?level=street");
    expect(street.body.data.map((c: { id: string }) => c.id)).toContain(id);
    expect((await act(w.streetAdmin, id, "assign", { assigneeType: "property_company" })).status).toBe(200);
  });

  it("a manual escalation needs a reason and stops at the county", async () => {
    const { id } = await fileAsResident();
    expect((await act(w.fukangAdmin, id, "escalate", { reason: "涉及多部门" })).body.level).toBe("street");
    await act(w.streetAdmin, id, "assign", { assigneeType: "property_company" });
    expect((await act(w.streetAdmin, id, "escalate", { reason: "仍未处理" })).body.level).toBe("county");
    await act(w.county, id, "assign", { assigneeType: "property_company" });
    expect((await act(w.county, id, "escalate", { reason: "x" })).status).toBe(409);
  });
});

describe("staff filing, scorecards and retention", () => {
  it("files on a resident's behalf with Idempotency-Key", async () => {
    const headers = { "idempotency-key": "hotline-0001-abc" };
    const first = await w.ctx.call(w.fukangAdmin, "POST", "/v1/complaints", filing(), headers);
    expect(first.status).toBe(201);
    expect(first.body.complaint.channel).toBe("staff");
    const again = await w.ctx.call(w.fukangAdmin, "POST", "/v1/complaints", filing(), headers);
    expect(again.body.complaint.id).toBe(first.body.complaint.id);
    expect(again.body.followUp.token).toBe(first.body.followUp.token);
    expect((await w.ctx.call(w.beiyuanAdmin, "POST", "/v1/complaints", filing())).status).toBe(400);
  });

  it("scores property companies: volume by category, on-time, reopen and satisfaction", async () => {
    const res = await w.ctx.call(w.county, "GET", "/v1/stats/property?groupBy=company");
    expect(res.status).toBe(200);
    const card = res.body.data.find((d: { id: string }) => d.id === w.company.id);
    expect(card.name).toBe("酒泉市安居物业服务有限公司");
    expect(card.byCategory.parking).toBe(1);
    expect(card.satisfaction).toBe(4);
    expect(card.reopenRate).toBeGreaterThan(0);
    expect(card.onTimeRate).toBeGreaterThan(0);
    const byCompound = await w.ctx.call(w.beiyuanAdmin, "GET", "/v1/stats/property?groupBy=compound");
    expect(byCompound.body.data).toEqual([]);
    expect((await w.ctx.call(w.company.token, "GET", "/v1/stats/property")).status).toBe(403);
  });

  it("erases reporters' contacts 180 days after closing, audited", async () => {
    const past = new Date(w.clock.now().getTime() + 181 * 86_400_000);
    const erased = await eraseExpiredReporters(w.ctx.db, past);
    expect(erased).toBeGreaterThanOrEqual(1);
    const open = await w.ctx.db.select().from(complaints).where(eq(complaints.status, "closed"));
    expect(open.every((r) => r.reporterCipher === null && r.reporterMasked === null)).toBe(true);
    expect(await eraseExpiredReporters(w.ctx.db, past)).toBe(0);
  });

  it("emits only catalogued event types", async () => {
    const types = await w.ctx.db.selectDistinct({ type: outboxEvents.type }).from(outboxEvents);
    expect(types.filter((t) => t.type.startsWith("complaint.") && !isCatalogued(t.type))).toEqual([]);
  });
});
