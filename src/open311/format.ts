import type { Context } from "hono";

/**
 * GeoReport v2 documents in its two formats: XML (required; schemaless, no namespace, UTF-8 with
 * the declaration) and JSON (the Spark convention: the XML's repeated element becomes an array of
 * objects, its root disappears). A document is described once, as a root, a repeated element and
 * its items with fields in the specification's order, and written either way.
 */
export type Format = "xml" | "json";
export type Value = string | number | boolean | null | undefined | Item[] | Item | string[];
export interface Item {
  [field: string]: Value;
}

export interface Doc {
  /** e.g. `services`; absent for a single-object document (`service_definition`). */
  root: string;
  /** e.g. `service`; absent when `items` is one object written as the root itself. */
  element?: string;
  items: Item[] | Item;
}

/** Open311 lists nest as `<attributes><attribute>…`: a field whose value is an array names its items by this map. */
const listItems: Record<string, string> = {
  attributes: "attribute",
  values: "value",
  errors: "error",
  endpoints: "endpoint",
  formats: "format",
};

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (ch) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[ch]!);
// Characters XML 1.0 cannot carry at all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const invalidXmlChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function xmlField(name: string, value: Value, indent: string): string {
  if (value === null || value === undefined || value === "") return `${indent}<${name}></${name}>`;
  if (Array.isArray(value)) {
    const child = listItems[name] ?? "item";
    const items = value.map((v: Item | string) =>
      typeof v === "string" ? xmlField(child, v, `${indent}  `) : xmlItem(child, v, `${indent}  `),
    );
    return `${indent}<${name}>\n${items.join("\n")}\n${indent}</${name}>`;
  }
  if (typeof value === "object") return xmlItem(name, value, indent);
  return `${indent}<${name}>${escapeXml(String(value).replace(invalidXmlChars, ""))}</${name}>`;
}

function xmlItem(name: string, item: Item, indent: string): string {
  const fields = Object.entries(item).map(([k, v]) => xmlField(k, v, `${indent}  `));
  return `${indent}<${name}>\n${fields.join("\n")}\n${indent}</${name}>`;
}

export function toXml(doc: Doc): string {
  const body = Array.isArray(doc.items)
    ? `<${doc.root}>\n${doc.items.map((item) => xmlItem(doc.element!, item, "  ")).join("\n")}\n</${doc.root}>`
    : xmlItem(doc.root, doc.items, "");
  return `<?xml version="1.0" encoding="utf-8"?>\n${body}\n`;
}

/** Spark convention: `undefined` fields are left out, `null` and "" become null. */
export function toJson(doc: Doc): unknown {
  const clean = (v: Value): unknown =>
    Array.isArray(v)
      ? v.map(clean)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .map(([k, x]) => [k, clean(x)]),
          )
        : v === "" || v === undefined
          ? null
          : v;
  return clean(doc.items as Value);
}

export function respond(c: Context, format: Format, doc: Doc, status: 200 | 201 | 400 | 403 | 404 | 429 | 500 = 200) {
  if (format === "json") return c.json(toJson(doc), status);
  return c.body(toXml(doc), status, { "content-type": "text/xml; charset=utf-8" });
}

/** Its own error format: `<errors><error><code/><description/></error></errors>`, or a JSON array of the same. */
export class Open311Error extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 429 | 500,
    description: string,
    readonly code: number | string = status,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

export function errorDoc(errors: { code: number | string; description: string }[]): Doc {
  return { root: "errors", element: "error", items: errors.map((e) => ({ code: e.code, description: e.description })) };
}
