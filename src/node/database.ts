import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import Database from "libsql";
import { createDb, type Db } from "../db/client.js";
import { withCachedStatements } from "./cached-statements.js";

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations");

/**
 * Opens an embedded (`file:`/`:memory:`) or remote libSQL database. A file database is put in WAL
 * mode (readers never block the writer) and its statements are prepared once and reused.
 */
export function openDatabase(
  url: string,
  authToken?: string,
  options: {
    synchronous?: "off" | "normal" | "full";
    /** "background" (the server): WAL checkpoints on a thread of their own, never inside a request's commit. */
    checkpoints?: "automatic" | "background";
    /** "on" (the server): write batches of the same event-loop turn share one transaction, each in its own savepoint. */
    groupCommits?: "on" | "off";
    observe?: (client: Client) => Client;
  } = {},
): { client: Client; db: Db } {
  const file = url.startsWith("file:") && !url.includes("?") ? url.slice("file:".length) : undefined;
  const observe = options.observe ?? ((client: Client) => client);
  if (!file || file === ":memory:") {
    const client = createClient({ url, authToken });
    return { client, db: createDb(observe(client)) };
  }
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const setup = new Database(file);
  setup.pragma("journal_mode = WAL");
  setup.close();
  const client = withCachedStatements(
    createClient({ url, authToken }),
    file,
    options.synchronous ?? "full",
    options.checkpoints,
    options.groupCommits === "on",
  );
  return { client, db: createDb(observe(client)) };
}

export async function migrateDatabase(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder });
}
