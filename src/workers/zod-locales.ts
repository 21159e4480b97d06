// The Worker bundle's stand-in for zod's `locales` index (aliased in wrangler.toml): the API's
// messages come from src/shared/http/messages.ts, and zod only needs English by default, so the
// other 40-odd locales (265 KiB) stay out of the bundle.
export { default as en } from "zod/v4/locales/en.js";
