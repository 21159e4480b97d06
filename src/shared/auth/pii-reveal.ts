import { ApiError } from "../http/errors.js";
import type { Principal } from "./principal.js";

/**
 * Clear personal data goes only to a person (a JWT principal) holding pii:read. API keys (third-party
 * apps) never get it, whatever their scopes (docs/domain.md#personal-data).
 */
export function assertMayRevealPii(principal: Principal): void {
  if (!principal.scopes.has("pii:read"))
    throw new ApiError("forbidden", "Revealing personal data needs the scope pii:read.");
  if (principal.credential !== "jwt") throw new ApiError("forbidden", "Personal data is never revealed to API keys.");
}
