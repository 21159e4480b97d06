import { z } from "@hono/zod-openapi";
import { zodMessage } from "./messages.js";

/** `<prefix>_<ULID>` ids, validated by shape so a malformed id is a 400, not a lookup. */
export function idSchema(prefix: string) {
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Z]{26}$`), zodMessage("field.id_format", { prefix }))
    .openapi({ example: `${prefix}_01KDVDNA011AKWK3RC504FTYF8` });
}

export const divisionIdSchema = idSchema("div");

export const timestampsSchema = {
  version: z.number().int().openapi({ description: 'Entity version; the ETag is `"v<version>"`.', example: 1 }),
  createdAt: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
  updatedAt: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
};

export const dateSchema = z.iso.date().openapi({ example: "2026-11-26" });
