import type { Context } from "hono";
import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { MachineCredentials } from "../../shared/api/authenticate.js";
import type { RateLimitSubject } from "../../shared/http/rate-limit.js";
import type { Principal, Scope } from "../../shared/auth/principal.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { inRange, parseCidr, parseIp, type IpRange } from "../../shared/net/ip.js";
import { hashSecret, isWellFormedApiKey } from "./secrets.js";
import { apiClients, apiKeys } from "./tables.js";
import { msg, textOf } from "../../shared/http/messages.js";

/**
 * How long a looked-up API key or API client is trusted without asking the database again. A
 * revocation made through another process (another Worker isolate, another Node instance) takes
 * effect within this bound; in the process that revoked, at once.
 */
export const credentialCacheTtlMs = 30_000;
const cacheLimit = 10_000;
/** `last_used_at` is written at most this often per key. */
const lastUsedResolutionMs = 60_000;

const lastUsedCutoff = (now: Date) => new Date(now.getTime() - lastUsedResolutionMs).toISOString();

/** Scopes an API key can never hold, whatever its row says: clear personal data, and minting credentials. */
export const scopesNeverForKeys: readonly Scope[] = ["pii:read", "access:manage"];

interface CachedKey {
  id: string;
  tenantId: string;
  scopes: Scope[];
  expiresAt: string | null;
  revokedAt: string | null;
  ranges: IpRange[] | null;
  rateLimitPerMinute: number;
  lastUsedAt: string | null;
  /** `expiresAt` and `lastUsedAt` as milliseconds, parsed once per lookup rather than on every request. */
  expiresMs: number | null;
  lastUsedMs: number | null;
  /** A key bound to a new-employment platform acts as it: role `platform`, reach its own workers. */
  platformUnitId: string | null;
  credential?: { principal: Principal; rateLimit: RateLimitSubject };
}

interface CachedClient {
  tenantId: string;
  revokedAt: string | null;
  rateLimitPerMinute: number;
}

/** Entries expire after the TTL; the oldest entry goes when the cache is full. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  constructor(private readonly nowMs: () => number) {}

  get(key: string, nowMs = this.nowMs()): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (nowMs - entry.at < credentialCacheTtlMs) return entry;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= cacheLimit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, at: this.nowMs() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

export interface AccessCache {
  /** An API key presented outside the Authorization/X-API-Key headers (Open311's `api_key` parameter), checked the same way. */
  apiKey: MachineCredentials["apiKey"];
  /** Forget a key (by its hash) or a client (by client_id) at once, after revoking or rotating it. */
  forgetKey(keyHash: string): void;
  forgetClient(clientId: string): void;
}

declare module "hono" {
  interface ContextVariableMap {
    accessCache: AccessCache;
  }
}

/** Wrong, unknown, revoked and expired keys all get this one answer: nothing says whether a key existed. */
const rejectedKey = () => new ApiError("unauthenticated", msg("auth.api_key_rejected"));

/**
 * API keys and API clients as credentials. Unknown keys are cached too (as "no such key"): a key's
 * hash can only start to exist when the key is created, and a new key is 143 random bits nobody can
 * have presented before, so a negative entry can never hide a real key; it spares the database a
 * client retrying a dead key in a loop. Random made-up keys are stopped by the checksum first.
 */
export function createMachineCredentials(nowMs: () => number): MachineCredentials & AccessCache {
  const keys = new TtlCache<CachedKey | null>(nowMs);
  const clients = new TtlCache<CachedClient | null>(nowMs);
  // SHA-256 of each key seen, so a key is hashed once per process rather than on every request.
  const hashes = new Map<string, string>();
  const hashOf = async (presented: string) => {
    let hash = hashes.get(presented);
    if (!hash) {
      hash = await hashSecret(presented);
      if (hashes.size >= cacheLimit) hashes.clear();
      hashes.set(presented, hash);
    }
    return hash;
  };

  /**
   * The key's row, in the round trip that also records its use: a conditional update of
   * `last_used_at` (at most once a minute, only while the key is live) and the read, in one batch.
   * A use is a presentation of a live key, also one then refused for its address.
   */
  async function loadKey(c: Context<AppEnv>, keyHash: string): Promise<CachedKey | null> {
    const cached = keys.get(keyHash);
    if (cached) return cached.value;
    const db = c.get("db");
    const now = c.get("clock").now();
    const at = now.toISOString();
    const [, [row]] = await db.batch([
      db
        .update(apiKeys)
        .set({ lastUsedAt: at })
        .where(
          and(
            eq(apiKeys.keyHash, keyHash),
            isNull(apiKeys.revokedAt),
            or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, at)),
            or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, lastUsedCutoff(now))),
          ),
        ),
      db
        .select({
          id: apiKeys.id,
          tenantId: apiKeys.tenantId,
          scopes: apiKeys.scopes,
          expiresAt: apiKeys.expiresAt,
          revokedAt: apiKeys.revokedAt,
          ipAllowList: apiKeys.ipAllowList,
          rateLimitPerMinute: apiKeys.rateLimitPerMinute,
          lastUsedAt: apiKeys.lastUsedAt,
          platformUnitId: apiKeys.platformUnitId,
        })
        .from(apiKeys)
        .where(eq(apiKeys.keyHash, keyHash)),
    ]);
    const value = row
      ? {
          ...row,
          ranges: row.ipAllowList?.length
            ? row.ipAllowList.map((cidr) => parseCidr(cidr)).filter((r): r is IpRange => !!r)
            : null,
          expiresMs: row.expiresAt ? Date.parse(row.expiresAt) : null,
          lastUsedMs: row.lastUsedAt ? Date.parse(row.lastUsedAt) : null,
        }
      : null;
    keys.set(keyHash, value);
    return value;
  }

  function recordUse(c: Context<AppEnv>, key: CachedKey, nowMs: number): void {
    if (key.lastUsedMs !== null && nowMs - key.lastUsedMs < lastUsedResolutionMs) return;
    const now = new Date(nowMs);
    const at = now.toISOString();
    const cutoff = lastUsedCutoff(now);
    key.lastUsedAt = at; // the cached entry: later requests in this process skip the write
    key.lastUsedMs = nowMs;
    c.get("defer")(
      c
        .get("db")
        .update(apiKeys)
        .set({ lastUsedAt: at })
        // …and other processes' writes within the same minute are absorbed by the condition.
        .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, cutoff))))
        .run(),
    );
  }

  /**
   * Every check of a presented key, on its looked-up row: revoked, expired, the address rule; then
   * its use is recorded. Synchronous, so a key in the cache costs no promise.
   */
  function admit(c: Context<AppEnv>, key: CachedKey | null, nowMs: number) {
    if (!key || key.revokedAt || (key.expiresMs !== null && key.expiresMs <= nowMs)) throw rejectedKey();
    if (key.ranges) {
      const address = c.get("clientIp")();
      const ip = parseIp(address ?? "");
      if (!ip || !key.ranges.some((range) => inRange(ip, range))) {
        // Naming the address the server saw tells a caller behind a proxy or NAT what to allow.
        throw new ApiError("forbidden", msg("auth.api_key_address", { address: address ?? "unknown" }), {
          clientAddress: address ?? null,
        });
      }
    }
    recordUse(c, key, nowMs);
    // Built once per cached key: its principal and quota are the same on every request.
    key.credential ??= {
      principal: {
        tenant: key.tenantId,
        subject: key.id,
        roles: key.platformUnitId ? ["platform"] : [],
        scopes: new Set(key.scopes.filter((s) => !scopesNeverForKeys.includes(s))),
        org: undefined,
        // A platform's key sees what a platform token with `unit` = its platform sees (src/shared/api/authenticate.ts).
        owner: key.platformUnitId ? { companyUnitId: key.platformUnitId } : undefined,
        credential: "api_key",
        crossTenant: false,
      },
      rateLimit: { policy: "key", id: key.id, tenant: key.tenantId, limitPerMinute: key.rateLimitPerMinute },
    };
    return key.credential;
  }

  return {
    cachedApiKey(c, presented) {
      const hash = hashes.get(presented);
      if (hash === undefined) return undefined;
      const nowMs = c.get("clock").now().getTime();
      const cached = keys.get(hash, nowMs);
      return cached ? admit(c, cached.value, nowMs) : undefined;
    },

    async apiKey(c, presented) {
      // Checksum first (unless this process has seen the key): a typo or a made-up key is refused without touching the database.
      if (!hashes.has(presented) && !isWellFormedApiKey(presented)) throw rejectedKey();
      const key = await loadKey(c, await hashOf(presented));
      return admit(c, key, c.get("clock").now().getTime());
    },

    async client(c, clientId, tenant) {
      let client = clients.get(clientId)?.value;
      if (client === undefined) {
        const [row] = await c
          .get("db")
          .select({
            tenantId: apiClients.tenantId,
            revokedAt: apiClients.revokedAt,
            rateLimitPerMinute: apiClients.rateLimitPerMinute,
          })
          .from(apiClients)
          .where(eq(apiClients.clientId, clientId));
        client = row ?? null;
        clients.set(clientId, client);
      }
      if (!client || client.revokedAt || client.tenantId !== tenant) {
        throw new ApiError(
          "unauthenticated",
          msg("auth.token_rejected", { reason: textOf(msg("token.client_revoked")) }),
        );
      }
      return { policy: "client", id: clientId, tenant, limitPerMinute: client.rateLimitPerMinute };
    },

    forgetKey: (keyHash) => keys.delete(keyHash),
    forgetClient: (clientId) => clients.delete(clientId),
  };
}
