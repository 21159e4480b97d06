import { encodeBase64Url } from "hono/utils/encode";
import { webhookHeaders } from "../../shared/crypto/standard-webhooks.js";
import type { DeliveryReceipt, MessageChannel, OutgoingMessage } from "../../shared/messaging.js";

/**
 * The district SMS / voice gateway channel: each tenant's pages go to that tenant's gateway over
 * HTTPS, signed with Standard Webhooks headers under the tenant's `whsec_` secret. One call carries
 * at most 100 recipients (as the large providers' batch APIs take); each message names the approved
 * template and its parameters (Chinese SMS providers send only pre-approved templates) and carries
 * the notification's id as its idempotency key, so a call repeated after a lost answer, a crash or
 * a concurrent run pages nobody twice at the gateway.
 *
 * Transient failures (the gateway unreachable, a timeout, 408, 429, 5xx) are retried within the call
 * after 1, 2 and 4 seconds (or the gateway's `Retry-After`, at most 30 s); if they persist, the pages
 * go back to the queue marked `retry` and the next paging tick tries again, for as long as the
 * incident is live. The gateway is never disabled, however often it fails. A recipient the gateway
 * rejects (an invalid number…) is a failure of that page only.
 *
 * The wire format (documented in the README, "Emergency response"):
 *
 *   POST <url>   webhook-id, webhook-timestamp, webhook-signature, content-type: application/json
 *   { "type": "page.batch", "tenant": "620902", "signName": "酒泉志愿服务",
 *     "messages": [{ "idempotencyKey": "ntf_…", "to": "13900000001",
 *                    "templateCode": "HEXI_PAGE_V1", "params": { "drill": "演练：", "headline": "…", "token": "…" } }] }
 *   200 { "results": [{ "idempotencyKey": "ntf_…", "status": "accepted" | "duplicate" | "rejected", "error": "…" }] }
 */
export interface Gateway {
  /** The tenant (county-level code) this gateway pages for. */
  tenant: string;
  url: string;
  /** The Standard Webhooks secret (`whsec_…`) shared with the gateway: signs our calls, verifies its events. */
  secret: string;
}

export interface GatewayChannelOptions {
  gateways: readonly Gateway[];
  /** The provider signature (签名) the templates were approved under. */
  signName: string;
  now: () => Date;
  fetch?: typeof fetch;
  /** How long to wait before each retry of a transient failure (default 1, 2, 4 s). */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
  /** Per call (default 10 s). */
  timeoutMs?: number;
  /** Where pages of a tenant without a gateway go (development only); without it they fail. */
  fallback?: MessageChannel;
}

/** Recipients per gateway call. */
export const gatewayBatchSize = 100;
const maxRetryAfterMs = 30_000;

interface GatewayResult {
  idempotencyKey: string;
  status: "accepted" | "duplicate" | "rejected";
  error?: string;
}

const transient = (status: number) => status === 408 || status === 429 || status >= 500;

/** A call's `webhook-id`: derived from its recipients, so a retry of the same call carries the same id. */
async function batchId(messages: OutgoingMessage[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(messages.map((m) => m.id).join(",")));
  return `pgb_${encodeBase64Url(digest).slice(0, 26)}`;
}

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get("retry-after");
  const seconds = header === null || header.trim() === "" ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, maxRetryAfterMs) : undefined;
}

export function gatewayChannel(options: GatewayChannelOptions): MessageChannel {
  const byTenant = new Map(options.gateways.map((g) => [g.tenant, g]));
  const doFetch = options.fetch ?? fetch;
  const delays = options.retryDelaysMs ?? [1_000, 2_000, 4_000];
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeoutMs = options.timeoutMs ?? 10_000;

  /** One call, retried while its failure is transient: each message's receipt. */
  async function call(gateway: Gateway, messages: OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    const body = JSON.stringify({
      type: "page.batch",
      tenant: gateway.tenant,
      signName: options.signName,
      messages: messages.map((m) => ({
        idempotencyKey: m.id,
        to: m.to,
        templateCode: m.templateCode,
        params: m.params,
      })),
    });
    const id = await batchId(messages);
    let error = "";
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      let wait = delays[attempt];
      try {
        const response = await doFetch(gateway.url, {
          method: "POST",
          headers: {
            ...(await webhookHeaders(gateway.secret, id, options.now(), body)),
            "content-type": "application/json",
            "user-agent": "Hexi-Paging/1.0",
          },
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) return await receiptsOf(response, messages);
        await response.body?.cancel().catch(() => {});
        error = `gateway answered HTTP ${response.status}`;
        if (!transient(response.status)) return messages.map((m) => ({ id: m.id, status: "failed" as const, error }));
        wait = retryAfterMs(response) ?? wait;
      } catch (err) {
        error = `gateway unreachable: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200);
      }
      if (wait !== undefined) await sleep(wait);
    }
    const calls = delays.length + 1;
    return messages.map((m) => ({
      id: m.id,
      status: "failed" as const,
      retry: true,
      error: `${error} (${calls} calls)`,
    }));
  }

  async function receiptsOf(response: Response, messages: OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    let results: GatewayResult[] = [];
    try {
      const parsed = (await response.json()) as { results?: GatewayResult[] };
      results = Array.isArray(parsed.results) ? parsed.results : [];
    } catch {
      // An unreadable answer: every message counts as unanswered below.
    }
    const byKey = new Map(results.map((r) => [r.idempotencyKey, r]));
    return messages.map((m): DeliveryReceipt => {
      const r = byKey.get(m.id);
      if (!r) return { id: m.id, status: "failed", retry: true, error: "gateway gave no result for this message" };
      if (r.status === "accepted" || r.status === "duplicate") return { id: m.id, status: "sent" };
      return { id: m.id, status: "failed", error: `rejected: ${String(r.error ?? "no reason given").slice(0, 180)}` };
    });
  }

  return {
    name: "sms-gateway",
    batchSize: gatewayBatchSize,
    needsPhone: true,
    nameFor: (tenant) => (byTenant.has(tenant) || !options.fallback ? "sms-gateway" : options.fallback.name),
    async send(messages) {
      const groups = new Map<string, OutgoingMessage[]>();
      for (const m of messages) groups.set(m.tenantId, [...(groups.get(m.tenantId) ?? []), m]);
      const receipts = await Promise.all(
        [...groups].map(async ([tenant, group]) => {
          const gateway = byTenant.get(tenant);
          if (gateway) {
            const out: DeliveryReceipt[] = [];
            for (let i = 0; i < group.length; i += gatewayBatchSize)
              out.push(...(await call(gateway, group.slice(i, i + gatewayBatchSize))));
            return out;
          }
          if (options.fallback) return options.fallback.send(group);
          return group.map((m) => ({
            id: m.id,
            status: "failed" as const,
            error: `no SMS gateway is configured for tenant ${tenant}`,
          }));
        }),
      );
      return receipts.flat();
    },
  };
}
