import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook } from "../../src/shared/crypto/standard-webhooks.js";

/**
 * A district SMS gateway on 127.0.0.1, as the README's wire format describes it: it verifies every
 * call's Standard Webhooks signature, pages each idempotency key once (a repeated key answers
 * `duplicate` and pages nobody), and can be told to misbehave: answer an error status, take the
 * pages and then drop the connection before answering, or reject a number.
 */
export interface StubGateway {
  url: string;
  secret: string;
  /** Every call that reached the handler (signed or not). */
  calls: { status: number; recipients: number; webhookId: string }[];
  /** Pages that reached a phone, in order: one per idempotency key, ever. */
  paged: { key: string; to: string; templateCode: string; params: Record<string, string> }[];
  /** Answers the next calls with these statuses (and `retry-after` when given), before paging anything. */
  failNext(statuses: number[], retryAfterSeconds?: number): void;
  /** The next call pages its recipients, then drops the connection without answering. */
  dropAfterTakingNext(): void;
  /** Always fail these calls (e.g. a long outage) until `recover()`. */
  down(status: number): void;
  recover(): void;
  rejectNumber(phone: string): void;
  close(): Promise<void>;
}

export async function startStubGateway(
  secret: string,
  now: () => Date = () => new Date(),
  options: { keepCalls?: boolean } = {},
): Promise<StubGateway> {
  const queued: { status: number; retryAfter?: number }[] = [];
  let dropNext = false;
  let outage: number | undefined;
  const rejected = new Set<string>();
  const seen = new Set<string>();
  const stub = {
    calls: [] as StubGateway["calls"],
    paged: [] as StubGateway["paged"],
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = { get: (name: string) => (req.headers[name] as string | undefined) ?? null };
    const verdict = await verifyWebhook([secret], headers, body, now());
    const record = (status: number, recipients: number) => {
      if (options.keepCalls !== false)
        stub.calls.push({ status, recipients, webhookId: String(req.headers["webhook-id"]) });
    };
    if (!verdict.ok) {
      record(401, 0);
      res.writeHead(401).end(verdict.reason);
      return;
    }
    const payload = JSON.parse(body) as {
      messages: { idempotencyKey: string; to: string; templateCode: string; params: Record<string, string> }[];
    };
    const failure = queued.shift() ?? (outage ? { status: outage } : undefined);
    if (failure) {
      record(failure.status, payload.messages.length);
      res
        .writeHead(
          failure.status,
          failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {},
        )
        .end();
      return;
    }
    const results = payload.messages.map((m) => {
      if (rejected.has(m.to)) return { idempotencyKey: m.idempotencyKey, status: "rejected", error: "invalid number" };
      if (seen.has(m.idempotencyKey)) return { idempotencyKey: m.idempotencyKey, status: "duplicate" };
      seen.add(m.idempotencyKey);
      stub.paged.push({ key: m.idempotencyKey, to: m.to, templateCode: m.templateCode, params: m.params });
      return { idempotencyKey: m.idempotencyKey, status: "accepted" };
    });
    record(200, payload.messages.length);
    if (dropNext) {
      dropNext = false;
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ results }));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => res.writeHead(500).end(String(err)));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/pages`,
    secret,
    get calls() {
      return stub.calls;
    },
    get paged() {
      return stub.paged;
    },
    failNext(statuses, retryAfterSeconds) {
      for (const status of statuses) queued.push({ status, retryAfter: retryAfterSeconds });
    },
    dropAfterTakingNext() {
      dropNext = true;
    },
    down(status) {
      outage = status;
    },
    recover() {
      outage = undefined;
    },
    rejectNumber(phone) {
      rejected.add(phone);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
