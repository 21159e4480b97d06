import { writeFileSync } from "node:fs";
import { openApiDocument } from "../src/routes.js";

/** Writes the committed openapi.json (a test fails when it is stale). */
writeFileSync("openapi.json", `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log("Wrote openapi.json");
