import { parseConfig } from "../src/config.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";

/** Applies pending migrations to DATABASE_URL (a file, or a Turso URL with DATABASE_AUTH_TOKEN). */
const config = parseConfig(process.env);
const { client, db } = openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
console.log(`Migrating ${config.DATABASE_URL.replace(/\/\/[^@]*@/, "//")} …`);
await migrateDatabase(db);
client.close();
console.log("Migrations applied.");
