import type { Db } from "../../db/client.js";
import type { Principal } from "../auth/principal.js";
import type { TokenSigner } from "../auth/signer.js";
import type { CertificateKeys } from "../auth/certificate-keys.js";
import type { Clock } from "../clock.js";
import type { PiiVault } from "../crypto/pii.js";
import type { PagingSettings } from "../messaging.js";
import type { BlobStore } from "../blobs.js";
import type { RecentResults } from "../recent.js";
import type { RateLimiter } from "../http/rate-limit.js";

export type { Clock } from "../clock.js";

export interface AppVariables {
  /** The database for this request (a client per request on Workers, one shared client on Node). */
  db: Db;
  principal: Principal;
  clock: Clock;
  pii: PiiVault;
  /** Signs the platform's own access tokens (the OAuth token endpoint). */
  signer: TokenSigner;
  rateLimiter: RateLimiter;
  /** Requests per minute shared by a tenant's machine credentials (set by the app; read by routes that authenticate keys themselves, e.g. Open311). */
  tenantRateLimitPerMinute: number;
  /** The caller's IP address as the runtime sees it (undefined when unknown). */
  clientIp: () => string | undefined;
  /** Runs work after the response without delaying it (waitUntil on Workers); failures are logged. */
  defer: (work: Promise<unknown>) => void;
  /** Which webhook targets beyond public https ones are accepted: loopback only in development (HEXI_WEBHOOK_ALLOW_LOOPBACK). */
  webhookTargets: { allowLoopback: boolean };
  /** Emergency pages: the answer-link host, the SMS signature and the delivery channel (set by the app from its deps). */
  paging: PagingSettings;
  /** Uploaded files (complaint photos), set by the app from its deps; undefined when the runtime configured none (uploads answer 503). */
  blobs: BlobStore | undefined;
  /** Verifiable certificates' keys (set by the app from its deps); undefined when none are configured (issuing answers 503). */
  certificates: CertificateKeys | undefined;
  /** HEXI_PUBLIC_URL (an origin, no trailing slash): where verification URLs point; undefined in development (the request's origin). */
  publicUrl: string | undefined;
  /** Results that may lag a few seconds (stats), shared by this app's requests. */
  recent: RecentResults;
}

export type AppEnv = { Variables: AppVariables };
