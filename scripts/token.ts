import { parseArgs } from "node:util";
import { parseConfig } from "../src/config.js";
import { consoleLink, devKeyPath, readDevKey, signDevToken } from "../src/node/dev-key.js";
import { roles, type Role } from "../src/shared/auth/principal.js";

const usage = `Usage: npm run token -- --tenant 620902 --roles county_admin[,auditor] [--org div_…] [--member mem_…] [--unit org_…] [--ttl 3600] [--sub user-1] [--console]
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
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive number of seconds.");

const config = parseConfig(process.env);
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
);
console.log(values.console ? consoleLink(values.base ?? `http://${config.HOST}:${config.PORT}`, token) : token);
