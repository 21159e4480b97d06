import { lookup, type LookupAddress, type LookupOptions } from "node:dns";
import { lookup as lookupAll } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Db } from "../db/client.js";
import { createDispatcher, type Dispatcher } from "../domains/webhooks/dispatcher.js";
import {
  isForbiddenAddress,
  isLoopbackAddress,
  isLoopbackHost,
  publicTargetsOnly,
  type TargetPolicy,
} from "../domains/webhooks/targets.js";
import type { PiiVault } from "../shared/crypto/pii.js";
import type { Clock } from "../shared/request/context.js";
import type { Logger } from "../shared/log.js";
import { startBackgroundLoop } from "./loop.js";

/**
 * Webhook delivery on Node: the dispatcher with name resolution, an HTTPS client that checks the
 * address it actually connects to, and a loop that runs the dispatcher in the background.
 */

/** Every address the host resolves to (A and AAAA), for the dispatcher's pre-flight check. */
export async function resolveHost(host: string): Promise<string[]> {
  return (await lookupAll(host, { all: true, verbatim: true })).map((a) => a.address);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

type CheckedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** A lookup for a connection that refuses, with EWEBHOOKTARGET, a host resolving to any address `accept` rejects. */
function checkedLookup(accept: (address: string) => boolean, what: string): CheckedLookup {
  return (hostname, options, callback) =>
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find((a) => !accept(a.address));
      if (refused)
        return callback(
          Object.assign(new Error(`${hostname} resolves to ${refused.address}, which is not ${what}`), {
            code: "EWEBHOOKTARGET",
          }),
          [],
        );
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: "ENOTFOUND" }), []);
      callback(null, first.address, first.family);
    });
}

/**
 * The lookup the HTTPS connection itself uses: the pre-flight resolution and the connection's own
 * could differ (DNS rebinding with a zero TTL), so the addresses are checked again here, where
 * they are used.
 */
export const publicOnlyLookup = checkedLookup((address) => !isForbiddenAddress(address), "public");

/** For a loopback name (`localhost`) under the development policy: loopback addresses and nothing else. */
export const loopbackOnlyLookup = checkedLookup(isLoopbackAddress, "loopback");

/**
 * A `fetch` for the dispatcher's one use (POST a string body, read the status): node:https with
 * `publicOnlyLookup`, never following redirects.
 */
export const webhookFetch = createWebhookFetch(publicOnlyLookup);

/**
 * With a policy that allows loopback (development), a loopback URL is sent with node:http or
 * node:https and `loopbackOnlyLookup`; any other URL must be https and goes through `publicLookup`.
 */
export function createWebhookFetch(publicLookup: CheckedLookup, policy: TargetPolicy = publicTargetsOnly) {
  return (url: string, init: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const loopback = policy.allowLoopback && isLoopbackHost(target.hostname);
      if (target.protocol !== "https:" && !(loopback && target.protocol === "http:")) {
        return reject(
          Object.assign(new Error(`${target.protocol} is not allowed for this webhook target`), {
            code: "EWEBHOOKTARGET",
          }),
        );
      }
      const request = target.protocol === "http:" ? httpRequest : httpsRequest;
      const headers = init.headers as Record<string, string>;
      const connectLookup = loopback ? loopbackOnlyLookup : publicLookup;
      const req = request(
        target,
        { method: init.method ?? "POST", headers, lookup: connectLookup as never, signal: init.signal ?? undefined },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolve(new Response(null, { status: status >= 200 && status <= 599 ? status : 599 }));
        },
      );
      req.on("error", reject);
      req.end(init.body as string);
    });
}

export interface NodeDispatchDeps {
  db: Db;
  pii: PiiVault;
  clock: Clock;
  log: Logger;
  /** Default: public https targets only. */
  targets?: TargetPolicy;
}

export function nodeDispatcher(deps: NodeDispatchDeps): Dispatcher {
  const targets = deps.targets ?? publicTargetsOnly;
  return createDispatcher({ ...deps, targets, fetch: createWebhookFetch(publicOnlyLookup, targets), resolveHost });
}

/**
 * Runs the dispatcher every `intervalMs` after the previous run finished, so runs never overlap.
 * `stop()` cancels the next run and waits for the current one.
 */
export function startDispatchLoop(dispatcher: Dispatcher, intervalMs = 2000): { stop(): Promise<void> } {
  return startBackgroundLoop(() => dispatcher.runOnce(), intervalMs);
}
