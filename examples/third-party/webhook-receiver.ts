/**
 * Receives Hexi's webhooks: verifies each Standard Webhooks signature, answers 204 at once, drops
 * repeats of a `webhook-id` (a retry or a replay), and hands each new, verified event to a callback.
 *
 *   WEBHOOK_SECRET=whsec_… PORT=3000 npx tsx examples/third-party/webhook-receiver.ts
 *
 * Listens on 127.0.0.1:PORT (HOST to change it) and prints one line per event.
 * See https://www.standardwebhooks.com; any Standard Webhooks library verifies the same way.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { fileURLToPath } from "node:url";

/** What Hexi sends: `{ type, timestamp, data }`; `data.id` is the record the event is about. */
export interface WebhookEvent {
  /** The `webhook-id`: the same on every retry and replay of one delivery. */
  webhookId: string;
  type: string;
  timestamp: string;
  data: { id: string; [field: string]: unknown };
}

export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
}

/** Messages older or newer than this are refused: a captured message cannot be replayed later. */
export const toleranceSeconds = 5 * 60;

/** The key is the base64 after `whsec_`. */
function secretKey(secret: string): Buffer {
  if (!secret.startsWith("whsec_"))
    throw new Error("WEBHOOK_SECRET must be the whsec_… secret Hexi returned for the endpoint.");
  return Buffer.from(secret.slice("whsec_".length), "base64");
}

/**
 * Verifies one message exactly as received (the raw body bytes, never re-serialised JSON) and
 * answers the event. Throws WebhookVerificationError when it is not authentic or not fresh.
 */
export function verifyWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  nowMs = Date.now(),
): WebhookEvent {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature.");
  if (!/^\d{1,12}$/.test(timestamp))
    throw new WebhookVerificationError("webhook-timestamp is not a Unix time in seconds.");
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds)
    throw new WebhookVerificationError("webhook-timestamp is more than 5 minutes away from now.");

  const expected = createHmac("sha256", secretKey(secret)).update(`${id}.${timestamp}.`).update(body).digest();
  // Several space-separated `v1,<base64>` signatures may come (e.g. while a secret is rotated): one match is enough.
  const matches = signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError("No webhook-signature matches the body.");

  let parsed: { type?: unknown; timestamp?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new WebhookVerificationError("The signed body is not JSON.");
  }
  if (typeof parsed.type !== "string" || typeof parsed.data !== "object" || parsed.data === null)
    throw new WebhookVerificationError("The body is not an event.");
  return {
    webhookId: id,
    type: parsed.type,
    timestamp: String(parsed.timestamp),
    data: parsed.data as WebhookEvent["data"],
  };
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(" ") : value;
};

export interface ReceiverOptions {
  /** The endpoint's `whsec_` secret, or a function reading the current one (after `rotate-secret`). */
  secret: string | (() => string);
  /** Called once per new verified event, after the 204 has been sent. Keep it quick or queue the work. */
  onEvent: (event: WebhookEvent) => void | Promise<void>;
  /** Called for every refused request (default: a line on stderr). */
  onRejected?: (reason: string) => void;
  /** How many recent webhook-ids are remembered to drop repeats (default 10 000). */
  rememberIds?: number;
  /** Largest body accepted (default 1 MiB). */
  maxBodyBytes?: number;
}

/** A node:http server that accepts POSTs on any path; call `.listen(port, host)` on it. */
export function createWebhookReceiver(options: ReceiverOptions): Server {
  const { onEvent, rememberIds = 10_000, maxBodyBytes = 1024 * 1024 } = options;
  const onRejected = options.onRejected ?? ((reason) => console.error(`Refused a webhook: ${reason}`));
  const currentSecret = typeof options.secret === "function" ? options.secret : () => options.secret as string;
  // Insertion-ordered: the oldest ids are forgotten first. A real integration records ids durably.
  const seen = new Set<string>();

  return createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        onRejected("body too large");
        res.writeHead(413, { connection: "close" }).end();
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      let event: WebhookEvent;
      try {
        event = verifyWebhook(currentSecret(), req.headers, Buffer.concat(chunks));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        onRejected(reason);
        res.writeHead(401, { "content-type": "text/plain" }).end(reason);
        return;
      }
      // Answer first: Hexi counts anything but a 2xx within 10 s as a failure and retries.
      res.writeHead(204).end();
      if (seen.has(event.webhookId)) return;
      seen.add(event.webhookId);
      if (seen.size > rememberIds) seen.delete(seen.values().next().value!);
      Promise.resolve()
        .then(() => onEvent(event))
        .catch((err) => console.error(`Handling webhook ${event.webhookId} failed:`, err));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error("Set WEBHOOK_SECRET to the whsec_… secret returned when the endpoint was created.");
    process.exit(2);
  }
  secretKey(secret);
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "127.0.0.1";
  const server = createWebhookReceiver({
    secret,
    onEvent: (event) =>
      console.log(`${event.type}  ${event.data.id}  (webhook-id ${event.webhookId}, at ${event.timestamp})`),
  });
  server.listen(port, host, () => {
    const address = server.address();
    const actualPort = typeof address === "object" && address ? address.port : port;
    console.log(`Webhook receiver listening on http://${host}:${actualPort}/  (subscribe this URL in Hexi)`);
  });
}
