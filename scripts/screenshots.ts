/**
 * Regenerates docs/screenshots/*.png (shown in the README): the real server on a fresh database
 * seeded at scale 0.05, Debian's Chromium at 1280×720 (and a phone's 390×844), zh-CN, with a drill
 * declared and partly answered for the incident board. Usage: npm run screenshots
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consolePage, launchChromium, phone } from "../test/helpers/browser.js";
import { mintToken, repoRoot, startServer } from "../test/helpers/server-process.js";

const out = join(repoRoot, "docs", "screenshots");
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), "hexi-screenshots-"));
const databaseUrl = `file:${join(dataDir, "hexi.db")}`;

execFileSync(process.execPath, ["--import", "tsx", "scripts/build-assets.ts", "--quiet"], { cwd: repoRoot });
execFileSync(process.execPath, ["--import", "tsx", "scripts/seed.ts", "--scale", "0.05", "--database", databaseUrl], {
  cwd: repoRoot,
  stdio: "inherit",
});

// A receiver that refuses, so the deliveries screen shows a failure with its response code.
const receiver = createServer((_req, res) => res.writeHead(503).end("maintenance"));
await new Promise<void>((ready) => receiver.listen(0, "127.0.0.1", ready));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hexi`;

const server = await startServer({ dataDir, env: { HEXI_WEBHOOK_ALLOW_LOOPBACK: "true" } });
const browser = await launchChromium();
try {
  const city = await mintToken(server, { tenant: "620900", roles: ["city_admin"], sub: "screenshots" });
  const county = await mintToken(server, { tenant: "620902", roles: ["county_admin"], sub: "screenshots" });
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: body ? "POST" : "GET",
      headers: {
        authorization: `Bearer ${county}`,
        "content-type": "application/json",
        "idempotency-key": crypto.randomUUID(),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string; data: { id: string }[] };
  };
  await api("/v1/api-keys", { name: "区大屏（只读）", scopes: ["stats:read", "lists:read"] });
  const endpoint = await api("/v1/webhook-endpoints", {
    url: receiverUrl,
    eventTypes: ["need.published"],
    description: "区大数据中心的报到同步",
  });
  const [community] = (await api("/v1/divisions?level=community&limit=1")).data;
  await api("/v1/needs", {
    communityId: community!.id,
    category: "助老服务",
    title: "独居老人助餐志愿者",
    description: "每周一至周五中午为独居老人送餐。",
    quantity: 4,
  });

  // A drill over a street, half its pages answered a moment apart, one volunteer checked in.
  const [street] = (await api("/v1/divisions?level=street&limit=1")).data;
  const declared = (await api("/v1/incidents", {
    type: "rainstorm_flood",
    level: "III",
    affectedDivisionIds: [street!.id],
    headline: "暴雨内涝应急演练",
    instruction: "请携带雨具到就近党群服务中心集结，到达后扫码签到。",
    drill: true,
    dedupKey: "screenshots-drill",
  })) as unknown as { incident: { id: string } };
  const incidentId = declared.incident.id;
  const answerPage = async (message: string, body: unknown) => {
    const token = /\/a\/([0-9A-Za-z]{12})/.exec(message)?.[1];
    await fetch(`${server.baseUrl}/a/${token}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  };
  const notifications = (await api(`/v1/incidents/${incidentId}/notifications?limit=100`)).data as unknown as {
    message: string;
  }[];
  const [site] = (await api("/v1/sites?status=open&limit=1")).data;
  for (const [i, n] of notifications.entries()) {
    if (i % 3 === 2) continue;
    await answerPage(n.message, { action: "answer", answer: i % 5 === 4 ? "unavailable" : "available" });
    if (i === 0 && site) await answerPage(n.message, { action: "check_in", siteId: site.id });
    await new Promise((r) => setTimeout(r, 150));
  }

  const { page, close } = await consolePage(browser);
  const shoot = async (name: string, fullPage = false) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(out, `${name}.png`), fullPage });
    console.log(`docs/screenshots/${name}.png`);
  };
  await page.goto(`${server.baseUrl}/console/`);
  await page.getByRole("heading", { name: "登录合习控制台" }).waitFor();
  await shoot("sign-in");

  await page.goto(`${server.baseUrl}/console/#token=${city}`);
  await page.locator("canvas").first().waitFor();
  await shoot("dashboard-city");
  await shoot("dashboard-city-full", true);

  await page.goto(`${server.baseUrl}/console/#token=${county}`);
  await page.locator("canvas").first().waitFor();
  await shoot("dashboard-county", true);

  await page.goto(`${server.baseUrl}/console/#/list/member-reports?status=overdue`);
  await page.locator("tbody tr").first().waitFor();
  await shoot("list-overdue-rechecks");

  await page.goto(`${server.baseUrl}/console/#/keys`);
  await page.getByLabel("名称").fill("社区服务小程序");
  await page.getByRole("button", { name: "member", exact: true }).click();
  await page.getByRole("button", { name: "创建密钥" }).click();
  await page.locator("[data-secret]").waitFor();
  await shoot("api-keys");

  await api(`/v1/webhook-endpoints/${endpoint.id}/test`, {});
  await page.goto(`${server.baseUrl}/console/#/webhooks/${endpoint.id}`);
  const failed = page.getByRole("row", { name: /need\.published.*503/ });
  for (let i = 0; i < 20 && (await failed.count()) === 0; i++) {
    await page.waitForTimeout(1000);
    await page.getByRole("button", { name: "刷新" }).click();
  }
  await shoot("webhooks");

  await page.goto(`${server.baseUrl}/console/#/audit`);
  await page.locator("tbody tr").first().waitFor();
  await shoot("audit");

  await page.goto(`${server.baseUrl}/console/#/incidents/${incidentId}`);
  await page.locator("[data-count=available]").waitFor();
  await page.locator("[data-curve-answers]").filter({ hasNotText: /^0$/ }).waitFor();
  await shoot("incident-board");

  await page.goto(`${server.baseUrl}/console/#/list/members`);
  await page.locator("tbody tr").first().waitFor();
  await page
    .getByRole("button", { name: /的手机号/ })
    .first()
    .click();
  await page.locator("[data-revealed=phone]").first().waitFor();
  await shoot("members-reveal");

  await page.goto(`${server.baseUrl}/console/#/`);
  await page.getByRole("button", { name: "English" }).click();
  await page.locator("canvas").first().waitFor();
  await shoot("dashboard-county-en");
  await page.getByRole("button", { name: "中文" }).click();
  await close();

  const small = await consolePage(browser, "zh-CN", phone);
  await small.page.goto(`${server.baseUrl}/console/#token=${county}`);
  await small.page.locator("canvas").first().waitFor();
  await small.page.waitForTimeout(400);
  await small.page.screenshot({ path: join(out, "phone-dashboard.png") });
  console.log("docs/screenshots/phone-dashboard.png");
  await small.page.goto(`${server.baseUrl}/console/#/incidents/${incidentId}`);
  await small.page.locator("[data-count=available]").waitFor();
  await small.page.waitForTimeout(400);
  await small.page.screenshot({ path: join(out, "phone-incident-board.png"), fullPage: true });
  console.log("docs/screenshots/phone-incident-board.png");
  await small.close();
} finally {
  await browser.close();
  await server.stop();
  receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
}
