import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the committed openapi.json", () => {
  it("passes Redocly's recommended lint rules with no errors", () => {
    let output: string;
    try {
      output = execFileSync("node_modules/.bin/redocly", ["lint", "openapi.json", "--format=json"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      output = (err as { stdout?: string }).stdout ?? "";
    }
    const report = JSON.parse(output) as { totals: { errors: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
    const errors = report.problems.filter((p) => p.severity === "error").map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);
});
