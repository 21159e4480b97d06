/**
 * The declared exceptions to two rules every operation keeps, by operationId, with the reason for
 * each. They live together so that a reviewer reads them in one place, and both sweeps read this
 * list and nothing else: `test/platform/every-route.test.ts` (credentials and scopes) and
 * `test/platform/city-writes.test.ts` (the city changes no county's records). Each exception needs a
 * test of its own; the sweeps fail when one is declared without it.
 *
 * Adding a designed city write (say, the city declaring a city-wide incident) is one line in
 * `designedCityWrites` and its test in `city-writes.test.ts`; the route itself stays a plain
 * `protectedRoute` with the scope a city role holds.
 */

/**
 * Rule 1: every operation takes a platform credential (401 without one, 403 without the route's
 * scope). These do not: they are public, or authenticate their caller themselves.
 */
export const ownAuthentication: Readonly<Record<string, string>> = {
  getHealth: "The liveness probe: public, and says nothing about any tenant.",
  getSigningKeys: "The public half of the signing keys, which every verifier of our tokens needs.",
  issueAccessToken:
    "The OAuth token endpoint authenticates the API client itself (RFC 6749 client credentials) and answers RFC 6749 errors.",
  listPublicDutyLists:
    "Residents read which work a street or community does or must refuse: published duty lists carry no personal data.",
  listPublicDutyItems: "The items of a published duty list, for residents, as above.",
  showAnswerPage:
    "A paged volunteer has no account: the single-purpose token in the SMS link is the credential (bound to one volunteer and incident, expiring with it).",
  answerPage: "As above: the volunteer answers, checks in or out with the page's token.",
  acceptTaskByLink:
    "As above: the volunteer accepts a task assigned to them or their team for that incident with the page's token.",
  completeTaskByLink: "As above: the volunteer marks such a task done with the page's token.",
  receiveGatewayEvents:
    "The district SMS gateway signs its delivery receipts and replies with Standard Webhooks under its tenant's secret (HEXI_SMS_GATEWAYS); the secret that verifies names the tenant, and stale timestamps are refused.",
  filePublicComplaint:
    "Residents have no accounts: anyone may file a property complaint (rate-limited per address); the answer carries its follow-up link.",
  followPublicComplaint: "The complaint's follow-up token (only its hash is stored) is the reporter's credential.",
  addPublicComplaintInformation: "As above: the reporter adds information with the follow-up token.",
  reopenPublicComplaint: "As above: the reporter reopens within the window with the follow-up token.",
  ratePublicComplaint: "As above: the reporter rates the handling with the follow-up token.",
  addPublicComplaintPhoto: "As above: the reporter adds a photo with the follow-up token.",
  getPublicComplaintPhoto: "As above: the reporter sees the complaint's photos with the follow-up token.",
  createPublicComplaintPhotoUpload:
    "As above: the reporter asks for a pre-signed upload URL with the follow-up token (the URL is bound to the complaint's staging folder).",
  attachPublicComplaintPhotoUpload:
    "As above: the reporter attaches their pre-signed upload with the follow-up token (checked and stripped like a direct upload).",
  verifyCertificate:
    "无证明城市: whoever is shown a certificate checks it without an account; the signed token is its own evidence, and only the facts its holder agreed to disclose are shown.",
  showCertificatePage: "As above: the page a certificate's QR code opens.",
  listCertificateRevocations:
    "Offline verifiers of certificates need the revocation list as they need the certificate keys: it names certificate ids, tenants, dates and reason codes, never a holder or a fact.",
  getCertificateKeys:
    "The public half of the certificate keys (current and retired), which every verifier of a certificate needs.",
  open311Discovery: "Open311 Service Discovery is public by the GeoReport v2 specification.",
  open311ListServices: "GeoReport v2: the service list is public; `jurisdiction_id` is the tenant code.",
  open311GetServiceDefinition: "GeoReport v2: service definitions are public.",
  open311CreateRequest: "GeoReport v2 authenticates with its own `api_key` field, mapped onto a Hexi API key.",
  open311SearchRequests: "As above: searching requests needs the `api_key` of a Hexi API key.",
  open311GetRequest: "As above: a request by id needs the `api_key` (or the reporter's token).",
  open311GetRequestIdFromToken: "GeoReport v2: the token the reporter was given is the credential.",
};

/**
 * Rule 2: a cross-tenant principal (the city) reads across the county-level tenants but changes
 * nothing through any operation other than a GET — refused with 403 before the handler runs (see
 * `protectedRoute`). These operations are designed for the city to write, and change only what the
 * city owns.
 */
export const designedCityWrites: Readonly<Record<string, string>> = {
  updateFiveLink:
    "The five links are reference data the city owns, the same for every tenant: no county record changes.",
  createDutyList: "The city drafts duty-list templates as rows of its own tenant (620900); counties adopt them.",
  updateDutyList: "Only a list of the caller's own tenant is found (findOwnDutyList): the city edits its templates.",
  publishDutyList: "As above: the city publishes its own templates, never a county's list.",
  createDutyItem: "Items go only into a draft list of the caller's own tenant: the city fills its templates.",
  updateDutyItem: "As above, for an item of the city's own draft template.",
  deleteDutyItem: "As above, for an item of the city's own draft template.",
  putWorkingCalendar:
    "The working-day calendar is city-owned reference data (no tenant column); no county record changes.",
  declareCitywideIncident:
    "全域统筹: the one city write into the counties by design. Under its own scope (incidents:declare_citywide, city_admin only), it creates in each county touched an incident linked to the city-wide one, with its activations and pages, in one commit audited in every tenant touched; it changes no existing county record.",
};

export function isDesignedCityWrite(operationId: string): boolean {
  return Object.hasOwn(designedCityWrites, operationId);
}
