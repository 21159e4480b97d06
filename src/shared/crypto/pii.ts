import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";
import { sha256Hex } from "./hash.js";

/**
 * Personal data at rest (PIPL): ID-card numbers and phones are sealed with AES-256-GCM under a
 * named key, so keys can rotate (old ciphertexts name their key); exact-match lookup and duplicate
 * detection use an HMAC-SHA-256 of the normalised value under a separate key.
 */
export interface PiiVault {
  seal(value: string): Promise<string>;
  open(sealed: string): Promise<string>;
  /** Keyed hash for lookups; never reversible. */
  fingerprint(value: string): Promise<string>;
  /** Keyed hash of a long text (an idempotent create's method, path and body): the fingerprint of its SHA-256. */
  fingerprintOfText(text: string): Promise<string>;
}

/**
 * SHA-256 and HMAC-SHA-256 done synchronously, where the runtime has them: Node's entry file hands
 * in node:crypto's. WebCrypto's run on Node's thread pool and answer an event-loop turn later, which
 * on every idempotent create cost ~100 µs of CPU and a turn (bench/README.md, "Round five"); Workers
 * keep WebCrypto. Both give the same digests (test/platform/prepared-and-digests.test.ts).
 */
export interface SyncDigests {
  sha256Hex(text: string): string;
  hmacSha256(key: Uint8Array, text: string): ArrayBuffer;
}

export interface PiiKeyMaterial {
  /** Key id → 32 raw bytes, base64url. */
  encryptionKeys: Record<string, string>;
  currentKeyId: string;
  /** 32+ raw bytes, base64url. */
  hmacKey: string;
}

const bytesOf = (b64: string) => decodeBase64Url(b64);

export async function createPiiVault(material: PiiKeyMaterial, digests?: SyncDigests): Promise<PiiVault> {
  if (!material.encryptionKeys[material.currentKeyId]) {
    throw new Error(`PII key id ${material.currentKeyId} is not among the encryption keys`);
  }
  const aesKeys = new Map<string, Awaited<ReturnType<typeof crypto.subtle.importKey>>>();
  for (const [kid, raw] of Object.entries(material.encryptionKeys)) {
    const bytes = bytesOf(raw);
    if (bytes.length !== 32) throw new Error(`PII encryption key ${kid} must be 32 bytes`);
    aesKeys.set(kid, await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]));
  }
  const hmacBytes = bytesOf(material.hmacKey);
  if (hmacBytes.length < 32) throw new Error("PII HMAC key must be at least 32 bytes");
  const hmacKey = await crypto.subtle.importKey("raw", hmacBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const encoder = new TextEncoder();
  const fingerprint = async (value: string) => {
    const normalised = value.trim().toUpperCase();
    const mac = digests
      ? digests.hmacSha256(hmacBytes, normalised)
      : await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(normalised));
    return encodeBase64Url(mac);
  };

  return {
    async seal(value) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const kid = material.currentKeyId;
      const ciphertext = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(kid) },
        aesKeys.get(kid)!,
        encoder.encode(value),
      );
      return `${kid}.${encodeBase64Url(iv.buffer)}.${encodeBase64Url(ciphertext)}`;
    },
    async open(sealed) {
      const [kid, iv, ciphertext] = sealed.split(".");
      const key = kid ? aesKeys.get(kid) : undefined;
      if (!key || !iv || !ciphertext) throw new Error("Sealed value names an unknown key or is malformed");
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytesOf(iv), additionalData: encoder.encode(kid) },
        key,
        bytesOf(ciphertext),
      );
      return new TextDecoder().decode(plain);
    },
    fingerprint,
    async fingerprintOfText(text) {
      return fingerprint(digests ? digests.sha256Hex(text) : await sha256Hex(text));
    },
  };
}

/** 620902199001011234 → 6209**********1234 */
export function maskIdCard(value: string): string {
  return value.length <= 8
    ? "*".repeat(value.length)
    : value.slice(0, 4) + "*".repeat(value.length - 8) + value.slice(-4);
}

/** 13812345678 → 138****5678 */
export function maskPhone(value: string): string {
  return value.length <= 7
    ? "*".repeat(value.length)
    : value.slice(0, 3) + "*".repeat(value.length - 7) + value.slice(-4);
}

/** Fresh key material, for development and tests. */
export function generatePiiKeyMaterial(keyId = "k1"): PiiKeyMaterial {
  const random = (n: number) => encodeBase64Url(crypto.getRandomValues(new Uint8Array(n)).buffer);
  return { encryptionKeys: { [keyId]: random(32) }, currentKeyId: keyId, hmacKey: random(32) };
}

/** 张小明 → 张** : the surname stays, so a masked roster is still readable. */
export function maskName(value: string): string {
  const chars = [...value];
  return chars.length <= 1 ? "*" : chars[0] + "*".repeat(chars.length - 1);
}
