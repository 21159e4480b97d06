import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "./client.js";
import { jiuquanTenants } from "./reference.js";
import { divisionRows, type DivisionRow, type DivisionSpec } from "./seed/demo.js";
import { divisionLevels, divisions, tenants } from "./tables.js";

/**
 * What `npm run bootstrap` creates: the tenants of one city (its city tenant and its county-level
 * tenants) with each county-level tenant's root division. Tenants are rows: another city is a JSON
 * file (`npm run bootstrap -- --tenants city.json`), not a release. The division tree below the root
 * is the real one, imported by its own command; a tenant in the file may bring a first tree
 * (`divisions`) that is created together with its root, once.
 */
const divisionSpec: z.ZodType<DivisionSpec> = z.lazy(() =>
  z.strictObject({
    name: z.string().trim().min(1).max(100),
    level: z.enum(divisionLevels.filter((l) => l !== "county") as ["street", "town", "community", "grid"]),
    code: z.string().trim().min(1).max(32).optional(),
    children: z.array(divisionSpec).optional(),
  }),
);

const tenantSpec = z.strictObject({
  code: z.string().regex(/^\d{6}$/, "must be a six-digit GB/T 2260 code"),
  /** The city's code for a county-level tenant (defaults to the file's or database's city); null for the city. */
  parentCode: z
    .string()
    .regex(/^\d{6}$/)
    .nullable()
    .optional(),
  level: z.enum(["city", "county"]),
  kind: z.enum(["city", "district", "county_city", "county", "autonomous_county"]),
  nameZh: z.string().trim().min(1).max(100),
  nameEn: z.string().trim().min(1).max(200),
  divisions: z.array(divisionSpec).optional(),
});
export type TenantSpec = z.infer<typeof tenantSpec>;

/** A tenants file: `{"tenants":[…]}` or the bare list. Exactly one city. */
export const tenantsFileSchema = z
  .union([z.strictObject({ tenants: z.array(tenantSpec).min(1) }), z.array(tenantSpec).min(1)])
  .transform((file) => (Array.isArray(file) ? file : file.tenants))
  .superRefine((list, ctx) => {
    const cities = list.filter((t) => t.level === "city");
    if (cities.length !== 1)
      ctx.addIssue({
        code: "custom",
        message: `must hold exactly one tenant at level "city" (found ${cities.length})`,
      });
    const codes = list.map((t) => t.code);
    const repeated = codes.filter((c, i) => codes.indexOf(c) !== i);
    if (repeated.length) ctx.addIssue({ code: "custom", message: `tenant codes repeat: ${repeated.join(", ")}` });
    for (const [i, t] of list.entries()) {
      if (t.level === "city" && (t.kind !== "city" || t.parentCode))
        ctx.addIssue({ code: "custom", path: [i], message: 'the city has kind "city" and no parentCode' });
      if (t.level === "county" && t.kind === "city")
        ctx.addIssue({ code: "custom", path: [i], message: 'a county-level tenant cannot have kind "city"' });
      if (t.level === "city" && t.divisions)
        ctx.addIssue({ code: "custom", path: [i], message: "the city tenant has no division tree" });
      if (t.level === "county" && t.parentCode && t.parentCode !== cities[0]?.code)
        ctx.addIssue({ code: "custom", path: [i], message: `parentCode must be the city's code ${cities[0]?.code}` });
    }
  });

/** Jiuquan's city and its seven county-level tenants: the default of `npm run bootstrap`. */
export const jiuquanTenantSpecs: TenantSpec[] = jiuquanTenants.map((t) => ({ ...t }));

export interface BootstrapResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Division rows created (roots and first trees). */
  divisions: number;
}

export class BootstrapError extends Error {
  override name = "BootstrapError";
}

/**
 * Creates what is missing and renames what changed, in one atomic batch; running it again changes
 * nothing. A deployment serves one city, whose tenant reads across all others: a file naming a
 * different city than the database's is refused.
 */
export async function bootstrapTenants(db: Db, specs: TenantSpec[], now: Date): Promise<BootstrapResult> {
  const city = specs.find((t) => t.level === "city")!;
  const existing = await db.select().from(tenants);
  const otherCity = existing.find((t) => t.level === "city" && t.code !== city.code);
  if (otherCity)
    throw new BootstrapError(
      `This database already serves the city ${otherCity.code} (${otherCity.nameZh}); one deployment serves one city.`,
    );
  const roots = new Set(
    (await db.select({ tenantId: divisions.tenantId }).from(divisions).where(eq(divisions.level, "county"))).map(
      (r) => r.tenantId,
    ),
  );
  const byCode = new Map(existing.map((t) => [t.code, t]));
  const result: BootstrapResult = { created: [], updated: [], unchanged: [], divisions: 0 };
  const writes = [];
  const newDivisions: DivisionRow[] = [];
  const createdAt = now.toISOString();
  const random = (bytes: Uint8Array) => crypto.getRandomValues(bytes);
  // The city first: county-level tenants point at it.
  for (const spec of [city, ...specs.filter((t) => t !== city)]) {
    const row = {
      code: spec.code,
      parentCode: spec.level === "city" ? null : (spec.parentCode ?? city.code),
      level: spec.level,
      kind: spec.kind,
      nameZh: spec.nameZh,
      nameEn: spec.nameEn,
    };
    const before = byCode.get(spec.code);
    if (!before) {
      writes.push(db.insert(tenants).values({ ...row, createdAt }));
      result.created.push(spec.code);
    } else if (before.level !== row.level) {
      throw new BootstrapError(`Tenant ${spec.code} exists at level ${before.level}; its level cannot change.`);
    } else if (
      before.parentCode !== row.parentCode ||
      before.kind !== row.kind ||
      before.nameZh !== row.nameZh ||
      before.nameEn !== row.nameEn
    ) {
      writes.push(db.update(tenants).set(row).where(eq(tenants.code, spec.code)));
      result.updated.push(spec.code);
    } else {
      result.unchanged.push(spec.code);
    }
    if (spec.level === "county" && !roots.has(spec.code)) {
      newDivisions.push(
        ...divisionRows(spec.code, { name: spec.nameZh, code: spec.code }, spec.divisions ?? [], random, now),
      );
    }
  }
  if (newDivisions.length) writes.push(db.insert(divisions).values(newDivisions));
  result.divisions = newDivisions.length;
  const [first, ...rest] = writes;
  if (first) await db.batch([first, ...rest]);
  return result;
}
