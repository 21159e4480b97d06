import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../db/ids.js";
import { members, partyOrgs, type orgCategories } from "../organisations/tables.js";
import { canActInDivision } from "../../shared/auth/reach.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { idSchema } from "../../shared/http/schemas.js";
import { readTogether, unknownReference, type Lookup } from "../../shared/store/references.js";
import { type RowOf, selectOnce } from "../../shared/store/prepared.js";
import { msg } from "../../shared/http/messages.js";

export const partyOrgIdSchema = idSchema("org");

type OrgCategory = (typeof orgCategories)[number];

export const unitOrgCategories = ["unit", "two_new"] as const satisfies readonly OrgCategory[];

/**
 * A party organisation a body names: in the caller's tenant and subtree (else the 400 that does not
 * say whether it exists elsewhere), and of one of the expected categories.
 */
export async function requirePartyOrg(
  c: Context<AppEnv>,
  id: string,
  options: { pointer: string; categories: readonly OrgCategory[] },
) {
  const [org] = await c
    .get("db")
    .select({
      id: partyOrgs.id,
      tenantId: partyOrgs.tenantId,
      category: partyOrgs.category,
      divisionId: partyOrgs.divisionId,
      divisionPath: partyOrgs.divisionPath,
    })
    .from(partyOrgs)
    .where(and(eq(partyOrgs.id, id), eq(partyOrgs.tenantId, c.get("principal").tenant)));
  if (!org || !canActInDivision(c.get("principal"), { tenantId: org.tenantId, path: org.divisionPath })) {
    throw unknownReference(options.pointer, "party organisation");
  }
  if (!options.categories.includes(org.category)) {
    throw new ApiError("validation_failed", msg("reference.wrong_category", { categories: options.categories }), {
      errors: [
        {
          in: "body",
          pointer: options.pointer,
          detail: msg("field.wrong_category", { expected: options.categories, actual: org.category }),
        },
      ],
    });
  }
  return org;
}

/** A member a body names, in the caller's tenant; `inSubtree` also requires the member to live in the caller's subtree. */
export async function requireMember(c: Context<AppEnv>, id: string, options: { pointer: string; inSubtree: boolean }) {
  const [member] = await readTogether(c, memberLookup(c, id, options));
  return member();
}

const memberSelect = selectOnce((qb) =>
  qb
    .select({
      id: members.id,
      tenantId: members.tenantId,
      classification: members.classification,
      divisionPath: members.divisionPath,
      employerOrgId: members.employerOrgId,
      employerTenantId: members.employerTenantId,
    })
    .from(members)
    .where(and(eq(members.id, sql.placeholder("id")), eq(members.tenantId, sql.placeholder("tenant")))),
);

/** `requireMember` as a lookup, to read with others. */
export function memberLookup(c: Context<AppEnv>, id: string, options: { pointer: string; inSubtree: boolean }) {
  return {
    query: memberSelect({ id, tenant: c.get("principal").tenant }),
    accept(rows: unknown[]) {
      const [member] = rows as RowOf<typeof memberSelect>[];
      if (
        !member ||
        (options.inSubtree &&
          !canActInDivision(c.get("principal"), { tenantId: member.tenantId, path: member.divisionPath }))
      ) {
        throw unknownReference(options.pointer, "party member");
      }
      return member;
    },
  } satisfies Lookup<unknown>;
}

/**
 * Keyset bounds for a creation period: ids are `<prefix>_<ULID>` with the creation millisecond up
 * front, so "created between" is a range on the id the list already pages by (no extra index).
 */
export function idRangeOf(prefix: string, from?: string, to?: string) {
  return {
    min: from === undefined ? undefined : newId(prefix, Date.parse(from), (b) => b.fill(0)),
    max: to === undefined ? undefined : newId(prefix, Date.parse(to), (b) => b.fill(31)),
  };
}
