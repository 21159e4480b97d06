import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import type { Clock } from "../shared/clock.js";
import { generatePiiKeyMaterial, type PiiKeyMaterial } from "../shared/crypto/pii.js";

/** The development signing key lives beside the database file (under ./data for remote or in-memory databases). */
export function devKeyPath(databaseUrl: string): string {
  const file = databaseUrl.startsWith("file:") ? databaseUrl.slice("file:".length) : "";
  const dir = file && file !== ":memory:" ? dirname(resolve(file)) : resolve("data");
  return join(dir, "dev-signing-key.json");
}

export interface DevKey {
  privateJwk: JWK & { kid: string; alg: string };
  publicJwk: JWK & { kid: string; alg: string };
}

/** The development certificate key, beside the development signing key: a key set of its own. */
export const devCertificateKeyPath = (databaseUrl: string) =>
  join(dirname(devKeyPath(databaseUrl)), "dev-certificate-key.json");

/** Creates the key on first use (mode 0600) and reads it afterwards. It is never committed: data/ is ignored. */
export async function ensureDevKey(path: string, clock: Clock, kidPrefix = "dev"): Promise<DevKey> {
  if (existsSync(path)) return readDevKey(path);
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `${kidPrefix}-${clock.now().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
  return readDevKey(path);
}

export function readDevKey(path: string): DevKey {
  if (!existsSync(path)) throw new Error(`No development key at ${path}: run \`npm start\` once to create it.`);
  const privateJwk = JSON.parse(readFileSync(path, "utf8")) as DevKey["privateJwk"];
  const { d: _secret, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

export async function importPrivateKey(key: DevKey) {
  return importJWK(key.privateJwk, key.privateJwk.alg);
}

export interface DevTokenClaims {
  tenant: string;
  roles: string[];
  sub: string;
  org?: string;
  member?: string;
  unit?: string;
  scope?: string;
}

/** A JWT signed by the development key, as the platform's issuer would sign it (npm run token, the console link). */
export async function signDevToken(
  key: DevKey,
  issuer: { issuer: string; audience: string },
  { sub, ...claims }: DevTokenClaims,
  ttlSeconds: number,
  clock: Clock,
): Promise<string> {
  const issuedAt = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT(Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined)))
    .setProtectedHeader({ alg: key.privateJwk.alg, kid: key.privateJwk.kid, typ: "JWT" })
    .setIssuer(issuer.issuer)
    .setAudience(issuer.audience)
    .setSubject(sub)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(await importPrivateKey(key));
}

/** The development sign-in link: the console reads the token from the fragment, which never reaches a server. */
export const consoleLink = (base: string, token: string) => `${base}/console/#token=${token}`;

/** Development PII keys, beside the database like the signing key; production sets HEXI_PII_* instead. */
export function ensureDevPiiKeys(databaseUrl: string): PiiKeyMaterial {
  const path = join(dirname(devKeyPath(databaseUrl)), "dev-pii-keys.json");
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(generatePiiKeyMaterial("dev1"), null, 2)}\n`, { mode: 0o600 });
  }
  return JSON.parse(readFileSync(path, "utf8")) as PiiKeyMaterial;
}
