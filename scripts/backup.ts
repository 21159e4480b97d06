import { parseConfig } from "../src/config.js";
import { backupDatabase, databaseFile, keyFilesFor, restoreDatabase } from "../src/node/backup.js";

/** `npm run backup -- <dest>` and `npm run restore -- <backup>` (this script with `--restore`). */
const restoring = process.argv[2] === "--restore";
const args = process.argv.slice(restoring ? 3 : 2);
const usage = restoring
  ? `Usage: npm run restore -- <backup.db>
Stop the server first. Checks the backup (PRAGMA integrity_check), keeps the current database as
<file>.pre-restore, removes its stale -wal/-shm files and puts the backup in place of DATABASE_URL's file.`
  : `Usage: npm run backup -- <dest.db>
A consistent copy of the embedded database (DATABASE_URL=file:…) while the server runs: VACUUM INTO a
new file, fsync, PRAGMA integrity_check. Lists the key material the copy needs and does not contain.`;

const path = args[0];
if (!path || path === "-h" || path === "--help" || args.length > 1) {
  console.error(usage);
  process.exit(path === "-h" || path === "--help" ? 0 : 2);
}
const rowsOf = (tables: Record<string, number>) => Object.values(tables).reduce((a, b) => a + b, 0);
try {
  const database = databaseFile(parseConfig(process.env).DATABASE_URL);
  if (restoring) {
    const result = restoreDatabase(path, database);
    console.log(`Restored ${path} to ${result.file}: ${rowsOf(result.tables)} rows, integrity ok.`);
    if (result.previous) console.log(`The database it replaced is kept as ${result.previous}.`);
    console.log("Start the server: migrations newer than the backup are applied on start.");
  } else {
    const result = backupDatabase(database, path);
    console.log(
      `Backed up ${database} to ${result.file}: ${result.bytes} bytes, ${rowsOf(result.tables)} rows in ${Object.keys(result.tables).length} tables, integrity ok.`,
    );
    const keys = keyFilesFor(database, process.env);
    console.log(
      keys.length
        ? `The backup is useless without these keys (sealed personal data, issued tokens):\n${keys.map((k) => `  ${k}`).join("\n")}`
        : "No key files found beside the database: keep the HEXI_SIGNING_JWKS and HEXI_PII_* values of this server safe.",
    );
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
