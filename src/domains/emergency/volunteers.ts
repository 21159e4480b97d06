import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { newId } from "../../db/ids.js";
import { maskIdCard, maskName } from "../../shared/crypto/pii.js";
import type { AppEnv } from "../../shared/request/context.js";
import { etagOf, requireIfMatch } from "../../shared/http/etag.js";
import { createRouter, ifMatchHeader, protectedRoute, versionedResponse } from "../../shared/api/openapi.js";
import { decodeCursor, pageOf, pageQuerySchema, toPage } from "../../shared/http/pagination.js";
import { dateSchema, divisionIdSchema, idSchema, timestampsSchema } from "../../shared/http/schemas.js";
import { commitCreated } from "../../shared/store/commit.js";
import { findWithinReach, listWithinReach, patchWithinReach } from "../../shared/store/records.js";
import { requireDivisionForWrite, unknownReference } from "../../shared/store/references.js";
import { members } from "../organisations/tables.js";
import { assertMayRevealPii } from "../../shared/auth/pii-reveal.js";
import { idCardSchema, phoneSchema, revealPersonalData, sealedPhone } from "../../shared/api/personal-data.js";
import { skillListSchema, skills, tag, volunteerId } from "./common.js";
import { volunteerSources, volunteers } from "./tables.js";
import { zodMessage } from "../../shared/http/messages.js";

const memberId = idSchema("mem");

const certificateSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "红十字救护员证" }),
    expiresOn: dateSchema.nullable().openapi({ description: "Null: does not expire." }),
  })
  .strict();

const volunteerFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "马建国" }),
  memberId: memberId.nullable().openapi({ description: "The party member record, when the volunteer is a member." }),
  source: z.enum(volunteerSources),
  skills: skillListSchema,
  certificates: z.array(certificateSchema).max(20),
  homeDivisionId: divisionIdSchema.openapi({ description: "The community (or street) the volunteer lives in." }),
  active: z.boolean(),
};

const volunteerSchema = z
  .object({
    id: volunteerId,
    tenant: z.string().openapi({ example: "620902" }),
    ...volunteerFields,
    phone: z.string().openapi({ description: "Masked unless revealed with `reveal=pii`.", example: "139****2046" }),
    idCard: z
      .string()
      .nullable()
      .openapi({ description: "Masked unless revealed with `reveal=pii`.", example: "6209**********0024" }),
    ...timestampsSchema,
  })
  .openapi("Volunteer");

const createVolunteerSchema = z
  .object({
    ...volunteerFields,
    phone: phoneSchema,
    idCard: idCardSchema.optional(),
    memberId: memberId.optional(),
    skills: skillListSchema.default([]),
    certificates: volunteerFields.certificates.default([]),
    active: z.boolean().default(true),
  })
  .strict()
  .openapi("CreateVolunteer", {
    example: {
      name: "马建国",
      phone: "13909372046",
      idCard: "620902198805010024",
      source: "professional_team",
      skills: ["water_rescue", "driving"],
      certificates: [{ name: "红十字救护员证", expiresOn: "2028-06-30" }],
      homeDivisionId: "div_01KDVDNA011AKWK3RC504FTYF8",
    },
  });

const patchVolunteerSchema = z
  .object({ ...volunteerFields, phone: phoneSchema })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, zodMessage("field.at_least_one"))
  .openapi("PatchVolunteer", {
    description: "The ID card number cannot be changed. `active: false` keeps the volunteer out of future activations.",
    example: { skills: ["water_rescue", "driving", "medical_aid"], active: false },
  });

type VolunteerRow = typeof volunteers.$inferSelect;

const present = (row: VolunteerRow, clear?: { phone: string; idCard: string | null }, crossTenant = false) => ({
  id: row.id,
  tenant: row.tenantId,
  name: crossTenant ? maskName(row.name) : row.name,
  memberId: row.memberId,
  source: row.source,
  skills: row.skills as z.infer<typeof skillListSchema>,
  certificates: row.certificates,
  homeDivisionId: row.homeDivisionId,
  active: row.active,
  phone: clear ? clear.phone : row.phoneMasked,
  idCard: clear ? clear.idCard : row.idCardMasked,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const volunteerReach = { divisionPath: volunteers.divisionPath };
const volunteerResponse = (description: string) => versionedResponse(volunteerSchema, description);

async function home(c: Context<AppEnv>, divisionId: string) {
  const division = await requireDivisionForWrite(c, divisionId, {
    pointer: "/homeDivisionId",
    levels: ["street", "town", "community", "grid"],
  });
  return { homeDivisionId: division.id, divisionPath: division.path };
}

/** The linked party member: in the caller's tenant (a volunteer's member record is never another county's). */
async function linkedMember(c: Context<AppEnv>, id: string | null | undefined) {
  if (!id) return null;
  const [member] = await c
    .get("db")
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.id, id), eq(members.tenantId, c.get("principal").tenant)));
  if (!member) throw unknownReference("/memberId", "party member");
  return member.id;
}

const skillSchema = z
  .object({
    code: z.string().openapi({ example: "water_rescue" }),
    nameZh: z.string().openapi({ example: "水上救援" }),
    nameEn: z.string().openapi({ example: "Water rescue" }),
  })
  .openapi("VolunteerSkill");

const listSkills = protectedRoute({
  method: "get",
  path: "/v1/volunteer-skills",
  operationId: "listVolunteerSkills",
  tags: [tag],
  summary: "The skills reference list",
  scope: "emergency:read",
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of skills, in list order.",
      content: { "application/json": { schema: pageOf(skillSchema, "VolunteerSkillPage") } },
    },
  },
});

const createVolunteer = protectedRoute({
  method: "post",
  path: "/v1/volunteers",
  operationId: "createVolunteer",
  tags: [tag],
  summary: "Register a volunteer",
  description: "Phone and ID card number are stored encrypted and answered masked, exactly like party members'.",
  scope: "emergency:write",
  idempotent: true,
  request: { body: { required: true, content: { "application/json": { schema: createVolunteerSchema } } } },
  responses: { 201: volunteerResponse("The volunteer was registered.") },
});

const listVolunteers = protectedRoute({
  method: "get",
  path: "/v1/volunteers",
  operationId: "listVolunteers",
  tags: [tag],
  summary: "Volunteers within reach",
  description: "`phone` is an exact-match lookup (by keyed hash) within the caller's reach.",
  scope: "emergency:read",
  request: {
    query: pageQuerySchema.extend({
      homeDivisionId: divisionIdSchema.optional(),
      source: z.enum(volunteerSources).optional(),
      active: z.enum(["true", "false"]).optional(),
      phone: phoneSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of volunteers, personal data masked.",
      content: { "application/json": { schema: pageOf(volunteerSchema, "VolunteerPage") } },
    },
  },
});

const getVolunteer = protectedRoute({
  method: "get",
  path: "/v1/volunteers/{id}",
  operationId: "getVolunteer",
  tags: [tag],
  summary: "One volunteer",
  description:
    "Masked by default. `reveal=pii` answers the clear phone and ID card number under the members' rule: the scope pii:read, a signed-in person (never an API key), audited as `volunteer.pii_revealed`.",
  scope: "emergency:read",
  errors: [404],
  request: {
    params: z.object({ id: volunteerId }),
    query: z.object({ reveal: z.enum(["pii"]).optional().openapi({ description: "`pii`: answer clear values." }) }),
  },
  responses: { 200: volunteerResponse("The volunteer.") },
});

const updateVolunteer = protectedRoute({
  method: "patch",
  path: "/v1/volunteers/{id}",
  operationId: "updateVolunteer",
  tags: [tag],
  summary: "Change a volunteer's details (never the ID card number)",
  scope: "emergency:write",
  errors: [404, 409, 412, 428],
  request: {
    params: z.object({ id: volunteerId }),
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: patchVolunteerSchema } } },
  },
  responses: { 200: volunteerResponse("The updated volunteer.") },
});

export const volunteerRoutes = createRouter()
  .openapi(listSkills, async (c) => {
    const q = c.req.valid("query");
    const ordered = q.order === "newest" ? [...skills].reverse() : [...skills];
    const after = q.cursor ? ordered.findIndex((s) => s.code === decodeCursor(q.cursor, q.order)) + 1 : 0;
    return c.json(
      toPage(ordered.slice(after, after + q.limit + 1), q.limit, (s) => s.code, q.order),
      200,
    );
  })
  .openapi(createVolunteer, async (c) => {
    const body = c.req.valid("json");
    const { pii, clock, principal } = c.var;
    const now = clock.now();
    const row: VolunteerRow = {
      id: newId("vol", now.getTime()),
      tenantId: principal.tenant,
      name: body.name,
      ...(await sealedPhone(c, body.phone)),
      idCardCipher: body.idCard ? await pii.seal(body.idCard) : null,
      idCardHash: body.idCard ? await pii.fingerprint(body.idCard) : null,
      idCardMasked: body.idCard ? maskIdCard(body.idCard) : null,
      memberId: await linkedMember(c, body.memberId),
      source: body.source,
      skills: body.skills,
      certificates: body.certificates,
      ...(await home(c, body.homeDivisionId)),
      active: body.active,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    } as VolunteerRow;
    const response = present(row);
    const headers = await commitCreated(c, `/v1/volunteers/${row.id}`, row.version, response, {
      writes: [c.get("db").insert(volunteers).values(row)],
      audit: {
        action: "volunteer.create",
        targetType: "volunteer",
        targetId: row.id,
        divisionPath: row.divisionPath,
        changes: { fields: Object.keys(body) },
      },
      events: [
        {
          type: "volunteer.registered",
          subjectType: "volunteer",
          subjectId: row.id,
          payload: { volunteerId: row.id, source: row.source, homeDivisionId: row.homeDivisionId },
        },
      ],
    });
    return c.json(response, 201, headers);
  })
  .openapi(listVolunteers, async (c) => {
    const q = c.req.valid("query");
    const page = await listWithinReach(c, volunteers, volunteerReach, q, {
      homeDivisionId: [volunteers.homeDivisionId, q.homeDivisionId],
      source: [volunteers.source, q.source],
      active: [volunteers.active, q.active === undefined ? undefined : q.active === "true" ? 1 : 0],
      phone: [volunteers.phoneHash, q.phone ? await c.get("pii").fingerprint(q.phone) : undefined],
    });
    const crossTenant = c.get("principal").crossTenant;
    return c.json({ data: page.data.map((r) => present(r, undefined, crossTenant)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getVolunteer, async (c) => {
    const reveal = c.req.valid("query").reveal === "pii";
    if (reveal) assertMayRevealPii(c.get("principal"));
    const row = await findWithinReach(c, volunteers, volunteerReach, c.req.valid("param").id, "volunteer");
    if (!reveal)
      return c.json(present(row, undefined, c.get("principal").crossTenant), 200, { etag: etagOf(row.version) });
    const clear = await revealPersonalData(c, "volunteer", row);
    return c.json(present(row, clear), 200, { etag: etagOf(row.version), "cache-control": "no-store" });
  })
  .openapi(updateVolunteer, async (c) => {
    const expectedVersion = requireIfMatch(c);
    const patch = c.req.valid("json");
    const { phone, homeDivisionId, memberId: member, ...plain } = patch;
    const set: Partial<VolunteerRow> = { ...plain };
    if (phone !== undefined) Object.assign(set, await sealedPhone(c, phone));
    if (homeDivisionId !== undefined) Object.assign(set, await home(c, homeDivisionId));
    if (member !== undefined) set.memberId = await linkedMember(c, member);
    // Nothing here depends on the row as stored: one round trip checks reach and version and writes.
    const updated = await patchWithinReach(c, {
      table: volunteers,
      reach: volunteerReach,
      id: c.req.valid("param").id,
      what: "volunteer",
      expectedVersion,
      set,
      audit: { action: "volunteer.update", targetType: "volunteer", changes: { fields: Object.keys(patch) } },
    });
    return c.json(present(updated), 200, { etag: etagOf(updated.version) });
  });
