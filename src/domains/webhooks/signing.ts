import { decodeBase64, encodeBase64 } from "hono/utils/encode";

/**
 * Standard Webhooks (https://www.standardwebhooks.com): a `whsec_`-prefixed base64 secret of 24–64
 * random bytes, and `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`.
 * WebCrypto only, so it runs the same on Workers and Node.
 */
export const secretPrefix = "whsec_";
const secretBytes = 32;

export function generateSecret(): string {
  return secretPrefix + encodeBase64(crypto.getRandomValues(new Uint8Array(secretBytes)).buffer);
}

export async function signPayload(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  if (!secret.startsWith(secretPrefix)) throw new Error("Not a whsec_ secret");
  const key = await crypto.subtle.importKey(
    "raw",
    decodeBase64(secret.slice(secretPrefix.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
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
