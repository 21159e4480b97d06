import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capTime } from "../../src/domains/emergency/cap.js";
import { createWorld, declareBody, newTeam, newVolunteer, type World } from "./setup.js";

const schema = fileURLToPath(new URL("../../src/domains/emergency/cap/cap-1.2.xsd", import.meta.url));
const hasXmllint = existsSync("/usr/bin/xmllint");
const dir = mkdtempSync(join(tmpdir(), "hexi-cap-"));

/** Validates against the schema written from the specification (Debian's libxml2-utils). */
function validate(xml: string): string {
  const file = join(dir, `alert-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  // xmllint reports on stderr ("<file> validates" or the errors) and exits non-zero when invalid.
  const run = spawnSync("xmllint", ["--noout", "--schema", schema, file], { encoding: "utf8" });
  return run.status === 0 ? "validates" : `${run.stderr}`;
}

const all = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1]);

/** What the schema cannot say, from the specification's prose. */
function specRules(xml: string): string[] {
  const problems: string[] = [];
  const scope = all(xml, "scope")[0];
  if (scope === "Restricted" && all(xml, "restriction").length !== 1) problems.push("Restricted needs a restriction");
  const msgType = all(xml, "msgType")[0];
  if ((msgType === "Update" || msgType === "Cancel") && all(xml, "references").length !== 1)
    problems.push(`${msgType} needs references`);
  for (const ref of all(xml, "references")[0]?.split(" ") ?? [])
    if (ref.split(",").length !== 3) problems.push(`reference ${ref} is not sender,identifier,sent`);
  for (const t of [...all(xml, "sent"), ...all(xml, "effective")]) if (/Z$/.test(t ?? "")) problems.push(`${t} uses Z`);
  const languages = all(xml, "language");
  if (new Set(languages).size !== languages.length) problems.push("info languages repeat");
  return problems;
}

let w: World;
beforeAll(async () => {
  w = await createWorld();
  const v = await newVolunteer(w, w.fukang);
  await newTeam(w, w.fukang, "emergency", [v]);
});
afterAll(() => w.ctx.close());

async function exportOf(id: string) {
  const res = await w.ctx.as(w.street)(`/v1/incidents/${id}/cap.xml`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/cap+xml");
  return res.text();
}

describe.skipIf(!hasXmllint)("CAP 1.2 export", () => {
  it("exports a drill as an Exercise Alert with zh-CN and en info blocks, valid against the schema", async () => {
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { level: "II" }));
    const xml = await exportOf(res.body.incident.id);
    expect(validate(xml)).toContain("validates");
    expect(specRules(xml)).toEqual([]);
    expect(all(xml, "status")).toEqual(["Exercise"]);
    expect(all(xml, "msgType")).toEqual(["Alert"]);
    expect(all(xml, "scope")).toEqual(["Restricted"]);
    expect(all(xml, "language")).toEqual(["zh-CN", "en"]);
    expect(all(xml, "severity")).toEqual(["Severe", "Severe"]);
    expect(all(xml, "sent")).toEqual(["2026-08-13T14:00:00+08:00"]);
    expect(all(xml, "headline")[0]).toBe("富康社区暴雨内涝演练");
  });

  it("exports a real incident's stand-down as an Update with AllClear referencing the alert", async () => {
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { drill: false, level: "I" }));
    const id = res.body.incident.id;
    w.clock.advanceMinutes(90);
    await w.ctx.call(w.street, "POST", `/v1/incidents/${id}/stand-down`);
    const xml = await exportOf(id);
    expect(validate(xml)).toContain("validates");
    expect(specRules(xml)).toEqual([]);
    expect(all(xml, "status")).toEqual(["Actual"]);
    expect(all(xml, "msgType")).toEqual(["Update"]);
    expect(all(xml, "responseType")).toEqual(["AllClear", "AllClear"]);
    expect(all(xml, "severity")).toEqual(["Extreme", "Extreme"]);
    expect(all(xml, "references")).toEqual([`hexi-620902@a.hexi.dev,${id},${capTime(res.body.incident.createdAt)}`]);
  });

  it("exports a cancellation as a Cancel, and maps levels III and IV", async () => {
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w, { level: "IV" }));
    await w.ctx.call(w.street, "POST", `/v1/incidents/${res.body.incident.id}/cancel`);
    const xml = await exportOf(res.body.incident.id);
    expect(validate(xml)).toContain("validates");
    expect(specRules(xml)).toEqual([]);
    expect(all(xml, "msgType")).toEqual(["Cancel"]);
    expect(all(xml, "severity")).toEqual(["Minor", "Minor"]);
  });

  it("the schema refuses what CAP forbids (a Z time, an unknown severity)", () => {
    const good = `<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier><sender>s@h</sender><sent>2026-08-13T14:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope></alert>`;
    expect(validate(good)).toContain("validates");
    expect(validate(good.replace("+08:00", "Z"))).not.toContain("validates");
    expect(validate(good.replace("<scope>Public</scope>", "<scope>Everyone</scope>"))).not.toContain("validates");
  });

  it("is another tenant's 404", async () => {
    const res = await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w));
    expect((await w.ctx.as(w.otherCounty)(`/v1/incidents/${res.body.incident.id}/cap.xml`)).status).toBe(404);
  });
});
