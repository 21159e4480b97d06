import { and, eq } from "drizzle-orm";
import { newId } from "../../src/db/ids.js";
import { divisions } from "../../src/db/tables.js";
import { needs } from "../../src/domains/lists/tables.js";
import { members, partyOrgs, units } from "../../src/domains/organisations/tables.js";
import { maskIdCard, maskPhone } from "../../src/shared/crypto/pii.js";
import type { TestContext } from "./app.js";

/**
 * Rows inserted straight into the database, for tests of areas that build on them. They follow
 * the same rules as the API (paths, sealed personal data) so reads behave as for real records.
 */

export interface DivisionRef {
  id: string;
  tenantId: string;
  path: string;
  level: string;
  name: string;
}

export async function divisionNamed(ctx: TestContext, tenant: string, name: string): Promise<DivisionRef> {
  const [row] = await ctx.db
    .select({
      id: divisions.id,
      tenantId: divisions.tenantId,
      path: divisions.path,
      level: divisions.level,
      name: divisions.name,
    })
    .from(divisions)
    .where(and(eq(divisions.tenantId, tenant), eq(divisions.name, name)));
  if (!row) throw new Error(`No demo division ${name} in ${tenant}`);
  return row;
}

const now = (ctx: TestContext) => ctx.clock.now().toISOString();
let sequence = 0;
const nextMs = (ctx: TestContext) => ctx.clock.now().getTime() + sequence++;

export async function insertUnit(
  ctx: TestContext,
  division: DivisionRef,
  fields: Partial<typeof units.$inferInsert> = {},
) {
  const row = {
    id: newId("unit", nextMs(ctx)),
    tenantId: division.tenantId,
    name: `测试单位${sequence}`,
    creditCode: null,
    kind: "organ" as const,
    divisionId: division.id,
    divisionPath: division.path,
    version: 1,
    createdAt: now(ctx),
    updatedAt: now(ctx),
    ...fields,
  };
  await ctx.db.insert(units).values(row);
  return row;
}

export async function insertPartyOrg(
  ctx: TestContext,
  division: DivisionRef,
  fields: Partial<typeof partyOrgs.$inferInsert> = {},
) {
  const row = {
    id: newId("org", nextMs(ctx)),
    tenantId: division.tenantId,
    name: `测试党组织${sequence}`,
    type: "branch" as const,
    category: "community" as const,
    parentId: null,
    divisionId: division.id,
    divisionPath: division.path,
    unitId: null,
    secretaryName: null,
    version: 1,
    createdAt: now(ctx),
    updatedAt: now(ctx),
    ...fields,
  };
  await ctx.db.insert(partyOrgs).values(row);
  return row;
}

/** A member whose residence is `residence`; ID card and phone are sealed like the API does. */
export async function insertMember(
  ctx: TestContext,
  residence: DivisionRef,
  fields: Partial<typeof members.$inferInsert> & { idCard?: string; phone?: string } = {},
) {
  const {
    idCard = randomIdCard(),
    phone = `138${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`,
    ...rest
  } = fields;
  const row = {
    id: newId("mem", nextMs(ctx)),
    tenantId: residence.tenantId,
    name: `党员${sequence}`,
    gender: "female" as const,
    birthDate: "1988-05-01",
    idCardCipher: await ctx.pii.seal(idCard),
    idCardHash: await ctx.pii.fingerprint(idCard),
    idCardMasked: maskIdCard(idCard),
    phoneCipher: await ctx.pii.seal(phone),
    phoneHash: await ctx.pii.fingerprint(phone),
    phoneMasked: maskPhone(phone),
    joinDate: "2012-07-01",
    status: "full" as const,
    classification: "in_service" as const,
    orgId: null,
    employerUnitId: null,
    employerOrgId: null,
    employerTenantId: null,
    residenceDivisionId: residence.id,
    divisionPath: residence.path,
    skills: [],
    version: 1,
    createdAt: now(ctx),
    updatedAt: now(ctx),
    ...rest,
  };
  await ctx.db.insert(members).values(row);
  return { ...row, idCard, phone };
}

export function randomIdCard(): string {
  const body = `620902${1970 + Math.floor(Math.random() * 30)}0${1 + Math.floor(Math.random() * 9)}1${Math.floor(Math.random() * 10)}${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`;
  return `${body}X`;
}

/** An open need (需求清单) of a community, created at `atMs` (its id too, which is what lists and trends order by). */
export async function insertOpenNeed(ctx: TestContext, community: DivisionRef, atMs: number) {
  const at = new Date(atMs).toISOString();
  await ctx.db.insert(needs).values({
    id: newId("need", atMs),
    tenantId: community.tenantId,
    communityId: community.id,
    divisionPath: community.path,
    category: "助老",
    title: "送餐",
    description: "为独居老人送餐",
    quantity: 1,
    deadline: null,
    status: "open",
    version: 1,
    createdAt: at,
    updatedAt: at,
  });
}
