import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { Db } from "./db/client.js";
import { createMachineCredentials } from "./domains/access/credentials.js";
import { unauthenticatedPaths } from "./domains/access/routes.js";
import { consoleRoutes, type ConsoleSignInProvider } from "./domains/console/routes.js";
import { docsRoutes } from "./domains/docs/routes.js";
import { open311Base } from "./open311/routes.js";
import { photoUploadPath } from "./domains/property/photos.js";
import { reportPhotoUploadPath } from "./domains/newemployment/report-photos.js";
import { publicPathPrefix } from "./shared/api/public.js";
import { apiRoutes, openApiDocument } from "./routes.js";
import { Directory } from "./shared/auth/directory.js";
import type { TokenVerifier } from "./shared/auth/jwt.js";
import type { TokenSigner } from "./shared/auth/signer.js";
import type { CertificateKeys } from "./shared/auth/certificate-keys.js";
import { authenticate } from "./shared/api/authenticate.js";
import { requireJsonBodies, contentLanguage } from "./shared/http/content-type.js";
import { rateLimitMachines, type RateLimiter } from "./shared/http/rate-limit.js";
import type { StaticAssets } from "./shared/http/static-assets.js";
import type { PiiVault } from "./shared/crypto/pii.js";
import { developmentChannel, type PagingSettings } from "./shared/messaging.js";
import type { BlobStore } from "./shared/blobs.js";
import type { Logger } from "./shared/log.js";
import type { AppEnv, Clock } from "./shared/request/context.js";
import { ApiError, clientClosedRequest, problemResponse, toApiError } from "./shared/http/errors.js";
import { newId } from "./db/ids.js";
import { RecentResults } from "./shared/recent.js";
import { publicTargetsOnly, type TargetPolicy } from "./domains/webhooks/targets.js";
import { msg } from "./shared/http/messages.js";

/** Everything the app needs from its runtime. Entry files build these; tests build their own. */
export interface AppDeps {
  /** Called once per request: Workers need a client per request, Node hands back one shared client. */
  database: () => Db;
  verifier: TokenVerifier;
  pii: PiiVault;
  clock: Clock;
  /** The built static files: the docs UI and the console (`public/`). */
  assets: StaticAssets;
  log: Logger;
  maxBodyBytes: number;
  /** Signs the platform's own access tokens (OAuth client credentials) with the configured key set. */
  signer: TokenSigner;
  /** Quota buckets: in process on Node, a Durable Object on Workers. */
  rateLimiter: RateLimiter;
  /** Requests per minute shared by all machine credentials of one tenant. */
  tenantRateLimitPerMinute: number;
  /** The caller's IP address: the TCP peer or a trusted proxy's X-Forwarded-For on Node, CF-Connecting-IP on Workers. */
  clientIp: (c: Context) => string | undefined;
  /** Runs work after the response (waitUntil on Workers, a logged fire-and-forget promise on Node). */
  defer: (work: Promise<unknown>, c: Context) => void;
  /** Identity providers the console offers for sign-in (HEXI_TENANT_ISSUERS entries with `console`). Default: none. */
  consoleSignIn?: readonly ConsoleSignInProvider[];
  /** Signs and checks verifiable certificates (a key set of their own); without it, issuing answers 503. */
  certificates?: CertificateKeys;
  /** The public base URL (HEXI_PUBLIC_URL, an origin): certificates' verification URLs. Default: the request's origin. */
  publicUrl?: string;
  /** Where uploaded photos go: a directory on Node, an R2 bucket on Workers; without it, uploads answer 503. */
  blobs?: BlobStore;
  /** Webhook targets accepted beyond public https ones. Default: none; the Node server may allow loopback in development. */
  webhookTargets?: TargetPolicy;
  /** Emergency pages. Default: the development channel (records, sends nothing) with placeholder host and signature. */
  paging?: PagingSettings;
  /** The runtime's own middleware, run first on every request (Node: Prometheus request metrics, src/node/metrics.ts). */
  middleware?: MiddlewareHandler[];
}

export const defaultPaging = (): PagingSettings => ({
  answerHost: "a.hexi.dev",
  smsSignature: "酒泉志愿服务",
  channel: developmentChannel(),
  showDevelopmentMessages: true,
});

export function createApp(deps: AppDeps) {
  const directory = new Directory(() => deps.clock.now().getTime());
  const machines = createMachineCredentials(() => deps.clock.now().getTime());
  const recent = new RecentResults();
  const paging = deps.paging ?? defaultPaging();
  const app = new OpenAPIHono<AppEnv>();

  for (const middleware of deps.middleware ?? []) app.use(middleware);
  app.use(requestId({ headerName: "X-Request-Id", generator: () => newId("req", deps.clock.now().getTime()) }));
  app.use(async (c, next) => {
    c.set("db", deps.database());
    c.set("clock", deps.clock);
    c.set("recent", recent);
    c.set("pii", deps.pii);
    c.set("signer", deps.signer);
    c.set("rateLimiter", deps.rateLimiter);
    c.set("tenantRateLimitPerMinute", deps.tenantRateLimitPerMinute);
    c.set("blobs", deps.blobs);
    c.set("certificates", deps.certificates);
    c.set("publicUrl", deps.publicUrl);
    c.set("accessCache", machines);
    c.set("clientIp", () => deps.clientIp(c));
    c.set("defer", (work) => deps.defer(work, c));
    c.set("webhookTargets", deps.webhookTargets ?? publicTargetsOnly);
    c.set("paging", paging);
    await next();
  });
  // Problems are rendered in the language the request asks for (zh-CN unless it asks for en); every response says which.
  app.use(contentLanguage());
  const limitBody = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new ApiError("payload_too_large", msg("http.body_too_large", { bytes: deps.maxBodyBytes }));
    },
  });
  // Photo uploads have their own, larger limit (src/shared/api/photos.ts).
  const photoUpload = (path: string) => photoUploadPath.test(path) || reportPhotoUploadPath.test(path);
  app.use((c, next) => (photoUpload(c.req.path) ? next() : limitBody(c, next)));
  // The OAuth token endpoint takes form bodies and authenticates clients itself (RFC 6749); so does Open311 (GeoReport v2).
  // Photo uploads are the image itself.
  app.use(
    requireJsonBodies(unauthenticatedPaths, [new RegExp(`^${open311Base}/`), photoUploadPath, reportPhotoUploadPath]),
  );
  const authenticated = authenticate(deps.verifier, directory, machines);
  // Public routes (a complaint's follow-up link) carry no credential; they set a link principal themselves.
  app.use("/v1/*", (c, next) =>
    unauthenticatedPaths.has(c.req.path) || c.req.path.startsWith(publicPathPrefix) ? next() : authenticated(c, next),
  );
  app.use("/v1/*", rateLimitMachines(deps.rateLimiter, deps.tenantRateLimitPerMinute));

  app.route("/", apiRoutes);
  app.route("/", docsRoutes(openApiDocument(), deps.assets));
  app.route("/", consoleRoutes(deps.assets, deps.consoleSignIn));

  app.notFound((c) => problemResponse(c, new ApiError("not_found", msg("http.no_route"))));
  app.onError((err, c) => {
    const where = { requestId: c.get("requestId"), method: c.req.method, path: c.req.path };
    // A client hanging up mid-body is worth a line, not an error: the server did nothing wrong.
    if (clientClosedRequest(err, c.req.raw)) {
      deps.log.info?.("client closed the connection before its request was read", where);
      return problemResponse(c, new ApiError("malformed_request", msg("http.connection_closed")));
    }
    return problemResponse(
      c,
      toApiError(err, (message, error) => deps.log.error(message, { ...where, error })),
    );
  });
  return app;
}

export type App = ReturnType<typeof createApp>;
