import { sha256Hex, timingSafeEqual } from "../../shared/crypto/hash.js";

/**
 * Credential formats.
 *
 * API key: `hx_live_` + 24 base62 characters (≈143 random bits) + a 6-character checksum
 * (CRC32 of everything before it, base62, as GitHub's tokens do). The prefix lets secret scanners
 * find leaked keys; the checksum lets anyone (a scanner, this API before touching its database)
 * tell a real-looking key from a typo or a made-up string offline. It is not a secret: it stops
 * typos, not forgers, and a forged key with a valid checksum still has to match a stored hash.
 *
 * Client secret: `hxs_` + 43 base62 characters (≈256 random bits).
 *
 * Both are stored only as SHA-256. A slow password hash (bcrypt, scrypt, Argon2) exists to make
 * guessing a low-entropy human password expensive; these secrets are ≥128 random bits, which no
 * amount of fast hashing can enumerate, so SHA-256 is as safe here and costs microseconds instead
 * of the tens of milliseconds a slow hash burns on every request (Workers allow 10 ms of CPU).
 */
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const apiKeyLivePrefix = "hx_live_";
const keyBodyLength = 24;
const checksumLength = 6;
export const apiKeyPattern = new RegExp(`^${apiKeyLivePrefix}[0-9A-Za-z]{${keyBodyLength + checksumLength}}$`);
/** How much of a key is kept in clear for display: `hx_live_AbCd`. */
export const displayedKeyLength = 12;

/** Uniform base62 characters: bytes ≥ 248 are rejected so every character is equally likely. */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksumOf(text: string): string {
  let n = crc32(text);
  let out = "";
  for (let i = 0; i < checksumLength; i++) {
    out = alphabet[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function newApiKey(): string {
  const head = apiKeyLivePrefix + randomBase62(keyBodyLength);
  return head + checksumOf(head);
}

/** Shape and checksum, without any lookup: a typo or a made-up key fails here. */
export function isWellFormedApiKey(key: string): boolean {
  if (!apiKeyPattern.test(key)) return false;
  const head = key.slice(0, -checksumLength);
  return timingSafeEqual(checksumOf(head), key.slice(-checksumLength));
}

export const newClientId = () => `hxc_${randomBase62(20)}`;
export const newClientSecret = () => `hxs_${randomBase62(43)}`;
export const clientIdPattern = /^hxc_[0-9A-Za-z]{20}$/;

export const hashSecret = sha256Hex;
