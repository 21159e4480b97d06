import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import { idSchema } from "../../shared/http/schemas.js";
import { zodMessage } from "../../shared/http/messages.js";

export const tag = "emergency";

export const volunteerId = idSchema("vol");
export const teamId = idSchema("team");
export const teamMemberId = idSchema("tmem");
export const siteId = idSchema("site");
export const incidentId = idSchema("inc");

/** The skills reference list (DOMAIN.md §4); Subei and Aksay are autonomous counties, hence the interpreters. */
export const skills = [
  { code: "medical_aid", nameZh: "医疗救护", nameEn: "Medical aid" },
  { code: "psychological_support", nameZh: "心理疏导", nameEn: "Psychological support" },
  { code: "driving", nameZh: "驾驶", nameEn: "Driving" },
  { code: "lifting", nameZh: "搬运起重", nameEn: "Lifting" },
  { code: "electrician", nameZh: "电工", nameEn: "Electrician" },
  { code: "water_rescue", nameZh: "水上救援", nameEn: "Water rescue" },
  { code: "sign_language", nameZh: "手语", nameEn: "Sign language" },
  { code: "mongolian_interpreting", nameZh: "蒙古语翻译", nameEn: "Mongolian interpreting" },
  { code: "kazakh_interpreting", nameZh: "哈萨克语翻译", nameEn: "Kazakh interpreting" },
] as const;
export const skillCodes = skills.map((s) => s.code) as [string, ...string[]];

export const skillListSchema = z
  .array(z.enum(skillCodes as [(typeof skills)[number]["code"], ...(typeof skills)[number]["code"][]]))
  .max(skills.length)
  .refine((list) => new Set(list).size === list.length, zodMessage("emergency.skill_once"))
  .openapi({ description: "Codes from `GET /v1/volunteer-skills`.", example: ["medical_aid", "driving"] });

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** One random character of `alphabet`, drawn by SQLite per row (random() is seeded from the OS). */
const randomChar = (alphabet: string) =>
  `substr('${alphabet}', 1 + ((random() & 9223372036854775807) % ${alphabet.length}), 1)`;

/**
 * Set-based inserts make their ids in SQL: `<prefix>_` + the ULID time part of `nowMs` (computed
 * here once) + 16 random Crockford characters drawn per row — the same shape as `newId`.
 */
export function sqlNewId(prefix: string, nowMs: number): SQL {
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = crockford[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return sql.raw(`('${prefix}_${time}' || ${Array.from({ length: 16 }, () => randomChar(crockford)).join(" || ")})`);
}

/** Answer-link tokens: 12 base62 characters, log2(62^12) ≈ 71 random bits, drawn per row in SQL. */
export const tokenLength = 12;
export function sqlNewToken(): SQL {
  return sql.raw(`(${Array.from({ length: tokenLength }, () => randomChar(base62)).join(" || ")})`);
}
export const tokenPattern = /^[0-9A-Za-z]{12}$/;
