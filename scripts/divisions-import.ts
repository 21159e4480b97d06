import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import type { Context } from "hono";
import { parseConfig } from "../src/config.js";
import { newId } from "../src/db/ids.js";
import { parseCsv, parseJsonRows } from "../src/domains/divisions/import-file.js";
import { importDivisions } from "../src/domains/divisions/import.js";
import { openDatabase } from "../src/node/database.js";
import { scopesForRoles, type Principal } from "../src/shared/auth/principal.js";
import { systemClock } from "../src/shared/clock.js";
import { ApiError } from "../src/shared/http/errors.js";
import { renderMessage } from "../src/shared/http/messages.js";
import type { AppEnv } from "../src/shared/request/context.js";

const usage = `Usage: npm run divisions:import -- --tenant 620902 <file.csv|file.json> [--dry-run]
Imports a division tree into DATABASE_URL (a file or a remote libSQL/Turso URL): the same rules as
POST /v1/divisions/import. CSV: a header naming path,level[,code]; JSON: [{"path","level","code"}].
Any line error refuses the whole file (exit 1) and nothing is written.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const file = positionals[0];
if (!values.tenant || !/^\d{6}$/.test(values.tenant) || !file || positionals.length > 1) {
  console.error(usage);
  process.exit(2);
}

const text = readFileSync(file, "utf8");
let input: ReturnType<typeof parseCsv>;
if (extname(file).toLowerCase() === ".json") {
  try {
    input = parseJsonRows(JSON.parse(text));
  } catch (err) {
    console.error(`${file} is not valid JSON: ${(err as Error).message}`);
    process.exit(1);
  }
} else input = parseCsv(text);

const config = parseConfig(process.env);
const { client, db } = openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);

// The operator on the server acts as the tenant's county administrator; the audit trail names the command and the OS user.
const principal: Principal = {
  tenant: values.tenant,
  subject: `cli:divisions-import:${userInfo().username}`,
  roles: ["county_admin"],
  scopes: scopesForRoles(["county_admin"]),
  credential: "jwt",
  crossTenant: false,
};
const variables: Record<string, unknown> = {
  db,
  principal,
  clock: systemClock,
  requestId: newId("req", systemClock.now().getTime()),
};
const c = { var: variables, get: (key: string) => variables[key] } as unknown as Context<AppEnv>;

try {
  const result = await importDivisions(c, input, { dryRun: values["dry-run"], pointer: () => file });
  for (const change of result.changes) {
    if (change.action !== "unchanged")
      console.log(
        `line ${change.line}: ${change.action} ${change.level} ${change.path}${change.code ? ` (${change.code})` : ""} ${change.id}`,
      );
  }
  const { create, rename, set_code, unchanged } = result.summary;
  console.log(
    `${result.dryRun ? "Dry run, nothing written: would" : "Done:"} create ${create}, rename ${rename}, set code ${set_code}; ${unchanged} unchanged.`,
  );
} catch (err) {
  if (err instanceof ApiError) {
    console.error(err.message);
    for (const e of err.extensions.errors ?? []) console.error(`  ${renderMessage(e.detail, "en")}`);
    process.exitCode = 1;
  } else throw err;
} finally {
  client.close();
}
