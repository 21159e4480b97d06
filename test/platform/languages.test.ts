/**
 * Chinese and English, and what a client meets first: problem titles and details follow
 * Accept-Language (zh-CN by default) with the code unchanged; one catalogue holds both languages of
 * every text; validation says "required"; unknown query parameters are refused; a 403 names the
 * scope and the roles that hold it; a body-less POST to an action is not a 415.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCatalogue } from "../../src/shared/http/errors.js";
import {
  defaultLanguage,
  details,
  formatNames,
  negotiateLanguage,
  problemTitles,
  requestParts,
  things,
  typeNames,
  type Text,
} from "../../src/shared/http/messages.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { divisionNamed, type DivisionRef } from "../helpers/fixtures.js";
import type { TokenOptions } from "../helpers/keys.js";

let ctx: TestContext;
let dongbei: DivisionRef;
const county: TokenOptions = { tenant: "620902", roles: ["county_admin"], sub: "county-1" };
const member: TokenOptions = { tenant: "620902", roles: ["member"], sub: "member-1" };

beforeAll(async () => {
  ctx = await createTestContext();
  dongbei = await divisionNamed(ctx, "620902", "东北街街道");
});
afterAll(() => ctx.close());

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const han = /[\u4e00-\u9fff]/;

describe("the message catalogue", () => {
  const texts: [string, Text][] = [
    ...Object.entries(problemTitles).map(([k, t]): [string, Text] => [`title ${k}`, t]),
    ...Object.entries(details).map(([k, t]): [string, Text] => [`detail ${k}`, t]),
    ...Object.entries(things).map(([k, t]): [string, Text] => [`thing ${k}`, t]),
    ...Object.entries(requestParts).map(([k, t]): [string, Text] => [`part ${k}`, t]),
    ...Object.entries(typeNames).map(([k, t]): [string, Text] => [`type ${k}`, t]),
    ...Object.entries(formatNames).map(([k, t]): [string, Text] => [`format ${k}`, t]),
  ];

  it("has a title in both languages for every error code, and no title without a code", () => {
    expect(Object.keys(problemTitles).sort()).toEqual(Object.keys(errorCatalogue).sort());
  });

  it("has every text in English and in Chinese, with the same placeholders", () => {
    expect(texts.length).toBeGreaterThan(150);
    for (const [name, text] of texts) {
      expect(text.en.trim(), name).not.toBe("");
      expect(text.zh.trim(), name).not.toBe("");
      expect(placeholders(text.zh), name).toEqual(placeholders(text.en));
    }
  });

  it("writes the Chinese texts in Chinese (those that are not identifiers only)", () => {
    const identifiersOnly = new Set(["type null", "format url", "format uuid", "detail http.rejected"]);
    for (const [name, text] of texts) {
      if (identifiersOnly.has(name) || !/[a-z]{3}/.test(text.en.replace(/\{\w+\}/g, ""))) continue;
      expect(text.zh, name).toMatch(han);
    }
  });
});

describe("no client-facing text outside the catalogue", () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );

  it("has no zod refinement or issue with a literal message in src/ (they name a key with zodMessage)", () => {
    const literal = [
      /\.(?:refine|regex)\([^;]*?,\s*["'`]/, // .refine(check, "text") / .regex(re, "text")
      /\bmessage:\s*["'`]/, // { message: "text" }
    ];
    // The operator's configuration is validated at start-up (src/config.ts with its claim mappings) or by the
    // bootstrap command (src/db/bootstrap.ts): those messages go to the log or the terminal, not to clients.
    const operatorConfig = [
      join("src", "config.ts"),
      join("src", "shared", "auth", "claim-mapping.ts"),
      join("src", "db", "bootstrap.ts"),
    ];
    const offenders = sources("src")
      .filter((file) => !operatorConfig.includes(file))
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .flatMap((line, i) => (literal.some((re) => re.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it("keeps no detail nobody raises", () => {
    const code = sources("src")
      .filter((file) => !file.endsWith("messages.ts"))
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    expect(Object.keys(details).filter((key) => !code.includes(`"${key}"`))).toEqual([]);
  });
});

describe("Accept-Language", () => {
  it("negotiates zh-CN or en by weight, and defaults to zh-CN", () => {
    expect(defaultLanguage).toBe("zh-CN");
    expect(negotiateLanguage(undefined)).toBe("zh-CN");
    expect(negotiateLanguage("")).toBe("zh-CN");
    expect(negotiateLanguage("fr-FR")).toBe("zh-CN");
    expect(negotiateLanguage("*")).toBe("zh-CN");
    expect(negotiateLanguage("en")).toBe("en");
    expect(negotiateLanguage("en-GB,en;q=0.9")).toBe("en");
    expect(negotiateLanguage("zh-CN,zh;q=0.9,en;q=0.8")).toBe("zh-CN");
    expect(negotiateLanguage("zh-TW")).toBe("zh-CN");
    expect(negotiateLanguage("fr;q=1, en;q=0.5, zh;q=0.4")).toBe("en");
    expect(negotiateLanguage("en;q=0, zh-Hans")).toBe("zh-CN");
    expect(negotiateLanguage("EN-us")).toBe("en");
  });

  it("renders a problem's title and detail in the asked language, with the same code", async () => {
    const ask = (language?: string) =>
      ctx.app.request("/nope", { headers: language ? { "accept-language": language } : {} });
    const zh = await ask();
    expect(zh.headers.get("content-language")).toBe("zh-CN");
    expect(zh.headers.get("vary")).toMatch(/Accept-Language/i);
    expect(await zh.json()).toMatchObject({ code: "not_found", title: "未找到", detail: "没有这个路由。" });

    const en = await ask("en-US,en;q=0.9");
    expect(en.headers.get("content-language")).toBe("en");
    expect(en.headers.get("vary")).toMatch(/Accept-Language/i);
    expect(await en.json()).toMatchObject({ code: "not_found", title: "Not found", detail: "No such route." });
  });

  it("marks successful responses too", async () => {
    const res = await ctx.as(county)("/v1/me", { headers: { "accept-language": "zh-CN" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-language")).toBe("zh-CN");
    expect(res.headers.get("vary")).toMatch(/Accept-Language/i);
    const en = await ctx.as(county)("/v1/me");
    expect(en.headers.get("content-language")).toBe("en");
  });

  it("translates a detail with parameters, nested messages and lists", async () => {
    const zh = await ctx.app.request("/v1/me", { headers: { authorization: "Bearer not.a.jwt" } });
    expect(await zh.json()).toMatchObject({
      code: "unauthenticated",
      title: "需要身份认证",
      detail: "Bearer 令牌被拒绝：它不是格式正确的 JWT。",
    });
    const scoped = await ctx.call(member, "GET", "/v1/audit-events", undefined, { "accept-language": "zh-CN" });
    expect(scoped.status).toBe(403);
    expect(scoped.body.detail).toBe(
      "此操作需要权限范围 audit:read；拥有该权限的角色：city_admin、county_admin、street_admin、community_admin、auditor。",
    );
  });
});

describe("validation messages", () => {
  it("say a missing field is required, in either language", async () => {
    const body = { kind: "organ", divisionId: dongbei.id }; // no name
    const en = await ctx.call(county, "POST", "/v1/units", body);
    expect(en.status).toBe(400);
    expect(en.body).toMatchObject({
      code: "validation_failed",
      detail: "The request has 1 invalid field at body /name.",
      errors: [{ in: "body", pointer: "/name", detail: "name is required." }],
    });
    const zh = await ctx.call(county, "POST", "/v1/units", body, { "accept-language": "zh-CN" });
    expect(zh.body).toMatchObject({
      code: "validation_failed",
      detail: "请求有 1 个无效字段：请求体 /name。",
      errors: [{ in: "body", pointer: "/name", detail: "name 为必填项。" }],
    });
  });

  it("tell a wrong type, a bad enum value and a custom rule apart", async () => {
    const res = await ctx.call(county, "POST", "/v1/units", { name: 7, kind: "castle", divisionId: "div_x" });
    const byPointer = Object.fromEntries(
      (res.body.errors as { pointer: string; detail: string }[]).map((e) => [e.pointer, e.detail]),
    );
    expect(byPointer["/name"]).toBe("Expected a string.");
    expect(byPointer["/kind"]).toMatch(/^Must be one of: "organ"/);
    expect(byPointer["/divisionId"]).toBe("Not a div id.");
    const zh = await ctx.call(
      county,
      "POST",
      "/v1/units",
      { name: 7, kind: "organ", divisionId: "div_x" },
      { "accept-language": "zh" },
    );
    const zhByPointer = Object.fromEntries(
      (zh.body.errors as { pointer: string; detail: string }[]).map((e) => [e.pointer, e.detail]),
    );
    expect(zhByPointer).toEqual({ "/name": "应为字符串。", "/divisionId": "不是 div 类型的 ID。" });
  });

  it("name each unknown body field", async () => {
    const res = await ctx.call(county, "POST", "/v1/units", {
      name: "x",
      kind: "organ",
      divisionId: dongbei.id,
      a: 1,
      b: 2,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { in: "body", pointer: "/a", detail: "Unknown field a." },
      { in: "body", pointer: "/b", detail: "Unknown field b." },
    ]);
  });
});

describe("unknown query parameters", () => {
  it("are a 400 naming the parameter, instead of an unfiltered list", async () => {
    const res = await ctx.call(county, "GET", "/v1/member-reports?community=div_01KDVDNA011AKWK3RC504FTYF8");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: "validation_failed",
      detail: "The request has 1 invalid field at query /community.",
      errors: [{ in: "query", pointer: "/community" }],
    });
    expect(res.body.errors[0].detail).toMatch(/^Unknown query parameter community/);
  });

  it("are refused on operations that take no query at all", async () => {
    const res = await ctx.call(county, "GET", "/v1/me?verbose=1");
    expect(res.status).toBe(400);
    expect(res.body.errors).toMatchObject([{ in: "query", pointer: "/verbose" }]);
  });

  it("leave known ones alone", async () => {
    expect((await ctx.call(county, "GET", "/v1/member-reports?limit=1&status=submitted")).status).toBe(200);
  });
});

describe("a 403 for a missing scope", () => {
  it("names the scope and the roles that hold it", async () => {
    const res = await ctx.call(member, "GET", "/v1/audit-events");
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      code: "forbidden",
      requiredScopes: ["audit:read"],
      rolesWithScope: ["city_admin", "county_admin", "street_admin", "community_admin", "auditor"],
    });
    expect(res.body.detail).toBe(
      "This operation needs the scope audit:read; the roles that hold it: city_admin, county_admin, street_admin, community_admin, auditor.",
    );
  });
});

describe("a POST with no body", () => {
  it("to an action that takes none is accepted without a Content-Type", async () => {
    // No body, no Content-Type, no Content-Length: past the content-type check to the lookup (404).
    const res = await ctx.as(county)("/v1/member-reports/mrep_01KDVDNA011AKWK3RC504FTYF8/confirm", {
      method: "POST",
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "not_found", detail: "No such member report." });
  });

  it("but a body that is not JSON is still a 415", async () => {
    const res = await ctx.as(county)("/v1/member-reports/mrep_01KDVDNA011AKWK3RC504FTYF8/confirm", {
      method: "POST",
      body: "confirm please",
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      code: "unsupported_media_type",
      detail: "Send the body as application/json, not text/plain.",
    });
  });
});
