import { describe, expect, it, vi } from "vitest";
import type { Dispatcher } from "../../src/domains/webhooks/dispatcher.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, parseConfig } from "../../src/config.js";
import {
  createWebhookFetch,
  publicOnlyLookup,
  resolveHost,
  startDispatchLoop,
  webhookFetch,
} from "../../src/node/webhooks.js";
import {
  deliveryTargetProblem,
  isForbiddenAddress,
  isLoopbackAddress,
  parseIPv6,
  webhookUrlProblem,
} from "../../src/domains/webhooks/targets.js";

describe("webhook target addresses", () => {
  const forbidden = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.0.9",
    "169.254.169.254",
    "169.254.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.10",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "64:ff9b::10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "2002:c0a8:101::1",
    "fe80::1",
    "fe80::1%eth0",
    "febf::1",
    "fec0::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "ff02::1",
    "ff05::1:3",
    "2001:db8::1",
    "2001:0:4136:e378::1",
    "100::1",
    "not-an-address",
    "1.2.3",
    "1.2.3.256",
    "01.2.3.4",
    "1::2::3",
  ];
  const allowed = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "11.0.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ];

  it.each(forbidden)("refuses %s", (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });
  it.each(allowed)("allows %s", (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it("parses IPv6 forms", () => {
    expect(parseIPv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6("1::8")).toEqual([1, 0, 0, 0, 0, 0, 0, 8]);
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6(":1.2.3.4")).toBeNull();
  });
});

describe("webhook URLs", () => {
  const refused: [string, RegExp][] = [
    ["http://hooks.example.com/x", /https/],
    ["ftp://hooks.example.com/x", /https/],
    ["not a url", /absolute URL/],
    ["https://user:pass@hooks.example.com/x", /credentials/],
    ["https://user@hooks.example.com/x", /credentials/],
    ["https://hooks.example.com:8080/x", /port/],
    ["https://hooks.example.com:22/x", /port/],
    ["https://127.0.0.1/x", /not public/],
    ["https://2130706433/x", /not public/],
    ["https://0x7f.1/x", /not public/],
    ["https://127.1/x", /not public/],
    ["https://10.1.2.3/x", /not public/],
    ["https://169.254.169.254/latest/meta-data/", /not public/],
    ["https://100.64.1.1/x", /not public/],
    ["https://0.0.0.0/x", /not public/],
    ["https://224.0.0.1/x", /not public/],
    ["https://[::1]/x", /not public/],
    ["https://[::ffff:127.0.0.1]/x", /not public/],
    ["https://[fe80::1]/x", /not public/],
    ["https://[fd00::1]/x", /not public/],
    ["https://localhost/x", /not a public domain/],
    ["https://LOCALHOST./x", /not a public domain/],
    ["https://api.localhost/x", /\.localhost/],
    ["https://metadata.google.internal/computeMetadata/v1/", /\.internal/],
    ["https://metadata/x", /not a public domain/],
    ["https://printer.local/x", /\.local/],
    ["https://db.corp/x", /\.corp/],
    ["https://router.home.arpa/x", /\.arpa/],
    ["https://1.0.0.127.in-addr.arpa/x", /\.arpa/],
    [`https://hooks.example.com/${"a".repeat(2048)}`, /2048/],
  ];
  it.each(refused)("refuses %s", (url, reason) => {
    expect(webhookUrlProblem(url)).toMatch(reason);
  });

  it.each([
    "https://hooks.example.com/hexi",
    "https://hooks.example.com:443/x?a=1",
    "https://hooks.example.com:8443/x",
    "https://8.8.8.8/x",
    "https://[2606:4700:4700::1111]/x",
    "https://xn--fiqs8s.cn/x",
  ])("allows %s", (url) => {
    expect(webhookUrlProblem(url)).toBeNull();
  });
});

describe("the delivery-time check", () => {
  const resolver = (answers: Record<string, string[]>) => async (host: string) => {
    if (!answers[host]) throw new Error("ENOTFOUND");
    return answers[host];
  };

  it("refuses a name that resolves to any private address (DNS rebinding)", async () => {
    const resolve = resolver({
      "hooks.example.com": ["93.184.216.34", "10.0.0.5"],
      "ok.example.com": ["93.184.216.34", "2606:4700::1"],
      "meta.example.com": ["::ffff:169.254.169.254"],
    });
    expect(await deliveryTargetProblem("https://hooks.example.com/x", resolve)).toMatch(/resolves to 10\.0\.0\.5/);
    expect(await deliveryTargetProblem("https://meta.example.com/x", resolve)).toMatch(/169\.254\.169\.254/);
    expect(await deliveryTargetProblem("https://ok.example.com/x", resolve)).toBeNull();
    expect(await deliveryTargetProblem("https://gone.example.com/x", resolve)).toMatch(/did not resolve/);
    expect(await deliveryTargetProblem("https://empty.example.com/x", async () => [])).toMatch(/did not resolve/);
  });

  it("checks the URL again, and without a resolver (Workers) checks only the URL", async () => {
    expect(await deliveryTargetProblem("https://localhost/x", async () => ["93.184.216.34"])).toMatch(
      /not a public domain/,
    );
    expect(await deliveryTargetProblem("https://hooks.example.com/x")).toBeNull();
    expect(await deliveryTargetProblem("https://8.8.8.8/x", async () => ["10.0.0.1"])).toBeNull();
  });
});

describe("the development loopback policy (HEXI_WEBHOOK_ALLOW_LOOPBACK)", () => {
  const dev = { allowLoopback: true };

  it("is off unless set to exactly true", () => {
    expect(parseConfig({}).HEXI_WEBHOOK_ALLOW_LOOPBACK).toBe(false);
    expect(parseConfig({ HEXI_WEBHOOK_ALLOW_LOOPBACK: "false" }).HEXI_WEBHOOK_ALLOW_LOOPBACK).toBe(false);
    expect(parseConfig({ HEXI_WEBHOOK_ALLOW_LOOPBACK: "true" }).HEXI_WEBHOOK_ALLOW_LOOPBACK).toBe(true);
    expect(() => parseConfig({ HEXI_WEBHOOK_ALLOW_LOOPBACK: "1" })).toThrow(ConfigError);
    expect(() => parseConfig({ HEXI_WEBHOOK_ALLOW_LOOPBACK: "yes" })).toThrow(/HEXI_WEBHOOK_ALLOW_LOOPBACK/);
  });

  it("knows loopback as 127.0.0.0/8 and ::1 only", () => {
    for (const a of ["127.0.0.1", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1"])
      expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of [
      "0.0.0.0",
      "10.0.0.1",
      "169.254.169.254",
      "::",
      "::ffff:127.0.0.1",
      "::127.0.0.1",
      "fe80::1",
      "128.0.0.1",
      "localhost",
    ])
      expect(isLoopbackAddress(a), a).toBe(false);
  });

  it.each([
    "http://localhost:3000/hook",
    "http://LOCALHOST./x",
    "https://localhost/x",
    "http://127.0.0.1:9/x",
    "http://127.1.2.3/x",
    "http://[::1]:8080/x",
    "https://[::1]/x",
  ])("accepts %s", (url) => {
    expect(webhookUrlProblem(url, dev)).toBeNull();
    expect(webhookUrlProblem(url)).not.toBeNull(); // and the default still refuses it
  });

  const stillRefused: [string, RegExp][] = [
    ["http://10.0.0.1/x", /https/],
    ["https://10.0.0.1/x", /not public/],
    ["https://169.254.169.254/latest/meta-data/", /not public/],
    ["http://169.254.169.254/latest/meta-data/", /https/],
    ["https://192.168.1.1/x", /not public/],
    ["https://0.0.0.0/x", /not public/],
    ["https://[::ffff:127.0.0.1]/x", /not public/],
    ["https://[fd00::1]/x", /not public/],
    ["https://api.localhost/x", /\.localhost/],
    ["https://metadata.google.internal/x", /\.internal/],
    ["http://hooks.example.com/x", /https/],
    ["https://hooks.example.com:8080/x", /port/],
    ["http://user:pw@127.0.0.1:9/x", /credentials/],
    ["ftp://127.0.0.1/x", /https/],
  ];
  it.each(stillRefused)("still refuses %s", (url, reason) => {
    expect(webhookUrlProblem(url, dev)).toMatch(reason);
  });

  it("at delivery, localhost must resolve to loopback only, and other names to public addresses only", async () => {
    expect(await deliveryTargetProblem("http://localhost:3000/x", async () => ["127.0.0.1", "::1"], dev)).toBeNull();
    expect(await deliveryTargetProblem("http://localhost:3000/x", async () => ["127.0.0.1", "10.0.0.1"], dev)).toMatch(
      /10\.0\.0\.1, which is not loopback/,
    );
    expect(await deliveryTargetProblem("http://localhost:3000/x", async () => ["169.254.169.254"], dev)).toMatch(
      /not loopback/,
    );
    expect(await deliveryTargetProblem("https://hooks.example.com/x", async () => ["127.0.0.1"], dev)).toMatch(
      /127\.0\.0\.1, which is not public/,
    );
    expect(await deliveryTargetProblem("http://localhost:3000/x", async () => ["127.0.0.1"])).toMatch(/https/);
  });

  it("the Node client sends http only to loopback, and only when the policy allows it", async () => {
    const receiver = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as AddressInfo;
    try {
      const devFetch = createWebhookFetch(publicOnlyLookup, dev);
      const init = { method: "POST", body: "{}", headers: {} };
      expect((await devFetch(`http://127.0.0.1:${port}/hook`, init)).status).toBe(204);
      expect((await devFetch(`http://localhost:${port}/hook`, init)).status).toBe(204);
      await expect(devFetch("http://hooks.example.com/hook", init)).rejects.toThrow(/http: is not allowed/);
      await expect(webhookFetch(`http://127.0.0.1:${port}/hook`, init)).rejects.toThrow(/http: is not allowed/);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe("on Node", () => {
  it("the HTTPS client checks the address it connects to, whatever the pre-flight check said", async () => {
    // localhost resolves from /etc/hosts, so this needs no network: the connection is refused before it is made.
    await expect(webhookFetch("https://localhost:9/hook", { method: "POST", body: "{}", headers: {} })).rejects.toThrow(
      /resolves to (127\.0\.0\.1|::1), which is not public/,
    );
    expect((await resolveHost("localhost")).some((a) => a === "127.0.0.1" || a === "::1")).toBe(true);
  });

  it("runs the dispatcher in a loop whose runs never overlap, and stops after the current run", async () => {
    vi.useFakeTimers();
    try {
      let active = 0;
      let maxActive = 0;
      let runs = 0;
      const finishers: (() => void)[] = [];
      const fake = {
        runOnce: () => {
          runs++;
          active++;
          maxActive = Math.max(maxActive, active);
          return new Promise<void>((resolve) => finishers.push(() => (active--, resolve())));
        },
      } as unknown as Dispatcher;
      const loop = startDispatchLoop(fake, 2000);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toBe(1); // the first run has not finished: no second one starts
      finishers.shift()!();
      await vi.advanceTimersByTimeAsync(1_999);
      expect(runs).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toBe(2);
      let stopped = false;
      const stopping = loop.stop().then(() => (stopped = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(false); // waits for the run in progress
      finishers.shift()!();
      await stopping;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toBe(2);
      expect(maxActive).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
