/**
 * Outbound pages (SMS, voice) behind one interface. A channel takes a batch of rendered messages and
 * answers a receipt per message; the emergency dispatcher decides batching and retries. Chinese SMS
 * providers accept only pre-approved templates, so a message carries its template code and parameters
 * besides the rendered text a development channel shows.
 */
export interface OutgoingMessage {
  /** The notification id: the gateway's idempotency key. */
  id: string;
  /** The tenant whose page it is: a channel with a gateway per tenant routes on it. */
  tenantId: string;
  /** The recipient's phone: in clear only for channels that say `needsPhone`, masked otherwise. */
  to: string;
  text: string;
  templateCode: string;
  params: Record<string, string>;
}

export interface DeliveryReceipt {
  id: string;
  status: "sent" | "delivered" | "failed";
  error?: string;
  /**
   * A failure of the channel rather than of this recipient (the gateway unreachable or overloaded):
   * the page goes back to the queue whatever its attempts, and is tried again on the next run.
   */
  retry?: boolean;
}

export interface MessageChannel {
  /** Recorded on each notification (`dev`, `sms-gateway`…). */
  readonly name: string;
  /** Messages per call (the large providers' batch APIs take up to 100 recipients). */
  readonly batchSize: number;
  /** Whether the channel needs the clear phone number (a real gateway) or not (development). */
  readonly needsPhone: boolean;
  /**
   * The channel a tenant's pages actually leave by, when it differs by tenant (the gateway channel
   * sends a tenant without a gateway through its development fallback): recorded on the notification.
   */
  nameFor?(tenantId: string): string;
  send(messages: OutgoingMessage[]): Promise<DeliveryReceipt[]>;
}

/** The name recorded on a tenant's notifications: `dev` for a development fallback, the channel's own otherwise. */
export const channelNameFor = (channel: MessageChannel | string, tenantId: string): string =>
  typeof channel === "string" ? channel : (channel.nameFor?.(tenantId) ?? channel.name);

/** The paging settings: the answer link's host fixed in the approved template, and the provider signature. */
export interface PagingSettings {
  /** The sender's registered (ICP-filed) host: links are `https://<answerHost>/a/<token>`. */
  answerHost: string;
  /** The provider signature, without brackets: rendered as 【…】 at the start of every message. */
  smsSignature: string;
  channel: MessageChannel;
  /**
   * Whether `GET /v1/incidents/{id}/notifications` shows the development channel's messages in full,
   * answer token included (development mode only). Otherwise the token is masked, so an admin can
   * never answer for a volunteer.
   */
  showDevelopmentMessages?: boolean;
  /** The SMS gateways' secrets by tenant: the inbound endpoint finds the tenant from the secret that verifies. */
  gateways?: readonly { tenant: string; secret: string }[];
  /** PIPL retention of volunteers' personal data and check-in locations, in days (default 730). */
  retentionDays?: number;
}

/**
 * The development channel: it sends nothing. Every message is "delivered" at once and stays readable
 * on its notification (`GET /v1/incidents/{id}/notifications`); the last few are also kept here for tests.
 */
export function developmentChannel(keep = 1_000): MessageChannel & { readonly recorded: OutgoingMessage[] } {
  const recorded: OutgoingMessage[] = [];
  return {
    name: "dev",
    batchSize: 100,
    needsPhone: false,
    recorded,
    async send(messages) {
      recorded.push(...messages);
      if (recorded.length > keep) recorded.splice(0, recorded.length - keep);
      return messages.map((m) => ({ id: m.id, status: "delivered" as const }));
    },
  };
}
