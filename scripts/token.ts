import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { parseConfig } from "../src/config.js";
import { devKeyPath, importPrivateKey, readDevKey } from "../src/node/dev-key.js";
import { roles, type Role } from "../src/shared/auth/principal.js";

const usage = `Usage: npm run token -- --tenant 620902 --roles county_admin[,auditor] [--org div_…] [--member mem_…] [--unit org_…|unit_…] [--ttl 3600] [--sub user-1]
Prints a JWT signed by the local development key (created by \`npm start\`).`;

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
const token = await new SignJWT({
  tenant: values.tenant,
  roles: granted,
  ...(values.org ? { org: values.org } : {}),
  ...(values.member ? { member: values.member } : {}),
  ...(values.unit ? { unit: values.unit } : {}),
  ...(values.scope ? { scope: values.scope } : {}),
})
  .setProtectedHeader({ alg: key.privateJwk.alg, kid: key.privateJwk.kid, typ: "JWT" })
  .setIssuer(config.HEXI_JWT_ISSUER)
  .setAudience(config.HEXI_JWT_AUDIENCE)
  .setSubject(values.sub!)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`)
  .sign(await importPrivateKey(key));
console.log(token);
