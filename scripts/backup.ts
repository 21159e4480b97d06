import { parseConfig } from "../src/config.js";
import { backupDatabase, databaseFile, keyFilesFor } from "../src/node/backup.js";

const usage = `Usage: npm run backup -- <dest.db>
A consistent copy of the embedded database (DATABASE_URL=file:…) while the server runs: VACUUM INTO a
new file, fsync, PRAGMA integrity_check. Lists the key material the copy needs and does not contain.`;

const dest = process.argv[2];
if (!dest || dest === "-h" || dest === "--help" || process.argv.length > 3) {
  console.error(usage);
  process.exit(dest === "-h" || dest === "--help" ? 0 : 2);
}
try {
  const source = databaseFile(parseConfig(process.env).DATABASE_URL);
  const result = backupDatabase(source, dest);
  const rows = Object.values(result.tables).reduce((a, b) => a + b, 0);
  console.log(
    `Backed up ${source} to ${result.file}: ${result.bytes} bytes, ${rows} rows in ${Object.keys(result.tables).length} tables, integrity ok.`,
  );
  const keys = keyFilesFor(source, process.env);
  console.log(
    keys.length
      ? `The backup is useless without these keys (sealed personal data, issued tokens):\n${keys.map((k) => `  ${k}`).join("\n")}`
      : "No key files found beside the database: keep the HEXI_SIGNING_JWKS and HEXI_PII_* values of this server safe.",
  );
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
