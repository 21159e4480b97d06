import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "libsql";
import { devKeyPath } from "./dev-key.js";

/**
 * Online backup and offline restore of the embedded database. The `libsql` package has no backup
 * API, so a backup is `VACUUM INTO` a new file: one read transaction, so a consistent snapshot of
 * the last commit while the server keeps writing (WAL: readers never block the writer). The copy
 * is then fsynced, checked with `PRAGMA integrity_check`, and only then given its final name.
 */

/** The file behind a `file:` DATABASE_URL, or an explanation of why there is none. */
export function databaseFile(url: string): string {
  const file = url.startsWith("file:") && !url.includes("?") ? url.slice("file:".length) : undefined;
  if (!file || file === ":memory:") {
    throw new Error(
      `DATABASE_URL ${url.replace(/\/\/[^@]*@/, "//")} is not an embedded database file: back up a remote libSQL/Turso database with its own tools (turso db shell … .dump, point-in-time restore).`,
    );
  }
  return resolve(file);
}

/** Flushes a file (or a directory entry, after a rename) to stable storage. */
function fsyncPath(path: string) {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `PRAGMA integrity_check` on a database file: "ok", or the problems it found. */
export function integrityCheck(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("pragma integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}

function tableCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (
      db
        .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
        .all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    return Object.fromEntries(
      tables.map((t) => [
        t,
        (db.prepare(`select count(*) as n from "${t.replaceAll('"', '""')}"`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

/** Key material the database needs and does not contain: without it, sealed personal data and issued tokens are useless. */
export function keyFilesFor(file: string, env: Record<string, string | undefined>): string[] {
  const dir = dirname(devKeyPath(`file:${file}`));
  const files = [devKeyPath(`file:${file}`), join(dir, "dev-pii-keys.json")].filter((f) => existsSync(f));
  const settings = ["HEXI_SIGNING_JWKS", "HEXI_PII_KEYS", "HEXI_PII_KEY_ID", "HEXI_PII_HMAC_KEY"].filter((k) => env[k]);
  return [
    ...files.map((f) => `${f} (development key file: copy it with the backup)`),
    ...settings.map((k) => `${k} (set in the environment: keep it in your secret store, not beside the backup)`),
  ];
}

/**
 * `VACUUM INTO`: one read transaction (through the source's WAL), so a consistent snapshot of its
 * last commit, written as a rollback-journal database (one self-contained file: reading it leaves
 * no -wal/-shm beside it; the server puts it back in WAL mode when it opens it), then fsynced.
 */
function snapshot(source: string, dest: string) {
  const db = new Database(source);
  try {
    // A writer holding the lock for a moment is waited for, not failed on.
    db.pragma("busy_timeout = 10000");
    db.prepare("vacuum into ?").run(dest);
  } finally {
    db.close();
  }
  const copy = new Database(dest);
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
  fsyncPath(dest);
}

export interface BackupResult {
  file: string;
  bytes: number;
  tables: Record<string, number>;
}

/** Copies the live database `source` to `dest` (which must not exist): VACUUM INTO, fsync, integrity check, rename. */
export function backupDatabase(source: string, dest: string): BackupResult {
  const target = resolve(dest);
  if (existsSync(target)) throw new Error(`${target} exists: a backup never overwrites a file.`);
  if (!existsSync(source)) throw new Error(`No database at ${source}.`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  snapshot(source, partial);
  const problems = integrityCheck(partial);
  if (problems.join() !== "ok") {
    rmSync(partial, { force: true });
    throw new Error(`The copy failed its integrity check: ${problems.slice(0, 5).join("; ")}`);
  }
  renameSync(partial, target);
  fsyncPath(dirname(target));
  return { file: target, bytes: statSync(target).size, tables: tableCounts(target) };
}

/**
 * Puts a backup in place of the database file. The server must be stopped. The backup is checked
 * first; the current database is kept as `<file>.pre-restore` (with its `-wal`); no `-wal`, `-shm` or
 * `-journal` file is left beside the restored one (SQLite would replay the old database's log onto it).
 */
export function restoreDatabase(backup: string, target: string): BackupResult & { previous?: string } {
  const source = resolve(backup);
  if (!existsSync(source)) throw new Error(`No backup at ${source}.`);
  const problems = integrityCheck(source);
  if (problems.join() !== "ok")
    throw new Error(`${source} failed its integrity check: ${problems.slice(0, 5).join("; ")}`);
  const incoming = `${target}.restoring`;
  rmSync(incoming, { force: true });
  // Copied through SQLite rather than as bytes: a backup someone opened may have a log of its own.
  snapshot(source, incoming);
  let previous: string | undefined;
  if (existsSync(target)) {
    // The replaced database keeps its log under its new name, so it stays a complete copy.
    previous = `${target}.pre-restore`;
    renameSync(target, previous);
    rmSync(`${previous}-wal`, { force: true });
    if (existsSync(`${target}-wal`)) renameSync(`${target}-wal`, `${previous}-wal`);
  }
  for (const stale of [`${target}-wal`, `${target}-shm`, `${target}-journal`]) rmSync(stale, { force: true });
  renameSync(incoming, target);
  fsyncPath(dirname(target));
  return { file: target, bytes: statSync(target).size, tables: tableCounts(target), previous };
}
