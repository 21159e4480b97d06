import { parseArgs } from "node:util";
import { parseConfig } from "../src/config.js";
import { systemClock } from "../src/shared/clock.js";
import { consoleLink, devKeyPath, readDevKey, signDevToken } from "../src/node/dev-key.js";
import { roles, rolesRefused, type Role } from "../src/shared/auth/principal.js";

const usage = `Usage: npm run token -- --tenant 620902 --roles county_admin[,auditor] [--org div_…] [--member mem_…] [--unit org_…] [--ttl 3600, at most HEXI_MAX_TOKEN_LIFETIME_SECONDS] [--sub user-1] [--console]
Prints a JWT signed by the local development key (created by \`npm start\`); with --console, a console sign-in link carrying it
(http://HOST:PORT/console/#token=…, from HOST and PORT, or --base).`;

const { values } = parseArgs({
  options: {
    tenant: { type: "string" },
    roles: { type: "string" },
    org: { type: "string" },
    member: { type: "string" },
    unit: { type: "string" },
    ttl: { type: "string", default: "3600" },
    sub: { type: "string", default: "dev-user" },
    scope: { type: "string" },
    console: { type: "boolean" },
    base: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values.tenant || !/^\d{6}$/.test(values.tenant)) fail("--tenant must be a six-digit tenant code.");
const granted = (values.roles ?? "").split(",").filter(Boolean);
if (granted.length === 0) fail("--roles is required.");
const unknown = granted.filter((r) => !roles.includes(r as Role));
if (unknown.length) fail(`Unknown role(s): ${unknown.join(", ")}. Roles: ${roles.join(", ")}.`);
const refused = rolesRefused(values.tenant, granted as Role[]);
if (refused.length)
  fail(`Tenant ${values.tenant} does not accept the role(s) ${refused.join(", ")} (the API would refuse the token).`);
const config = parseConfig(process.env);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive number of seconds.");
// The API refuses tokens that live longer (HEXI_MAX_TOKEN_LIFETIME_SECONDS): do not mint one.
if (ttl > config.HEXI_MAX_TOKEN_LIFETIME_SECONDS)
  fail(`--ttl may be at most ${config.HEXI_MAX_TOKEN_LIFETIME_SECONDS} s (HEXI_MAX_TOKEN_LIFETIME_SECONDS).`);
const key = readDevKey(devKeyPath(config.DATABASE_URL));
const token = await signDevToken(
  key,
  { issuer: config.HEXI_JWT_ISSUER, audience: config.HEXI_JWT_AUDIENCE },
  {
    tenant: values.tenant,
    roles: granted,
    sub: values.sub!,
    org: values.org,
    member: values.member,
    unit: values.unit,
    scope: values.scope,
  },
  ttl,
  systemClock,
);
console.log(values.console ? consoleLink(values.base ?? `http://${config.HOST}:${config.PORT}`, token) : token);
