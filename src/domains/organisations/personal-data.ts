import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Principal } from "../../shared/auth/principal.js";
import { maskPhone } from "../../shared/crypto/pii.js";
import type { AppEnv } from "../../shared/http/context.js";
import { ApiError } from "../../shared/http/errors.js";

/**
 * Personal data of people on record (party members, volunteers): the validation of ID cards and
 * phones, how a phone is sealed, and the one reveal rule. Members and volunteers share it.
 */

// ---------------------------------------------------------------------------------------------
// Personal data: validation and the reveal rule

const idCardWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCardCheckChars = "10X98765432";

/** GB 11643-1999: 17 digits and a check character (ISO 7064 MOD 11-2). Expects the normalised (upper-case) form. */
export function idCardChecksumValid(value: string): boolean {
  if (!/^\d{17}[\dX]$/.test(value)) return false;
  const sum = idCardWeights.reduce((acc, w, i) => acc + w * Number(value[i]), 0);
  return idCardCheckChars[sum % 11] === value[17];
}

/** The birth date an ID-card number carries (positions 7–14), or null when it is not a real date. */
export function idCardBirthDate(value: string): string | null {
  const [y, m, d] = [value.slice(6, 10), value.slice(10, 12), value.slice(12, 14)].map(Number) as [
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
}

export const idCardSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^\d{17}[\dX]$/, "Not a resident ID card number (17 digits and a digit or X).")
  .refine(idCardChecksumValid, "The ID card number's check character is wrong (GB 11643).")
  .refine((v) => idCardBirthDate(v) !== null, "The ID card number does not carry a valid birth date.")
  .openapi({ description: "18-character PRC resident ID card number (GB 11643).", example: "620902198805010024" });

export const phoneSchema = z
  .string()
  .trim()
  .regex(/^1[3-9]\d{9}$/, "Not a mainland mobile number (11 digits starting 13–19).")
  .openapi({ example: "13812345678" });

/**
 * Clear personal data goes only to a person (a JWT principal) holding pii:read. API keys (third-party
 * apps) never get it, whatever their scopes (DOMAIN.md §7).
 */
export function assertMayRevealPii(principal: Principal): void {
  if (!principal.scopes.has("pii:read"))
    throw new ApiError("forbidden", "Revealing personal data needs the scope pii:read.");
  if (principal.credential !== "jwt") throw new ApiError("forbidden", "Personal data is never revealed to API keys.");
}

/** A phone sealed (AES-GCM), fingerprinted (HMAC, for exact lookups) and masked for display. */
export async function sealedPhone(c: Context<AppEnv>, phone: string | null) {
  if (phone === null) return { phoneCipher: null, phoneHash: null, phoneMasked: null };
  return {
    phoneCipher: await c.get("pii").seal(phone),
    phoneHash: await c.get("pii").fingerprint(phone),
    phoneMasked: maskPhone(phone),
  };
}
