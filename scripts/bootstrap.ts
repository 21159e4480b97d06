import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError, parseConfig } from "../src/config.js";
import { BootstrapError, bootstrapTenants, jiuquanTenantSpecs, tenantsFileSchema } from "../src/db/bootstrap.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { MintError, mintToken, redactUrl } from "../src/node/tokens.js";
import { systemClock } from "../src/shared/clock.js";

const usage = `Usage: npm run bootstrap -- [--tenants city.json] [--admin-token <tenant code>] [--sub admin] [--ttl 3600]
Migrates DATABASE_URL (a file, or a libsql://, https:// or http:// URL with DATABASE_AUTH_TOKEN), then
creates the tenants: Jiuquan's city and its seven county-level tenants by default, or another city's
from --tenants (see docs/tenants.example.json), each county-level tenant with its root division.
Idempotent: a second run changes nothing (renamed tenants are updated). Never creates demo data.
--admin-token 620902 prints a first administrator token for that tenant on stdout (county_admin, or
city_admin for the city), signed with HEXI_SIGNING_JWKS: no development key is needed.`;

const { values } = parseArgs({
  options: {
    tenants: { type: "string" },
    "admin-token": { type: "string" },
    sub: { type: "string", default: "bootstrap-admin" },
    ttl: { type: "string", default: "3600" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function readTenants(path: string) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    fail(`--tenants ${path}: ${(err as Error).message}`);
  }
  const parsed = tenantsFileSchema.safeParse(json);
  if (!parsed.success) fail(`--tenants ${path} is not a valid tenants file:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

try {
  const config = parseConfig(process.env);
  const specs = values.tenants ? readTenants(values.tenants) : jiuquanTenantSpecs;
  const { client, db } = openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
  try {
    console.error(`Migrating ${redactUrl(config.DATABASE_URL)} …`);
    await migrateDatabase(db);
    const result = await bootstrapTenants(db, specs, systemClock.now());
    const line = (what: string, codes: string[]) => (codes.length ? `  ${what}: ${codes.join(", ")}` : undefined);
    console.error(
      [
        `Tenants of ${specs.find((t) => t.level === "city")!.nameZh}:`,
        line("created", result.created),
        line("updated", result.updated),
        line("unchanged", result.unchanged),
        `  divisions created: ${result.divisions}`,
      ]
        .filter(Boolean)
        .join("\n"),
    );
  } finally {
    client.close();
  }
  const adminTenant = values["admin-token"];
  if (adminTenant !== undefined) {
    const spec = specs.find((t) => t.code === adminTenant);
    if (!spec)
      fail(`--admin-token ${adminTenant}: not a tenant of this city (${specs.map((t) => t.code).join(", ")}).`);
    const token = await mintToken(
      config,
      {
        tenant: adminTenant,
        roles: [spec.level === "city" ? "city_admin" : "county_admin"],
        sub: values.sub!,
        ttlSeconds: Number(values.ttl),
      },
      systemClock.now,
    );
    console.log(token);
  }
} catch (err) {
  if (err instanceof BootstrapError || err instanceof MintError || err instanceof ConfigError) fail(err.message);
  throw err;
}
