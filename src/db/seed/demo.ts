import { sql } from "drizzle-orm";
import type { Db } from "../client.js";
import { newId, seededRandom } from "../ids.js";
import { jiuquanTenants } from "../reference.js";
import { divisions, tenants, type DivisionLevel } from "../tables.js";

export interface DivisionSpec {
  name: string;
  level: DivisionLevel;
  code?: string;
  children?: DivisionSpec[];
}

const community = (name: string, grids = 0): DivisionSpec => ({
  name,
  level: "community",
  children: Array.from({ length: grids }, (_, i) => ({ name: `${name}第${i + 1}网格`, level: "grid" as const })),
});

/** A small, recognisable tree per tenant: Suzhou's six streets, a town and a few communities elsewhere. */
export const demoTrees: Record<string, DivisionSpec[]> = {
  "620902": [
    { name: "东北街街道", level: "street", children: [community("富康社区", 2), community("北苑社区", 1)] },
    { name: "东南街街道", level: "street", children: [community("东苑社区", 1), community("春光社区")] },
    { name: "工业园街道", level: "street", children: [community("嘉峪关路社区")] },
    { name: "西北街街道", level: "street", children: [community("玉管局社区"), community("西关社区")] },
    { name: "西南街街道", level: "street", children: [community("南苑社区")] },
    { name: "新城街道", level: "street", children: [community("新城社区")] },
    { name: "银达镇", level: "town", children: [community("银达镇社区")] },
  ],
  "620921": [{ name: "金塔镇", level: "town", children: [community("航天社区", 1), community("金鑫社区")] }],
  "620922": [{ name: "渊泉镇", level: "town", children: [community("城北社区", 1), community("府前社区")] }],
  "620923": [{ name: "党城湾镇", level: "town", children: [community("红柳社区")] }],
  "620924": [{ name: "红柳湾镇", level: "town", children: [community("博拉社区")] }],
  "620981": [{ name: "新市区街道", level: "street", children: [community("北坪社区", 1), community("建国社区")] }],
  "620982": [{ name: "沙州镇", level: "town", children: [community("东大街社区", 1), community("西关社区")] }],
};

export type DivisionRow = typeof divisions.$inferInsert;

/** Flattens a tree into rows with materialised paths; ids are stable for a given seed. */
export function divisionRows(
  tenant: string,
  county: { name: string; code: string },
  tree: DivisionSpec[],
  /** A seed for the same ids on every run (demo, scale seed), or a random source (bootstrap). */
  seed: number | ((bytes: Uint8Array) => Uint8Array),
  createdAt: Date,
): DivisionRow[] {
  const random = typeof seed === "number" ? seededRandom(seed) : seed;
  const rows: DivisionRow[] = [];
  let tick = createdAt.getTime();
  const visit = (spec: DivisionSpec, parent: DivisionRow | null) => {
    const id = newId("div", tick++, random);
    const row: DivisionRow = {
      id,
      tenantId: tenant,
      parentId: parent?.id ?? null,
      level: spec.level,
      name: spec.name,
      code: spec.code ?? null,
      path: `${parent?.path ?? "/"}${id}/`,
      createdAt: new Date(tick).toISOString(),
      updatedAt: new Date(tick).toISOString(),
    };
    rows.push(row);
    for (const child of spec.children ?? []) visit(child, row);
  };
  visit({ name: county.name, level: "county", code: county.code, children: tree }, null);
  return rows;
}

export const demoEpoch = new Date("2026-01-01T00:00:00.000Z");

/** Seeds the city, the seven tenants and the demo trees, once: a database that has tenants is left alone. */
export async function seedDemo(db: Db): Promise<{ seeded: boolean }> {
  const [existing] = await db.select({ n: sql<number>`count(*)` }).from(tenants);
  if (existing && existing.n > 0) return { seeded: false };
  const divisionInserts = jiuquanTenants
    .filter((t) => t.level === "county")
    .flatMap((t, i) =>
      divisionRows(t.code, { name: t.nameZh, code: t.code }, demoTrees[t.code] ?? [], 1000 + i, demoEpoch),
    );
  await db.batch([
    db.insert(tenants).values(jiuquanTenants.map((t) => ({ ...t, createdAt: demoEpoch.toISOString() }))),
    db.insert(divisions).values(divisionInserts),
  ]);
  return { seeded: true };
}
