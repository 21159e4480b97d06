import { lookup, type LookupAddress, type LookupOptions } from "node:dns";
import { lookup as lookupAll } from "node:dns/promises";
import { request } from "node:https";
import type { Db } from "../db/client.js";
import { createDispatcher, type Dispatcher } from "../domains/webhooks/dispatcher.js";
import { isForbiddenAddress } from "../domains/webhooks/targets.js";
import type { PiiVault } from "../shared/crypto/pii.js";
import type { Clock } from "../shared/http/context.js";
import type { Logger } from "../shared/log.js";

/**
 * Webhook delivery on Node: the dispatcher with name resolution, an HTTPS client that checks the
 * address it actually connects to, and a loop that runs the dispatcher in the background.
 */

/** Every address the host resolves to (A and AAAA), for the dispatcher's pre-flight check. */
export async function resolveHost(host: string): Promise<string[]> {
  return (await lookupAll(host, { all: true, verbatim: true })).map((a) => a.address);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The lookup the HTTPS connection itself uses: the pre-flight resolution and the connection's own
 * could differ (DNS rebinding with a zero TTL), so the addresses are checked again here, where
 * they are used.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const forbidden = addresses.find((a) => isForbiddenAddress(a.address));
    if (forbidden) return callback(Object.assign(new Error(`${hostname} resolves to ${forbidden.address}, which is not public`), { code: "EWEBHOOKTARGET" }), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: "ENOTFOUND" }), []);
    callback(null, first.address, first.family);
  });
}

/**
 * A `fetch` for the dispatcher's one use (POST a string body to an https URL, read the status):
 * node:https with `publicOnlyLookup`, never following redirects.
 */
export const webhookFetch = createWebhookFetch(publicOnlyLookup);

export function createWebhookFetch(checkedLookup: typeof publicOnlyLookup) {
  return (url: string, init: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const headers = init.headers as Record<string, string>;
      const req = request(url, { method: init.method ?? "POST", headers, lookup: checkedLookup as never, signal: init.signal ?? undefined }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(new Response(null, { status: status >= 200 && status <= 599 ? status : 599 }));
      });
      req.on("error", reject);
      req.end(init.body as string);
    });
}

export interface NodeDispatchDeps {
  db: Db;
  pii: PiiVault;
  clock: Clock;
  log: Logger;
}

export function nodeDispatcher(deps: NodeDispatchDeps): Dispatcher {
  return createDispatcher({ ...deps, fetch: webhookFetch, resolveHost });
}

/**
 * Runs the dispatcher every `intervalMs` after the previous run finished, so runs never overlap.
 * `stop()` cancels the next run and waits for the current one.
 */
export function startDispatchLoop(dispatcher: Dispatcher, intervalMs = 2000): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    running = dispatcher.runOnce().finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
