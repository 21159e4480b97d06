// First: re-executes with a bounded heap unless the user chose one (see heap.ts).
import "./node/heap.js";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { sql } from "drizzle-orm";
import { ConfigError, parseConfig, productionProblems, runMode } from "./config.js";
import { seedDemo } from "./db/seed/demo.js";
import { tenants } from "./db/tables.js";
import { seedDemoRecords } from "./node/demo-records.js";
import { migrateDatabase, openDatabase } from "./node/database.js";
import { consoleLink, devKeyPath, ensureDevKey, signDevToken } from "./node/dev-key.js";
import { createNodeServer } from "./node/http-server.js";
import { nodeDeps } from "./node/deps.js";
import { redactUrl } from "./node/tokens.js";
import { runMaintenance, runPagingTick } from "./maintenance.js";
import { startBackgroundLoop } from "./node/loop.js";
import { nodeDispatcher, startDispatchLoop } from "./node/webhooks.js";
import { systemClock, systemTimer } from "./shared/clock.js";
import { createNodeMetrics } from "./node/metrics.js";
import { serveMetrics, withMetrics } from "./node/metrics-server.js";

/**
 * Self-hosted entry: migrations on start, then serve. Development (the default) makes up what it
 * lacks: a development signing key and PII keys beside the database, and the demo (tenants, a small
 * division tree and a few hundred records) on a fresh database. Production (HEXI_ENV=production, or
 * NODE_ENV=production) refuses to start without real keys and seeds nothing: tenants come from
 * `npm run bootstrap`.
 */
async function main() {
  const config = parseConfig(process.env);
  const production = runMode(config) === "production";
  if (production) {
    const problems = productionProblems(config);
    if (problems.length) {
      throw new ConfigError(
        `Refusing to start in production (HEXI_ENV=production${config.HEXI_ENV ? "" : " via NODE_ENV"}):\n${problems.map((p) => `  ${p}`).join("\n")}\nSee "Self-hosting" in README.md. For a local try-out, unset HEXI_ENV and NODE_ENV.`,
      );
    }
  }
  const keyPath = devKeyPath(config.DATABASE_URL);
  // The development key signs (and verifies) unless HEXI_SIGNING_JWKS brings the platform's own keys.
  const devKey = config.HEXI_SIGNING_JWKS || production ? undefined : await ensureDevKey(keyPath, systemClock);
  // Prometheus metrics (Node only): request counts and latency by route, database time, outbox and webhook figures.
  const metrics = createNodeMetrics({
    database: () => db,
    clock: systemClock,
    seconds: systemTimer,
    processMetrics: true,
  });
  const { client, db } = openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN, {
    synchronous: config.HEXI_DB_SYNCHRONOUS,
    checkpoints: config.HEXI_DB_CHECKPOINTS,
    groupCommits: config.HEXI_DB_GROUP_COMMITS,
    observe: metrics.timeDatabase,
  });
  await migrateDatabase(db);
  const runtime = await nodeDeps(config, db, devKey);
  let note = "";
  if (production) {
    const [row] = await db.select({ n: sql<number>`count(*)` }).from(tenants);
    if (!row?.n) note = ", no tenants yet: run `npm run bootstrap`";
  } else if ((await seedDemo(db)).seeded) {
    // A newcomer's first GET /v1/members shows something: a few hundred records in the demo tree.
    const records = await seedDemoRecords(client, db, runtime.pii, runtime.clock.now(), runtime.certificates);
    note = `, demo data seeded (${records.members} members, ${records.memberReports} member reports)`;
  }
  // Development only: webhook endpoints on loopback, for both endpoint validation and delivery.
  const webhookTargets = { allowLoopback: config.HEXI_WEBHOOK_ALLOW_LOOPBACK };
  if (webhookTargets.allowLoopback) {
    console.warn(
      "WARNING: HEXI_WEBHOOK_ALLOW_LOOPBACK=true: webhook endpoints may target http(s)://localhost, 127.0.0.0/8 and [::1] on any port. Development only; never set it in production.",
    );
  }
  const deps = { ...runtime, webhookTargets, middleware: [metrics.middleware] };
  const app = createApp(deps);
  // Outbound webhooks: fan out the outbox and deliver what is due, every 2 s after the previous run.
  const webhooks = startDispatchLoop(
    nodeDispatcher({ db, pii: deps.pii, clock: deps.clock, log: deps.log, targets: webhookTargets }),
    2000,
  );
  // Housekeeping (overdue rechecks, expired idempotency keys, stranded emergency pages), every 5 minutes.
  const paging = { paging: deps.paging!, pii: deps.pii };
  const maintenance = startBackgroundLoop(() => runMaintenance(db, deps.clock.now(), deps.log, paging), 5 * 60_000);
  // Emergency escalation timers and stranded pages, every 30 s (within 60 s of a deadline).
  const pagingTick = startBackgroundLoop(
    () => runPagingTick(db, paging, deps.clock.now()).catch((error) => deps.log.error("paging tick failed", { error })),
    30_000,
  );

  // Development only (the dev key signs): a city-wide sign-in link for the console, valid 8 hours.
  const consoleToken = devKey
    ? await signDevToken(
        devKey,
        { issuer: config.HEXI_JWT_ISSUER, audience: config.HEXI_JWT_AUDIENCE },
        { tenant: "620900", roles: ["city_admin"], sub: "console-dev" },
        8 * 3600,
        systemClock,
      )
    : undefined;

  // Every error answer is a problem document, even those written before the app runs (see http-server.ts).
  const server = createNodeServer(withMetrics(app.fetch, metrics, config), deps);
  const metricsServer = config.HEXI_METRICS_PORT ? serveMetrics(metrics, config) : undefined;
  server.listen(config.PORT, config.HOST, () => {
    const base = `http://${config.HOST}:${(server.address() as AddressInfo).port}`;
    console.log(
      [
        `Hexi API listening on ${base}  (${production ? "production" : "development"}, database ${redactUrl(config.DATABASE_URL)}${note})`,
        consoleToken
          ? `  Console (city): ${consoleLink(base, consoleToken)}`
          : `  Console:        ${base}/console/  (sign in with a token from your identity provider)`,
        `                  county admin: npm run -s token -- --tenant 620902 --roles county_admin --console`,
        `  API reference:  ${base}/docs`,
        `  OpenAPI 3.1:    ${base}/openapi.json`,
        ...(production
          ? [
              `  Get a token:    npm run token -- --tenant <code> --roles county_admin   (signs with HEXI_SIGNING_JWKS)`,
              `  People's roles: from your identity provider, HEXI_TENANT_ISSUERS with a claim mapping (README "Self-hosting")`,
            ]
          : [
              `  Get a token:    npm run token -- --tenant 620902 --roles county_admin`,
              `                  npm run token -- --tenant 620900 --roles city_admin   (city-wide reads)`,
              `  Try it:         curl -H "Authorization: Bearer $(npm run -s token -- --tenant 620902 --roles county_admin)" ${base}/v1/members`,
            ]),
        ...(config.HEXI_METRICS_PORT
          ? [`  Metrics:        http://${config.HEXI_METRICS_HOST}:${config.HEXI_METRICS_PORT}/metrics`]
          : config.HEXI_METRICS_TOKEN
            ? [`  Metrics:        ${base}/metrics (Authorization: Bearer $HEXI_METRICS_TOKEN)`]
            : []),
      ].join("\n"),
    );
  });

  const shutdown = async () => {
    server.close();
    metricsServer?.close();
    await Promise.all([webhooks.stop(), maintenance.stop(), pagingTick.stop()]);
    client.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
