import type { Client } from "@libsql/client";
import type { Db } from "../db/client.js";
import { divisions } from "../db/tables.js";
import type { PiiVault } from "../shared/crypto/pii.js";
import { seedScale } from "./seed-scale.js";
import type { CertificateKeys } from "../shared/auth/certificate-keys.js";

/** The scale of the development demo: Jiuquan's records at 1 % (a few hundred members), seeded in well under a second. */
export const demoScale = 0.01;

/**
 * Development only: fills the demo division tree (src/db/seed/demo.ts) with the scale seed's records
 * at 1 %, deterministically, so a newcomer's first `GET /v1/members` shows something. Production never
 * calls it (src/server.ts).
 */
export async function seedDemoRecords(
  client: Client,
  db: Db,
  vault: PiiVault,
  now: Date,
  certificates?: CertificateKeys,
) {
  const tree = await db.select().from(divisions);
  return seedScale(client, vault, {
    scale: demoScale,
    seed: 813,
    now,
    divisions: tree,
    progress: () => {},
    ...(certificates ? { certificates } : {}),
  });
}
