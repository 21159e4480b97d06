import { createClient } from "@libsql/client";
import { runMode, signingKeys, type Config } from "../config.js";
import { createTokenSigner, type PrivateJwk } from "../shared/auth/signer.js";
import { roles, rolesRefused, type Role } from "../shared/auth/principal.js";
import { devKeyPath, readDevKey } from "./dev-key.js";

export interface MintOptions {
  tenant: string;
  roles: string[];
  org?: string;
  member?: string;
  unit?: string;
  scope?: string;
  sub: string;
  ttlSeconds: number;
}

export class MintError extends Error {
  override name = "MintError";
}

/**
 * The key `npm run token` and `npm run bootstrap -- --admin-token` sign with: the first key of
 * HEXI_SIGNING_JWKS (what the server signs and trusts), else, in development only, the development
 * key `npm start` created beside the database.
 */
export function tokenSigningKey(config: Config): { key: PrivateJwk; source: string } {
  const configured = signingKeys(config);
  if (configured?.[0]) return { key: configured[0], source: "HEXI_SIGNING_JWKS" };
  if (runMode(config) === "production")
    throw new MintError(
      "HEXI_SIGNING_JWKS is not set: production has no development key. Set it as the server has it (`npm run keys -- signing` makes one).",
    );
  const path = devKeyPath(config.DATABASE_URL);
  try {
    return { key: readDevKey(path).privateJwk as PrivateJwk, source: path };
  } catch (err) {
    throw new MintError((err as Error).message);
  }
}

/** The tenant's level in DATABASE_URL's database, so a token the API would refuse is never minted. */
async function tenantLevel(config: Config, tenant: string): Promise<string | undefined> {
  const client = createClient({ url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN });
  try {
    const { rows } = await client.execute({ sql: "select level from tenants where code = ?", args: [tenant] });
    return rows[0] ? String(rows[0].level) : undefined;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

/** A bearer token for the platform issuer, checked the way the API will check it. */
export async function mintToken(config: Config, options: MintOptions, now: () => Date): Promise<string> {
  if (!/^\d{6}$/.test(options.tenant)) throw new MintError("--tenant must be a six-digit tenant code.");
  if (options.roles.length === 0) throw new MintError("--roles is required.");
  const unknown = options.roles.filter((r) => !roles.includes(r as Role));
  if (unknown.length) throw new MintError(`Unknown role(s): ${unknown.join(", ")}. Roles: ${roles.join(", ")}.`);
  // The API refuses tokens that live longer (HEXI_MAX_TOKEN_LIFETIME_SECONDS): do not mint one.
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0)
    throw new MintError("--ttl must be a positive number of seconds.");
  if (options.ttlSeconds > config.HEXI_MAX_TOKEN_LIFETIME_SECONDS)
    throw new MintError(
      `--ttl may be at most ${config.HEXI_MAX_TOKEN_LIFETIME_SECONDS} s (HEXI_MAX_TOKEN_LIFETIME_SECONDS).`,
    );
  const { key } = tokenSigningKey(config);
  const level = await tenantLevel(config, options.tenant);
  if (!level)
    throw new MintError(
      `Tenant ${options.tenant} is not in ${redactUrl(config.DATABASE_URL)}: create it first (\`npm start\` in development, \`npm run bootstrap\` in production).`,
    );
  const refused = rolesRefused(level === "city", options.roles as Role[]);
  if (refused.length)
    throw new MintError(
      `Tenant ${options.tenant} does not accept the role(s) ${refused.join(", ")} (the API would refuse the token).`,
    );
  const signer = await createTokenSigner([key], {
    issuer: config.HEXI_JWT_ISSUER,
    audience: config.HEXI_JWT_AUDIENCE,
    now,
  });
  return signer.sign(
    {
      tenant: options.tenant,
      roles: options.roles,
      ...(options.org ? { org: options.org } : {}),
      ...(options.member ? { member: options.member } : {}),
      ...(options.unit ? { unit: options.unit } : {}),
      ...(options.scope ? { scope: options.scope } : {}),
    },
    { subject: options.sub, ttlSeconds: options.ttlSeconds },
  );
}

/** A database URL without credentials, for messages. */
export const redactUrl = (url: string) => url.replace(/\/\/[^@/]*@/, "//").replace(/authToken=[^&]*/, "authToken=…");
