// First: re-executes with a bounded heap unless the user chose one (see heap.ts).
import "./node/heap.js";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { ConfigError, parseConfig } from "./config.js";
import { seedDemo } from "./db/seed/demo.js";
import { migrateDatabase, openDatabase } from "./node/database.js";
import { devKeyPath, ensureDevKey } from "./node/dev-key.js";
import { createNodeServer } from "./node/http-server.js";
import { nodeDeps } from "./node/deps.js";
import { runMaintenance } from "./maintenance.js";
import { startBackgroundLoop } from "./node/loop.js";
import { nodeDispatcher, startDispatchLoop } from "./node/webhooks.js";
import { systemClock } from "./shared/clock.js";

/** Self-hosted entry: embedded libSQL, migrations and the demo seed on start, then serve. */
async function main() {
  const config = parseConfig(process.env);
  const keyPath = devKeyPath(config.DATABASE_URL);
  // The development key signs (and verifies) unless HEXI_SIGNING_JWKS brings the platform's own keys.
  const devKey = config.HEXI_SIGNING_JWKS ? undefined : await ensureDevKey(keyPath, systemClock);
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
  // Housekeeping (overdue rechecks, expired idempotency keys), every 5 minutes.
  const maintenance = startBackgroundLoop(() => runMaintenance(db, deps.clock.now(), deps.log), 5 * 60_000);

  // Every error answer is a problem document, even those written before the app runs (see http-server.ts).
  const server = createNodeServer(app.fetch, deps);
  server.listen(config.PORT, config.HOST, () => {
    const base = `http://${config.HOST}:${(server.address() as AddressInfo).port}`;
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
    await Promise.all([webhooks.stop(), maintenance.stop()]);
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
