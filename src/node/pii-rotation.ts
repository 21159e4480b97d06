import { gigWorkers } from "../domains/newemployment/tables.js";
import type { Client, InStatement } from "@libsql/client";
import { getTableName } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { volunteers } from "../domains/emergency/tables.js";
import { communityWorkers, mobilityRecords } from "../domains/governance/tables.js";
import { members } from "../domains/organisations/tables.js";
import { complaints } from "../domains/property/tables.js";
import { webhookEndpoints } from "../domains/webhooks/tables.js";
import type { PiiVault } from "../shared/crypto/pii.js";

interface SealedColumn {
  table: SQLiteTable;
  id: SQLiteColumn;
  sealed: SQLiteColumn;
  /** The keyed lookup hash of the same value, recomputed when the HMAC key changes. */
  hash?: SQLiteColumn;
}

/**
 * Every column that holds a value sealed by the PII vault (`<key id>.<iv>.<ciphertext>`), with its
 * lookup hash where there is one. test/keys.test.ts fails when a migration adds a `*_cipher` or
 * `*_sealed` column that is not listed here.
 */
export const sealedColumns: SealedColumn[] = [
  { table: members, id: members.id, sealed: members.idCardCipher, hash: members.idCardHash },
  { table: members, id: members.id, sealed: members.phoneCipher, hash: members.phoneHash },
  { table: webhookEndpoints, id: webhookEndpoints.id, sealed: webhookEndpoints.secretSealed },
  { table: mobilityRecords, id: mobilityRecords.id, sealed: mobilityRecords.contactCipher },
  {
    table: communityWorkers,
    id: communityWorkers.id,
    sealed: communityWorkers.idCardCipher,
    hash: communityWorkers.idCardHash,
  },
  { table: communityWorkers, id: communityWorkers.id, sealed: communityWorkers.phoneCipher },
  { table: volunteers, id: volunteers.id, sealed: volunteers.phoneCipher, hash: volunteers.phoneHash },
  { table: volunteers, id: volunteers.id, sealed: volunteers.idCardCipher, hash: volunteers.idCardHash },
  // The follow-up token's hash is SHA-256 of a random token, not an HMAC of personal data: no rehash.
  { table: complaints, id: complaints.id, sealed: complaints.reporterCipher },
  { table: gigWorkers, id: gigWorkers.id, sealed: gigWorkers.phoneCipher, hash: gigWorkers.phoneHash },
  { table: gigWorkers, id: gigWorkers.id, sealed: gigWorkers.idCardCipher, hash: gigWorkers.idCardHash },
];

const batchSize = 500;

/**
 * Re-encrypts every sealed value that is not yet under `currentKeyId` (the vault's sealing key), in
 * batches; safe while the server runs (each update applies only if the value is still the one read)
 * and safe to run again (values already under the current key are skipped). Afterwards no value
 * names an older key, which can then be dropped from HEXI_PII_KEYS.
 */
export async function resealAll(
  client: Client,
  vault: PiiVault,
  currentKeyId: string,
): Promise<{ resealed: number; byColumn: Record<string, number> }> {
  const byColumn: Record<string, number> = {};
  let resealed = 0;
  for (const { table, id, sealed } of sealedColumns) {
    const name = `${getTableName(table)}.${sealed.name}`;
    byColumn[name] = 0;
    for (;;) {
      const { rows } = await client.execute({
        sql: `select "${id.name}" as id, "${sealed.name}" as v from "${getTableName(table)}" where "${sealed.name}" is not null and "${sealed.name}" not like ? limit ${batchSize}`,
        args: [`${currentKeyId}.%`],
      });
      if (rows.length === 0) break;
      const updates: InStatement[] = [];
      for (const row of rows) {
        const fresh = await vault.seal(await vault.open(String(row.v)));
        updates.push({
          sql: `update "${getTableName(table)}" set "${sealed.name}" = ? where "${id.name}" = ? and "${sealed.name}" = ?`,
          args: [fresh, String(row.id), String(row.v)],
        });
      }
      await client.batch(updates, "write");
      byColumn[name] += rows.length;
      resealed += rows.length;
    }
  }
  return { resealed, byColumn };
}

/**
 * Recomputes every stored lookup hash under the vault `next` (the new HMAC key), opening the sealed
 * values with `current`. All rows change in one atomic batch: either every hash is under the new key
 * or none is. Run it with the server stopped, then start the server with the new HEXI_PII_HMAC_KEY.
 */
export async function rehashAll(client: Client, current: PiiVault, next: PiiVault): Promise<{ rehashed: number }> {
  const updates: InStatement[] = [];
  for (const { table, id, sealed, hash } of sealedColumns) {
    if (!hash) continue;
    const { rows } = await client.execute(
      `select "${id.name}" as id, "${sealed.name}" as v from "${getTableName(table)}" where "${sealed.name}" is not null`,
    );
    for (const row of rows) {
      updates.push({
        sql: `update "${getTableName(table)}" set "${hash.name}" = ? where "${id.name}" = ?`,
        args: [await next.fingerprint(await current.open(String(row.v))), String(row.id)],
      });
    }
  }
  if (updates.length) await client.batch(updates, "write");
  return { rehashed: updates.length };
}
