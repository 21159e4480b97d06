import { msg } from "../../shared/http/messages.js";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { partyOrgs, units } from "../organisations/tables.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { unknownReference } from "../../shared/store/references.js";

/**
 * A property company named in a body: a unit of kind `property_company` in the caller's tenant.
 * [D] Not narrowed to the caller's subtree: companies usually register at the county and manage
 * compounds in many communities.
 */
export async function requirePropertyCompany(c: Context<AppEnv>, id: string, pointer: string) {
  const [unit] = await c
    .get("db")
    .select({ id: units.id, name: units.name, kind: units.kind })
    .from(units)
    .where(and(eq(units.id, id), eq(units.tenantId, c.get("principal").tenant)));
  if (!unit) throw unknownReference(pointer, "unit");
  if (unit.kind !== "property_company") {
    throw new ApiError("validation_failed", msg("property.not_property_company"), {
      errors: [{ in: "body", pointer, detail: msg("property.unit_kind_field", { kind: unit.kind }) }],
    });
  }
  return unit;
}

/** A party organisation named in a body: in the caller's tenant (its category is not constrained). */
export async function requireTenantPartyOrg(c: Context<AppEnv>, id: string, pointer: string) {
  const [org] = await c
    .get("db")
    .select({ id: partyOrgs.id })
    .from(partyOrgs)
    .where(and(eq(partyOrgs.id, id), eq(partyOrgs.tenantId, c.get("principal").tenant)));
  if (!org) throw unknownReference(pointer, "party organisation");
  return org;
}
