import { z } from "@hono/zod-openapi";
import { divisionLevels, divisionStatuses } from "../../db/tables.js";
import { needStatuses, postCategories, postClaimStatuses, projectStatuses } from "../lists/tables.js";
import {
  admissionKinds,
  admissionStatuses,
  dutyKinds,
  dutyLevels,
  dutyListStatuses,
  meetingKinds,
  mobilityStatuses,
  rectificationStatuses,
  streetBodyKinds,
  workerPosts,
  workerTiers,
} from "../governance/tables.js";
import {
  assigneeTypes,
  complaintCategories,
  complaintClosures,
  complaintLevels,
  complaintStatuses,
} from "../property/tables.js";
import { memberReportStatuses, orgReportStatuses } from "../reports/tables.js";
import { certificateKinds, certificateStatuses, holderKinds, revocationReasons } from "../certificates/tables.js";
import {
  quickReportCategories,
  quickReportLevels,
  quickReportStatuses,
  stationServices,
  workerTrades,
} from "../newemployment/tables.js";
import {
  incidentLevels,
  incidentStatuses,
  incidentTypes,
  loanStatuses,
  taskStatuses,
  teamModes,
  teamRoles,
  volunteerSources,
} from "../emergency/tables.js";

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
    "division",
    "Division",
    "div",
    {
      divisionId: ref("div", "The division (street, town, community or grid)."),
      parentId: ref("div", "Its parent division.").nullable(),
      level: z.enum(divisionLevels),
      code: z.string().nullable().openapi({ example: "620902001001" }),
      status: z.enum(divisionStatuses),
      fields: z
        .array(z.string())
        .optional()
        .openapi({ description: "With `division.updated`: the fields that changed.", example: ["name"] }),
    },
    {
      created: "A county or street administrator created a division.",
      updated: "A division was renamed, given a code, or moved (with `parentId` among `fields`).",
      retired: "A division was retired: it keeps its records and takes no new ones.",
      reinstated: "A retired division was made active again.",
    },
  ),
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
      memberId: ref("mem", "The member; null for a volunteer who is not a party member.").nullable(),
      volunteerId: ref("vol", "The volunteer, for emergency hours.").nullable().optional(),
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
    "duty_list",
    "DutyList",
    "dlist",
    {
      dutyListId: ref("dlist", "The duty list version (职责清单)."),
      tenant: tenantCode.openapi({ description: "The list's tenant; 620900 for a city template." }),
      level: z.enum(dutyLevels),
      edition: z.number().int().openapi({ example: 2 }),
      status: z.enum(dutyListStatuses),
      templateId: ref("dlist", "The city template version it adopted.").nullable(),
    },
    {
      created: "A new edition of a duty list was started as a draft (a city template, or a county's own list).",
      published: "A duty list edition was published.",
      superseded: "A published duty list was superseded by the next published edition.",
      updated: "A draft duty list's title or effective date changed.",
    },
  ),
  ...subjectEvents(
    "duty_item",
    "DutyItem",
    "ditem",
    {
      dutyItemId: ref("ditem", "The duty list item."),
      listId: ref("dlist", "The draft duty list it belongs to."),
      number: z.number().int().openapi({ example: 12 }),
      kind: z.enum(dutyKinds),
    },
    {
      created: "An item was added to a draft duty list.",
      updated: "An item of a draft duty list was changed.",
      deleted: "An item was removed from a draft duty list.",
    },
  ),
  ...subjectEvents(
    "admission_request",
    "AdmissionRequest",
    "adm",
    {
      admissionRequestId: ref("adm", "The admission request (社区事务准入)."),
      departmentId: z
        .string()
        .openapi({ description: "The requesting department's code.", example: "dept-civil-affairs" }),
      kind: z.enum(admissionKinds),
      streetId: ref("div", "The street (or town) that reviews first."),
      communityIds: z.array(z.string()).openapi({ description: "The target communities." }),
      status: z.enum(admissionStatuses),
      route: z.enum(["listed", "reviewed"]),
      dutyItemId: ref("ditem", "The duty list item it matched, for listed requests.").nullable(),
      streetDeadline: z.string().nullable().openapi({ example: "2026-03-06" }),
      countyDeadline: z.string().nullable().openapi({ example: "2026-03-20" }),
    },
    {
      submitted: "A department asked to put work on communities; it awaits street review.",
      admitted: "The request matched a listed duty and was approved at once.",
      refused: "The request matched a returned or negative-list item and was refused at once.",
      street_approved: "The street passed the request to the county.",
      approved: "The county approved the request.",
      rejected: "The street or the county rejected the request.",
      returned: "The street or the county returned the request for changes.",
      resubmitted: "The department resubmitted a returned request.",
      activated: "Admitted work started.",
      expired: "Admitted work ended with its period.",
      withdrawn: "The department withdrew the request or the work.",
    },
  ),
  ...subjectEvents(
    "admission_refusal",
    "AdmissionRefusal",
    "refusal",
    {
      refusalId: ref("refusal", "The community's refusal record."),
      communityId: ref("div", "The community that refused."),
      kind: z.enum(admissionKinds),
      requestedOn: z.string().openapi({ example: "2026-11-20" }),
    },
    { recorded: "A community recorded its refusal of unlisted, unadmitted work." },
  ),
  ...subjectEvents(
    "mobility_record",
    "MobilityRecord",
    "mob",
    {
      mobilityRecordId: ref("mob", "The mobile member's record (流动党员). Whereabouts and contact are not sent."),
      memberId: ref("mem", "The member."),
      status: z.enum(mobilityStatuses),
      receivingTenantId: tenantCode.nullable(),
      receivingOrgId: ref("org", "The receiving party organisation.").nullable(),
      nextCheckDue: z.string().openapi({ example: "2026-09-01" }),
    },
    {
      created: "A member's outflow was recorded (in the home tenant).",
      inflow: "A member of another tenant was recorded as received by one of this tenant's organisations.",
      checked: "A regular check was recorded.",
      check_overdue: "A regular check is past due (background job).",
      lost_contact: "No recorded contact for the configured months: lost contact (失联).",
      located: "A lost-contact member was reached again.",
      returned: "The member came back.",
      transferred: "The member's organisational relationship was transferred.",
    },
  ),
  ...subjectEvents(
    "checklist",
    "Checklist",
    "chkl",
    {
      checklistId: ref("chkl", "The checklist edition (支部标准化)."),
      edition: z.number().int(),
      status: z.enum(["active", "retired"]),
    },
    { created: "A checklist edition was loaded.", retired: "A checklist edition was retired." },
  ),
  ...subjectEvents(
    "inspection",
    "Inspection",
    "insp",
    {
      inspectionId: ref("insp", "The inspection."),
      orgId: ref("org", "The branch inspected."),
      checklistId: ref("chkl", "The checklist edition."),
      totalScore: z.number().int(),
      maxScore: z.number().int(),
      shortfalls: z.number().int(),
    },
    { recorded: "A branch was inspected; each shortfall became a rectification." },
  ),
  ...subjectEvents(
    "rectification",
    "Rectification",
    "rect",
    {
      rectificationId: ref("rect", "The rectification (整改)."),
      inspectionId: ref("insp", "The inspection it came from."),
      orgId: ref("org", "The branch."),
      status: z.enum(rectificationStatuses),
      deadline: z.string().openapi({ example: "2026-07-15" }),
    },
    {
      submitted: "The branch submitted its evidence.",
      closed: "The inspecting level closed the rectification.",
      reopened: "The inspecting level sent the rectification back.",
    },
  ),
  ...subjectEvents(
    "org_meeting",
    "OrgMeeting",
    "meet",
    {
      meetingId: ref("meet", "The meeting."),
      orgId: ref("org", "The branch."),
      kind: z.enum(meetingKinds),
      heldOn: z.string().openapi({ example: "2026-11-05" }),
      expected: z.number().int(),
      present: z.number().int(),
    },
    { recorded: "A branch recorded an organisational life meeting and its attendance." },
  ),
  ...subjectEvents(
    "community_worker",
    "CommunityWorker",
    "cw",
    {
      workerId: ref("cw", "The community worker (社区工作者). Names and personal data are not sent."),
      communityId: ref("div", "The community."),
      post: z.enum(workerPosts),
      tier: z.enum(workerTiers),
      grade: z.number().int().openapi({ example: 9 }),
      status: z.enum(["active", "left"]),
    },
    {
      appointed: "A community worker was appointed.",
      updated: "A worker's post, education, qualification or status changed.",
      grade_changed: "A worker's grade was advanced or corrected.",
      assessed: "A worker's annual assessment was recorded (and applied to the grade).",
    },
  ),
  ...subjectEvents(
    "street_body",
    "StreetBody",
    "sbody",
    {
      streetBodyId: ref("sbody", "The street body (四办三中心一执法队)."),
      streetId: ref("div", "The street or town."),
      kind: z.enum(streetBodyKinds),
      quota: z.number().int().openapi({ description: "Staffing quota (编制).", example: 8 }),
      filled: z.number().int().openapi({ example: 6 }),
    },
    {
      created: "A street office, centre or enforcement team was set up.",
      updated: "A street body's name or staffing (quota, filled posts) changed.",
    },
  ),
  "grade_scale.updated": {
    summary: "A county replaced its community workers' grade scale (三岗十八级).",
    data: z
      .object({
        id: z.string().openapi({ description: "The tenant.", example: "620902" }),
        tenant: tenantCode,
        version: z.number().int(),
      })
      .openapi("GradeScaleEventData"),
  },
  "working_calendar.updated": {
    summary: "The city loaded or replaced a year's working-day calendar.",
    data: z
      .object({
        id: z.string().openapi({ description: "The year.", example: "2026" }),
        year: z.number().int(),
        version: z.number().int(),
        days: z.number().int().openapi({ description: "Holidays and make-up working days listed." }),
      })
      .openapi("WorkingCalendarEventData"),
  },
  ...subjectEvents(
    "volunteer",
    "Volunteer",
    "vol",
    {
      volunteerId: ref("vol", "The volunteer."),
      source: z.enum(volunteerSources),
      homeDivisionId: ref("div", "The volunteer's home division."),
    },
    { registered: "A volunteer was registered (no personal data in the event)." },
  ),
  ...subjectEvents(
    "team",
    "Team",
    "team",
    {
      teamId: ref("team", "The team."),
      mode: z.enum(teamModes).optional(),
      divisionId: ref("div", "The owning division.").optional(),
      volunteerId: ref("vol", "The volunteer added or removed.").optional(),
      role: z.enum(teamRoles).optional(),
    },
    {
      formed: "A volunteer team was formed.",
      member_added: "A volunteer joined a team.",
      member_removed: "A volunteer left a team.",
    },
  ),
  ...subjectEvents(
    "site",
    "Site",
    "site",
    {
      siteId: ref("site", "The site."),
      kind: z.string().openapi({ example: "resettlement" }),
      capacity: z.number().int().openapi({ example: 300 }),
      occupancy: z.number().int().openapi({ example: 120 }),
      status: z.enum(["open", "closed"]),
    },
    { opened: "A muster point or resettlement site opened.", closed: "A site closed." },
  ),
  ...subjectEvents(
    "incident",
    "Incident",
    "inc",
    {
      incidentId: ref("inc", "The incident."),
      type: z.enum(incidentTypes),
      level: z.enum(incidentLevels),
      drill: z.boolean().openapi({ description: "A drill (CAP status Exercise), never a real incident." }),
      status: z.enum(incidentStatuses),
      teams: z.number().int().optional().openapi({ description: "With `activated`: teams paged.", example: 4 }),
      volunteers: z
        .number()
        .int()
        .optional()
        .openapi({ description: "With `activated`: volunteers paged (each once).", example: 37 }),
      volunteersWithHours: z
        .number()
        .int()
        .optional()
        .openapi({ description: "With `closed`: volunteers whose hours were posted to the ledger.", example: 12 }),
      alertId: ref("alrt", "With `street_alerted`: the alert.").optional(),
      streetDivisionId: ref(
        "div",
        "With `street_alerted`: the street whose party working committee is alerted.",
      ).optional(),
      teamId: ref("team", "With `street_alerted`: the team still below its quorum.").optional(),
      quorum: z.number().int().optional().openapi({ description: "With `street_alerted`.", example: 5 }),
      available: z
        .number()
        .int()
        .optional()
        .openapi({ description: "With `street_alerted`: available answers so far.", example: 2 }),
      parentId: ref("cwi", "The city-wide incident this county's incident belongs to, if any.").nullable().optional(),
      loanId: ref("loan", "A lender's incident: the loan whose lent team it pages.").optional(),
    },
    {
      declared: "An incident (or drill) was declared.",
      activated: "One key: the incident's teams were paged (counts in the event).",
      escalated:
        "A team was below its quorum at its deadline: the county's mobile teams were paged (for the street and county admins).",
      street_alerted:
        "Escalation step 2: a team was still below its quorum after the county's mobile teams were paged; its street's party working committee is alerted (`streetDivisionId`).",
      stood_down:
        "The incident is standing down (CAP Update, AllClear). A lender's incident (`loanId`) follows its borrower's.",
      closed:
        "The incident was closed; volunteers' hours were posted to the ledger. A lender's incident (`loanId`) follows its borrower's.",
      cancelled:
        "The incident was cancelled (declared in error: CAP Cancel). A lender's incident (`loanId`) follows its borrower's.",
    },
  ),
  ...subjectEvents(
    "team_loan",
    "TeamLoan",
    "loan",
    {
      loanId: ref("loan", "The loan."),
      incidentId: ref("inc", "The borrower's incident."),
      borrowerTenant: tenantCode,
      lenderTenant: tenantCode,
      teamId: ref("team", "The lent mobile team."),
      status: z.enum(loanStatuses),
    },
    {
      requested: "A county asked another county for one of its mobile teams (sent to both counties).",
      accepted: "The lending county lent the team: it is paged for the borrower's incident.",
      declined: "The lending county declined.",
      cancelled:
        "The borrowing county withdrew its request, or its incident stood down, closed or was cancelled while the request waited.",
    },
  ),
  ...subjectEvents(
    "task",
    "IncidentTask",
    "task",
    {
      taskId: ref("task", "The task."),
      incidentId: ref("inc", "The incident."),
      teamId: ref("team", "The team it is assigned to.").nullable(),
      volunteerId: ref("vol", "The volunteer it is assigned to.").nullable(),
      status: z.enum(taskStatuses),
    },
    {
      assigned: "A task of an incident was assigned to a team or a volunteer.",
      accepted: "The team or volunteer took the task on.",
      done: "The task was done.",
      cancelled: "The task was cancelled.",
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
  ...subjectEvents(
    "webhook",
    "WebhookTest",
    "whep",
    {
      requestedAt: z.string().openapi({ example: "2026-11-26T09:00:00.000Z" }),
    },
    {
      test: "A ping asked for with `POST /v1/webhook-endpoints/{id}/test`: sent to that endpoint only, whatever it subscribes to (`id` is the endpoint). Verify its signature and answer 2xx.",
    },
  ),
  ...subjectEvents(
    "certificate",
    "Certificate",
    "crt",
    {
      certificateId: ref("crt", "The verifiable certificate (无证明城市)."),
      kind: z.enum(certificateKinds),
      holderKind: z.enum(holderKinds),
      memberId: ref("mem", "The member holding it, or the member a volunteer holder is.").nullable(),
      volunteerId: ref("vol", "The volunteer holding it.").nullable(),
      status: z.enum(certificateStatuses),
      expiresAt: z.string().openapi({ example: "2027-03-04T02:00:00.000Z" }),
      revocationReason: z
        .enum(revocationReasons)
        .optional()
        .openapi({ description: "With `certificate.revoked`: why." }),
    },
    {
      issued: "A certificate was issued from the records (facts are not in the event: they are the holder's).",
      revoked: "A certificate was revoked: verifications answer it invalid from now on.",
    },
  ),
  ...subjectEvents(
    "gig_worker",
    "GigWorker",
    "gwk",
    {
      workerId: ref("gwk", "The courier, rider or driver (新就业群体)."),
      platformUnitId: ref("unit", "The platform they work for."),
      trade: z.enum(workerTrades),
      baseDivisionId: ref("div", "The community (or street) they work from."),
      entryId: ref("qpt", "The points ledger entry (`gig_worker.points_redeemed`).").optional(),
      points: z
        .number()
        .int()
        .optional()
        .openapi({ description: "The entry's points, negative (`gig_worker.points_redeemed`).", example: -8 }),
      stationId: ref("wst", "The warm station where they were spent.").nullable().optional(),
    },
    {
      registered: "A courier, rider or driver was registered.",
      points_redeemed: "A worker spent points (e.g. at a warm station); the ledger has a new negative entry.",
    },
  ),
  ...subjectEvents(
    "warm_station",
    "WarmStation",
    "wst",
    {
      stationId: ref("wst", "The warm station (暖心驿站)."),
      divisionId: ref("div", "The community (or street) that runs it."),
      services: z.array(z.enum(stationServices)),
    },
    { opened: "A warm station was registered." },
  ),
  ...subjectEvents(
    "quick_report",
    "QuickReport",
    "qrp",
    {
      reportId: ref("qrp", "The quick report (随手拍)."),
      workerId: ref("gwk", "The worker who filed it.").optional(),
      platformUnitId: ref("unit", "Their platform.").optional(),
      communityId: ref("div", "The community it was routed to.").optional(),
      category: z.enum(quickReportCategories).optional(),
      status: z.enum(quickReportStatuses).optional(),
      level: z
        .enum(quickReportLevels)
        .optional()
        .openapi({ description: "Who handles it: the community, or the street once escalated." }),
      routedBy: z.enum(["boundary", "nearest"]).optional(),
      dueAt: z.string().optional().openapi({ example: "2026-12-01T06:00:00.000Z" }),
      points: z.number().int().optional().openapi({ description: "Points earned (after `accepted`).", example: 8 }),
      photoId: ref("qph", "The photo added (`quick_report.photo_added`).").optional(),
      reversedPoints: z
        .number()
        .int()
        .optional()
        .openapi({ description: "The correction entry's points (`quick_report.points_reversed`).", example: -8 }),
      correction: z.enum(["invalid", "duplicate"]).optional().openapi({ description: "Why the points were reversed." }),
      author: z.enum(["worker", "staff"]).optional(),
    },
    {
      filed: "A worker (or their platform) filed a quick report; it was routed to a community by its place.",
      accepted: "The community accepted it; the worker earned the category's points.",
      started: "The community started handling it.",
      resolved: "It was reported resolved.",
      sent_back: "A resolution was sent back for more work.",
      closed: "It was closed.",
      rejected: "It was rejected (not true, a duplicate, or not the community's matter).",
      photo_added: "A photo was added.",
      escalated:
        "Its deadline passed unresolved: it went from the community to the street (the background job), with a new deadline.",
      points_reversed:
        "The points it earned were reversed on the ledger (found invalid or a duplicate after acceptance).",
    },
  ),
} satisfies Record<string, EventSpec>;

/** The test ping: addressed to one endpoint (its subject), never subscribed to. */
export const testEventType = "webhook.test";

export type EventType = keyof typeof eventCatalogue;
export const eventTypes = Object.keys(eventCatalogue).sort() as [EventType, ...EventType[]];

/** What an endpoint may subscribe to: every catalogued type but the test ping. */
export const subscribableEventTypes = eventTypes.filter((t) => t !== testEventType) as [EventType, ...EventType[]];

export function isCatalogued(type: string): type is EventType {
  return Object.hasOwn(eventCatalogue, type);
}

/** The `data` of a delivered event: the subject's id, then the payload the writer put in the outbox. */
export function eventData(event: { subjectId: string; payload: Record<string, unknown> }): Record<string, unknown> {
  return { id: event.subjectId, ...event.payload };
}
