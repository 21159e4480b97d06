import { ApiError } from "../http/errors.js";
import { msg } from "../http/messages.js";
import { type Principal, rolesHolding } from "./principal.js";

/**
 * Clear personal data goes only to a person (a JWT principal) holding pii:read. API keys (third-party
 * apps) never get it, whatever their scopes (docs/domain.md#personal-data).
 */
export function assertMayRevealPii(principal: Principal): void {
  if (!principal.scopes.has("pii:read")) {
    const roles = rolesHolding(["pii:read"]);
    throw new ApiError(
      "forbidden",
      roles.length
        ? msg("auth.scope_missing", { scopes: ["pii:read"], roles })
        : msg("auth.scope_missing_no_role", { scopes: ["pii:read"] }),
      { requiredScopes: ["pii:read"], rolesWithScope: roles },
    );
  }
  if (principal.credential !== "jwt") throw new ApiError("forbidden", msg("auth.pii_not_for_keys"));
}
