import { zodMessage } from "../../shared/http/messages.js";
import { z } from "@hono/zod-openapi";
import { createRouter, protectedRoute } from "../../shared/api/openapi.js";
import { importLimit, parseCsv, parseJsonRows } from "./import-file.js";
import { importDivisions } from "./import.js";
import { tag } from "./schemas.js";

const importRowSchema = z
  .object({
    path: z.string().openapi({ description: "Names below the county, joined by `/`.", example: "东北街街道/富康社区" }),
    level: z.string().openapi({ description: "street, town, community or grid.", example: "community" }),
    code: z.string().nullable().optional().openapi({ example: "620902001001" }),
  })
  .strict();

const importBodySchema = z
  .object({
    csv: z.string().optional().openapi({
      description: "A CSV file (UTF-8) whose header names `path`, `level` and optionally `code`.",
      example: "path,level,code\n东北街街道,street,620902001\n东北街街道/富康社区,community,620902001001\n",
    }),
    divisions: z.array(importRowSchema).max(importLimit).optional(),
    dryRun: z.boolean().default(false).openapi({ description: "List the changes without writing them." }),
  })
  .strict()
  .refine((b) => (b.csv === undefined) !== (b.divisions === undefined), zodMessage("divisions.csv_or_divisions"))
  .openapi("DivisionImport", {
    example: {
      divisions: [
        { path: "东北街街道", level: "street", code: "620902001" },
        { path: "东北街街道/富康社区", level: "community", code: "620902001001" },
        { path: "东北街街道/富康社区/第一网格", level: "grid" },
      ],
      dryRun: true,
    },
  });

const changeSchema = z.object({
  line: z.number().int().openapi({ description: "The CSV line (the header is line 1) or the 1-based list position." }),
  action: z.enum(["create", "rename", "set_code", "unchanged"]),
  id: z.string().openapi({ example: "div_01KDVDNA011AKWK3RC504FTYF8" }),
  level: z.string().openapi({ example: "community" }),
  path: z.string().openapi({ example: "东北街街道/富康社区" }),
  code: z.string().nullable(),
});

const importResultSchema = z
  .object({
    dryRun: z.boolean(),
    summary: z.object({ create: z.number(), rename: z.number(), set_code: z.number(), unchanged: z.number() }),
    changes: z.array(changeSchema),
  })
  .openapi("DivisionImportResult");

const importRoute = protectedRoute({
  method: "post",
  path: "/v1/divisions/import",
  operationId: "importDivisions",
  tags: [tag],
  summary: "Import the tenant's division tree (CSV or JSON)",
  description: `Each row is a division below the county: its name path, level and optional code. A row matches an existing division by \`code\`, else by name path among active divisions; it is then unchanged, renamed (a code match under the same parent), or given its code. Any other row creates a division under a parent that exists or comes earlier in the file. Imports never move or retire divisions. Every problem is reported by line (400) and nothing is written; otherwise all changes land in one batch with an audit and a \`division.*\` event each. Running the same file twice changes nothing. \`dryRun: true\` lists the changes without writing. At most ${importLimit} rows. The same as \`npm run divisions:import\`.`,
  scope: "divisions:write",
  errors: [409],
  request: { body: { required: true, content: { "application/json": { schema: importBodySchema } } } },
  responses: {
    200: {
      description: "What the import did (or, with dryRun, would do), line by line.",
      content: { "application/json": { schema: importResultSchema } },
    },
  },
});

export const divisionImportRoutes = createRouter().openapi(importRoute, async (c) => {
  const body = c.req.valid("json");
  const input = body.csv !== undefined ? parseCsv(body.csv) : parseJsonRows(body.divisions);
  const result = await importDivisions(c, input, {
    dryRun: body.dryRun,
    pointer: (line) => (body.csv !== undefined ? "/csv" : `/divisions/${line - 1}`),
  });
  return c.json(result, 200);
});
