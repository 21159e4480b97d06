/**
 * Residents' side of the bench (bench/run.ts adds these scenarios; `--only` picks them by key):
 *
 * (11) `certificate_verify`: `GET /v1/public/certificates/{token}` over 200 seeded certificates
 *      (valid, revoked, a few expired): JWS verification with the certificate keys plus the
 *      revocation read. The public check allows 120 a minute per client address, so the requests
 *      arrive as through one reverse proxy (HEXI_TRUST_PROXY_HOPS=1) from many scanners: a new
 *      X-Forwarded-For address every 100 requests.
 * (12) `complaint_list`: a community's complaints (红色物业), 20 newest first, then page 2 by its cursor.
 * (13) `complaint_create`: `POST /open311/v2/requests.json` (GeoReport v2, a form body with an API
 *      key holding complaints:file), a fixed count like scenario 4. Afterwards the database must
 *      hold exactly one complaint per 201: each request carries a unique description.
 */
import { createClient } from "@libsql/client";
import { mintToken, type ServerProcess } from "../test/helpers/server-process.js";
import { countedWrites, type Scenario } from "./scenario.js";

/** What the server needs for (11): addresses from X-Forwarded-For, one trusted proxy. */
export const residentServerEnv = { HEXI_TRUST_PROXY_HOPS: "1" };

/** [D] Requests per simulated scanner address: below the public check's 120 a minute. */
const requestsPerAddress = 100;
const ttlSeconds = 4 * 3600;

async function get<T>(server: ServerProcess, path: string, headers: Record<string, string>): Promise<T> {
  const res = await fetch(server.baseUrl + path, { headers });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export async function residentScenarios(
  server: ServerProcess,
  dbFile: string,
  options: { tenant: string; county: Record<string, string>; writes: number; runTag: string },
) {
  const db = createClient({ url: `file:${dbFile}` });
  const tokens = (await db.execute("select token from certificates order by id limit 200")).rows.map((r) =>
    String(r.token),
  );
  const [busiest] = (
    await db.execute({
      sql: "select community_id from complaints where tenant_id = ? group by community_id order by count(*) desc limit 1",
      args: [options.tenant],
    })
  ).rows;
  const compoundIds = (
    await db.execute({ sql: "select id from compounds where tenant_id = ? order by id", args: [options.tenant] })
  ).rows.map((r) => String(r.id));
  db.close();

  const scenarios: Scenario[] = [];
  if (tokens.length) {
    let sent = 0;
    scenarios.push({
      key: "certificate_verify",
      label: "(11) GET /v1/public/certificates/{token}: JWS + revocation check",
      headers: {},
      requests: () => [
        {
          method: "GET",
          path: "/v1/public/certificates/",
          setupRequest: (request) => {
            const n = sent++;
            const a = Math.floor(n / requestsPerAddress);
            return {
              ...request,
              path: `/v1/public/certificates/${tokens[n % tokens.length]}`,
              headers: { ...request.headers, "x-forwarded-for": `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}` },
            };
          },
        },
      ],
    });
  }

  if (busiest) {
    const community = String(busiest.community_id);
    const staff = {
      authorization: `Bearer ${await mintToken(server, { tenant: options.tenant, roles: ["community_admin"], org: community, ttlSeconds, sub: "bench-community" })}`,
    };
    const listPath = "/v1/complaints?order=newest&limit=20";
    const first = await get<{ data: unknown[]; nextCursor: string | null }>(server, listPath, staff);
    scenarios.push({
      key: "complaint_list",
      label: "(12) GET /v1/complaints of a community, newest first, then page 2",
      paths: first.nextCursor ? [listPath, `${listPath}&cursor=${encodeURIComponent(first.nextCursor)}`] : [listPath],
      headers: staff,
    });
  }

  // (13): an integration (a 12345 hotline) files through Open311 with its API key.
  let filing: ReturnType<typeof countedWrites> | undefined;
  const prefix = `bench-${options.runTag}-`;
  if (compoundIds.length) {
    const res = await fetch(`${server.baseUrl}/v1/api-keys`, {
      method: "POST",
      headers: { ...options.county, "content-type": "application/json" },
      body: JSON.stringify({ name: "bench-open311", scopes: ["complaints:file"], rateLimitPerMinute: 600_000 }),
    });
    if (!res.ok) throw new Error(`POST /v1/api-keys answered ${res.status}: ${await res.text()}`);
    const { key } = (await res.json()) as { key: string };
    filing = countedWrites("POST", "/open311/v2/requests.json", (n) =>
      new URLSearchParams({
        jurisdiction_id: options.tenant,
        service_code: n % 2 ? "parking" : "property_fee",
        "attribute[compound]": compoundIds[n % compoundIds.length]!,
        description: `${prefix}${n}`,
        api_key: key,
      }).toString(),
    );
    scenarios.push({
      key: "complaint_create",
      label: "(13) POST /open311/v2/requests.json (API key, form body)",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      amount: options.writes,
      requests: filing.requests,
    });
  }

  return {
    scenarios,
    /** After the server stopped: every 201 of (13) wrote exactly one complaint. */
    async check() {
      if (!filing?.sent) return null;
      const client = createClient({ url: `file:${dbFile}` });
      const rows = (
        await client.execute({
          sql: "select description, count(*) as n from complaints where description like ? group by description",
          args: [`${prefix}%`],
        })
      ).rows;
      client.close();
      const written = rows.reduce((sum, r) => sum + Number(r.n), 0);
      const duplicates = rows.filter((r) => Number(r.n) > 1).length;
      const accepted201 = filing.created;
      return {
        requests: filing.sent,
        accepted201,
        complaintsWritten: written,
        duplicates,
        exact: written === accepted201,
      };
    },
  };
}
