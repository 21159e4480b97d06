/**
 * The console in a real browser: Debian's Chromium driven by playwright-core against the real
 * server (`src/server.ts`, as `npm start` runs it). Signs in with the development link, reads the
 * dashboard, creates an API key and uses it, watches a webhook delivery fail and replays it, and
 * has axe-core check every screen.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePage, launchChromium, phone, seriousAxeViolations } from "./helpers/browser.js";
import { startOidcStub } from "./helpers/oidc-stub.js";
import { mintToken, repoRoot, startServer, type ServerProcess } from "./helpers/server-process.js";

let server: ServerProcess;
let browser: Browser;
let page: Page;
let problems: string[];
let closePage: () => Promise<void>;
let countyToken: string;
let idp: Awaited<ReturnType<typeof startOidcStub>>;

/** A webhook receiver on loopback whose answer the test switches. */
let receiverStatus = 500;
const received: string[] = [];
let receiver: Server;
let receiverUrl: string;

const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
  const res = await fetch(`${server.baseUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${init.token ?? countyToken}`,
      "content-type": "application/json",
      ...(init.headers as Record<string, string>),
    },
  });
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
};

/**
 * Clicks 刷新 until the row shows up (the dispatcher delivers in the background). At least one: on a
 * slow run an earlier event not yet fanned out when the endpoint was added is delivered to it too.
 */
async function refreshUntilShown(row: ReturnType<Page["getByRole"]>) {
  const refresh = page.getByRole("button", { name: "刷新" });
  await expect
    .poll(
      async () => {
        await refresh.click();
        return row.count();
      },
      { timeout: 20_000, interval: 1000 },
    )
    .toBeGreaterThanOrEqual(1);
}

async function expectAccessible(screen: string) {
  const violations = await seriousAxeViolations(page);
  expect(violations, `${screen}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push(body);
      res.writeHead(receiverStatus, { "content-type": "text/plain" }).end(receiverStatus === 200 ? "ok" : "boom");
    });
  });
  await new Promise<void>((ready) => receiver.listen(0, "127.0.0.1", ready));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hexi`;
  idp = await startOidcStub({ tenant: "620921", roles: ["county_admin"], sub: "zhang.san" });
  // Figures are counted from what this test writes: no demo records.
  server = await startServer({
    demoRecords: false,
    env: {
      HEXI_WEBHOOK_ALLOW_LOOPBACK: "true",
      HEXI_TENANT_ISSUERS: JSON.stringify([idp.tenantIssuer("金塔县统一身份认证")]),
    },
  });
  countyToken = await mintToken(server, { tenant: "620902", roles: ["county_admin"], sub: "console-test" });
  browser = await launchChromium();
  ({ page, problems, close: closePage } = await consolePage(browser));
}, 120_000);

afterAll(async () => {
  await closePage?.();
  await browser?.close();
  await server?.stop();
  await new Promise((done) => receiver?.close(done));
  await idp?.close();
});

describe("the console", () => {
  it("is served with a strict CSP and prints a city sign-in link on start", async () => {
    const res = await fetch(`${server.baseUrl}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await res.text()).not.toMatch(/<script>(?!<\/script>)/);
    expect(server.output()).toMatch(
      /Console \(city\): http:\/\/127\.0\.0\.1:\d+\/console\/#token=[\w-]+\.[\w-]+\.[\w-]+/,
    );
  });

  it("shows a sign-in screen without a token, accessible", async () => {
    await page.goto(`${server.baseUrl}/console/`);
    await page.getByRole("heading", { name: "登录合习控制台" }).waitFor();
    await expectAccessible("sign-in");
  });

  it("signs in through the tenant's identity provider: authorization code with PKCE (S256)", async () => {
    const csp = (await fetch(`${server.baseUrl}/console/`)).headers.get("content-security-policy")!;
    expect(csp).toContain(`connect-src 'self' ${idp.issuer}`);
    const fresh = await consolePage(browser);
    try {
      await fresh.page.goto(`${server.baseUrl}/console/`);
      await fresh.page.getByRole("button", { name: /金塔县统一身份认证/ }).click();
      await fresh.page.getByRole("heading", { name: "城市基层党建综合体驾驶舱" }).waitFor();
      expect(await fresh.page.locator("header.top").textContent()).toContain("county_admin · 620921");
      // The code and state are gone from the address bar; the verifier never left the tab.
      expect(fresh.page.url()).toBe(`${server.baseUrl}/console/#/`);
      const asked = idp.authorizations.at(-1)!;
      expect(asked.get("code_challenge_method")).toBe("S256");
      expect(asked.get("redirect_uri")).toBe(`${server.baseUrl}/console/`);
      expect(asked.get("code_challenge")).toMatch(/^[\w-]{43}$/);
      expect(fresh.problems).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it("signs in from the link's fragment, keeps the token in sessionStorage only, and shows the city's dashboard", async () => {
    const city = await mintToken(server, { tenant: "620900", roles: ["city_admin"] });
    await page.goto(`${server.baseUrl}/console/#token=${city}`);
    await page.getByRole("heading", { name: "城市基层党建综合体驾驶舱" }).waitFor();
    expect(page.url()).not.toContain("token=");
    expect(await page.evaluate(() => sessionStorage.getItem("hexi.console.token"))).toBe(city);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(city);
    expect(await page.evaluate("document.cookie")).toBe("");
    // All seven counties, zeros included (a fresh start has no records), and the charts drawn.
    const rows = page.locator("section[aria-labelledby=c-table] tbody tr");
    await expect.poll(() => rows.count()).toBe(7);
    await expect.poll(() => page.locator("canvas").count()).toBeGreaterThanOrEqual(8);
    await expectAccessible("dashboard (city)");
    // English on request.
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { name: "Urban Party-Building Complex · Dashboard" }).waitFor();
    await expectAccessible("dashboard (English)");
    await page.getByRole("button", { name: "中文" }).click();
    await page.getByRole("button", { name: "退出登录" }).click();
    await page.getByRole("heading", { name: "登录合习控制台" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("hexi.console.token"))).toBeNull();
  });

  it("shows a county's own figures, and the numbers open the filtered lists behind them", async () => {
    const [community] = (await call("/v1/divisions?level=community&limit=1")).body.data;
    const need = await call("/v1/needs", {
      method: "POST",
      headers: { "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({
        communityId: community.id,
        category: "助老服务",
        title: "独居老人助餐志愿者",
        description: "每周一至周五中午送餐。",
        quantity: 4,
      }),
    });
    expect(need.status).toBe(201);

    // The development shortcut: npm run token -- … --console prints the sign-in link.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/token.ts",
        "--tenant",
        "620902",
        "--roles",
        "county_admin",
        "--console",
        "--base",
        server.baseUrl,
      ],
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: server.databaseUrl } },
    );
    const link = stdout.trim();
    expect(link).toMatch(new RegExp(`^${server.baseUrl}/console/#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    await page.goto(link);
    await page.getByRole("heading", { name: "城市基层党建综合体驾驶舱" }).waitFor();
    expect(await page.locator("header.top").textContent()).toContain("county_admin · 620902");
    const openNeeds = page.getByRole("link", { name: /待认领需求/ });
    await expect.poll(() => openNeeds.textContent()).toContain("1");
    await openNeeds.click();
    await page.getByRole("heading", { name: "需求清单" }).waitFor();
    expect(page.url()).toContain("#/list/needs?status=open");
    await page.getByRole("cell", { name: "独居老人助餐志愿者" }).waitFor();
    await expectAccessible("list");
  });

  it("creates an API key with the scope picker, shows it once, and the key works against the API", async () => {
    await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "API 密钥" }).click();
    await page.getByRole("heading", { name: "API 密钥", level: 1 }).waitFor();
    await expectAccessible("API keys");
    await page.getByLabel("名称").fill("区大屏");
    // Roles' scopes pick a subset of the caller's; pii:read is never offered for keys.
    await page.getByRole("button", { name: "auditor" }).click();
    expect(await page.getByRole("checkbox", { name: "pii:read" }).isDisabled()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "audit:read" }).isChecked()).toBe(true);
    await page.getByRole("button", { name: "创建密钥" }).click();
    const secret = (await page.locator("[data-secret]").textContent())!;
    expect(secret).toMatch(/^hx_live_/);

    const withKey = await fetch(`${server.baseUrl}/v1/stats`, { headers: { "x-api-key": secret } });
    expect(withKey.status).toBe(200);
    expect(((await withKey.json()) as { data: { tenant: string }[] }).data[0]!.tenant).toBe("620902");

    // Revoke it from the console: the listing says so (the API stops honouring it within 30 s).
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "吊销 区大屏" }).click();
    await page.getByRole("row", { name: /区大屏.*已吊销/ }).waitFor();
  });

  it("adds a webhook endpoint, shows a failed delivery with its response code, and replays it", async () => {
    await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "Webhook 推送" }).click();
    await page.getByRole("heading", { name: "Webhook 推送地址" }).waitFor();
    await page.getByLabel("地址（URL）").fill(receiverUrl);
    await page.getByLabel("说明").fill("区大数据中心");
    await page.getByRole("checkbox", { name: "need.published" }).check();
    await page.getByRole("button", { name: "添加", exact: true }).click();
    await expect.poll(() => page.locator("[data-secret]").textContent()).toMatch(/^whsec_/);
    await page.getByRole("heading", { name: /推送记录/ }).waitFor();

    // An event the endpoint subscribes to; the receiver answers 500.
    const [community] = (await call("/v1/divisions?level=community&limit=1")).body.data;
    await call("/v1/needs", {
      method: "POST",
      headers: { "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({
        communityId: community.id,
        category: "场地",
        title: "活动室",
        description: "",
        quantity: 1,
      }),
    });
    const failedRow = page.getByRole("row", { name: /need\.published.*失败.*500/ });
    await refreshUntilShown(failedRow);
    await expectAccessible("webhooks with deliveries");

    receiverStatus = 200;
    await failedRow
      .first()
      .getByRole("button", { name: /重新推送/ })
      .click();
    await page.getByText("已重新排队").waitFor();
    const succeeded = page.getByRole("row", { name: /need\.published.*成功/ });
    await refreshUntilShown(succeeded);
    expect(received.length).toBeGreaterThanOrEqual(2);

    // Send test: a signed webhook.test ping to this endpoint alone, through the dispatcher, listed like any delivery.
    await page.getByRole("button", { name: `发送测试 ${receiverUrl}` }).click();
    await page.getByText("测试推送已排队").waitFor();
    const ping = page.getByRole("row", { name: /webhook\.test.*成功.*200/ });
    await refreshUntilShown(ping);
    expect(received.some((body) => JSON.parse(body).type === "webhook.test")).toBe(true);
  });

  it("lists the audit trail with filters", async () => {
    await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "审计日志" }).click();
    await page.getByRole("heading", { name: "审计日志" }).waitFor();
    await page.getByRole("cell", { name: "api_key.create" }).first().waitFor();
    await page.getByLabel("操作", { exact: true }).fill("webhook_endpoint.create");
    await page.getByRole("button", { name: "应用筛选" }).click();
    await expect.poll(() => page.getByRole("cell", { name: "api_key.create" }).count()).toBe(0);
    await page.getByRole("cell", { name: "webhook_endpoint.create" }).first().waitFor();
    await expectAccessible("audit");
  });

  it("reveals one masked field at a time to a person holding pii:read, audited; shows no reveal to others", async () => {
    const [community] = (await call("/v1/divisions?level=community&limit=1")).body.data;
    const member = await call("/v1/members", {
      method: "POST",
      headers: { "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({
        name: "李明",
        gender: "male",
        birthDate: "1985-03-02",
        idCard: "620902198503020016",
        phone: "13993712345",
        joinDate: "2010-07-01",
        status: "full",
        classification: "in_service",
        residenceDivisionId: community.id,
      }),
    });
    expect(member.status, JSON.stringify(member.body)).toBe(201);
    await page.goto(`${server.baseUrl}/console/#/list/members`);
    const row = page.getByRole("row", { name: /李明/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("139****2345");
    await row.getByRole("button", { name: /显示 .*的手机号/ }).click();
    await row.locator("[data-revealed=phone]").waitFor();
    expect(await row.textContent()).toContain("13993712345");
    // The ID card stays masked until asked for on its own.
    expect(await row.textContent()).not.toContain("620902198503020016");
    await expectAccessible("members with a revealed field");
    const audit = await call(`/v1/audit-events?action=member.pii_revealed&targetId=${member.body.id}`);
    expect(audit.body.data.map((a: { changes: unknown }) => a.changes)).toEqual([{ fields: ["phone"] }]);

    // An auditor reads members too, without pii:read: no reveal button at all.
    const auditor = await mintToken(server, { tenant: "620902", roles: ["auditor"], sub: "console-auditor" });
    const other = await consolePage(browser);
    try {
      await other.page.goto(`${server.baseUrl}/console/#token=${auditor}`);
      await other.page.getByRole("heading", { name: "城市基层党建综合体驾驶舱" }).waitFor();
      await other.page.goto(`${server.baseUrl}/console/#/list/members`);
      await other.page.getByRole("row", { name: /李明/ }).waitFor();
      expect(await other.page.getByRole("button", { name: /^显示/ }).count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("follows a drill on the incident board: the counts update live as volunteers answer", async () => {
    const [community] = (await call("/v1/divisions?level=community&limit=1")).body.data;
    const post = async (path: string, body: unknown) => {
      const res = await call(path, {
        method: "POST",
        headers: { "idempotency-key": crypto.randomUUID() },
        body: JSON.stringify(body),
      });
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      return res.body;
    };
    const team = await post("/v1/teams", {
      name: "富康急时小分队",
      mode: "emergency",
      divisionId: community.id,
      quorum: 2,
      responseDeadlineMinutes: 30,
    });
    for (const [i, phoneNumber] of ["13900000101", "13900000102", "13900000103"].entries()) {
      const volunteer = await post("/v1/volunteers", {
        name: `志愿者${i + 1}`,
        phone: phoneNumber,
        source: "individual",
        homeDivisionId: community.id,
      });
      await post(`/v1/teams/${team.id}/members`, { volunteerId: volunteer.id, role: i === 0 ? "leader" : "member" });
    }
    await post("/v1/sites", {
      name: "社区党群服务中心",
      kind: "resettlement",
      divisionId: community.id,
      address: "富康路 12 号",
      capacity: 200,
      occupancy: 35,
    });
    const declared = await post("/v1/incidents", {
      type: "rainstorm_flood",
      level: "III",
      affectedDivisionIds: [community.id],
      headline: "暴雨内涝演练",
      instruction: "请携带雨具到社区党群服务中心集结。",
      drill: true,
      dedupKey: "console-drill-1",
    });
    const incident = declared.incident.id as string;

    await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "应急指挥" }).click();
    await page.getByRole("heading", { name: "应急指挥看板" }).waitFor();
    const listed = page.getByRole("navigation", { name: "事件列表" }).getByRole("link", { name: /演练.*暴雨内涝演练/ });
    await listed.click();
    const count = (k: string) => page.locator(`[data-count=${k}]`).textContent();
    await expect.poll(() => count("paged")).toBe("3");
    await page.getByText("实时").waitFor();
    await page.getByText("35 / 200").waitFor();
    expect(await page.locator("section[aria-labelledby=inc-curve] canvas").count()).toBe(1);
    await expectAccessible("incident board");

    // Volunteers answer through the public answer link; the board follows the stream.
    const pages = (await call(`/v1/incidents/${incident}/notifications?limit=10`)).body.data as { message: string }[];
    const answer = async (message: string, body: unknown) => {
      const token = /\/a\/([0-9A-Za-z]{12})/.exec(message)![1];
      const res = await fetch(`${server.baseUrl}/a/${token}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };
    await answer(pages[0]!.message, { action: "answer", answer: "available", etaMinutes: 10 });
    await expect.poll(() => count("available"), { timeout: 15_000 }).toBe("1");
    await answer(pages[1]!.message, { action: "answer", answer: "available" });
    await answer(pages[2]!.message, { action: "answer", answer: "unavailable" });
    await expect.poll(() => count("available"), { timeout: 15_000 }).toBe("2");
    await expect.poll(() => count("unavailable"), { timeout: 15_000 }).toBe("1");
    await expect.poll(() => count("noAnswer")).toBe("0");
    // The acknowledgement curve is drawn from the answers' times.
    await expect.poll(() => page.locator("[data-curve-answers]").textContent()).toBe("3");
    await page.getByRole("row", { name: /富康急时小分队.*已达标/ }).waitFor();
  });

  it("shows the incident board on a phone (390×844) without sideways scrolling, accessible", async () => {
    const small = await consolePage(browser, "zh-CN", phone);
    try {
      await small.page.goto(`${server.baseUrl}/console/#token=${countyToken}`);
      await small.page.getByRole("heading", { name: "城市基层党建综合体驾驶舱" }).waitFor();
      // Nothing wider than the screen: no sideways scrolling, and every panel and figure within it.
      const fits = () =>
        small.page.evaluate(`document.documentElement.scrollWidth <= innerWidth &&
          [...document.querySelectorAll(".panel, .kpi, header.top")].every((e) => e.getBoundingClientRect().right <= innerWidth + 1)`);
      expect(await fits()).toBe(true);
      await small.page.goto(`${server.baseUrl}/console/#/incidents`);
      await small.page.locator("[data-count=available]").waitFor();
      expect(await small.page.locator("[data-count=available]").textContent()).toBe("2");
      expect(await fits()).toBe(true);
      const violations = await seriousAxeViolations(small.page);
      expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
      expect(small.problems).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it("raised no CSP violation or script error on any screen", () => {
    expect(
      problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p)),
    ).toEqual([]);
  });
});
