/**
 * `npm run keys`: key material in the formats the config takes, and the two rotations that touch
 * stored data: `reseal` (every sealed value under the newest PII key) and `rehash` (every lookup hash
 * under a new HMAC key), run as commands against a database full of demo members.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { getTableName } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateKeySet, parseConfig, piiKeyMaterial, productionProblems, signingKeys } from "../src/config.js";
import { createCertificateKeys } from "../src/shared/auth/certificate-keys.js";
import { seedDemo } from "../src/db/seed/demo.js";
import { migrateDatabase, openDatabase } from "../src/node/database.js";
import { seedDemoRecords } from "../src/node/demo-records.js";
import { sealedColumns } from "../src/node/pii-rotation.js";
import { createTokenSigner } from "../src/shared/auth/signer.js";
import { createPiiVault, generatePiiKeyMaterial, type PiiKeyMaterial } from "../src/shared/crypto/pii.js";
import { repoRoot } from "./helpers/server-process.js";

const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "hexi-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keys(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HEXI_")));
  const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", "scripts/keys.ts", ...args], {
    cwd: repoRoot,
    env: { ...clean, ...env },
    timeout: 60_000,
  });
  const lines = Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => /^([A-Z_]+)='(.*)'$/.exec(l)!.slice(1, 3) as [string, string]),
  );
  return { lines, stderr };
}

const piiEnv = (m: PiiKeyMaterial) => ({
  HEXI_PII_KEYS: JSON.stringify(m.encryptionKeys),
  HEXI_PII_KEY_ID: m.currentKeyId,
  HEXI_PII_HMAC_KEY: m.hmacKey,
});

describe("key material", () => {
  it("is printed in exactly the formats the configuration takes, and rotates signing keys with an overlap", async () => {
    const [signing, pii, certificates] = await Promise.all([
      keys(["signing", "--kid", "old"]),
      keys(["pii"]),
      keys(["certificates"]),
    ]);
    const config = parseConfig({
      ...signing.lines,
      ...pii.lines,
      ...certificates.lines,
      HEXI_PUBLIC_URL: "https://hexi.example.gov.cn",
      HEXI_ENV: "production",
    });
    expect(productionProblems(config)).toEqual([]);
    expect(signingKeys(config)![0]).toMatchObject({ kid: "old", alg: "ES256", kty: "EC", crv: "P-256" });
    await createPiiVault(piiKeyMaterial(config)!);
    await createTokenSigner(signingKeys(config)!, { issuer: "i", audience: "a", now: () => new Date(0) });

    // Rotation: the new key first (it signs), the old one kept (tokens it signed still verify); then dropped.
    const rotated = await keys(["signing", "--rotate", "--kid", "new"], signing.lines);
    expect(JSON.parse(rotated.lines.HEXI_SIGNING_JWKS!).keys.map((k: { kid: string }) => k.kid)).toEqual([
      "new",
      "old",
    ]);
    const dropped = await keys(["signing", "--drop", "old"], rotated.lines);
    expect(JSON.parse(dropped.lines.HEXI_SIGNING_JWKS!).keys.map((k: { kid: string }) => k.kid)).toEqual(["new"]);
  });

  it("makes a certificate key set of its own; rotation keeps only the retired keys' public halves", async () => {
    const first = await keys(["certificates", "--kid", "cert-old"]);
    const config = parseConfig({ ...first.lines });
    expect(certificateKeySet(config)).toHaveLength(1);
    expect(certificateKeySet(config)![0]).toHaveProperty("d");
    const rotated = await keys(["certificates", "--rotate", "--kid", "cert-new"], first.lines);
    const set = certificateKeySet(parseConfig({ ...rotated.lines }))!;
    expect(set.map((k) => k.kid)).toEqual(["cert-new", "cert-old"]);
    expect(set[0]).toHaveProperty("d");
    expect(set[1]).not.toHaveProperty("d"); // retired: verifies, never signs again
    const now = () => new Date(0);
    const before = await createCertificateKeys(certificateKeySet(config)!, { issuer: "i", now });
    const after = await createCertificateKeys(set, { issuer: "i", now });
    const token = await before.sign(
      { tenant: "620902", kind: "evaluation" },
      { id: "crt_1", expiresAt: new Date(60_000) },
    );
    expect(await after.check(token)).toMatchObject({ valid: true });
    await expect(keys(["certificates", "--drop", "cert-new"], rotated.lines)).rejects.toThrow(
      /current \(signing\) key/,
    );
    const dropped = await keys(["certificates", "--drop", "cert-old"], rotated.lines);
    const remaining = certificateKeySet(parseConfig({ ...dropped.lines }))!;
    expect(remaining.map((k) => k.kid)).toEqual(["cert-new"]);
    const without = await createCertificateKeys(remaining, { issuer: "i", now });
    expect(await without.check(token)).toEqual({ valid: false, reason: "unknown_key" });
  });

  it("lists every sealed column of the schema for reseal and rehash", () => {
    const sql = readdirSync(join(repoRoot, "migrations"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => readFileSync(join(repoRoot, "migrations", f), "utf8"))
      .join("\n");
    const inSchema = new Set([...sql.matchAll(/`(\w+_(?:cipher|sealed))`/g)].map((m) => m[1]!));
    const listed = new Set(sealedColumns.map((c) => c.sealed.name));
    expect([...listed].sort()).toEqual([...inSchema].sort());
    for (const c of sealedColumns) expect(getTableName(c.table)).toBeTruthy();
  });
});

describe("rotating personal-data keys in a database", () => {
  const url = `file:${join(dir, "hexi.db")}`;
  const first = generatePiiKeyMaterial("k1");
  let clear: Map<string, { idCard: string; phone: string | null }>;
  let current: PiiKeyMaterial = first;

  beforeAll(async () => {
    const { client, db } = openDatabase(url);
    await migrateDatabase(db);
    await seedDemo(db);
    const vault = await createPiiVault(first);
    await seedDemoRecords(client, db, vault, new Date("2026-12-01T00:00:00Z"));
    const { rows } = await client.execute("select id, id_card_cipher, phone_cipher from members");
    clear = new Map();
    for (const r of rows)
      clear.set(String(r.id), {
        idCard: await vault.open(String(r.id_card_cipher)),
        phone: r.phone_cipher ? await vault.open(String(r.phone_cipher)) : null,
      });
    client.close();
    expect(clear.size).toBeGreaterThan(100);
  });

  it("reseals every value under the newest key; the old key can then go", async () => {
    const rotated = await keys(["pii", "--rotate", "--kid", "k2"], piiEnv(first));
    expect(JSON.parse(rotated.lines.HEXI_PII_KEYS!)).toHaveProperty("k1");
    expect(rotated.lines.HEXI_PII_KEY_ID).toBe("k2");
    const env = { ...piiEnv(first), ...rotated.lines, DATABASE_URL: url };
    const { stderr } = await keys(["reseal"], env);
    expect(stderr).toMatch(/members\.id_card_cipher: \d+ resealed/);
    // Again: nothing left to do.
    expect((await keys(["reseal"], env)).stderr).toMatch(/members\.id_card_cipher: 0 resealed/);

    const withoutK1 = await keys(["pii", "--drop", "k1"], env);
    const material = { ...first, encryptionKeys: JSON.parse(withoutK1.lines.HEXI_PII_KEYS!), currentKeyId: "k2" };
    expect(Object.keys(material.encryptionKeys)).toEqual(["k2"]);
    current = material;
    const vault = await createPiiVault(material);
    const { client } = openDatabase(url);
    const { rows } = await client.execute("select id, id_card_cipher, phone_cipher from members");
    for (const r of rows) {
      expect(String(r.id_card_cipher)).toMatch(/^k2\./);
      expect(await vault.open(String(r.id_card_cipher))).toBe(clear.get(String(r.id))!.idCard);
      if (r.phone_cipher) expect(await vault.open(String(r.phone_cipher))).toBe(clear.get(String(r.id))!.phone);
    }
    client.close();
  });

  it("recomputes every lookup hash under a new HMAC key", async () => {
    // The keys the database is sealed under now (k2 after the reseal above).
    const material = current;
    const { lines: hmac } = await keys(["hmac"]);
    const next = await createPiiVault({ ...material, hmacKey: hmac.HEXI_PII_HMAC_KEY! });
    const { lines, stderr } = await keys(["rehash", "--new-hmac-key", hmac.HEXI_PII_HMAC_KEY!], {
      ...piiEnv(material),
      DATABASE_URL: url,
    });
    expect(stderr).toMatch(/\d+ lookup hashes recomputed/);
    expect(lines.HEXI_PII_HMAC_KEY).toBe(hmac.HEXI_PII_HMAC_KEY);
    const { client } = openDatabase(url);
    const { rows } = await client.execute("select id, id_card_hash, phone_hash from members");
    for (const r of rows) {
      const { idCard, phone } = clear.get(String(r.id))!;
      expect(r.id_card_hash).toBe(await next.fingerprint(idCard));
      expect(r.phone_hash).toBe(phone ? await next.fingerprint(phone) : null);
    }
    client.close();
  });
});
