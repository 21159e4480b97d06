import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const specUrl = new URL("../openapi.json", import.meta.url);
export const clientTypesUrl = new URL("../examples/third-party/api.d.ts", import.meta.url);

/**
 * Types for a generated client, from the committed openapi.json (gitignored output), written beside
 * the example integration that a partner copies (examples/third-party). The black-box test and the
 * example compile against them; `npm run typecheck` and the tests that need them make them first.
 */
export async function generateClientTypes(): Promise<void> {
  const contents =
    "// Generated from openapi.json with openapi-typescript (scripts/client-types.ts). Do not edit.\n" +
    astToString(await openapiTS(specUrl));
  if (existsSync(clientTypesUrl) && readFileSync(clientTypesUrl, "utf8") === contents) return;
  mkdirSync(new URL(".", clientTypesUrl), { recursive: true });
  writeFileSync(clientTypesUrl, contents);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await generateClientTypes();
