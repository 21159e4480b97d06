import { Hono, type Context } from "hono";
import { and, desc, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import { newId } from "../db/ids.js";
import { tenants } from "../db/tables.js";
import type { Principal, Scope } from "../shared/auth/principal.js";
import type { AppEnv } from "../shared/request/context.js";
import type { AccessCache } from "../domains/access/credentials.js";
import { rateLimitMachines } from "../shared/http/rate-limit.js";
import { ApiError } from "../shared/http/errors.js";
import { categoryNames, fileComplaint, tokenHashOf, type ComplaintRow } from "../domains/property/common.js";
import { deadlines } from "../domains/property/machines.js";
import { deadlineInWords } from "../shared/calendar.js";
import { selectOnce } from "../shared/store/prepared.js";
import {
  complaintCategories,
  complaints,
  complaintStatuses,
  compounds,
  type ComplaintCategory,
} from "../domains/property/tables.js";
import { errorDoc, Open311Error, respond, type Doc, type Format, type Item } from "./format.js";

/**
 * Open311 GeoReport v2 over the red-property complaints, for FixMyStreet-style clients:
 * services = complaint categories, a service request = a complaint, `jurisdiction_id` = the tenant
 * code, `api_key` = a Hexi API key of that tenant. Every resource ends in `.xml` or `.json`; errors
 * are GeoReport error documents, never problem documents. Deviations, all documented in the README:
 * request search and lookup by id need an api_key with `complaints:read` (complaints are residents'
 * words about their neighbours; the specification leaves them open), lookup by id also accepts the
 * reporter's `token`, and the create response carries both `service_request_id` and `token`.
 */
export const open311Base = "/open311/v2";

const ext = "\\.(?:xml|json)";
const formatOf = (file: string): Format => (file.endsWith(".json") ? "json" : "xml");
const stem = (file: string) => file.replace(/\.(xml|json)$/, "");

/** [D] Compounds offered in a service definition's `compound` list. */
const maxCompoundValues = 500;
/** The specification's default search window and size. */
const defaultSpanMs = 90 * 86_400_000;
const maxResults = 1000;

type Handler = (c: Context<AppEnv>, format: Format, file: string) => Promise<Response>;

/** Runs a handler and turns whatever it throws into a GeoReport error document in the request's format. */
const open311 =
  (param: string, handler: Handler) =>
  async (c: Context<AppEnv>): Promise<Response> => {
    const file = c.req.param(param) ?? "";
    const format = formatOf(file);
    try {
      return await handler(c, format, file);
    } catch (err) {
      const e = asOpen311Error(err);
      if (e.status === 500) throw err; // the app's error handler logs it
      for (const [name, value] of Object.entries(e.headers)) c.header(name, value);
      return respond(c, format, errorDoc([{ code: e.code, description: e.message }]), e.status);
    }
  };

function asOpen311Error(err: unknown): Open311Error {
  if (err instanceof Open311Error) return err;
  if (err instanceof ApiError) {
    const status =
      err.status === 401 || err.status === 403
        ? 403
        : err.status === 404
          ? 404
          : err.status === 429
            ? 429
            : err.status >= 500
              ? 500
              : 400;
    return new Open311Error(status, err.message, err.code, err.extensions.headers);
  }
  return new Open311Error(500, "Internal error.");
}

/** Parameters from the query string, and for POST from the form body. Empty values count as absent (the spec's "Optional"). */
async function paramsOf(c: Context<AppEnv>): Promise<URLSearchParams> {
  const params = new URLSearchParams();
  const add = (source: URLSearchParams) => {
    for (const [k, v] of source) if (v.trim() !== "") params.append(k, v.trim());
  };
  add(new URL(c.req.url).searchParams);
  if (c.req.method === "POST") {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type))
      throw new Open311Error(400, "Send the request as application/x-www-form-urlencoded.");
    add(new URLSearchParams(await c.req.text()));
  }
  return params;
}

/** `jurisdiction_id` is the tenant code (one endpoint serves all seven): 400 without it, 404 for an unknown one. */
const jurisdictionSelect = selectOnce((qb) =>
  qb
    .select({ code: tenants.code, level: tenants.level })
    .from(tenants)
    .where(eq(tenants.code, sql.placeholder("code"))),
);

async function jurisdiction(c: Context<AppEnv>, params: URLSearchParams): Promise<string> {
  const code = params.get("jurisdiction_id");
  if (!code) throw new Open311Error(400, "jurisdiction_id was not provided (the six-digit tenant code, e.g. 620902).");
  const [tenant] = await jurisdictionSelect({ code }).run(c.get("db"));
  if (tenant?.level !== "county") throw new Open311Error(404, `jurisdiction_id ${code} was not found.`);
  return tenant.code;
}

/** The api_key's principal, which must belong to the jurisdiction and hold `scope` (403 otherwise, as the spec has it). */
async function apiKeyPrincipal(
  c: Context<AppEnv>,
  params: URLSearchParams,
  tenant: string,
  scope: Scope,
): Promise<Principal> {
  const key = params.get("api_key");
  if (!key) throw new Open311Error(403, "api_key was not provided.");
  let credential: Awaited<ReturnType<AccessCache["apiKey"]>>;
  try {
    credential = await c.get("accessCache").apiKey(c, key);
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) throw new Open311Error(403, "Invalid api_key received.");
    throw err;
  }
  const { principal } = credential;
  if (principal.tenant !== tenant) throw new Open311Error(403, "Invalid api_key received for this jurisdiction_id.");
  if (!principal.scopes.has(scope)) throw new Open311Error(403, `The api_key lacks the scope ${scope}.`);
  // The key's and its tenant's per-minute quotas, as on /v1 (a 429 becomes a GeoReport error).
  c.set("rateLimit", credential.rateLimit);
  await rateLimitMachines(c.get("rateLimiter"), c.get("tenantRateLimitPerMinute"))(c, async () => {});
  c.set("principal", principal);
  return principal;
}

const isCategory = (code: string): code is ComplaintCategory =>
  (complaintCategories as readonly string[]).includes(code);

function serviceOf(code: ComplaintCategory): Item {
  const name = categoryNames[code];
  return {
    service_code: code,
    service_name: `${name.zh} ${name.en}`,
    description: `红色物业 complaint: ${name.en.toLowerCase()} in a residential compound (小区). Handled within ${deadlineInWords(deadlines[code])}, then escalated.`,
    metadata: true,
    type: "realtime",
    keywords: `${name.zh}, ${name.en.toLowerCase()}, 物业, property`,
    group: "红色物业",
  };
}

const compoundAttribute = "compound";

async function serviceDefinition(c: Context<AppEnv>, tenant: string, code: ComplaintCategory): Promise<Item> {
  const rows = await c
    .get("db")
    .select({ id: compounds.id, name: compounds.name })
    .from(compounds)
    .where(eq(compounds.tenantId, tenant))
    .orderBy(compounds.id)
    .limit(maxCompoundValues);
  return {
    service_code: code,
    attributes: [
      {
        variable: true,
        code: compoundAttribute,
        datatype: "singlevaluelist",
        required: true,
        datatype_description: "The residential compound (小区); it may also be sent as address_id.",
        order: 1,
        description: "Which compound (小区) is it about?",
        values: rows.map((r) => ({ key: r.id, name: r.name })),
      },
    ],
  };
}

const statusNotes = (row: ComplaintRow) =>
  row.closure === "duplicate"
    ? `Duplicate of ${row.duplicateOfId}.`
    : row.closure === "not_responsible"
      ? `Referred to ${row.referredTo}.`
      : (row.resolution ?? row.status);

function requestOf(row: ComplaintRow, address: string | undefined): Item {
  return {
    service_request_id: row.id,
    status: row.status === "closed" ? "closed" : "open",
    status_notes: statusNotes(row),
    service_name: `${categoryNames[row.category].zh} ${categoryNames[row.category].en}`,
    service_code: row.category,
    description: row.description,
    agency_responsible: row.assigneeName ?? { community: "社区", street: "街道", county: "县（区）" }[row.level],
    service_notice: notice(row.category),
    requested_datetime: row.createdAt,
    updated_datetime: row.updatedAt,
    expected_datetime: row.dueAt,
    address: row.addressString ?? address ?? "",
    address_id: row.compoundId,
    zipcode: null,
    lat: row.lat,
    long: row.long,
    media_url: null,
  };
}

const notice = (code: ComplaintCategory) =>
  `The community accepts and assigns it; it is due within ${deadlineInWords(deadlines[code])}, and escalated to the street when overdue.`;

async function addressesOf(c: Context<AppEnv>, rows: ComplaintRow[]) {
  const ids = [...new Set(rows.map((r) => r.compoundId))];
  if (ids.length === 0) return new Map<string, string>();
  const found = await c
    .get("db")
    .select({ id: compounds.id, name: compounds.name, address: compounds.address })
    .from(compounds)
    .where(inArray(compounds.id, ids));
  return new Map(found.map((r) => [r.id, `${r.name}, ${r.address}`]));
}

async function requestsDoc(c: Context<AppEnv>, rows: ComplaintRow[]): Promise<Doc> {
  const addresses = await addressesOf(c, rows);
  return {
    root: "service_requests",
    element: "request",
    items: rows.map((r) => requestOf(r, addresses.get(r.compoundId))),
  };
}

function number(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Open311Error(400, `${name} must be a number from ${min} to ${max} (WGS-84).`);
  return value;
}

function w3Date(params: URLSearchParams, name: string): Date | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const at = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(at.getTime()))
    throw new Open311Error(400, `${name} must be a w3 datetime with a timezone, e.g. 2010-01-01T00:00:00Z.`);
  return at;
}

/** Ids are time-ordered: a creation-time range is an id range on the (tenant_id, id) index. */
const idAt = (ms: number, fill: number) => newId("cmp", ms, (bytes) => bytes.fill(fill));

const listServices = open311("file", async (c, format) => {
  await jurisdiction(c, await paramsOf(c));
  return respond(c, format, { root: "services", element: "service", items: complaintCategories.map(serviceOf) });
});

const getDefinition = open311("file", async (c, format, file) => {
  const tenant = await jurisdiction(c, await paramsOf(c));
  const code = stem(file);
  if (!isCategory(code)) throw new Open311Error(404, `service_code ${code} was not found.`);
  return respond(c, format, { root: "service_definition", items: await serviceDefinition(c, tenant, code) });
});

const createRequest = open311("file", async (c, format) => {
  const params = await paramsOf(c);
  const tenant = await jurisdiction(c, params);
  await apiKeyPrincipal(c, params, tenant, "complaints:file");
  const code = params.get("service_code");
  if (!code) throw new Open311Error(400, "service_code was not provided.");
  if (!isCategory(code)) throw new Open311Error(404, `service_code ${code} was not found.`);
  const compoundId = params.get(`attribute[${compoundAttribute}]`) ?? params.get("address_id");
  if (!compoundId)
    throw new Open311Error(400, "Name the compound: attribute[compound] or address_id (see the service definition).");
  const [compound] = await c
    .get("db")
    .select()
    .from(compounds)
    .where(and(eq(compounds.tenantId, tenant), eq(compounds.id, compoundId)));
  if (!compound) throw new Open311Error(400, `The compound ${compoundId} is not one of this jurisdiction's.`);
  const lat = number(params, "lat", -90, 90);
  const long = number(params, "long", -180, 180);
  if ((lat === undefined) !== (long === undefined)) throw new Open311Error(400, "Send lat and long together.");
  const description = params.get("description");
  if (!description) throw new Open311Error(400, "description was not provided.");
  if (description.length > 4000) throw new Open311Error(400, "description is limited to 4,000 characters.");
  const name = [params.get("last_name"), params.get("first_name")].filter(Boolean).join(" ");
  const text = (field: string, max: number) => {
    const value = params.get(field) ?? undefined;
    if (value && value.length > max) throw new Open311Error(400, `${field} is limited to ${max} characters.`);
    return value;
  };
  const addressString = text("address_string", 300);
  const { row, token } = await fileComplaint(c, {
    compound,
    category: code,
    description,
    channel: "open311",
    reporter: { name: name.slice(0, 50) || undefined, phone: text("phone", 30), email: text("email", 200) },
    lat,
    long,
    addressString,
  });
  return respond(
    c,
    format,
    {
      root: "service_requests",
      element: "request",
      items: [
        {
          service_request_id: row.id,
          token,
          service_notice: notice(row.category),
          account_id: params.get("account_id"),
        },
      ],
    },
    201,
  );
});

const searchRequests = open311("file", async (c, format) => {
  const params = await paramsOf(c);
  const tenant = await jurisdiction(c, params);
  await apiKeyPrincipal(c, params, tenant, "complaints:read");
  const conditions: (SQL | undefined)[] = [eq(complaints.tenantId, tenant)];
  const ids = params.get("service_request_id");
  if (ids) {
    // It overrides every other argument.
    const list = ids
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length > 100) throw new Open311Error(400, "At most 100 service_request_id values.");
    conditions.push(inArray(complaints.id, list));
  } else {
    const codes = params
      .get("service_code")
      ?.split(",")
      .map((s) => s.trim());
    if (codes?.some((s) => !isCategory(s))) throw new Open311Error(400, "Unknown service_code in the list.");
    const now = c.get("clock").now().getTime();
    const end = w3Date(params, "end_date")?.getTime() ?? now;
    const start = w3Date(params, "start_date")?.getTime() ?? end - defaultSpanMs;
    if (start > end) throw new Open311Error(400, "start_date is after end_date.");
    if (end - start > defaultSpanMs) throw new Open311Error(400, "The date range may not span more than 90 days.");
    const statuses = params
      .get("status")
      ?.split(",")
      .map((s) => s.trim());
    if (statuses?.some((s) => s !== "open" && s !== "closed"))
      throw new Open311Error(400, "status must be open or closed.");
    const wantsOpen = !statuses || statuses.includes("open");
    const wantsClosed = !statuses || statuses.includes("closed");
    conditions.push(
      gte(complaints.id, idAt(start, 0)),
      lte(complaints.id, idAt(end, 31)),
      codes ? inArray(complaints.category, codes as ComplaintCategory[]) : undefined,
      wantsOpen && wantsClosed
        ? undefined
        : wantsClosed
          ? eq(complaints.status, "closed")
          : inArray(complaints.status, openStatuses),
    );
  }
  const rows = await c
    .get("db")
    .select()
    .from(complaints)
    .where(and(...conditions))
    .orderBy(desc(complaints.id))
    .limit(maxResults);
  return respond(c, format, await requestsDoc(c, rows));
});

/** Open in GeoReport's sense: every state but closed. */
const openStatuses = complaintStatuses.filter((status) => status !== "closed");

const getRequest = open311("file", async (c, format, file) => {
  const params = await paramsOf(c);
  const tenant = await jurisdiction(c, params);
  const id = stem(file);
  const [row] = await c
    .get("db")
    .select()
    .from(complaints)
    .where(and(eq(complaints.tenantId, tenant), eq(complaints.id, id)));
  // Hexi extension: the reporter's token stands in for an api_key, for this one request.
  const token = params.get("token");
  const byToken = row && token !== null && row.tokenHash === (await tokenHashOf(token));
  if (!byToken) await apiKeyPrincipal(c, params, tenant, "complaints:read");
  if (!row) throw new Open311Error(404, `service_request_id ${id} was not found.`);
  return respond(c, format, await requestsDoc(c, [row]));
});

const getToken = open311("file", async (c, format, file) => {
  const tenant = await jurisdiction(c, await paramsOf(c));
  const token = stem(file);
  const [row] = /^[A-Za-z0-9_-]{12}$/.test(token)
    ? await c
        .get("db")
        .select({ id: complaints.id, tenantId: complaints.tenantId })
        .from(complaints)
        .where(eq(complaints.tokenHash, await tokenHashOf(token)))
    : [];
  if (!row || row.tenantId !== tenant) throw new Open311Error(404, "token was not found.");
  return respond(c, format, {
    root: "service_requests",
    element: "request",
    items: [{ service_request_id: row.id, token }],
  });
});

/** [D] When this endpoint's behaviour last changed (Service Discovery's `changeset`). */
const changeset = "2026-12-04T00:00:00Z";

/** Open311 Service Discovery: where the GeoReport v2 endpoint is and which formats it speaks. */
const discovery = open311("file", async (c, format) => {
  const url = `${new URL(c.req.url).origin}${open311Base}`;
  return respond(c, format, {
    root: "discovery",
    items: {
      changeset,
      contact: "The county organisation department of the jurisdiction (jurisdiction_id = its six-digit tenant code).",
      key_service:
        "API keys are issued by a county administrator: POST /v1/api-keys (scopes complaints:file, complaints:read).",
      endpoints: [
        {
          specification: "http://wiki.open311.org/GeoReport_v2",
          url,
          changeset,
          type: "production",
          formats: ["text/xml", "application/json"],
        },
      ],
    },
  });
});

/** The GeoReport v2 resources. Plain Hono routes (a `.xml`/`.json` suffix is not an OpenAPI path parameter); documented in docs.ts. */
export const open311Routes = new Hono<AppEnv>()
  .get(`/open311/:file{discovery${ext}}`, discovery)
  .get(`${open311Base}/:file{services${ext}}`, listServices)
  .get(`${open311Base}/services/:file{[a-z_]{1,40}${ext}}`, getDefinition)
  .post(`${open311Base}/:file{requests${ext}}`, createRequest)
  .get(`${open311Base}/:file{requests${ext}}`, searchRequests)
  .get(`${open311Base}/requests/:file{[A-Za-z0-9_]{1,40}${ext}}`, getRequest)
  .get(`${open311Base}/tokens/:file{[A-Za-z0-9_-]{1,40}${ext}}`, getToken);
