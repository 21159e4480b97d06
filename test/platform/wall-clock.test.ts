import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids.js";
import { createTestContext } from "../helpers/app.js";
import { TestClock } from "../helpers/clock.js";
import { signToken } from "../helpers/keys.js";

/**
 * Only src/shared/clock.ts reads the wall clock; everything else is handed a `Clock` (see that
 * file). A second reader would make tests depend on the day they run, so this scans every file
 * under src/ for the ways to read it.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const clockModule = "src/shared/clock.ts";

const readers: { what: string; pattern: RegExp }[] = [
  { what: "Date.now()", pattern: /\bDate\s*\.\s*now\b/ },
  { what: "new Date() without an argument", pattern: /\bnew\s+Date\b\s*(\(\s*\)|(?![\s(]))/ },
  { what: "Date() called as a function", pattern: /(?<![\w$.]|\bnew\s+)Date\s*\(/ },
  { what: "performance.now()", pattern: /\bperformance\s*\.\s*(now|timeOrigin)\b/ },
  { what: "process.hrtime", pattern: /\bprocess\s*\.\s*hrtime\b/ },
  { what: "Temporal.Now", pattern: /\bTemporal\s*\.\s*Now\b/ },
];

/** Comments may talk about the wall clock; code may not. String contents are kept (a template can call Date.now()). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " ")).replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

function wallClockReads(source: string): string[] {
  const found: string[] = [];
  withoutComments(source)
    .split("\n")
    .forEach((line, i) => {
      for (const { what, pattern } of readers) if (pattern.test(line)) found.push(`${i + 1}: ${what}: ${line.trim()}`);
    });
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe("the wall clock", () => {
  it("is read by src/shared/clock.ts only", () => {
    const files = filesUnder(join(root, "src")).filter((f) => /\.(ts|js|mts|cts|tsx)$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .map((file) => relative(root, file).split("\\").join("/"))
      .filter((file) => file !== clockModule)
      .flatMap((file) => wallClockReads(readFileSync(join(root, file), "utf8")).map((hit) => `${file}:${hit}`));
    expect(offenders).toEqual([]);
    // `systemClock` (new Date()) and `systemTimer` (performance.now(), for metrics durations only).
    expect(wallClockReads(readFileSync(join(root, clockModule), "utf8"))).toHaveLength(2);
  });

  it("is recognised in every form the scan forbids, and arguments to Date are not mistaken for it", () => {
    for (const read of [
      "const t = Date.now();",
      "const d = new Date();",
      "const d = new Date;",
      "const s = Date();",
      "x = performance.now() - start;",
      "const [s] = process.hrtime();",
      "Temporal.Now.instant()",
      "log(new Date().toISOString());",
    ])
      expect(wallClockReads(read), read).toHaveLength(1);
    for (const fine of [
      "new Date(now.getTime() + 1000)",
      "new Date(Date.UTC(2026, 0, 1))",
      "Date.parse(value)",
      "localDate(now)",
      "function nextDate(d: Date): Date {",
      "// Date.now() is not called here",
      "/* new Date() neither */ clock.now()",
    ])
      expect(wallClockReads(fine), fine).toEqual([]);
  });
});

describe("a test context's clock", () => {
  it("is the only clock the app reads: tokens, request ids and the verifier follow it to any date", async () => {
    const clock = new TestClock("2040-02-29T04:00:00.000Z");
    const ctx = await createTestContext({ clock });
    try {
      const me = await ctx.as({})("/v1/me");
      expect(me.status).toBe(200);
      // A ULID's first ten characters are its milliseconds.
      const requestId = me.headers.get("x-request-id")!;
      expect(requestId.slice(0, 14)).toBe(newId("req", clock.ms).slice(0, 14));
      const lastHour = await signToken(ctx.key, { expiresIn: 600 }, new Date(clock.ms - 3600_000));
      const stale = await ctx.app.request("/v1/me", { headers: { authorization: `Bearer ${lastHour}` } });
      expect(stale.status).toBe(401);
      clock.advance(-3600_000);
      const fresh = await ctx.app.request("/v1/me", { headers: { authorization: `Bearer ${lastHour}` } });
      expect(fresh.status).toBe(200);
    } finally {
      ctx.close();
    }
  });
});
