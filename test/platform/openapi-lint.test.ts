import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the committed openapi.json", () => {
  it("passes Redocly's recommended lint rules with no errors", () => {
    let output: string;
    try {
      output = execFileSync("node_modules/.bin/redocly", ["lint", "openapi.json", "--format=json"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      output = (err as { stdout?: string }).stdout ?? "";
    }
    const report = JSON.parse(output) as {
      totals: { errors: number };
      problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
    };
    const errors = report.problems
      .filter((p) => p.severity === "error")
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);

  it("names every /v1 path segment (actions included: POST /v1/<things>/{id}/<action>) in kebab-case, every operation uniquely in camelCase", () => {
    const doc = JSON.parse(readFileSync(`${root}/openapi.json`, "utf8")) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.values(item).map((op) => ({ path, id: op.operationId })),
    );
    const segments = Object.keys(doc.paths)
      .filter((p) => p.startsWith("/v1/"))
      .flatMap((p) => p.split("/").slice(1))
      .filter((s) => !s.startsWith("{"));
    // A representation in a standard format may end in its extension (`/v1/incidents/{id}/cap.xml`).
    expect(segments.filter((s) => !/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z]+)?$/.test(s))).toEqual([]);
    expect(Object.keys(doc.paths)).toContain("/v1/participations/{id}/mark-no-show");
    const ids = operations.map((o) => o.id);
    expect(ids.filter((id) => !id || !/^[a-z][a-zA-Z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});
