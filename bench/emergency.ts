/**
 * Emergency paging at speed, two scenarios:
 *
 *  (acks)  Acknowledgements through the public answer link: the real server process
 *          (`node --import tsx src/server.ts`, as `npm start`) on a fresh database, N volunteers in
 *          teams of 100 created through the API, one drill declared with one key, then autocannon
 *          POSTs `/a/{token}` (能到 / 不能到 alternately) for `--duration` seconds. Each request
 *          carries its own X-Forwarded-For (HEXI_TRUST_PROXY_HOPS=1): phones come from many
 *          addresses, and the loose per-address limit is not what is measured. Afterwards it checks
 *          that every 200 left exactly one audit event and that each answered page holds its last answer.
 *  (pages) Pages leaving the Node process through the SMS gateway channel: an embedded database
 *          with P volunteers (inserted directly, phones sealed), one declaration pages them all in
 *          one commit, then `deliverQueued` sends them in signed calls of 100 to a stub gateway on
 *          127.0.0.1 (in this process: it verifies every signature and pages each id once). Reports
 *          the time until the last page is marked sent, and checks the gateway paged each volunteer once.
 *
 *   npx tsx bench/emergency.ts [--volunteers 2000] [--pages 20000] [--duration 10] [--connections 50] [--only acks|pages]
 *     [--profile DIR]   (acks: the server writes a CPU profile, `node --cpu-prof`, into DIR)
 *
 * `npm run bench` runs both (see bench/README.md). Prints one JSON line per scenario at the end.
 */
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { eq, sql } from "drizzle-orm";
import { deliverQueued } from "../src/domains/emergency/delivery.js";
import { gatewayChannel } from "../src/domains/emergency/gateway.js";
import { notifications, teamMembers, teams, volunteers } from "../src/domains/emergency/tables.js";
import { newId } from "../src/db/ids.js";
import { maskPhone } from "../src/shared/crypto/pii.js";
import { generateSecret } from "../src/shared/crypto/standard-webhooks.js";
import { createTestContext } from "../test/helpers/app.js";
import { divisionNamed } from "../test/helpers/fixtures.js";
import { mintToken, startServer } from "../test/helpers/server-process.js";
import { startStubGateway } from "../test/helpers/stub-gateway.js";
import { autocannon, type AutocannonRequest } from "./autocannon.js";

export interface AckNumbers {
  volunteers: number;
  acksPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  statusCodes: Record<string, number>;
  auditEvents: number;
  auditEventsMatch: boolean;
}

export interface PageNumbers {
  pages: number;
  declareMs: number;
  deliverSeconds: number;
  pagesPerSecond: number;
  gatewayCalls: number;
  pagedOnceEach: boolean;
}

const tenant = "620902";

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function ackBench(options: {
  volunteers: number;
  durationSeconds: number;
  connections: number;
  /** Write the server's CPU profile (`node --cpu-prof`) into this directory. */
  profileDir?: string;
}) {
  const server = await startServer({
    timeoutMs: 120_000,
    env: {
      HEXI_TRUST_PROXY_HOPS: "1",
      HEXI_TENANT_RATE_LIMIT_PER_MINUTE: "1000000",
      ...(options.profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.profileDir}` } : {}),
    },
  });
  try {
    const bearer = `Bearer ${await mintToken(server, { tenant, roles: ["county_admin"], ttlSeconds: 4 * 3600, sub: "bench" })}`;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(server.baseUrl + path, {
        method,
        headers: { authorization: bearer, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as { id: string; incident: { id: string } };
    };
    const db = createClient({ url: server.databaseUrl });
    const community = String(
      (
        await db.execute({
          sql: "select id from divisions where tenant_id = ? and name = '富康社区'",
          args: [tenant],
        })
      ).rows[0]!.id,
    );
    const teamCount = Math.ceil(options.volunteers / 100);
    const teamIds: string[] = [];
    for (let t = 0; t < teamCount; t++)
      teamIds.push(
        (
          await api("POST", "/v1/teams", {
            name: `应急队${t}`,
            mode: "emergency",
            divisionId: community,
            quorum: 10,
            responseDeadlineMinutes: 30,
          })
        ).id,
      );
    const indexes = Array.from({ length: options.volunteers }, (_, i) => i);
    await pool(indexes, 16, async (i) => {
      const v = await api("POST", "/v1/volunteers", {
        name: `志愿者${i}`,
        phone: `139${String(10_000_000 + i).slice(-8)}`,
        source: "individual",
        homeDivisionId: community,
      });
      await api("POST", `/v1/teams/${teamIds[i % teamCount]}/members`, { volunteerId: v.id, role: "member" });
    });
    const declared = await api("POST", "/v1/incidents", {
      type: "rainstorm_flood",
      level: "III",
      affectedDivisionIds: [community],
      headline: "暴雨内涝演练",
      instruction: "请到社区党群服务中心集结。",
      drill: true,
      dedupKey: `bench-acks-${Date.now()}`,
    });
    const incident = declared.incident.id as string;
    const tokens = (
      await db.execute({ sql: "select token from notifications where incident_id = ?", args: [incident] })
    ).rows.map((r) => String(r.token));
    let sent = 0;
    let ok = 0;
    const requests: AutocannonRequest[] = [
      {
        method: "POST",
        setupRequest: (request) => {
          const n = sent++;
          const token = tokens[n % tokens.length]!;
          return {
            ...request,
            path: `/a/${token}`,
            headers: {
              "content-type": "application/json",
              "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
            },
            body: JSON.stringify({
              action: "answer",
              answer: Math.floor(n / tokens.length) % 2 ? "unavailable" : "available",
              etaMinutes: 15,
            }),
          };
        },
        onResponse: (status) => {
          if (status === 200) ok++;
        },
      },
    ];
    const result = await autocannon({
      url: server.baseUrl,
      connections: options.connections,
      duration: options.durationSeconds,
      requests,
    });
    const audits = Number(
      (
        await db.execute({
          sql: "select count(*) as n from audit_events where action = 'incident.volunteer_answer' and target_id = ?",
          args: [incident],
        })
      ).rows[0]!.n,
    );
    db.close();
    return {
      volunteers: tokens.length,
      acksPerSecond: Math.round(ok / result.duration),
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      requests: result.requests.total,
      statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
      auditEvents: audits,
      // Requests still in flight when the run stopped may commit without autocannon counting them.
      auditEventsMatch: audits >= ok && audits - ok <= options.connections,
    } satisfies AckNumbers;
  } finally {
    await server.stop();
  }
}

export async function pageBench(options: { pages: number }) {
  let now: () => Date = () => new Date();
  const stub = await startStubGateway(generateSecret(), () => now(), { keepCalls: true });
  // The app pages through the gateway exactly as a server configured with HEXI_SMS_GATEWAYS does.
  const channel = gatewayChannel({
    gateways: [{ tenant, url: stub.url, secret: stub.secret }],
    signName: "酒泉志愿服务",
    now: () => now(),
  });
  const ctx = await createTestContext({
    paging: { answerHost: "a.hexi.dev", smsSignature: "酒泉志愿服务", channel },
  });
  now = ctx.clock.now;
  try {
    const community = await divisionNamed(ctx, tenant, "富康社区");
    const at = ctx.clock.now().toISOString();
    const teamRows = Array.from({ length: Math.ceil(options.pages / 100) }, (_, t) => ({
      id: newId("team", Date.parse(at)),
      tenantId: tenant,
      name: `应急队${t}`,
      mode: "emergency" as const,
      divisionId: community.id,
      divisionPath: community.path,
      divisionLevel: "community",
      quorum: 10,
      responseDeadlineMinutes: 30,
      createdAt: at,
      updatedAt: at,
    }));
    for (let i = 0; i < teamRows.length; i += 500) await ctx.db.insert(teams).values(teamRows.slice(i, i + 500));
    for (let start = 0; start < options.pages; start += 500) {
      const chunk = [];
      for (let i = start; i < Math.min(start + 500, options.pages); i++) {
        const phone = `138${String(10_000_000 + i).slice(-8)}`;
        chunk.push({
          id: newId("vol", Date.parse(at)),
          tenantId: tenant,
          name: `志愿者${i}`,
          phoneCipher: await ctx.pii.seal(phone),
          phoneHash: await ctx.pii.fingerprint(phone),
          phoneMasked: maskPhone(phone),
          source: "individual" as const,
          homeDivisionId: community.id,
          divisionPath: community.path,
          createdAt: at,
          updatedAt: at,
        });
      }
      await ctx.db.insert(volunteers).values(chunk);
      await ctx.db.insert(teamMembers).values(
        chunk.map((v, j) => ({
          id: newId("tmem", Date.parse(at)),
          tenantId: tenant,
          teamId: teamRows[Math.floor((start + j) / 100)]!.id,
          volunteerId: v.id,
          role: "member" as const,
          divisionPath: community.path,
          createdAt: at,
        })),
      );
    }
    const started = performance.now();
    const res = await ctx.call({ tenant, roles: ["county_admin"] }, "POST", "/v1/incidents", {
      type: "rainstorm_flood",
      level: "II",
      affectedDivisionIds: [community.id],
      headline: "暴雨内涝演练",
      instruction: "请到社区党群服务中心集结。",
      drill: true,
      dedupKey: "bench-pages",
      activate: true,
    });
    if (res.status !== 201) throw new Error(`declare answered ${res.status}: ${JSON.stringify(res.body)}`);
    const declareMs = Math.round(performance.now() - started);
    const incident = res.body.incident.id as string;
    // The declaration handed its pages to the channel after the response (deferred, as on the server);
    // the clock runs from the declaration's start until the last page is marked sent.
    await ctx.settle();
    // Anything the deferred run left (none expected) goes out as the paging tick would send it.
    await deliverQueued(ctx.db, { channel, pii: ctx.pii, now: ctx.clock.now }, undefined, 10_000);
    const seconds = (performance.now() - started) / 1000;
    const [left] = await ctx.db
      .select({ n: sql<number>`count(*)` })
      .from(notifications)
      .where(sql`${eq(notifications.incidentId, incident)} and ${notifications.status} <> 'sent'`);
    if (Number(left?.n) !== 0) throw new Error(`${left?.n} pages were not sent`);
    return {
      pages: stub.paged.length,
      declareMs,
      deliverSeconds: Math.round(seconds * 100) / 100,
      pagesPerSecond: Math.round(stub.paged.length / seconds),
      gatewayCalls: stub.calls.length,
      pagedOnceEach: stub.paged.length === options.pages && new Set(stub.paged.map((p) => p.to)).size === options.pages,
    } satisfies PageNumbers;
  } finally {
    await stub.close();
    ctx.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      volunteers: { type: "string", default: "2000" },
      pages: { type: "string", default: "20000" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      only: { type: "string" },
      profile: { type: "string" },
    },
  });
  if (values.only !== "pages") {
    const acks = await ackBench({
      volunteers: Number(values.volunteers),
      durationSeconds: Number(values.duration),
      connections: Number(values.connections),
      profileDir: values.profile,
    });
    console.log(JSON.stringify({ scenario: "acks", ...acks }));
  }
  if (values.only !== "acks")
    console.log(JSON.stringify({ scenario: "pages", ...(await pageBench({ pages: Number(values.pages) })) }));
}
