import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { maskPhone } from "../crypto/pii.js";
import { idCardBirthDate, idCardChecksumValid } from "../id-card.js";
import type { AppEnv } from "../request/context.js";
import { zodMessage } from "../http/messages.js";
import { commit } from "../store/commit.js";

/**
 * Personal data of people on record (party members, volunteers, community workers): how ID cards and
 * phones are validated and how a phone is sealed. The reveal rule is `shared/auth/pii-reveal.ts`.
 */

export const idCardSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^\d{17}[\dX]$/, zodMessage("field.id_card_format"))
  .refine(idCardChecksumValid, zodMessage("members.id_card_checksum"))
  .refine((v) => idCardBirthDate(v) !== null, zodMessage("members.id_card_birth_date"))
  .openapi({ description: "18-character PRC resident ID card number (GB 11643).", example: "620902198805010024" });

export const phoneSchema = z
  .string()
  .trim()
  .regex(/^1[3-9]\d{9}$/, zodMessage("field.mobile_format"))
  .openapi({ example: "13812345678" });

/** A phone sealed (AES-GCM), fingerprinted (HMAC, for exact lookups) and masked for display. */
export async function sealedPhone(c: Context<AppEnv>, phone: string | null) {
  if (phone === null) return { phoneCipher: null, phoneHash: null, phoneMasked: null };
  return {
    phoneCipher: await c.get("pii").seal(phone),
    phoneHash: await c.get("pii").fingerprint(phone),
    phoneMasked: maskPhone(phone),
  };
}

/**
 * `reveal=pii` on one person's record, once `assertMayRevealPii` let the caller through: their
 * phone and ID card opened, and the reveal audited as `<targetType>.pii_revealed` with the fields
 * revealed (never their values). A record anonymised by retention has no phone left to open: its
 * masked form is answered.
 */
export async function revealPersonalData<Masked extends string | null>(
  c: Context<AppEnv>,
  targetType: string,
  row: {
    id: string;
    tenantId: string;
    divisionPath: string;
    phoneCipher: string | null;
    phoneMasked: Masked;
    idCardCipher: string | null;
  },
): Promise<{ phone: string | Masked; idCard: string | null }> {
  const pii = c.get("pii");
  const clear = {
    phone: row.phoneCipher ? await pii.open(row.phoneCipher) : row.phoneMasked,
    idCard: row.idCardCipher === null ? null : await pii.open(row.idCardCipher),
  };
  await commit(c, {
    writes: [],
    audit: {
      action: `${targetType}.pii_revealed`,
      targetType,
      targetId: row.id,
      divisionPath: row.divisionPath,
      tenantId: row.tenantId,
      changes: { fields: clear.idCard === null ? ["phone"] : ["phone", "idCard"] },
    },
  });
  return clear;
}
