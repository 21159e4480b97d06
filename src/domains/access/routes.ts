import { createRouter } from "../../shared/api/openapi.js";
import { apiClientRoutes } from "./api-clients.js";
import { apiKeyRoutes } from "./api-keys.js";
import { oauthRoutes, tokenPath } from "./oauth.js";

/** Paths under /v1 that authenticate the caller themselves (OAuth client authentication) and take form bodies. */
export const unauthenticatedPaths: ReadonlySet<string> = new Set([tokenPath]);

/** Third-party access: API clients (OAuth 2.0 client credentials), API keys, the token endpoint and the signing keys. */
export const accessRoutes = createRouter().route("/", apiClientRoutes).route("/", apiKeyRoutes).route("/", oauthRoutes);
