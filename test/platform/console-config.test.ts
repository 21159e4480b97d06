import { describe, expect, it } from "vitest";
import { ConfigError, consoleSignInProviders, parseConfig } from "../../src/config.js";
import { createTestContext } from "../helpers/app.js";

const entry = (endpoint: string) => ({
  tenant: "620902",
  issuer: "https://idp.suzhou.example",
  jwksUrl: "https://idp.suzhou.example/jwks.json",
  console: {
    clientId: "hexi-console",
    authorizationEndpoint: `${endpoint}/authorize`,
    tokenEndpoint: `${endpoint}/token`,
  },
});
const parse = (issuers: unknown[]) => parseConfig({ HEXI_TENANT_ISSUERS: JSON.stringify(issuers) });

describe("console sign-in providers", () => {
  it("come from HEXI_TENANT_ISSUERS entries with a console object, named by their issuer unless named", () => {
    const { console: _none, ...plain } = entry("https://x.example");
    const config = parse([
      entry("https://idp.suzhou.example"),
      { ...plain, tenant: "620921", issuer: "https://idp.jinta.example" },
    ]);
    expect(consoleSignInProviders(config)).toEqual([
      {
        tenant: "620902",
        issuer: "https://idp.suzhou.example",
        name: "https://idp.suzhou.example",
        clientId: "hexi-console",
        authorizationEndpoint: "https://idp.suzhou.example/authorize",
        tokenEndpoint: "https://idp.suzhou.example/token",
      },
    ]);
  });

  it("must be https, except on loopback", () => {
    expect(() => parse([entry("http://idp.suzhou.example")])).toThrow(ConfigError);
    expect(() => parse([entry("javascript:alert(1)//")])).toThrow(ConfigError);
    expect(consoleSignInProviders(parse([entry("http://127.0.0.1:9999")]))).toHaveLength(1);
  });

  it("are announced on the console page, HTML-escaped, and their token endpoints alone join connect-src", async () => {
    const ctx = await createTestContext({
      consoleSignIn: [
        {
          tenant: "620902",
          issuer: "https://idp.example",
          name: '肃州区"><script>alert(1)</script>',
          clientId: "c",
          authorizationEndpoint: "https://login.idp.example/authorize",
          tokenEndpoint: "https://token.idp.example/token",
        },
      ],
    });
    try {
      const res = await ctx.app.request("/console/");
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("connect-src 'self' https://token.idp.example;");
      expect(csp).toContain("script-src 'self';");
      const html = await res.text();
      expect(html).not.toContain("<script>alert");
      expect(html).toContain('<meta name="hexi-sign-in" content="[{&#34;tenant&#34;:&#34;620902&#34;');
    } finally {
      ctx.close();
    }
  });
});
