import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { ConfigError, parseConfig } from "./config.js";
import { seedDemo } from "./db/seed/demo.js";
import { migrateDatabase, openDatabase } from "./node/database.js";
import { devKeyPath, ensureDevKey } from "./node/dev-key.js";
import { nodeDeps } from "./node/deps.js";
import { runMaintenance, runPagingTick } from "./maintenance.js";
import { startBackgroundLoop } from "./node/loop.js";
import { nodeDispatcher, startDispatchLoop } from "./node/webhooks.js";

/** Self-hosted entry: embedded libSQL, migrations and the demo seed on start, then serve. */
async function main() {
  const config = parseConfig(process.env);
  const keyPath = devKeyPath(config.DATABASE_URL);
  // The development key signs (and verifies) unless HEXI_SIGNING_JWKS brings the platform's own keys.
  const devKey = config.HEXI_SIGNING_JWKS ? undefined : await ensureDevKey(keyPath);
  const { client, db } = openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN, {
    synchronous: config.HEXI_DB_SYNCHRONOUS,
  });
  await migrateDatabase(db);
  const { seeded } = await seedDemo(db);
  // Development only: webhook endpoints on loopback, for both endpoint validation and delivery.
  const webhookTargets = { allowLoopback: config.HEXI_WEBHOOK_ALLOW_LOOPBACK };
  if (webhookTargets.allowLoopback) {
    console.warn(
      "WARNING: HEXI_WEBHOOK_ALLOW_LOOPBACK=true: webhook endpoints may target http(s)://localhost, 127.0.0.0/8 and [::1] on any port. Development only; never set it in production.",
    );
  }
  const deps = { ...(await nodeDeps(config, db, devKey)), webhookTargets };
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

  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    const base = `http://${config.HOST}:${info.port}`;
    console.log(
      [
        `Hexi API listening on ${base}  (database ${config.DATABASE_URL}${seeded ? ", demo data seeded" : ""})`,
        `  API reference:  ${base}/docs`,
        `  OpenAPI 3.1:    ${base}/openapi.json`,
        `  Get a token:    npm run token -- --tenant 620902 --roles county_admin`,
        `                  npm run token -- --tenant 620900 --roles city_admin   (city-wide reads)`,
        `  Try it:         curl -H "Authorization: Bearer $(npm run -s token -- --tenant 620902 --roles county_admin)" ${base}/v1/divisions`,
      ].join("\n"),
    );
  });

  const shutdown = async () => {
    server.close();
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
