import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxEvents } from "../../src/db/tables.js";
import { createTestContext, type TestContext } from "../helpers/app.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const city = { tenant: "620900", roles: ["city_admin" as const] };
const county = { tenant: "620902", roles: ["county_admin" as const] };
const otherCounty = { tenant: "620981", roles: ["county_admin" as const] };
const member = { tenant: "620902", roles: ["member" as const], member: "mem_01KDVDNA011AKWK3RC504FTYF8" };

const item = (number: number, kind: string, name = `事项${number}`) => ({
  area: number <= 2 ? "党的建设" : "民生服务",
  number,
  name,
  content: `${name}的内容`,
  legalBasis: "《中华人民共和国城市居民委员会组织法》",
  kind,
  leadDepartment: "市民政局",
});

async function publishedTemplate() {
  const list = await ctx.call(city, "POST", "/v1/duty-lists", {
    level: "community",
    title: "酒泉市社区职责事项清单模板",
  });
  expect(list.status).toBe(201);
  expect(list.body).toMatchObject({ tenant: "620900", template: true, status: "draft", edition: expect.any(Number) });
  const items = [];
  for (const [n, kind] of [
    [1, "statutory"],
    [2, "assisting"],
    [3, "negative"],
  ] as const) {
    const res = await ctx.call(city, "POST", `/v1/duty-lists/${list.body.id}/items`, item(n, kind));
    expect(res.status).toBe(201);
    items.push(res.body);
  }
  return { list: list.body, items };
}

describe("duty lists (职责清单)", () => {
  it("the city writes a template in its own tenant; counties see it only once published, and cannot change it", async () => {
    const { list, items } = await publishedTemplate();
    expect((await ctx.call(county, "GET", `/v1/duty-lists/${list.id}`)).status).toBe(404);

    const published = await ctx.call(city, "POST", `/v1/duty-lists/${list.id}/publish`);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ status: "published", publishedAt: expect.any(String) });
    expect((await ctx.call(county, "GET", `/v1/duty-lists/${list.id}`)).body.status).toBe("published");

    // A county cannot write the city's rows: not its tenant, so the same 404 as a missing record.
    expect((await ctx.call(county, "POST", `/v1/duty-lists/${list.id}/items`, item(9, "assisting"))).status).toBe(404);
    const itemPatch = await ctx.call(
      county,
      "PATCH",
      `/v1/duty-items/${items[0].id}`,
      { name: "x" },
      { "if-match": '"v1"' },
    );
    expect(itemPatch.status).toBe(404);
    // And the city itself cannot change a published template: a 409 naming its state.
    const late = await ctx.call(city, "POST", `/v1/duty-lists/${list.id}/items`, item(9, "assisting"));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "invalid_transition", currentState: "published" });

    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, list.id));
    expect(events.map((e) => [e.type, e.tenantId])).toEqual([
      ["duty_list.created", "620900"],
      ["duty_list.published", "620900"],
    ]);
    const audit = await ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, list.id));
    expect(audit.map((a) => [a.action, a.tenantId])).toEqual([
      ["duty_list.create", "620900"],
      ["duty_list.publish", "620900"],
    ]);
  });

  it("a county adopts a template version, adjusts it, and sees its differences from the template", async () => {
    const { list: template, items: templateItems } = await publishedTemplate();
    await ctx.call(city, "POST", `/v1/duty-lists/${template.id}/publish`);

    const draft = await ctx.call(
      county,
      "POST",
      "/v1/duty-lists",
      { level: "community", title: "肃州区社区职责事项清单", templateId: template.id },
      { "idempotency-key": "adopt-template-0001" },
    );
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ tenant: "620902", templateId: template.id, template: false, edition: 1 });
    const retry = await ctx.call(
      county,
      "POST",
      "/v1/duty-lists",
      { level: "community", title: "肃州区社区职责事项清单", templateId: template.id },
      { "idempotency-key": "adopt-template-0001" },
    );
    expect(retry.body.id).toBe(draft.body.id);

    const items = (await ctx.call(county, "GET", `/v1/duty-lists/${draft.body.id}/items`)).body.data;
    expect(items.map((i: { number: number; templateItemId: string }) => [i.number, i.templateItemId])).toEqual(
      templateItems.map((t) => [t.number, t.id]),
    );

    // Adjust one, remove one, add one; a street kind on a community list is refused.
    const adjusted = await ctx.call(
      county,
      "PATCH",
      `/v1/duty-items/${items[0].id}`,
      { leadDepartment: "肃州区民政局" },
      { "if-match": '"v1"' },
    );
    expect(adjusted.status).toBe(200);
    expect(
      (await ctx.call(county, "DELETE", `/v1/duty-items/${items[1].id}`, undefined, { "if-match": '"v1"' })).status,
    ).toBe(204);
    const wrongKind = await ctx.call(county, "POST", `/v1/duty-lists/${draft.body.id}/items`, item(4, "basic"));
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.errors[0].pointer).toBe("/kind");
    const duplicate = await ctx.call(county, "POST", `/v1/duty-lists/${draft.body.id}/items`, item(1, "assisting"));
    expect(duplicate.status).toBe(409);
    const added = await ctx.call(
      county,
      "POST",
      `/v1/duty-lists/${draft.body.id}/items`,
      item(4, "assisting", "防沙治沙宣传"),
    );
    expect(added.status).toBe(201);

    const diff = await ctx.call(county, "GET", `/v1/duty-lists/${draft.body.id}/differences`);
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({
      templateId: template.id,
      summary: { added: 1, removed: 1, changed: 1, unchanged: 1 },
      added: [{ id: added.body.id, name: "防沙治沙宣传" }],
      removed: [{ id: templateItems[1].id }],
      changed: [
        {
          itemId: items[0].id,
          templateItemId: templateItems[0].id,
          fields: [{ field: "leadDepartment", template: "市民政局", county: "肃州区民政局" }],
        },
      ],
    });

    // Another county sees none of it; a member of the county sees it once published, never the draft.
    expect((await ctx.call(otherCounty, "GET", `/v1/duty-lists/${draft.body.id}`)).status).toBe(404);
    expect((await ctx.call(member, "GET", `/v1/duty-lists/${draft.body.id}`)).status).toBe(404);
    expect((await ctx.call(county, "POST", `/v1/duty-lists/${draft.body.id}/publish`)).status).toBe(200);
    expect((await ctx.call(member, "GET", `/v1/duty-lists/${draft.body.id}`)).status).toBe(200);
  });

  it("publishing the next edition supersedes the published one; an empty draft cannot be published", async () => {
    const first = await ctx.call(county, "POST", "/v1/duty-lists", { level: "street", title: "街道职责清单" });
    const empty = await ctx.call(county, "POST", `/v1/duty-lists/${first.body.id}/publish`);
    expect(empty.status).toBe(409);
    await ctx.call(county, "POST", `/v1/duty-lists/${first.body.id}/items`, item(1, "basic"));
    expect((await ctx.call(county, "POST", `/v1/duty-lists/${first.body.id}/publish`)).status).toBe(200);

    const second = await ctx.call(county, "POST", "/v1/duty-lists", { level: "street", title: "街道职责清单（修订）" });
    expect(second.body.edition).toBe(first.body.edition + 1);
    await ctx.call(county, "POST", `/v1/duty-lists/${second.body.id}/items`, item(1, "returned"));
    const published = await ctx.call(county, "POST", `/v1/duty-lists/${second.body.id}/publish`, undefined, {
      "if-match": '"v1"',
    });
    expect(published.status).toBe(200);
    const old = await ctx.call(county, "GET", `/v1/duty-lists/${first.body.id}`);
    expect(old.body).toMatchObject({ status: "superseded", supersededBy: second.body.id });
    const superseded = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.subjectId, first.body.id));
    expect(superseded.map((e) => e.type)).toContain("duty_list.superseded");

    const list = await ctx.call(county, "GET", "/v1/duty-lists?level=street&status=published");
    expect(list.body.data.map((l: { id: string }) => l.id)).toEqual([second.body.id]);
  });

  it("residents read published lists without a credential, never drafts", async () => {
    const draft = await ctx.call(county, "POST", "/v1/duty-lists", { level: "community", title: "草稿" });
    await ctx.call(county, "POST", `/v1/duty-lists/${draft.body.id}/items`, item(1, "statutory"));
    const hidden = await ctx.app.request(`/v1/public/duty-lists/${draft.body.id}/items`);
    expect(hidden.status).toBe(404);

    const lists = await ctx.app.request("/v1/public/duty-lists?tenant=620902");
    expect(lists.status).toBe(200);
    const body = (await lists.json()) as { data: { id: string; status: string }[] };
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((l) => l.status === "published")).toBe(true);
    const items = await ctx.app.request(`/v1/public/duty-lists/${body.data[0]!.id}/items`);
    expect(items.status).toBe(200);
    const page = (await items.json()) as { list: { id: string }; items: { data: unknown[] } };
    expect(page.list.id).toBe(body.data[0]!.id);
    expect(page.items.data.length).toBeGreaterThan(0);
  });
});
