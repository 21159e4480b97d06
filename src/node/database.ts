import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { createDb, type Db } from "../db/client.js";

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations");

/** Opens an embedded (`file:`/`:memory:`) or remote libSQL database, creating the folder of a file database. */
export function openDatabase(url: string, authToken?: string): { client: Client; db: Db } {
  if (url.startsWith("file:")) {
    const file = url.slice("file:".length);
    if (file !== ":memory:") mkdirSync(dirname(resolve(file)), { recursive: true });
  }
  const client = createClient({ url, authToken });
  return { client, db: createDb(client) };
}

export async function migrateDatabase(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder });
}
