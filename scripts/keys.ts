import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import { certificateKeySet, ConfigError, parseConfig, piiKeyMaterial, signingKeys } from "../src/config.js";
import { openDatabase } from "../src/node/database.js";
import { rehashAll, resealAll } from "../src/node/pii-rotation.js";
import { redactUrl } from "../src/node/tokens.js";
import { systemClock } from "../src/shared/clock.js";
import { createPiiVault, generatePiiKeyMaterial } from "../src/shared/crypto/pii.js";

const usage = `Usage: npm run -s keys -- <command> [options]
Prints environment lines (KEY='value') to put in the server's environment file; never writes keys anywhere.

  signing [--alg ES256|EdDSA] [--kid id]   a new HEXI_SIGNING_JWKS with one private key
  signing --rotate [--kid id]              a new key FIRST, then every key of the current HEXI_SIGNING_JWKS
  signing --drop <kid>                     the current HEXI_SIGNING_JWKS without that key (after the overlap)
  certificates [--alg ES256|EdDSA] [--kid id]
                                           a new HEXI_CERT_SIGNING_JWKS (verifiable certificates' own key set)
  certificates --rotate [--kid id]         a new key FIRST; the current keys follow, RETIRED: public part only
                                           (they stay published so certificates they signed stay valid)
  certificates --drop <kid>                the set without that retired key: its certificates become invalid
  pii [--kid id]                           new HEXI_PII_KEYS, HEXI_PII_KEY_ID and HEXI_PII_HMAC_KEY
  pii --rotate [--kid id]                  the current HEXI_PII_KEYS plus a new key, which HEXI_PII_KEY_ID names
  pii --drop <kid>                         the current HEXI_PII_KEYS without that key (after reseal)
  hmac                                     a new HEXI_PII_HMAC_KEY (use it with rehash)
  reseal                                   re-encrypts every sealed value in DATABASE_URL under HEXI_PII_KEY_ID
  rehash --new-hmac-key <key>              recomputes every lookup hash in DATABASE_URL under the new HMAC key
                                           (stop the server first; start it with the new key afterwards)

The current keys are read from the environment (HEXI_SIGNING_JWKS, HEXI_PII_*), DATABASE_URL and
DATABASE_AUTH_TOKEN name the database. See "Keys and their rotation" in README.md.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    alg: { type: "string", default: "ES256" },
    kid: { type: "string" },
    rotate: { type: "boolean", default: false },
    drop: { type: "string" },
    "new-hmac-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

class UsageError extends Error {}
const fail = (message: string): never => {
  throw new UsageError(message);
};
const envLine = (name: string, value: string) => `${name}='${value}'`;
const day = () => systemClock.now().toISOString().slice(0, 10);
const randomSuffix = () => crypto.randomUUID().slice(0, 8);

async function newSigningKey(alg: string, kid: string) {
  if (alg !== "ES256" && alg !== "EdDSA") fail("--alg must be ES256 or EdDSA.");
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
  });
  return { ...(await exportJWK(privateKey)), kid, alg, use: "sig" };
}

async function signing(): Promise<string[]> {
  const config = parseConfig(process.env);
  const current = signingKeys(config) ?? [];
  if (values.drop) {
    if (!current.some((k) => k.kid === values.drop)) fail(`HEXI_SIGNING_JWKS has no key ${values.drop}.`);
    const kept = current.filter((k) => k.kid !== values.drop);
    if (kept.length === 0) fail("That is the only signing key: rotate first, then drop the old one.");
    return [envLine("HEXI_SIGNING_JWKS", JSON.stringify({ keys: kept }))];
  }
  if (values.rotate && current.length === 0) fail("--rotate needs the current HEXI_SIGNING_JWKS in the environment.");
  const kid = values.kid ?? `sig-${day()}-${randomSuffix()}`;
  if (current.some((k) => k.kid === kid)) fail(`HEXI_SIGNING_JWKS already has a key ${kid}.`);
  const key = await newSigningKey(values.alg!, kid);
  return [envLine("HEXI_SIGNING_JWKS", JSON.stringify({ keys: values.rotate ? [key, ...current] : [key] }))];
}

/**
 * Certificates outlive tokens (up to a year), so rotation keeps the old keys' PUBLIC halves only:
 * nothing can sign with a retired key, and certificates it signed verify until they expire. Drop a
 * retired key once the last certificate it signed has expired (or to invalidate them all).
 */
async function certificates(): Promise<string[]> {
  const current = certificateKeySet(parseConfig(process.env)) ?? [];
  const line = (keys: object[]) => [envLine("HEXI_CERT_SIGNING_JWKS", JSON.stringify({ keys }))];
  if (values.drop) {
    const index = current.findIndex((k) => k.kid === values.drop);
    if (index < 0) fail(`HEXI_CERT_SIGNING_JWKS has no key ${values.drop}.`);
    if (index === 0) fail(`${values.drop} is the current (signing) key: rotate first, then drop it.`);
    return line(current.filter((k) => k.kid !== values.drop));
  }
  if (values.rotate && current.length === 0)
    fail("--rotate needs the current HEXI_CERT_SIGNING_JWKS in the environment.");
  const kid = values.kid ?? `cert-${day()}-${randomSuffix()}`;
  if (current.some((k) => k.kid === kid)) fail(`HEXI_CERT_SIGNING_JWKS already has a key ${kid}.`);
  const key = await newSigningKey(values.alg!, kid);
  const retired = current.map(({ d: _private, ...rest }) => rest);
  return line(values.rotate ? [key, ...retired] : [key]);
}

function pii(): string[] {
  const config = parseConfig(process.env);
  const kid = values.kid ?? `pii-${day().replaceAll("-", "")}-${randomSuffix()}`;
  if (!/^[\w-]{1,32}$/.test(kid)) fail("--kid: letters, digits, _ and -, at most 32.");
  if (values.drop || values.rotate) {
    const current =
      piiKeyMaterial(config) ?? fail("the current HEXI_PII_KEYS, HEXI_PII_KEY_ID, HEXI_PII_HMAC_KEY are not set.");
    if (values.drop) {
      if (!current.encryptionKeys[values.drop]) fail(`HEXI_PII_KEYS has no key ${values.drop}.`);
      if (values.drop === current.currentKeyId) fail(`${values.drop} is HEXI_PII_KEY_ID: it seals new values.`);
      const { [values.drop]: _dropped, ...kept } = current.encryptionKeys;
      return [envLine("HEXI_PII_KEYS", JSON.stringify(kept))];
    }
    if (current.encryptionKeys[kid]) fail(`HEXI_PII_KEYS already has a key ${kid}: pass --kid.`);
    const fresh = generatePiiKeyMaterial(kid).encryptionKeys[kid]!;
    return [
      envLine("HEXI_PII_KEYS", JSON.stringify({ ...current.encryptionKeys, [kid]: fresh })),
      envLine("HEXI_PII_KEY_ID", kid),
    ];
  }
  const material = generatePiiKeyMaterial(kid);
  return [
    envLine("HEXI_PII_KEYS", JSON.stringify(material.encryptionKeys)),
    envLine("HEXI_PII_KEY_ID", material.currentKeyId),
    envLine("HEXI_PII_HMAC_KEY", material.hmacKey),
  ];
}

async function database<T>(work: (client: ReturnType<typeof openDatabase>["client"]) => Promise<T>): Promise<T> {
  const config = parseConfig(process.env);
  console.error(`Database: ${redactUrl(config.DATABASE_URL)}`);
  const { client } = openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

function currentMaterial() {
  return (
    piiKeyMaterial(parseConfig(process.env)) ??
    fail("Set HEXI_PII_KEYS, HEXI_PII_KEY_ID and HEXI_PII_HMAC_KEY as the server has them.")
  );
}

async function main(): Promise<string[]> {
  const [command] = positionals;
  switch (command) {
    case "signing":
      return signing();
    case "certificates":
      return certificates();
    case "pii":
      return pii();
    case "hmac":
      return [envLine("HEXI_PII_HMAC_KEY", generatePiiKeyMaterial().hmacKey)];
    case "reseal": {
      const material = currentMaterial();
      const vault = await createPiiVault(material);
      const result = await database((client) => resealAll(client, vault, material.currentKeyId));
      for (const [column, n] of Object.entries(result.byColumn)) console.error(`  ${column}: ${n} resealed`);
      console.error(`Every sealed value is now under ${material.currentKeyId}; older keys may be dropped.`);
      return [];
    }
    case "rehash": {
      const material = currentMaterial();
      const newKey =
        values["new-hmac-key"] ?? fail("rehash needs --new-hmac-key (`npm run -s keys -- hmac` makes one).");
      if (newKey === material.hmacKey) fail("--new-hmac-key is the current HEXI_PII_HMAC_KEY.");
      const current = await createPiiVault(material);
      const next = await createPiiVault({ ...material, hmacKey: newKey });
      const { rehashed } = await database((client) => rehashAll(client, current, next));
      console.error(`${rehashed} lookup hashes recomputed. Start the server with:`);
      return [envLine("HEXI_PII_HMAC_KEY", newKey)];
    }
    default:
      return fail(command ? `Unknown command ${command}.` : "Name a command.");
  }
}

try {
  if (values.help) console.log(usage);
  else for (const line of await main()) console.log(line);
} catch (err) {
  if (err instanceof UsageError || err instanceof ConfigError) {
    console.error(`${err.message}\n\n${usage}`);
    process.exit(2);
  }
  throw err;
}
