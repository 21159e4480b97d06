import { decodeBase64, encodeBase64 } from "hono/utils/encode";

/**
 * Standard Webhooks (https://www.standardwebhooks.com): a `whsec_`-prefixed base64 secret of 24–64
 * random bytes, and `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`.
 * WebCrypto only, so it runs the same on Workers and Node. Outbound webhooks sign with it, the
 * emergency SMS gateway channel signs its calls with it, and the gateway's inbound events are
 * verified with it.
 */
export const secretPrefix = "whsec_";
const secretBytes = 32;

/** Standard Webhooks' default: a timestamp more than 5 minutes away from now is refused (replays). */
export const defaultToleranceSeconds = 5 * 60;

export function generateSecret(): string {
  return secretPrefix + encodeBase64(crypto.getRandomValues(new Uint8Array(secretBytes)).buffer);
}

/** Whether a string is a usable `whsec_` secret (base64 of 24–64 bytes). */
export function isSecret(secret: string): boolean {
  if (!secret.startsWith(secretPrefix)) return false;
  try {
    const n = decodeBase64(secret.slice(secretPrefix.length)).length;
    return n >= 24 && n <= 64;
  } catch {
    return false;
  }
}

function hmacKey(secret: string, usage: "sign" | "verify") {
  if (!secret.startsWith(secretPrefix)) throw new Error("Not a whsec_ secret");
  return crypto.subtle.importKey(
    "raw",
    decodeBase64(secret.slice(secretPrefix.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [usage],
  );
}

const signedContent = (id: string, timestamp: number, body: string) =>
  new TextEncoder().encode(`${id}.${timestamp}.${body}`);

export async function signPayload(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signedContent(id, timestamp, body));
  return `v1,${encodeBase64(mac)}`;
}

/** The three Standard Webhooks headers of one attempt. */
export async function webhookHeaders(
  secret: string,
  id: string,
  at: Date,
  body: string,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signPayload(secret, id, timestamp, body),
  };
}

export type Verification =
  | { ok: true; id: string; timestamp: number /** Which of the secrets signed it. */; secretIndex: number }
  | { ok: false; reason: "missing_headers" | "stale_timestamp" | "bad_signature" };

/**
 * Verifies a Standard Webhooks request against any of `secrets` (the first that matches wins): the
 * headers must be present, the timestamp within `toleranceSeconds` of `now` either way (an older
 * one is a replay), and one of the space-separated `v1,` signatures must be the HMAC of
 * `<id>.<timestamp>.<body>` (compared in constant time by WebCrypto's verify).
 */
export async function verifyWebhook(
  secrets: readonly string[],
  headers: { get(name: string): string | null | undefined },
  body: string,
  now: Date,
  toleranceSeconds = defaultToleranceSeconds,
): Promise<Verification> {
  const id = headers.get("webhook-id");
  const timestampText = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!id || !timestampText || !signatures || !/^\d{1,12}$/.test(timestampText))
    return { ok: false, reason: "missing_headers" };
  const timestamp = Number(timestampText);
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: "stale_timestamp" };
  const macs: Uint8Array[] = [];
  for (const part of signatures.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    try {
      macs.push(decodeBase64(value));
    } catch {
      // Not base64: not a signature of ours.
    }
  }
  const content = signedContent(id, timestamp, body);
  for (const [secretIndex, secret] of secrets.entries()) {
    const key = await hmacKey(secret, "verify");
    for (const mac of macs)
      if (await crypto.subtle.verify("HMAC", key, mac as Uint8Array<ArrayBuffer>, content))
        return { ok: true, id, timestamp, secretIndex };
  }
  return { ok: false, reason: "bad_signature" };
}
