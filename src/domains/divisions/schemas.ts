import { zodMessage } from "../../shared/http/messages.js";
import { z } from "@hono/zod-openapi";
import { divisionLevels, divisionStatuses } from "../../db/tables.js";
import { divisionIdSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { editableLevels, type DivisionRow } from "./tree.js";

export const tag = "divisions";

export const divisionSchema = z
  .object({
    id: divisionIdSchema,
    tenant: z.string().openapi({ example: "620902" }),
    parentId: divisionIdSchema.nullable(),
    level: z.enum(divisionLevels),
    name: z.string().openapi({ example: "东北街街道" }),
    code: z.string().nullable().openapi({ example: "620902001" }),
    status: z.enum(divisionStatuses).openapi({
      description:
        "`retired` divisions keep their records and stay readable; nothing new is placed in them. `POST …/reinstate` undoes it.",
    }),
    retiredAt: z.string().nullable().openapi({ example: null }),
    ...timestampsSchema,
  })
  .openapi("Division");

export const nameSchema = z.string().trim().min(1).max(100).openapi({ example: "富康社区" });
export const codeSchema = z
  .string()
  .trim()
  .regex(/^\d{6,15}$/, zodMessage("divisions.code_format"))
  .openapi({ description: "Administrative code, unique in the tenant.", example: "620902001001" });
export const editableLevelSchema = z.enum(editableLevels).openapi({
  description: "street or town (under the county), community (under a street or town), grid (under a community).",
  example: "community",
});

export const present = (row: DivisionRow) => ({
  id: row.id,
  tenant: row.tenantId,
  parentId: row.parentId,
  level: row.level,
  name: row.name,
  code: row.code,
  status: row.status,
  retiredAt: row.retiredAt,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** The payload of every `division.*` event: ids, level, code and state, no names of people. */
export const eventPayload = (row: DivisionRow) => ({
  divisionId: row.id,
  parentId: row.parentId,
  level: row.level,
  code: row.code,
  status: row.status,
});
