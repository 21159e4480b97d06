import { parseArgs } from "node:util";
import { ConfigError, parseConfig } from "../src/config.js";
import { consoleLink } from "../src/node/dev-key.js";
import { MintError, mintToken } from "../src/node/tokens.js";
import { systemClock } from "../src/shared/clock.js";

const usage = `Usage: npm run token -- --tenant 620902 --roles county_admin[,auditor] [--org div_…] [--member mem_…] [--unit org_…|unit_…] [--ttl 3600, at most HEXI_MAX_TOKEN_LIFETIME_SECONDS] [--sub user-1] [--scope "a:read b:write"]
Prints a JWT for the platform issuer (HEXI_JWT_ISSUER, HEXI_JWT_AUDIENCE), signed with the first key of
HEXI_SIGNING_JWKS when it is set (production: the server's own keys), else with the development key
\`npm start\` created beside DATABASE_URL. The tenant must exist in DATABASE_URL's database. With --console, a console sign-in link carrying it
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

if (values.help) {
  console.log(usage);
  process.exit(0);
}
try {
  const config = parseConfig(process.env);
  const token = await mintToken(
    config,
    {
      tenant: values.tenant ?? "",
      roles: (values.roles ?? "").split(",").filter(Boolean),
      org: values.org,
      member: values.member,
      unit: values.unit,
      scope: values.scope,
      sub: values.sub!,
      ttlSeconds: Number(values.ttl),
    },
    systemClock.now,
  );
  console.log(values.console ? consoleLink(values.base ?? `http://${config.HOST}:${config.PORT}`, token) : token);
} catch (err) {
  if (!(err instanceof MintError || err instanceof ConfigError)) throw err;
  console.error(`${err.message}\n\n${usage}`);
  process.exit(2);
}
