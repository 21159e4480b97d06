import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "turso",
  schema: ["./src/db/tables.ts", "./src/domains/*/tables.ts"],
  out: "./migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "file:./data/hexi.db" },
});
