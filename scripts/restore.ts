import { parseConfig } from "../src/config.js";
import { databaseFile, restoreDatabase } from "../src/node/backup.js";

const usage = `Usage: npm run restore -- <backup.db>
Stop the server first. Checks the backup (PRAGMA integrity_check), keeps the current database as
<file>.pre-restore, removes its stale -wal/-shm files and puts the backup in place of DATABASE_URL's file.`;

const source = process.argv[2];
if (!source || source === "-h" || source === "--help" || process.argv.length > 3) {
  console.error(usage);
  process.exit(source === "-h" || source === "--help" ? 0 : 2);
}
try {
  const target = databaseFile(parseConfig(process.env).DATABASE_URL);
  const result = restoreDatabase(source, target);
  const rows = Object.values(result.tables).reduce((a, b) => a + b, 0);
  console.log(`Restored ${source} to ${result.file}: ${rows} rows, integrity ok.`);
  if (result.previous) console.log(`The database it replaced is kept as ${result.previous}.`);
  console.log("Start the server: migrations newer than the backup are applied on start.");
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
