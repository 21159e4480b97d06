import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../../src/db/tables.js";
import { complaints } from "../../src/domains/property/tables.js";
import { propertyWorld, type PropertyWorld } from "./setup.js";

/**
 * Conformance with Open311 GeoReport v2, against the specification's own examples
 * (test/fixtures/open311, sources in SOURCE.md): the same documents, elements and field names in the
 * same nesting, the form-encoded create with `attribute[code]` fields, and its error format.
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/open311/${name}`, import.meta.url), "utf8");

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/** A minimal reader for GeoReport's schemaless XML: elements, text, self-closing tags; no attributes or namespaces. */
function parseXml(xml: string): XmlNode {
  expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
  const tokens = xml.replace(/^<\?xml[^>]*\?>/, "").match(/<\/?[A-Za-z_][\w.-]*\s*\/?>|[^<]+/g) ?? [];
  const root: XmlNode = { name: "#document", children: [], text: "" };
  const stack = [root];
  for (const token of tokens) {
    const top = stack.at(-1)!;
    if (token.startsWith("</")) stack.pop();
    else if (token.startsWith("<")) {
      const node = { name: token.replace(/[</>\s]/g, ""), children: [], text: "" };
      top.children.push(node);
      if (!token.endsWith("/>")) stack.push(node);
    } else top.text += token.trim();
  }
  expect(stack).toHaveLength(1);
  expect(root.children).toHaveLength(1);
  return root.children[0]!;
}

/** Every element path in a document, e.g. `services/service/service_code`, once each, sorted. */
function paths(node: XmlNode, prefix = ""): string[] {
  const here = prefix ? `${prefix}/${node.name}` : node.name;
  return [...new Set([here, ...node.children.flatMap((child) => paths(child, here))])].sort();
}

/** Field names in the order a JSON example first uses them (the spec's JSON is not valid JSON: leading zeros). */
const jsonKeys = (text: string) => [...new Set([...text.matchAll(/"(\w+)"\s*:/g)].map((m) => m[1]!))].sort();

let w: PropertyWorld;
let fileKey: string; // complaints:file and complaints:read
let readOnlyKey: string;
let otherTenantKey: string;

beforeAll(async () => {
  w = await propertyWorld();
  const key = async (who: typeof w.county, scopes: string[]) => {
    const res = await w.ctx.call(who, "POST", "/v1/api-keys", { name: "FixMyStreet 酒泉", scopes });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };
  fileKey = await key(w.county, ["complaints:file", "complaints:read"]);
  readOnlyKey = await key(w.county, ["divisions:read"]);
  otherTenantKey = await key(w.otherCounty, ["complaints:file", "complaints:read"]);
});
afterAll(() => w.ctx.close());

const get = (path: string) => w.ctx.app.request(path);
const post = (path: string, body: string) =>
  w.ctx.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  });

/** The spec's example request with our jurisdiction, key, service code and compound substituted; everything else as published. */
const specRequest = (over: Record<string, string> = {}) => {
  const params = new URLSearchParams(fixture("post-request.txt").trim());
  params.set("api_key", fileKey);
  params.set("jurisdiction_id", "620902");
  params.set("service_code", "blocked_fire_lane");
  params.set("attribute[compound]", w.compound.id);
  for (const [k, v] of Object.entries(over)) params.set(k, v);
  return params.toString();
};

async function fileOne(over: Record<string, string> = {}) {
  const res = await post("/open311/v2/requests.xml", specRequest(over));
  expect(res.status).toBe(201);
  const doc = parseXml(await res.text());
  const request = doc.children[0]!;
  const field = (name: string) => request.children.find((c) => c.name === name)?.text;
  return { id: field("service_request_id")!, token: field("token")!, doc };
}

describe("Service Discovery", () => {
  it("names the GeoReport v2 endpoint and its formats, in XML and JSON", async () => {
    const res = await get("/open311/discovery.xml");
    expect(res.status).toBe(200);
    const doc = parseXml(await res.text());
    expect(paths(doc)).toEqual(
      [
        "discovery",
        "discovery/changeset",
        "discovery/contact",
        "discovery/key_service",
        "discovery/endpoints",
        "discovery/endpoints/endpoint",
        ...["specification", "url", "changeset", "type", "formats", "formats/format"].map(
          (p) => `discovery/endpoints/endpoint/${p}`,
        ),
      ].sort(),
    );
    const json = (await (await get("/open311/discovery.json")).json()) as {
      endpoints: { url: string; formats: string[] }[];
    };
    expect(json.endpoints[0]).toMatchObject({
      url: "http://localhost/open311/v2",
      formats: ["text/xml", "application/json"],
    });
  });
});

describe("GET services", () => {
  it("has the shape of the specification's service list, in XML and JSON", async () => {
    const res = await get("/open311/v2/services.xml?jurisdiction_id=620902");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/xml; charset=utf-8");
    const ours = parseXml(await res.text());
    expect(paths(ours)).toEqual(paths(parseXml(fixture("services.xml"))));
    expect(ours.children.map((s) => s.children.find((c) => c.name === "service_code")!.text)).toContain(
      "flying_wire_charging",
    );
    for (const service of ours.children) {
      expect(["true", "false"]).toContain(service.children.find((c) => c.name === "metadata")!.text);
      expect(["realtime", "batch", "blackbox"]).toContain(service.children.find((c) => c.name === "type")!.text);
    }
    const json = await get("/open311/v2/services.json?jurisdiction_id=620902");
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(jsonKeys(await json.text())).toEqual(jsonKeys(fixture("services.json")));
  });

  it("answers GeoReport errors: 400 without jurisdiction_id, 404 for an unknown one", async () => {
    const missing = await get("/open311/v2/services.xml");
    expect(missing.status).toBe(400);
    expect(paths(parseXml(await missing.text()))).toEqual(paths(parseXml(fixture("error.xml"))));
    const unknown = await get("/open311/v2/services.json?jurisdiction_id=999999");
    expect(unknown.status).toBe(404);
    const body = await unknown.text();
    expect(jsonKeys(body)).toEqual(jsonKeys(fixture("error.json")));
    expect(JSON.parse(body)[0].code).toBe(404);
    // The city is no jurisdiction of complaints.
    expect((await get("/open311/v2/services.xml?jurisdiction_id=620900")).status).toBe(404);
  });
});

describe("GET a service definition", () => {
  it("has the shape of the specification's definition, listing the jurisdiction's compounds", async () => {
    const res = await get("/open311/v2/services/parking.xml?jurisdiction_id=620902");
    expect(res.status).toBe(200);
    const ours = parseXml(await res.text());
    expect(paths(ours)).toEqual(paths(parseXml(fixture("service-definition.xml"))));
    expect(await (await get("/open311/v2/services/parking.json?jurisdiction_id=620902")).text()).toContain(
      w.compound.id,
    );
    expect(jsonKeys(await (await get("/open311/v2/services/parking.json?jurisdiction_id=620902")).text())).toEqual(
      jsonKeys(fixture("service-definition.json")),
    );
    const other = (await (await get("/open311/v2/services/parking.json?jurisdiction_id=620981")).json()) as {
      attributes: { values: unknown[] }[];
    };
    expect(other.attributes[0]?.values).toEqual([]);
    expect((await get("/open311/v2/services/potholes.xml?jurisdiction_id=620902")).status).toBe(404);
  });
});

describe("POST a service request", () => {
  it("refuses the specification's example as published: its api_key is not one of ours (403, the spec's error document)", async () => {
    const res = await post(
      "/open311/v2/requests.xml",
      fixture("post-request.txt").trim().replace("city.gov", "620902"),
    );
    expect(res.status).toBe(403);
    expect(paths(parseXml(await res.text()))).toEqual(paths(parseXml(fixture("error.xml"))));
  });

  it("files the specification's example (our key, code and compound substituted) and answers its response shape", async () => {
    const { id, token, doc } = await fileOne();
    // The spec's elements, plus token (a documented Hexi deviation: the reporter's follow-up token).
    expect(paths(doc)).toEqual(
      [...paths(parseXml(fixture("post-response.xml"))), "service_requests/request/token"].sort(),
    );
    expect(token).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const [row] = await w.ctx.db.select().from(complaints).where(eq(complaints.id, id));
    expect(row).toMatchObject({
      channel: "open311",
      category: "blocked_fire_lane",
      description: "A large sinkhole is destroying the street",
      lat: 37.76524078,
      long: -122.4212043,
      addressString: "1234 5th street",
      compoundId: w.compound.id,
      status: "reported",
    });
    expect(row!.reporterMasked).toEqual({ name: "s*********", phone: "111**1111", email: "s***@sfgov.edu" });
    expect(JSON.parse(await w.ctx.pii.open(row!.reporterCipher!))).toMatchObject({
      email: "smit333@sfgov.edu",
      phone: "111111111",
    });
    const [audit] = await w.ctx.db.select().from(auditEvents).where(eq(auditEvents.targetId, id));
    expect(audit!.actorKind).toBe("api_key");
  });

  it("answers JSON in the shape of the specification's JSON example", async () => {
    const res = await post("/open311/v2/requests.json", specRequest());
    expect(res.status).toBe(201);
    expect(jsonKeys(await res.text())).toEqual([...jsonKeys(fixture("post-response.json")), "token"].sort());
  });

  it("refuses a key without complaints:file, another tenant's key, an unknown service and a foreign compound", async () => {
    expect((await post("/open311/v2/requests.xml", specRequest({ api_key: readOnlyKey }))).status).toBe(403);
    expect((await post("/open311/v2/requests.xml", specRequest({ api_key: otherTenantKey }))).status).toBe(403);
    expect((await post("/open311/v2/requests.xml", specRequest({ service_code: "001" }))).status).toBe(404);
    expect(
      (await post("/open311/v2/requests.xml", specRequest({ "attribute[compound]": "cpd_01KDVDNA011AKWK3RC504FTYF8" })))
        .status,
    ).toBe(400);
    expect((await post("/open311/v2/requests.xml", specRequest({ lat: "95" }))).status).toBe(400);
    const json = await w.ctx.app.request("/open311/v2/requests.xml", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(400);
    expect(paths(parseXml(await json.text()))).toEqual(paths(parseXml(fixture("error.xml"))));
  });

  it("takes the compound as address_id too", async () => {
    const params = new URLSearchParams(specRequest());
    params.delete("attribute[compound]");
    params.set("address_id", w.compound.id);
    expect((await post("/open311/v2/requests.xml", params.toString())).status).toBe(201);
  });
});

describe("quotas", () => {
  it("counts api_key calls against the key's per-minute quota: 429 with Retry-After, as a GeoReport error", async () => {
    const res = await w.ctx.call(w.county, "POST", "/v1/api-keys", {
      name: "slow",
      scopes: ["complaints:read"],
      rateLimitPerMinute: 2,
    });
    const url = `/open311/v2/requests.json?jurisdiction_id=620902&api_key=${res.body.key}`;
    expect((await get(url)).status).toBe(200);
    expect((await get(url)).status).toBe(200);
    const limited = await get(url);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(jsonKeys(await limited.text())).toEqual(jsonKeys(fixture("error.json")));
  });
});

describe("GET requests, a request and a token", () => {
  it("searches with the specification's arguments, in its shape", async () => {
    const { id } = await fileOne({ service_code: "pets" });
    const res = await get(
      `/open311/v2/requests.xml?jurisdiction_id=620902&api_key=${fileKey}&service_code=pets&status=open`,
    );
    expect(res.status).toBe(200);
    const ours = parseXml(await res.text());
    expect(paths(ours)).toEqual(paths(parseXml(fixture("requests.xml"))));
    expect(ours.children.map((r) => r.children[0]!.text)).toContain(id);
    const json = await get(
      `/open311/v2/requests.json?jurisdiction_id=620902&api_key=${fileKey}&service_request_id=${id}`,
    );
    const text = await json.text();
    expect(jsonKeys(text)).toEqual(jsonKeys(fixture("requests.json")));
    expect(JSON.parse(text).map((r: { service_request_id: string }) => r.service_request_id)).toEqual([id]);
    const closed = await get(`/open311/v2/requests.json?jurisdiction_id=620902&api_key=${fileKey}&status=closed`);
    expect(await closed.json()).toEqual([]);
    const old = await get(
      `/open311/v2/requests.json?jurisdiction_id=620902&api_key=${fileKey}&start_date=2010-05-24T00:00:00Z&end_date=2010-06-24T00:00:00Z`,
    );
    expect(await old.json()).toEqual([]);
    const span = await get(
      `/open311/v2/requests.json?jurisdiction_id=620902&api_key=${fileKey}&start_date=2010-01-01T00:00:00Z&end_date=2010-06-24T00:00:00Z`,
    );
    expect(span.status).toBe(400);
    expect((await get("/open311/v2/requests.xml?jurisdiction_id=620902")).status).toBe(403);
  });

  it("shows one request to a key, or to its reporter's token, with the status the lifecycle gives it", async () => {
    const { id, token } = await fileOne();
    await w.ctx.call(w.fukangAdmin, "POST", `/v1/complaints/${id}/close-not-responsible`, {
      referredTo: "市消防救援支队",
    });
    const byKey = await get(`/open311/v2/requests/${id}.json?jurisdiction_id=620902&api_key=${fileKey}`);
    expect(byKey.status).toBe(200);
    const [request] = (await byKey.json()) as Record<string, unknown>[];
    expect(request).toMatchObject({
      service_request_id: id,
      status: "closed",
      status_notes: "Referred to 市消防救援支队.",
    });
    expect((await get(`/open311/v2/requests/${id}.xml?jurisdiction_id=620902&token=${token}`)).status).toBe(200);
    expect((await get(`/open311/v2/requests/${id}.xml?jurisdiction_id=620902&token=AAAAAAAAAAAA`)).status).toBe(403);
    expect((await get(`/open311/v2/requests/${id}.xml?jurisdiction_id=620981&api_key=${otherTenantKey}`)).status).toBe(
      404,
    );
  });

  it("turns a token into its service_request_id, in the specification's shape", async () => {
    const { id, token } = await fileOne();
    const res = await get(`/open311/v2/tokens/${token}.xml?jurisdiction_id=620902`);
    expect(res.status).toBe(200);
    const doc = parseXml(await res.text());
    expect(paths(doc)).toEqual(paths(parseXml(fixture("token-response.xml"))));
    expect(doc.children[0]!.children[0]!.text).toBe(id);
    expect((await get(`/open311/v2/tokens/${token}.xml?jurisdiction_id=620981`)).status).toBe(404);
    expect((await get("/open311/v2/tokens/AAAAAAAAAAAA.json?jurisdiction_id=620902")).status).toBe(404);
  });
});
