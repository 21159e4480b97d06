import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { Db } from "./db/client.js";
import { docsRoutes, type DocsAssets } from "./domains/docs/routes.js";
import { apiRoutes, openApiDocument } from "./routes.js";
import { Directory } from "./shared/auth/directory.js";
import type { TokenVerifier } from "./shared/auth/jwt.js";
import { authenticate } from "./shared/auth/middleware.js";
import { requireJsonBodies } from "./shared/http/content-type.js";
import type { PiiVault } from "./shared/crypto/pii.js";
import type { Logger } from "./shared/log.js";
import type { AppEnv, Clock } from "./shared/http/context.js";
import { ApiError, problemResponse, toApiError } from "./shared/http/errors.js";
import { newId } from "./db/ids.js";

/** Everything the app needs from its runtime. Entry files build these; tests build their own. */
export interface AppDeps {
  /** Called once per request: Workers need a client per request, Node hands back one shared client. */
  database: () => Db;
  verifier: TokenVerifier;
  pii: PiiVault;
  clock: Clock;
  docsAssets: DocsAssets;
  log: Logger;
  maxBodyBytes: number;
}

export function createApp(deps: AppDeps) {
  const directory = new Directory(() => deps.clock.now().getTime());
  const app = new OpenAPIHono<AppEnv>();

  app.use(requestId({ headerName: "X-Request-Id", generator: () => newId("req", deps.clock.now().getTime()) }));
  app.use(async (c, next) => {
    c.set("db", deps.database());
    c.set("clock", deps.clock);
    c.set("pii", deps.pii);
    await next();
  });
  app.use(
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new ApiError("payload_too_large", `Request bodies are limited to ${deps.maxBodyBytes} bytes.`);
      },
    }),
  );
  app.use(requireJsonBodies());
  app.use("/v1/*", authenticate(deps.verifier, directory));

  app.route("/", apiRoutes);
  app.route("/", docsRoutes(openApiDocument(), deps.docsAssets));

  app.notFound((c) => problemResponse(c, new ApiError("not_found", "No such route.")));
  app.onError((err, c) =>
    problemResponse(
      c,
      toApiError(err, (message, error) =>
        deps.log.error(message, { requestId: c.get("requestId"), method: c.req.method, path: c.req.path, error }),
      ),
    ),
  );
  return app;
}

export type App = ReturnType<typeof createApp>;
