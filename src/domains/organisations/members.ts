import { idCardBirthDate, idCardChecksumValid } from "../../shared/id-card.js";
import { assertMayRevealPii } from "../../shared/auth/pii-reveal.js";
import { z } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Context } from "hono";
import { divisions, tenants } from "../../db/tables.js";
import { newId } from "../../db/ids.js";
import { withinReach } from "../../shared/auth/reach.js";
import { maskIdCard, maskName } from "../../shared/crypto/pii.js";
import type { AppEnv } from "../../shared/request/context.js";
import { ApiError } from "../../shared/http/errors.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { keyset, pageOf, pageQuerySchema } from "../../shared/http/pagination.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commit, commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, patchWithinReach, readRows } from "../../shared/store/records.js";
import { requireDivisionForWrite, unknownReference } from "../../shared/store/references.js";
import { partyOrgId, requirePartyOrg } from "./party-orgs.js";
import { idCardSchema, phoneSchema, sealedPhone } from "../../shared/api/personal-data.js";
import { memberClassifications, memberReach, members, partyOrgs, units } from "./tables.js";
import { msg, zodMessage } from "../../shared/http/messages.js";

const memberId = idSchema("mem");
const unitId = idSchema("unit");

// ---------------------------------------------------------------------------------------------
// Schemas

const memberFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "张丽" }),
  status: z.enum(["probationary", "full"]).openapi({ description: "预备党员 or 正式党员." }),
  classification: z.enum(memberClassifications),
  orgId: partyOrgId.nullable().openapi({ description: "The member's own party organisation, in the same tenant." }),
  residenceDivisionId: divisionIdSchema.openapi({
    description: "The community the member lives in; the record belongs to that community.",
  }),
  skills: z
    .array(z.string().trim().min(1).max(50))
    .max(20)
    .openapi({ example: ["法律咨询", "急救"] }),
};

const employerFields = {
  employerOrgId: partyOrgId.nullable().openapi({
    description:
      "The employer's unit party organisation (category unit or two_new), which receives the quarterly feedback.",
  }),
  employerUnitId: unitId
    .nullable()
    .openapi({ description: "The employer unit; filled from the employer organisation when omitted." }),
  employerTenantId: z
    .string()
    .regex(/^\d{6}$/, zodMessage("field.tenant_code_format"))
    .nullable()
    .openapi({
      description: "The tenant of the employer, when it is another county of the city; defaults to the caller's.",
      example: "620982",
    }),
};

const memberSchema = z
  .object({
    id: memberId,
    tenant: z.string(),
    name: memberFields.name,
    gender: z.enum(["male", "female"]),
    birthDate: dateSchema,
    idCard: z.string().openapi({
      description: "Masked (`6209**********1234`) unless revealed with `reveal=pii`.",
      example: "6209**********002X",
    }),
    phone: z
      .string()
      .nullable()
      .openapi({ description: "Masked (`138****5678`) unless revealed with `reveal=pii`.", example: "138****5678" }),
    joinDate: dateSchema,
    status: memberFields.status,
    classification: memberFields.classification,
    orgId: memberFields.orgId,
    ...employerFields,
    residenceDivisionId: divisionIdSchema.nullable(),
    skills: memberFields.skills,
    ...timestampsSchema,
  })
  .openapi("Member");

const createMemberSchema = z
  .object({
    ...memberFields,
    gender: z.enum(["male", "female"]),
    birthDate: dateSchema,
    idCard: idCardSchema,
    phone: phoneSchema.optional(),
    joinDate: dateSchema,
    orgId: partyOrgId.optional(),
    employerOrgId: partyOrgId.optional(),
    employerUnitId: unitId.optional(),
    employerTenantId: employerFields.employerTenantId.unwrap().optional(),
    skills: memberFields.skills.default([]),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (idCardChecksumValid(m.idCard) && idCardBirthDate(m.idCard) !== m.birthDate) {
      ctx.addIssue({
        code: "custom",
        path: ["birthDate"],
        message: zodMessage("members.birth_date_mismatch"),
      });
    }
    if (m.joinDate < m.birthDate)
      ctx.addIssue({ code: "custom", path: ["joinDate"], message: zodMessage("members.join_before_birth") });
  })
  .openapi("CreateMember", {
    example: {
      name: "张丽",
      gender: "female",
      birthDate: "1988-05-01",
      idCard: "620902198805010024",
      phone: "13812345678",
      joinDate: "2012-07-01",
      status: "full",
      classification: "in_service",
      employerOrgId: "org_01KDVDNA011AKWK3RC504FTYF8",
      employerTenantId: "620982",
      residenceDivisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
      skills: ["法律咨询"],
    },
  });

const patchMemberSchema = z
  .object({ ...memberFields, phone: phoneSchema.nullable(), ...employerFields })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchMember", {
    description:
      "The ID card number cannot be changed. The employer (employerOrgId, employerUnitId, employerTenantId) is replaced as a whole: send any of them and the ones left out become null (the unit is filled from the organisation).",
    example: { phone: "13987654321", skills: ["法律咨询", "急救"] },
  });

type MemberRow = typeof members.$inferSelect;

/**
 * The city reads across tenants with personal data masked (docs/domain.md#personal-data): besides the always-masked
 * ID card and phone, it sees a masked name and only the birth year.
 */
const present = (row: MemberRow, clear?: { idCard?: string; phone?: string | null }, crossTenant = false) => ({
  id: row.id,
  tenant: row.tenantId,
  name: crossTenant ? maskName(row.name) : row.name,
  gender: row.gender,
  birthDate: crossTenant ? `${row.birthDate.slice(0, 4)}-**-**` : row.birthDate,
  idCard: clear?.idCard ?? row.idCardMasked,
  phone: clear && "phone" in clear ? (clear.phone ?? null) : row.phoneMasked,
  joinDate: row.joinDate,
  status: row.status,
  classification: row.classification,
  orgId: row.orgId,
  employerOrgId: row.employerOrgId,
  employerUnitId: row.employerUnitId,
  employerTenantId: row.employerTenantId,
  residenceDivisionId: row.residenceDivisionId,
  skills: row.skills,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const conflicts = {
  "members.id_card_hash": msg("unique.member_id_card"),
};
const memberResponse = (description: string) => versionedResponse(memberSchema, description);

// ---------------------------------------------------------------------------------------------
// References

async function residence(c: Context<AppEnv>, divisionId: string) {
  const division = await requireDivisionForWrite(c, divisionId, {
    pointer: "/residenceDivisionId",
    levels: ["community"],
  });
  return { residenceDivisionId: division.id, divisionPath: division.path };
}

const employerCategories = ["unit", "two_new"] as const;

/**
 * The employer's unit party organisation and unit. This is the one reference that may cross tenants
 * (work in one county, live in another), but only to another county of the caller's own city.
 */
async function resolveEmployer(
  c: Context<AppEnv>,
  input: { orgId?: string | null; unitId?: string | null; tenantId?: string | null },
) {
  const none = { employerOrgId: null, employerUnitId: null, employerTenantId: null };
  if (!input.orgId && !input.unitId) {
    if (input.tenantId) {
      throw new ApiError("validation_failed", msg("members.employer_needs_org"), {
        errors: [{ in: "body", pointer: "/employerTenantId", detail: msg("members.employer_needs_org_field") }],
      });
    }
    return none;
  }
  const { db, principal } = c.var;
  const tenantId = input.tenantId ?? principal.tenant;
  const sameCity = sql`${tenants.parentCode} = (select parent_code from ${tenants} where code = ${principal.tenant})`;
  let orgUnitId: string | null = null;
  if (input.orgId) {
    const [org] = await db
      .select({ unitId: partyOrgs.unitId })
      .from(partyOrgs)
      .innerJoin(tenants, eq(tenants.code, partyOrgs.tenantId))
      .where(
        and(
          eq(partyOrgs.id, input.orgId),
          eq(partyOrgs.tenantId, tenantId),
          inArray(partyOrgs.category, employerCategories),
          sameCity,
        ),
      );
    if (!org) throw unknownReference("/employerOrgId", "unit party organisation in the employer's tenant");
    orgUnitId = org.unitId;
  }
  if (input.unitId) {
    const [unit] = await db
      .select({ id: units.id })
      .from(units)
      .innerJoin(tenants, eq(tenants.code, units.tenantId))
      .where(and(eq(units.id, input.unitId), eq(units.tenantId, tenantId), sameCity));
    if (!unit) throw unknownReference("/employerUnitId", "unit in the employer's tenant");
    if (orgUnitId && orgUnitId !== input.unitId) {
      throw new ApiError("validation_failed", msg("members.employer_unit_mismatch"), {
        errors: [{ in: "body", pointer: "/employerUnitId", detail: msg("members.employer_unit_mismatch_field") }],
      });
    }
  }
  return { employerOrgId: input.orgId ?? null, employerUnitId: input.unitId ?? orgUnitId, employerTenantId: tenantId };
}

const hasEmployerFields = (p: object) => ["employerOrgId", "employerUnitId", "employerTenantId"].some((k) => k in p);

// ---------------------------------------------------------------------------------------------
// Routes

const createMember = protectedRoute({
  method: "post",
  path: "/v1/members",
  operationId: "createMember",
  tags: ["organisations"],
  summary: "Register a party member",
  description:
    "The ID card number and phone are stored encrypted and answered masked. An ID card number already registered anywhere in the city is a 409.",
  scope: "members:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createMemberSchema } } } },
  responses: { 201: memberResponse("The member was registered.") },
});

const listMembers = protectedRoute({
  method: "get",
  path: "/v1/members",
  operationId: "listMembers",
  tags: ["organisations"],
  summary: "Party members within reach",
  description:
    "`idCard` and `phone` are exact-match lookups (by keyed hash); they find a member only within the caller's reach.",
  scope: "members:read",
  request: {
    query: pageQuerySchema.extend({
      orgId: partyOrgId.optional(),
      employerOrgId: partyOrgId.optional(),
      residenceDivisionId: divisionIdSchema.optional(),
      classification: z.enum(memberClassifications).optional(),
      status: memberFields.status.optional(),
      idCard: idCardSchema.optional(),
      phone: phoneSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of members, in the requested `order` (oldest first by default), personal data masked.",
      content: { "application/json": { schema: pageOf(memberSchema, "MemberPage") } },
    },
  },
});

const getMember = protectedRoute({
  method: "get",
  path: "/v1/members/{id}",
  operationId: "getMember",
  tags: ["organisations"],
  summary: "One party member",
  description:
    "Masked by default. `reveal=pii` answers the clear ID card number and phone (or only the `fields` named, one at a time from a console): it needs the scope pii:read and a signed-in person (never an API key), and every reveal is audited as `member.pii_revealed` with the fields revealed.",
  scope: "members:read",
  errors: [404],
  request: {
    params: z.object({ id: memberId }),
    query: z.object({
      reveal: z
        .enum(["pii"])
        .optional()
        .openapi({ description: "`pii`: answer the clear ID card number and phone (audited)." }),
      fields: z
        .string()
        .regex(/^(idCard|phone)(,(idCard|phone))?$/, zodMessage("field.one_of", { values: "idCard, phone" }))
        .optional()
        .openapi({
          description: "With `reveal=pii`: only these fields (comma-separated: `idCard`, `phone`); default both.",
          example: "phone",
        }),
    }),
  },
  responses: { 200: memberResponse("The member.") },
});

const updateMember = protectedRoute({
  method: "patch",
  path: "/v1/members/{id}",
  operationId: "updateMember",
  tags: ["organisations"],
  summary: "Change a member's details (never the ID card number)",
  scope: "members:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: memberId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchMemberSchema } } },
  },
  responses: { 200: memberResponse("The updated member.") },
});

export const memberRoutes = createRouter()
  .openapi(createMember, async (c) => {
    const body = c.req.valid("json");
    const home = await residence(c, body.residenceDivisionId);
    if (body.orgId) await requirePartyOrg(c, body.orgId, "/orgId");
    const employer = await resolveEmployer(c, {
      orgId: body.employerOrgId,
      unitId: body.employerUnitId,
      tenantId: body.employerTenantId,
    });
    const { pii, clock, principal } = c.var;
    const now = clock.now();
    const row: MemberRow = {
      id: newId("mem", now.getTime()),
      tenantId: principal.tenant,
      name: body.name,
      gender: body.gender,
      birthDate: body.birthDate,
      idCardCipher: await pii.seal(body.idCard),
      idCardHash: await pii.fingerprint(body.idCard),
      idCardMasked: maskIdCard(body.idCard),
      ...(await sealedPhone(c, body.phone ?? null)),
      joinDate: body.joinDate,
      status: body.status,
      classification: body.classification,
      orgId: body.orgId ?? null,
      ...employer,
      ...home,
      skills: body.skills,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const response = present(row);
    const headers = await commitCreated(c, `/v1/members/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(members).values(row)],
      audit: {
        action: "member.create",
        targetType: "member",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      conflicts,
    });
    return c.json(response, 201, headers);
  })
  .openapi(listMembers, async (c) => {
    const q = c.req.valid("query");
    const keys = keyset(members.id, q);
    const { db, pii, principal } = c.var;
    let residencePath: string | undefined;
    if (q.residenceDivisionId) {
      // Members carry their community's path: filtering on it uses the (tenant, path) index.
      const [division] = await db
        .select({ path: divisions.path })
        .from(divisions)
        .where(eq(divisions.id, q.residenceDivisionId));
      if (!division) return c.json({ data: [], nextCursor: null }, 200);
      residencePath = division.path;
    }
    const rows = await readRows(
      c,
      db
        .select()
        .from(members)
        .where(
          and(
            withinReach(principal, { tenantId: members.tenantId, ...memberReach }),
            q.idCard ? eq(members.idCardHash, await pii.fingerprint(q.idCard)) : undefined,
            q.phone ? eq(members.phoneHash, await pii.fingerprint(q.phone)) : undefined,
            q.orgId ? eq(members.orgId, q.orgId) : undefined,
            q.employerOrgId ? eq(members.employerOrgId, q.employerOrgId) : undefined,
            residencePath ? eq(members.divisionPath, residencePath) : undefined,
            q.classification ? eq(members.classification, q.classification) : undefined,
            q.status ? eq(members.status, q.status) : undefined,
            keys.after,
          ),
        )
        .orderBy(keys.orderBy)
        .limit(keys.limit),
    );
    const page = keys.of(rows);
    return c.json(
      {
        data: page.data.map((r) => present(r, undefined, c.get("principal").crossTenant)),
        nextCursor: page.nextCursor,
      },
      200,
    );
  })
  .openapi(getMember, async (c) => {
    const query = c.req.valid("query");
    const reveal = query.reveal === "pii";
    if (reveal) assertMayRevealPii(c.get("principal"));
    const row = await findWithinReach(c, members, memberReach, c.req.valid("param").id, "member");
    if (!reveal)
      return c.json(present(row, undefined, c.get("principal").crossTenant), 200, { etag: etagOf(row.version) });
    const asked = new Set(query.fields?.split(",") ?? ["idCard", "phone"]);
    const clear: { idCard?: string; phone?: string | null } = {};
    if (asked.has("idCard")) clear.idCard = await c.get("pii").open(row.idCardCipher);
    if (asked.has("phone")) clear.phone = row.phoneCipher === null ? null : await c.get("pii").open(row.phoneCipher);
    // The reveal is the audited event itself: no domain write, just the trail entry.
    await commit(c, {
      writes: [],
      audit: {
        action: "member.pii_revealed",
        targetType: "member",
        targetId: row.id,
        divisionPath: row.divisionPath,
        tenantId: row.tenantId,
        changes: { fields: Object.keys(clear).filter((k) => k !== "phone" || clear.phone !== null) },
      },
    });
    return c.json(present(row, clear), 200, { etag: etagOf(row.version), "cache-control": "no-store" });
  })
  .openapi(updateMember, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const { phone, residenceDivisionId, orgId, employerOrgId, employerUnitId, employerTenantId, ...plain } = patch;
    const set: Partial<MemberRow> = { ...plain };
    if (phone !== undefined) Object.assign(set, await sealedPhone(c, phone));
    if (residenceDivisionId !== undefined) Object.assign(set, await residence(c, residenceDivisionId));
    if (orgId !== undefined) set.orgId = orgId === null ? null : (await requirePartyOrg(c, orgId, "/orgId")).id;
    if (hasEmployerFields(patch))
      Object.assign(
        set,
        await resolveEmployer(c, { orgId: employerOrgId, unitId: employerUnitId, tenantId: employerTenantId }),
      );
    // Nothing here depends on the row as stored: one round trip checks reach and version and writes.
    const updated = await patchWithinReach(c, {
      table: members,
      reach: memberReach,
      id: c.req.valid("param").id,
      what: "member",
      expectedVersion,
      set,
      // Field names only: the new phone number never enters the trail.
      audit: { action: "member.update", targetType: "member", changes: { fields: Object.keys(patch) } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
