/**
 * The answer page `/a/{token}` in a real browser: Debian's Chromium driven by playwright-core against
 * the real server (`src/server.ts`). A paged volunteer taps 能到 with an ETA, then checks in at a site;
 * the progress and the site's occupancy show it.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { mintToken, startServer, type ServerProcess } from "../helpers/server-process.js";

let server: ServerProcess;
let browser: Browser;
let token: string;

const call = async (path: string, body?: unknown) => {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  server = await startServer({ demoRecords: false });
  token = await mintToken(server, { tenant: "620902", roles: ["county_admin"], sub: "answer-page-test" });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the answer page in a browser", () => {
  it("answers 能到 with an ETA, then checks in at a site", async () => {
    const [community] = (await call("/v1/divisions?level=community&limit=1")).body.data;
    const volunteer = await call("/v1/volunteers", {
      name: "浏览器志愿者",
      phone: "13912340000",
      source: "individual",
      homeDivisionId: community.id,
    });
    expect(volunteer.status).toBe(201);
    const team = await call("/v1/teams", {
      name: "浏览器急时小分队",
      mode: "emergency",
      divisionId: community.id,
      quorum: 1,
      responseDeadlineMinutes: 30,
    });
    await call(`/v1/teams/${team.body.id}/members`, { volunteerId: volunteer.body.id });
    const site = await call("/v1/sites", {
      name: "社区党群服务中心",
      kind: "resettlement",
      divisionId: community.id,
      address: "幸福路 1 号",
      capacity: 50,
    });
    expect(site.status).toBe(201);
    const declared = await call("/v1/incidents", {
      type: "rainstorm_flood",
      level: "IV",
      affectedDivisionIds: [community.id],
      headline: "浏览器演练",
      instruction: "请到社区党群服务中心集结。",
      drill: true,
      dedupKey: "browser-drill",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const id = declared.body.incident.id;
    const pages = await call(`/v1/incidents/${id}/notifications`);
    const link = /\/a\/([0-9A-Za-z]{12})/.exec(pages.body.data[0].message)![1];

    const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await page.goto(`${server.baseUrl}/a/${link}`);
    expect(await page.locator("h1").textContent()).toBe("浏览器演练");
    expect(await page.locator("#state").textContent()).toBe("尚未答复");

    await page.fill("#eta", "25");
    await Promise.all([page.waitForEvent("load"), page.click("button[data-answer=available]")]);
    expect(await page.locator("#state").textContent()).toContain("能到（约 25 分钟）");

    await page.selectOption("#site", site.body.id);
    await Promise.all([page.waitForEvent("load"), page.click("#checkin")]);
    expect(await page.locator("#state").textContent()).toBe("已签到。");
    expect(await page.locator("#checkout").count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();

    const progress = await call(`/v1/incidents/${id}/progress`);
    expect(progress.body.overall).toMatchObject({ paged: 1, available: 1, checkedIn: 1, noAnswer: 0 });
    const answered = (await call(`/v1/incidents/${id}/notifications`)).body.data[0];
    expect(answered).toMatchObject({ answer: "available", etaMinutes: 25, siteId: site.body.id });
    expect((await call(`/v1/sites/${site.body.id}`)).body.occupancy).toBe(1);
  }, 60_000);
});
