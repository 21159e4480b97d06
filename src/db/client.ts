import type { Client } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";

export type Db = LibSQLDatabase<Record<string, never>> & { $client: Client };

/** Wraps a libSQL client (embedded `file:`, `:memory:` or HTTP) in drizzle. The caller picks the client for its runtime. */
export function createDb(client: Client): Db {
  return drizzle(client);
}
