import { z } from "@hono/zod-openapi";
import { needStatuses } from "../lists/machines.js";
import { postCategories, postClaimStatuses, projectStatuses } from "../lists/tables.js";
import {
  assigneeTypes,
  complaintCategories,
  complaintClosures,
  complaintLevels,
  complaintStatuses,
} from "../property/tables.js";
import { memberReportStatuses, orgReportStatuses } from "../reports/tables.js";

/**
 * The catalogue of outbox events that leave the system: webhook subscribers choose from these
 * types, and the OpenAPI document's `webhooks` section describes each one's `data`: the outbox
 * event's `payload` plus `id`, the id of the record it is about (the event's subject).
 *
 * It lives with the webhooks area, which imports the other areas' enums (shared code imports no
 * domain). Emitting a new event type? Add it here with the shape of the `payload` you write to the outbox.
 * Payloads go to third parties: ids, states, codes and figures only, never personal data (names,
 * ID cards, phones, comments). Events of a type not listed here are never delivered.
 */
const ref = (prefix: string, description: string) =>
  z.string().openapi({ description, example: `${prefix}_01KDVDNA011AKWK3RC504FTYF8` });
const tenantCode = z.string().openapi({ example: "620902" });
const quarter = z.string().openapi({ example: "2026-Q3" });

interface EventSpec {
  summary: string;
  data: z.ZodType;
}

/** Events of one subject, `<subject>.<past tense>`, sharing one data shape (named `<Name>EventData` in the document). */
function subjectEvents<S extends string, E extends string>(
  subject: S,
  name: string,
  idPrefix: string,
  payload: z.ZodRawShape,
  events: Record<E, string>,
) {
  const data = z
    .object({ id: ref(idPrefix, `The ${subject.replaceAll("_", " ")} the event is about.`), ...payload })
    .openapi(`${name}EventData`);
  const entries = Object.entries<string>(events).map(([event, summary]): [string, EventSpec] => [
    `${subject}.${event}`,
    { summary, data },
  ]);
  return Object.fromEntries(entries) as Record<`${S}.${E}`, EventSpec>;
}

export const eventCatalogue = {
  ...subjectEvents(
    "org_report",
    "OrgReport",
    "orep",
    {
      orgReportId: ref("orep", "The unit report (报到单)."),
      unitOrgId: ref("org", "The reporting unit's party organisation."),
      communityOrgId: ref("org", "The community party organisation it reports to."),
      status: z.enum(orgReportStatuses),
      agreementId: ref(
        "agr",
        "The co-building agreement that made the report active (with `org_report.activated` by an agreement).",
      ).optional(),
    },
    {
      submitted: "A unit party organisation submitted its report slip to a community.",
      received: "The community signed the report slip.",
      activated: "The unit report became active (a co-building agreement was signed).",
      ended: "The unit report ended.",
    },
  ),
  ...subjectEvents(
    "member_report",
    "MemberReport",
    "mrep",
    {
      memberReportId: ref("mrep", "The member report (报到登记表)."),
      memberId: ref("mem", "The reporting party member."),
      communityId: ref("div", "The community the member reports to."),
      status: z.enum(memberReportStatuses),
      endReason: z.enum(["moved", "lapsed"]).nullable(),
      employerOrgId: ref("org", "The member's employer party organisation, when known.").nullable(),
      employerTenantId: tenantCode
        .nullable()
        .openapi({ description: "The employer organisation's tenant, which may differ from the report's." }),
    },
    {
      submitted: "An in-service party member reported to their home community.",
      confirmed: "The community confirmed the member's report.",
      activated: "The member's report became active.",
      rechecked: "The half-yearly recheck kept the report active.",
      overdue: "The report's half-yearly recheck is overdue.",
      ended: "The member's report ended (moved or lapsed).",
    },
  ),
  ...subjectEvents(
    "agreement",
    "Agreement",
    "agr",
    {
      agreementId: ref("agr", "The co-building agreement (共建协议)."),
      unitOrgId: ref("org", "The unit party organisation."),
      communityOrgId: ref("org", "The community party organisation."),
      links: z
        .array(z.string())
        .openapi({ description: "The five-link codes it commits to.", example: ["org_building", "venue_sharing"] }),
    },
    { signed: "A co-building agreement was signed." },
  ),
  ...subjectEvents(
    "evaluation",
    "Evaluation",
    "eval",
    {
      evaluationId: ref("eval", "The annual evaluation. Its grade is not sent: read it through the API."),
      subjectKind: z.enum(["unit_org", "member"]),
      subjectId: ref("org", "The evaluated unit party organisation or member."),
      communityOrgId: ref("org", "The evaluating community party organisation."),
      year: z.number().int().openapi({ example: 2026 }),
    },
    { recorded: "A community recorded an annual evaluation." },
  ),
  ...subjectEvents(
    "need",
    "Need",
    "need",
    {
      needId: ref("need", "The need (需求清单 entry)."),
      communityId: ref("div", "The community that published it."),
      status: z.enum(needStatuses),
      category: z.string().optional().openapi({ description: "With `need.published`.", example: "elderly_care" }),
      projectId: ref("proj", "The project that matched, closed or released it.").optional(),
    },
    {
      published: "A community published a need.",
      matched: "A project took the need on.",
      unmatched: "The need's project was cancelled: the need is open again.",
      closed: "The need's project was closed, and the need with it.",
      cancelled: "The need was cancelled.",
    },
  ),
  ...subjectEvents(
    "project",
    "Project",
    "proj",
    {
      projectId: ref("proj", "The project (项目清单 entry)."),
      needId: ref("need", "The need it works on."),
      ownerOrgId: ref("org", "The organisation responsible for it.").optional(),
      status: z.enum(projectStatuses),
      resourceIds: z
        .array(z.string())
        .optional()
        .openapi({ description: "With `project.created`: the matched resources." }),
      reason: z
        .string()
        .optional()
        .openapi({ description: "Why it was cancelled, when not by a direct action.", example: "need_cancelled" }),
    },
    {
      created: "A need was matched with resources in a new project.",
      claimed: "A project was taken on.",
      started: "Work on a project started.",
      completed: "A project was done.",
      closed: "A project was closed.",
      cancelled: "A project was cancelled.",
    },
  ),
  ...subjectEvents(
    "resource",
    "Resource",
    "res",
    {
      resourceId: ref("res", "The resource (资源清单 entry)."),
      offeredBy: z.enum(["unit_org", "member"]),
      unitOrgId: ref("org", "The offering unit party organisation.").nullable(),
      memberId: ref("mem", "The offering member.").nullable(),
      category: z.string().openapi({ example: "legal_aid" }),
    },
    { offered: "A unit organisation or member offered a resource." },
  ),
  ...subjectEvents(
    "service_post",
    "ServicePost",
    "post",
    {
      postId: ref("post", "The service post (服务岗位)."),
      communityId: ref("div", "The community it serves."),
      status: z.enum(["open", "closed"]).optional(),
      category: z.enum(postCategories).optional(),
      headcount: z.number().int().optional(),
    },
    {
      published: "A community published a service post.",
      closed: "A service post was closed to new claims.",
      reopened: "A closed service post was reopened.",
    },
  ),
  ...subjectEvents(
    "post_claim",
    "PostClaim",
    "claim",
    {
      claimId: ref("claim", "The claim (岗位认领)."),
      postId: ref("post", "The service post."),
      memberId: ref("mem", "The claiming member."),
      status: z.enum(postClaimStatuses),
    },
    {
      applied: "A member claimed a service post.",
      approved: "A claim was approved.",
      rejected: "A claim was rejected.",
      activated: "The member started serving in the post.",
      released: "A claim was released.",
    },
  ),
  ...subjectEvents(
    "participation",
    "Participation",
    "part",
    {
      activityId: ref("act", "The activity."),
      memberId: ref("mem", "The member."),
      hours: z.number().openapi({ example: 2.5 }),
      points: z.number().int().openapi({ example: 25 }),
      ledgerEntryId: ref("led", "The hours-ledger entry it posted."),
    },
    { verified: "A member's participation was verified and its hours posted to the ledger." },
  ),
  ...subjectEvents(
    "ledger_entry",
    "LedgerEntry",
    "led",
    {
      reversalId: ref("led", "The new entry that reverses this one."),
      memberId: ref("mem", "The member."),
      quarter,
      hours: z.number().openapi({ example: -2.5 }),
      points: z.number().int().openapi({ example: -25 }),
    },
    { reversed: "An hours-ledger entry was corrected by a reversing entry." },
  ),
  ...subjectEvents(
    "employer_feedback",
    "EmployerFeedback",
    "fb",
    {
      quarter,
      memberId: ref("mem", "The member the service card is about."),
      hours: z.number().openapi({ example: 12 }),
      points: z.number().int().openapi({ example: 120 }),
      rating: z.number().nullable().openapi({ example: 4.8 }),
      recipientOrgId: ref("org", "The employer party organisation it is addressed to."),
      recipientTenantId: tenantCode,
    },
    {
      sent: "A quarterly service card was sent to the member's employer organisation (delivered in the employer's tenant).",
      acknowledged: "The employer organisation acknowledged a service card (delivered in the community's tenant).",
    },
  ),
  ...subjectEvents(
    "complaint",
    "Complaint",
    "cmp",
    {
      complaintId: ref("cmp", "The property complaint (红色物业)."),
      compoundId: ref("cpd", "The compound (小区) it is about."),
      communityId: ref("div", "The community the compound lies in."),
      companyUnitId: ref("unit", "The property company that sees it, if any.").nullable(),
      category: z.enum(complaintCategories),
      status: z.enum(complaintStatuses),
      level: z.enum(complaintLevels),
      assigneeType: z.enum(assigneeTypes).nullable(),
      closure: z.enum(complaintClosures).nullable(),
      dueAt: z.string().openapi({ example: "2026-12-05T09:00:00.000Z" }),
      author: z.enum(["reporter", "staff"]).optional().openapi({
        description: "Who added the note or photo (`complaint.information_added`, `complaint.photo_added`).",
      }),
      rating: z.number().int().optional().openapi({ description: "The rating (`complaint.rated`).", example: 5 }),
    },
    {
      reported: "A resident filed a complaint (link, staff on their behalf, or Open311).",
      accepted: "The community accepted the complaint.",
      assigned: "The complaint was assigned to the property company, the owners' committee or a department.",
      started: "The assignee started work on it.",
      resolved: "The assignee reported it resolved.",
      sent_back: "The community sent a resolution back for more work.",
      verified: "The community verified the resolution.",
      closed: "The complaint was closed (resolved, duplicate or not responsible: see `closure`).",
      escalated: "The complaint went up a level (by hand or when its deadline passed).",
      reopened: "The reporter reopened a resolved complaint.",
      rated: "The reporter rated the handling.",
      information_added: "The reporter or staff added a note.",
      photo_added: "The reporter or staff added a photo.",
    },
  ),
} satisfies Record<string, EventSpec>;

export type EventType = keyof typeof eventCatalogue;
export const eventTypes = Object.keys(eventCatalogue).sort() as [EventType, ...EventType[]];

export function isCatalogued(type: string): type is EventType {
  return Object.hasOwn(eventCatalogue, type);
}

/** The `data` of a delivered event: the subject's id, then the payload the writer put in the outbox. */
export function eventData(event: { subjectId: string; payload: Record<string, unknown> }): Record<string, unknown> {
  return { id: event.subjectId, ...event.payload };
}
