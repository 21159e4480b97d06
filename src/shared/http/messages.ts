/**
 * Every text a client reads in a problem document, in both languages: the title of each error code,
 * the details handlers and guards raise (keyed, with `{name}` placeholders), the field messages of
 * validation, and the names of things. Handlers never write client-facing strings: they name a key
 * here (`msg("…", params)`) and the problem is rendered in the language the request asked for.
 * `test/platform/messages.test.ts` fails when an entry lacks either language or the two disagree on
 * their placeholders.
 */

/** One text in both languages. `zh` is Simplified Chinese (zh-CN). */
export interface Text {
  readonly en: string;
  readonly zh: string;
}

/** The titles of the error codes (`ErrorCode` in ./errors.ts must have exactly these keys). */
export const problemTitles = {
  validation_failed: { en: "The request is not valid", zh: "请求无效" },
  malformed_request: { en: "The request is not well-formed HTTP", zh: "请求不是格式正确的 HTTP" },
  invalid_cursor: { en: "The pagination cursor is not valid", zh: "分页游标无效" },
  malformed_json: { en: "The request body is not valid JSON", zh: "请求体不是有效的 JSON" },
  unauthenticated: { en: "Authentication is required", zh: "需要身份认证" },
  forbidden: { en: "Not allowed", zh: "无权操作" },
  not_found: { en: "Not found", zh: "未找到" },
  method_not_allowed: { en: "Method not allowed", zh: "不允许的请求方法" },
  request_timeout: { en: "The request did not arrive in time", zh: "请求未能及时到达" },
  conflict: { en: "Conflict with the current state", zh: "与当前状态冲突" },
  invalid_transition: { en: "The action is not allowed in the current state", zh: "当前状态下不允许此操作" },
  idempotency_key_reused: {
    en: "The idempotency key was used with a different request",
    zh: "幂等键已用于另一个不同的请求",
  },
  precondition_failed: { en: "The resource has changed", zh: "资源已被修改" },
  payload_too_large: { en: "The request body is too large", zh: "请求体过大" },
  unsupported_media_type: { en: "Unsupported content type", zh: "不支持的内容类型" },
  expectation_failed: { en: "The expectation cannot be met", zh: "无法满足 Expect 要求" },
  precondition_required: { en: "A precondition header is required", zh: "缺少前提条件请求头" },
  rate_limited: { en: "Too many requests", zh: "请求过于频繁" },
  headers_too_large: { en: "The request header fields are too large", zh: "请求头字段过大" },
  internal: { en: "Internal error", zh: "服务器内部错误" },
  unavailable: { en: "Service unavailable", zh: "服务不可用" },
} as const satisfies Record<string, Text>;

/** Names of things, for details such as "No such {what}". */
export const things = {
  agreement: { en: "agreement", zh: "共建协议" },
  "API client": { en: "API client", zh: "API 客户端" },
  "API key": { en: "API key", zh: "API 密钥" },
  activity: { en: "activity", zh: "活动" },
  asset: { en: "asset", zh: "资源文件" },
  community: { en: "community", zh: "社区" },
  division: { en: "division", zh: "区划" },
  "employer feedback": { en: "employer feedback", zh: "单位反馈" },
  evaluation: { en: "evaluation", zh: "评价" },
  "five link": { en: "five link", zh: "五联事项" },
  "grid in this community": { en: "grid in this community", zh: "本社区的网格" },
  "ledger entry": { en: "ledger entry", zh: "台账条目" },
  member: { en: "member", zh: "党员" },
  "member report": { en: "member report", zh: "党员报到" },
  need: { en: "need", zh: "需求" },
  "org report": { en: "unit report", zh: "单位报到" },
  participation: { en: "participation", zh: "参与记录" },
  "party member": { en: "party member", zh: "党员" },
  "party organisation": { en: "party organisation", zh: "党组织" },
  project: { en: "project", zh: "项目" },
  record: { en: "record", zh: "记录" },
  resource: { en: "resource", zh: "资源" },
  route: { en: "route", zh: "路由" },
  "service post": { en: "service post", zh: "服务岗位" },
  "post claim": { en: "service post claim", zh: "岗位认领" },
  tenant: { en: "tenant", zh: "租户" },
  unit: { en: "unit", zh: "单位" },
  "unit in the employer's tenant": { en: "unit in the employer's tenant", zh: "工作单位所在租户中的单位" },
  "unit party organisation": { en: "unit party organisation", zh: "单位党组织" },
  "unit party organisation in the employer's tenant": {
    en: "unit party organisation in the employer's tenant",
    zh: "工作单位所在租户中的单位党组织",
  },
  "webhook delivery": { en: "webhook delivery", zh: "Webhook 投递" },
  "webhook endpoint": { en: "webhook endpoint", zh: "Webhook 端点" },
  "admission request": { en: "admission request", zh: "事项准入申请" },
  checklist: { en: "checklist", zh: "标准化检查清单" },
  "community worker": { en: "community worker", zh: "社区工作者" },
  "duty item": { en: "duty item", zh: "职责事项" },
  "duty list": { en: "duty list", zh: "职责清单" },
  incident: { en: "incident", zh: "突发事件" },
  inspection: { en: "inspection", zh: "检查" },
  "item of a published duty list": { en: "item of a published duty list", zh: "已发布职责清单中的事项" },
  meeting: { en: "meeting", zh: "组织生活会议" },
  "mobility record": { en: "mobility record", zh: "流动党员记录" },
  "party organisation of that tenant": { en: "party organisation of that tenant", zh: "该租户的党组织" },
  "published city community template": {
    en: "published city community template",
    zh: "市级已发布的社区职责清单模板",
  },
  "published city street template": { en: "published city street template", zh: "市级已发布的街道职责清单模板" },
  "published duty list": { en: "published duty list", zh: "已发布的职责清单" },
  rectification: { en: "rectification", zh: "整改" },
  refusal: { en: "refusal", zh: "拒绝记录" },
  site: { en: "site", zh: "场所" },
  "street body": { en: "street body", zh: "街道组织" },
  team: { en: "team", zh: "队伍" },
  task: { en: "task", zh: "任务" },
  "team loan": { en: "team loan", zh: "队伍借调" },
  "city-wide incident": { en: "city-wide incident", zh: "全域突发事件" },
  "team member": { en: "team member", zh: "队伍成员" },
  volunteer: { en: "volunteer", zh: "志愿者" },
  "working calendar": { en: "working calendar", zh: "工作日历" },
  certificate: { en: "certificate", zh: "证明" },
  complaint: { en: "complaint", zh: "投诉" },
  compound: { en: "compound", zh: "小区" },
  "owners' committee": { en: "owners' committee", zh: "业主委员会" },
  photo: { en: "photo", zh: "照片" },
  // New-employment groups and quick reports (新就业群体, 随手拍).
  "new-employment worker": { en: "new-employment worker", zh: "新就业群体人员" },
  "warm station": { en: "warm station", zh: "暖心驿站" },
  "quick report": { en: "quick report", zh: "随手拍" },
  "community area": { en: "community area", zh: "社区范围" },
  "new-employment platform": { en: "new-employment platform", zh: "新就业形态平台企业" },
} as const satisfies Record<string, Text>;

export type Thing = keyof typeof things;

/** The parts of a request, as field errors name them. */
export const requestParts = {
  body: { en: "body", zh: "请求体" },
  query: { en: "query", zh: "查询参数" },
  path: { en: "path", zh: "路径参数" },
  header: { en: "header", zh: "请求头" },
} as const satisfies Record<string, Text>;

/** Problem details and field messages, by key. Identifiers (scopes, roles, states, field names) stay as they are. */
export const details = {
  // --- generic ---------------------------------------------------------------------------------
  "generic.no_such": { en: "No such {what}.", zh: "没有这个{what}。" },
  "generic.no_such_within_reach": { en: "No such {what} within your reach.", zh: "在您的权限范围内没有这个{what}。" },
  "generic.internal": {
    en: "An unexpected error occurred. Quote the request id when reporting it.",
    zh: "发生了意外错误。报告问题时请附上请求 ID（requestId）。",
  },
  "generic.internal_adapter": { en: "An unexpected error occurred.", zh: "发生了意外错误。" },
  "generic.unique_conflict": {
    en: "A record with the same unique fields already exists.",
    zh: "已存在唯一字段相同的记录。",
  },
  "generic.changed_concurrently": {
    en: "The {what} changed concurrently. Re-read it and retry.",
    zh: "该{what}已被同时修改，请重新读取后重试。",
  },
  "generic.changed_while_writing": {
    en: "The {what} changed while you were writing. Re-read it and retry.",
    zh: "在您写入期间该{what}已被修改，请重新读取后重试。",
  },
  "generic.version_mismatch": {
    en: "The {what} is at version {version}, not {expected}. Re-read it and retry.",
    zh: "该{what}当前版本为 {version}，而非 {expected}，请重新读取后重试。",
  },
  "generic.record_version_mismatch": {
    en: "The record is at version {version}, not {expected}. Re-read it and retry.",
    zh: "该记录当前版本为 {version}，而非 {expected}，请重新读取后重试。",
  },
  "generic.record_changed_while_writing": {
    en: "The record changed while you were writing. Re-read it and retry.",
    zh: "在您写入期间该记录已被修改，请重新读取后重试。",
  },
  "generic.record_changed_concurrently": {
    en: "The record changed concurrently. Re-read it and retry.",
    zh: "该记录已被同时修改，请重新读取后重试。",
  },
  "generic.unavailable_database": { en: "The database does not answer.", zh: "数据库无响应。" },
  "generic.unavailable_rate_limiter": { en: "The rate limiter does not answer.", zh: "限流服务无响应。" },
  "generic.rate_limiter_status": {
    en: "The rate limiter answered {status}.",
    zh: "限流服务返回了状态 {status}。",
  },
  "generic.misconfigured": { en: "The service is misconfigured.", zh: "服务配置有误。" },

  // --- HTTP ------------------------------------------------------------------------------------
  "http.no_route": { en: "No such route.", zh: "没有这个路由。" },
  "http.body_too_large": {
    en: "Request bodies are limited to {bytes} bytes.",
    zh: "请求体不得超过 {bytes} 字节。",
  },
  "http.connection_closed": {
    en: "The connection closed before the request arrived.",
    zh: "请求到达之前连接已关闭。",
  },
  "http.send_json": { en: "Send the body as application/json.", zh: "请以 application/json 格式发送请求体。" },
  "http.send_json_not": {
    en: "Send the body as application/json, not {type}.",
    zh: "请以 application/json 格式发送请求体，而不是 {type}。",
  },
  "http.malformed_json": { en: "The request body is not valid JSON.", zh: "请求体不是有效的 JSON。" },
  "http.rejected": { en: "The request was rejected: {reason}", zh: "请求被拒绝：{reason}" },
  "http.headers_too_large": {
    en: "The request line and header fields exceed {bytes} bytes.",
    zh: "请求行与请求头字段超过了 {bytes} 字节。",
  },
  "http.chunk_extensions_too_large": { en: "The chunk extensions are too large.", zh: "分块扩展过大。" },
  "http.request_timeout": { en: "The request did not arrive in time.", zh: "请求未能及时到达。" },
  "http.not_http11": { en: "The request is not valid HTTP/1.1.", zh: "请求不是有效的 HTTP/1.1。" },
  "http.host_required": { en: "The Host header is required.", zh: "缺少 Host 请求头。" },
  "http.host_invalid": { en: "The Host header is not a valid host[:port].", zh: "Host 请求头不是有效的 host[:port]。" },
  "http.backslash_in_path": { en: "The request path contains a backslash.", zh: "请求路径包含反斜杠。" },
  "http.target_invalid": {
    en: "The request target or the Host header is not valid.",
    zh: "请求目标或 Host 请求头无效。",
  },
  "http.expect_unsupported": {
    en: "Only `Expect: 100-continue` is supported.",
    zh: "仅支持 `Expect: 100-continue`。",
  },
  "http.if_match_required": {
    en: "Send If-Match with the ETag you last read.",
    zh: "请在 If-Match 中携带您最近一次读取到的 ETag。",
  },
  "http.if_match_stale": {
    en: "If-Match does not match the current ETag.",
    zh: "If-Match 与当前 ETag 不一致。",
  },
  "http.cursor_invalid": {
    en: "The cursor is not one this API issued for this order; start again without it.",
    zh: "该游标不是本 API 为此排序签发的，请去掉游标从头开始。",
  },
  "http.cursor_malformed": { en: "Not a valid cursor.", zh: "不是有效的游标。" },
  "http.cursor_other_order": {
    en: "This cursor continues a list read with order={order}.",
    zh: "该游标属于以 order={order} 读取的列表。",
  },
  "http.idempotency_key_format": {
    en: "Idempotency-Key must be 8–255 visible ASCII characters.",
    zh: "Idempotency-Key 须为 8–255 个可见 ASCII 字符。",
  },
  "http.idempotency_key_chars": { en: "8–255 visible ASCII characters.", zh: "8–255 个可见 ASCII 字符。" },
  "http.idempotency_key_reused": {
    en: "This Idempotency-Key was already used with a different request.",
    zh: "此 Idempotency-Key 已用于另一个不同的请求。",
  },
  "http.rate_limited_tenant": {
    en: "Your tenant's machine credentials together exceeded {limit} requests per minute. Retry after {seconds} s.",
    zh: "本租户的机器凭据合计超过了每分钟 {limit} 次请求，请在 {seconds} 秒后重试。",
  },
  "http.rate_limited_key": {
    en: "This API key exceeded {limit} requests per minute. Retry after {seconds} s.",
    zh: "此 API 密钥超过了每分钟 {limit} 次请求，请在 {seconds} 秒后重试。",
  },
  "http.rate_limited_client": {
    en: "This API client exceeded {limit} requests per minute. Retry after {seconds} s.",
    zh: "此 API 客户端超过了每分钟 {limit} 次请求，请在 {seconds} 秒后重试。",
  },

  // --- validation --------------------------------------------------------------------------------
  "validation.one": {
    en: "The request has 1 invalid field at {in} {pointer}.",
    zh: "请求有 1 个无效字段：{in} {pointer}。",
  },
  "validation.many": { en: "The request has {count} invalid fields.", zh: "请求有 {count} 个无效字段。" },
  "field.required": { en: "{field} is required.", zh: "{field} 为必填项。" },
  "field.unknown": { en: "Unknown field {field}.", zh: "未知字段 {field}。" },
  "field.unknown_query": {
    en: "Unknown query parameter {field}; see the operation's documented parameters.",
    zh: "未知查询参数 {field}，请参阅该接口文档中的参数。",
  },
  "field.expected_type": { en: "Expected {expected}.", zh: "应为{expected}。" },
  "field.too_short": { en: "Must be at least {limit} characters.", zh: "长度不得少于 {limit} 个字符。" },
  "field.too_long": { en: "Must be at most {limit} characters.", zh: "长度不得超过 {limit} 个字符。" },
  "field.too_few": { en: "Must have at least {limit} items.", zh: "至少需要 {limit} 项。" },
  "field.too_many": { en: "Must have at most {limit} items.", zh: "最多 {limit} 项。" },
  "field.too_small": { en: "Must be at least {limit}.", zh: "不得小于 {limit}。" },
  "field.too_small_exclusive": { en: "Must be greater than {limit}.", zh: "必须大于 {limit}。" },
  "field.too_big": { en: "Must be at most {limit}.", zh: "不得大于 {limit}。" },
  "field.too_big_exclusive": { en: "Must be less than {limit}.", zh: "必须小于 {limit}。" },
  "field.one_of": { en: "Must be one of: {values}.", zh: "须为以下值之一：{values}。" },
  "field.format": { en: "Not a valid {format}.", zh: "不是有效的{format}。" },
  "field.pattern": { en: "Does not match the pattern {pattern}.", zh: "不符合格式 {pattern}。" },
  "field.multiple_of": { en: "Must be a multiple of {divisor}.", zh: "必须是 {divisor} 的倍数。" },
  "field.invalid": { en: "Invalid value.", zh: "值无效。" },
  /** A refinement's own text that names no key (test/platform/languages.test.ts forbids them in src/). */
  "field.untranslated": { en: "{text}", zh: "{text}" },
  "field.id_format": { en: "Not a {prefix} id.", zh: "不是 {prefix} 类型的 ID。" },
  "field.id_card_format": {
    en: "Not a resident ID card number (17 digits and a digit or X).",
    zh: "不是居民身份证号码（17 位数字加 1 位数字或 X）。",
  },
  "field.mobile_format": {
    en: "Not a mainland mobile number (11 digits starting 13–19).",
    zh: "不是中国大陆手机号码（以 13–19 开头的 11 位数字）。",
  },
  "field.tenant_code_format": { en: "Not a tenant code.", zh: "不是租户代码。" },
  "field.credit_code_format": {
    en: "Not a unified social credit code (18 characters).",
    zh: "不是统一社会信用代码（18 位）。",
  },
  "field.subject_id_format": {
    en: "Not a party organisation or member id.",
    zh: "不是党组织或党员 ID。",
  },
  "field.five_link_code_format": { en: "Not a five-link code.", zh: "不是五联事项代码。" },
  "field.at_least_one": { en: "Send at least one field.", zh: "请至少发送一个字段。" },
  "field.quarter_format": { en: "A quarter like 2026-Q3.", zh: "应为季度，如 2026-Q3。" },
  "field.listed_twice": { en: "Listed twice.", zh: "重复列出。" },
  "field.value_listed_twice": { en: "{value} is listed twice.", zh: "{value} 重复列出。" },
  "field.must_be_future": { en: "Must be in the future.", zh: "必须是将来的时间。" },
  "field.not_future_year": { en: "Must not be a future year.", zh: "不能是将来的年份。" },
  "field.date_or_later": { en: "Must be {date} or later.", zh: "不得早于 {date}。" },
  "field.after_date": { en: "Must be after {date}.", zh: "必须晚于 {date}。" },
  "field.ends_after_starts": { en: "endsOn must be after startsOn.", zh: "endsOn 必须晚于 startsOn。" },
  "field.ends_at_after_starts_at": { en: "endsAt must be after startsAt.", zh: "endsAt 必须晚于 startsAt。" },
  "field.ip_or_cidr": {
    en: "Not an IPv4/IPv6 address or a CIDR with zero host bits (e.g. 203.0.113.0/24, 2001:db8::/32).",
    zh: "不是 IPv4/IPv6 地址，或不是主机位全为零的 CIDR（如 203.0.113.0/24、2001:db8::/32）。",
  },
  "field.wrong_level": { en: "Expected a {expected}, got a {actual}.", zh: "应为 {expected}，实际为 {actual}。" },
  "field.wrong_category": {
    en: "Expected category {expected}, got {actual}.",
    zh: "应为类别 {expected}，实际为 {actual}。",
  },

  // --- authentication and authority ---------------------------------------------------------------
  "auth.one_credential": {
    en: "Send one credential: the Authorization header or X-API-Key, not both.",
    zh: "只能发送一种凭据：Authorization 请求头或 X-API-Key，不能同时发送。",
  },
  "auth.no_credential": {
    en: "Send a bearer token in the Authorization header, or an API key in X-API-Key.",
    zh: "请在 Authorization 请求头中发送 Bearer 令牌，或在 X-API-Key 中发送 API 密钥。",
  },
  "auth.bearer_format": {
    en: "The Authorization header must be `Bearer <token>`.",
    zh: "Authorization 请求头必须为 `Bearer <token>`。",
  },
  "auth.token_rejected": { en: "The bearer token was rejected: {reason}.", zh: "Bearer 令牌被拒绝：{reason}。" },
  "auth.api_key_rejected": { en: "The API key was rejected.", zh: "API 密钥被拒绝。" },
  "auth.api_key_address": {
    en: "This API key may not be used from your network address ({address}).",
    zh: "此 API 密钥不能从您的网络地址（{address}）使用。",
  },
  "auth.scope_missing": {
    en: "This operation needs the scope {scopes}; the roles that hold it: {roles}.",
    zh: "此操作需要权限范围 {scopes}；拥有该权限的角色：{roles}。",
  },
  "auth.scope_missing_any": {
    en: "This operation needs one of the scopes {scopes}; the roles that hold one: {roles}.",
    zh: "此操作需要以下权限范围之一：{scopes}；拥有其一的角色：{roles}。",
  },
  "auth.scope_missing_no_role": {
    en: "This operation needs the scope {scopes}, which no role holds.",
    zh: "此操作需要权限范围 {scopes}，没有角色拥有该权限。",
  },
  "auth.city_writes": {
    en: "The city reads across the county-level tenants; it changes their records only through operations designed for it.",
    zh: "市级可跨县区读取数据，但只能通过专为其设计的操作修改县区的记录。",
  },
  "auth.credentials_admin_only": {
    en: "Managing API credentials needs a tenant-wide administrator's token, not an API key or a principal narrowed to a division.",
    zh: "管理 API 凭据需要全租户管理员的令牌，不能使用 API 密钥或限定于某一区划的身份。",
  },
  "auth.webhooks_tenant_wide": {
    en: "Webhook endpoints receive the whole tenant's events: only a tenant-wide admin may manage them.",
    zh: "Webhook 端点接收整个租户的事件，只有全租户管理员可以管理。",
  },
  "auth.pii_not_for_keys": {
    en: "Personal data is never revealed to API keys.",
    zh: "个人信息从不向 API 密钥公开。",
  },

  // Reasons a bearer token is rejected (the {reason} of auth.token_rejected).
  "token.malformed": { en: "it is not a well-formed JWT", zh: "它不是格式正确的 JWT" },
  "token.untrusted_issuer": { en: "the issuer is not trusted", zh: "签发方不受信任" },
  "token.expired": { en: "it has expired", zh: "令牌已过期" },
  "token.claim_failed": {
    en: "claim {claim} failed validation ({reason})",
    zh: "声明 {claim} 校验失败（{reason}）",
  },
  "token.algorithm": { en: "its algorithm is not allowed", zh: "其签名算法不被允许" },
  "token.signature": { en: "the signature does not verify", zh: "签名校验失败" },
  "token.no_key": { en: "no trusted key matches it", zh: "没有匹配的受信任密钥" },
  "token.certificate": {
    en: "it is a verifiable certificate, not a credential",
    zh: "它是可验证证明，不是访问凭证",
  },
  "token.unverifiable": { en: "it could not be verified", zh: "无法校验" },
  "token.claim_invalid": { en: "claim {claim} is missing or invalid", zh: "声明 {claim} 缺失或无效" },
  "token.lifetime": {
    en: "its lifetime (exp − iat) is longer than the {seconds} s allowed",
    zh: "其有效期（exp − iat）超过了允许的 {seconds} 秒",
  },
  "token.tenant_not_allowed": {
    en: "the issuer may not speak for that tenant",
    zh: "该签发方无权代表此租户",
  },
  "token.unknown_tenant": { en: "its tenant is unknown", zh: "其租户未知" },
  "token.city_roles_only": {
    en: "the city tenant holds only the roles {allowed}, not {refused}",
    zh: "市级租户只能拥有角色 {allowed}，不能拥有 {refused}",
  },
  "token.city_roles_elsewhere": {
    en: "city roles ({refused}) belong to the city tenant",
    zh: "市级角色（{refused}）只属于市级租户",
  },
  "token.unknown_org": { en: "its org is not a division of its tenant", zh: "其 org 不是所属租户的区划" },
  "token.mapped_subject": {
    en: "the mapped subject claim is missing or ambiguous",
    zh: "映射的主体（subject）声明缺失或不唯一",
  },
  "token.mapped_claim_repeated": { en: "its claims name more than one {claim}", zh: "其声明中指定了多个 {claim}" },
  "token.mapped_tenant_missing": { en: "the mapped tenant claim is missing", zh: "映射的租户声明缺失" },
  "token.mapped_no_role": {
    en: "none of its roles or groups maps to a Hexi role",
    zh: "其角色或分组均未映射到 Hexi 角色",
  },
  "token.mapped_division_twice": {
    en: "its claims name the division twice (org and orgCode)",
    zh: "其声明两次指定了区划（org 与 orgCode）",
  },
  "token.unknown_org_code": {
    en: "its division code is not a division of its tenant",
    zh: "其区划代码不是所属租户的区划",
  },
  "token.client_revoked": { en: "its API client is revoked or unknown", zh: "其 API 客户端已吊销或不存在" },

  // --- records, references, state ---------------------------------------------------------------
  "state.cannot": {
    en: "Cannot {action} a {subject} that is {current}. Allowed now: {allowed}.",
    zh: "处于 {current} 状态的 {subject} 不能执行 {action}。当前允许的操作：{allowed}。",
  },
  "state.cannot_final": {
    en: "Cannot {action} a {subject} that is {current}. It is final.",
    zh: "处于 {current} 状态的 {subject} 不能执行 {action}，该状态为终态。",
  },
  "reference.wrong_level": { en: "The division must be a {levels}.", zh: "区划层级必须为 {levels}。" },
  "reference.wrong_category": {
    en: "The party organisation must be of category {categories}.",
    zh: "党组织类别必须为 {categories}。",
  },

  // --- organisations -----------------------------------------------------------------------------
  "orgs.cycle": {
    en: "A party organisation cannot be placed under itself or one of its own sub-organisations.",
    zh: "党组织不能隶属于自身或其下级组织。",
  },
  "orgs.cycle_field": {
    en: "This organisation is an ancestor of the proposed parent.",
    zh: "该组织是拟定上级组织的上级。",
  },
  "members.employer_needs_org": {
    en: "An employer tenant needs an employer organisation or unit.",
    zh: "指定工作单位所在租户时，须同时指定工作单位党组织或单位。",
  },
  "members.employer_needs_org_field": {
    en: "Send employerOrgId or employerUnitId with it.",
    zh: "请同时发送 employerOrgId 或 employerUnitId。",
  },
  "members.employer_unit_mismatch": {
    en: "The employer organisation belongs to another unit.",
    zh: "工作单位党组织属于另一个单位。",
  },
  "members.employer_unit_mismatch_field": {
    en: "Does not match the employer organisation's unit.",
    zh: "与工作单位党组织所属单位不一致。",
  },
  "members.birth_date_mismatch": {
    en: "The birth date does not match the ID card number.",
    zh: "出生日期与身份证号码不符。",
  },
  "members.join_before_birth": { en: "The join date is before the birth date.", zh: "入党日期早于出生日期。" },
  "members.id_card_checksum": {
    en: "The ID card number's check character is wrong (GB 11643).",
    zh: "身份证号码校验码错误（GB 11643）。",
  },
  "members.id_card_birth_date": {
    en: "The ID card number does not carry a valid birth date.",
    zh: "身份证号码中的出生日期无效。",
  },

  // --- reports -----------------------------------------------------------------------------------
  "reports.member_only_self": {
    en: "Only the member, or a community admin on their behalf, files a member report.",
    zh: "党员报到只能由党员本人或社区管理员代为填报。",
  },
  "reports.in_service_only": {
    en: "Only in-service members report to the community they live in.",
    zh: "只有在职党员向居住地社区报到。",
  },
  "reports.in_service_only_field": {
    en: "The member is classified {classification}, not in_service.",
    zh: "该党员的类别为 {classification}，不是 in_service。",
  },
  "reports.unit_report_who": {
    en: "Only a unit's admin or a street or community admin submits a unit report.",
    zh: "单位报到只能由单位管理员或街道、社区管理员提交。",
  },
  "reports.agreement_race": {
    en: "A report between these organisations changed while the agreement was being signed. Retry.",
    zh: "签订协议期间这些组织之间的报到记录发生了变化，请重试。",
  },
  "reports.links_inactive": { en: "Some links are not active five links.", zh: "部分事项不是有效的五联事项。" },
  "reports.link_inactive": { en: "No active five link {code}.", zh: "没有有效的五联事项 {code}。" },
  "reports.year_not_begun": {
    en: "A year can be evaluated only once it has begun.",
    zh: "只能评价已经开始的年度。",
  },
  "reports.subject_kind_mismatch": { en: "The id does not match subjectKind.", zh: "ID 与 subjectKind 不符。" },

  // --- lists ---------------------------------------------------------------------------------------
  "lists.deadline_past": { en: "The deadline is in the past.", zh: "截止日期已过。" },
  "lists.need_not_open": {
    en: "Only an open need can be changed; this one is {status}.",
    zh: "只有 open 状态的需求可以修改，此需求为 {status}。",
  },
  "lists.need_project_done": {
    en: "The need's project is done; close the project instead of cancelling the need.",
    zh: "该需求的项目已完成，请关闭项目而不是取消需求。",
  },
  "lists.need_taken": {
    en: "The need is no longer open: another project took it on meanwhile.",
    zh: "该需求已不再开放：另一个项目已同时承接。",
  },
  "lists.resources_unusable": {
    en: "{count} of the resources cannot be used.",
    zh: "有 {count} 项资源无法使用。",
  },
  "lists.project_claim_who": {
    en: "Only the owner organisation or a unit whose organisation offered one of the project's resources may claim it.",
    zh: "只有项目所属组织，或其党组织提供了该项目资源的单位，才能认领该项目。",
  },
  "lists.required_on_behalf_field": {
    en: "Required for an administrator recording on someone's behalf.",
    zh: "管理员代他人登记时必填。",
  },
  "lists.offered_by_unit_only": { en: "Only with offeredBy unit_org.", zh: "仅当 offeredBy 为 unit_org 时可用。" },
  "lists.offered_by_member_only": { en: "Only with offeredBy member.", zh: "仅当 offeredBy 为 member 时可用。" },
  "lists.claim_member_required_field": {
    en: "Required when claiming on a member's behalf.",
    zh: "代党员认领时必填。",
  },
  "lists.post_closed": { en: "The service post is closed.", zh: "该服务岗位已关闭。" },
  "lists.post_full": {
    en: "The post is full: all {headcount} seats are taken.",
    zh: "岗位已满：{headcount} 个名额均已被认领。",
  },

  // --- activities ------------------------------------------------------------------------------------
  "activities.invalid_fields": {
    en: "The activity has {count} invalid field(s).",
    zh: "活动有 {count} 个无效字段。",
  },
  "activities.lecture_needs_talk": { en: "A lecture names its talk (五讲).", zh: "宣讲活动须注明所讲内容（五讲）。" },
  "activities.only_lecture_talk": {
    en: "Only a lecture has a talk; send null.",
    zh: "只有宣讲活动才有宣讲内容，请发送 null。",
  },
  "activities.self_only": { en: "Only a member signs themself up.", zh: "只有党员本人可以为自己报名。" },
  "activities.self_only_named": { en: "A member signs up only themself.", zh: "党员只能为自己报名。" },
  "activities.name_member": { en: "Name the member to sign up.", zh: "请指定要报名的党员。" },
  "activities.name_member_field": {
    en: "Required when signing up someone else.",
    zh: "为他人报名时必填。",
  },
  "activities.member_not_registered": {
    en: "Your member record is not registered in this tenant.",
    zh: "您的党员记录未在本租户登记。",
  },
  "activities.full": { en: "The activity is full.", zh: "活动名额已满。" },
  "activities.already_signed_up": {
    en: "The member is already signed up for this activity.",
    zh: "该党员已报名此活动。",
  },
  "ledger.reversal_of_reversal": {
    en: "This entry is itself a reversal; it cannot be reversed. Post a new entry instead.",
    zh: "此条目本身是冲正条目，不能再次冲正，请另行登记新条目。",
  },
  "ledger.already_reversed": { en: "This entry has already been reversed.", zh: "此条目已被冲正。" },
  "ledger.already_posted": {
    en: "This source has already been posted to the ledger.",
    zh: "该来源已记入台账。",
  },
  "feedback.quarter_not_ended": { en: "The quarter has not ended yet.", zh: "该季度尚未结束。" },
  "feedback.quarter_not_ended_field": {
    en: "Feedback is generated once the quarter has ended.",
    zh: "季度结束后才能生成反馈。",
  },

  // --- access ------------------------------------------------------------------------------------------
  "access.scopes_not_grantable": {
    en: "{count} requested scope(s) cannot be granted to an API key.",
    zh: "有 {count} 个申请的权限范围不能授予 API 密钥。",
  },
  "access.scope_never_for_keys": {
    en: "{scope} is never granted to API keys.",
    zh: "{scope} 从不授予 API 密钥。",
  },
  "access.scope_not_held": {
    en: "You do not hold {scope}; a key gets a subset of your scopes.",
    zh: "您没有 {scope}；密钥只能获得您所拥有权限范围的子集。",
  },
  "access.expires_in_future": { en: "expiresAt must be in the future.", zh: "expiresAt 必须是将来的时间。" },
  "access.roles_not_grantable": {
    en: "{count} role(s) cannot be granted to an API client.",
    zh: "有 {count} 个角色不能授予 API 客户端。",
  },
  "access.role_not_grantable": {
    en: "You cannot grant {role} to an API client.",
    zh: "您不能将 {role} 授予 API 客户端。",
  },

  // --- unique fields (conflicts) ---------------------------------------------------------------------
  "unique.claim_live": {
    en: "The member already holds a live claim on this post.",
    zh: "该党员已持有此岗位的有效认领。",
  },
  "unique.member_report_live": {
    en: "This member already has a live report; end it before filing a new one.",
    zh: "该党员已有一份有效报到，请先结束再提交新的报到。",
  },
  "unique.slip_number": {
    en: "A report slip with this number is already registered in this tenant.",
    zh: "本租户已登记了编号相同的报到单。",
  },
  "unique.evaluation": {
    en: "This community has already evaluated this subject for that year.",
    zh: "本社区已对该对象进行过该年度的评价。",
  },
  "unique.unit_credit_code": {
    en: "A unit with this unified social credit code is already registered in this tenant.",
    zh: "本租户已登记了统一社会信用代码相同的单位。",
  },
  "unique.member_id_card": {
    en: "A party member with this ID card number is already registered in the city.",
    zh: "全市已登记了身份证号码相同的党员。",
  },

  // --- webhooks ----------------------------------------------------------------------------------------
  "webhooks.endpoint_disabled": {
    en: "The endpoint is disabled: enable it before replaying its deliveries.",
    zh: "该端点已停用：请先启用再重放其投递。",
  },
  "webhooks.delivery_changed": {
    en: "The delivery changed while you were replaying it. Re-read it and retry.",
    zh: "重放期间该投递已被修改，请重新读取后重试。",
  },
  "webhooks.url_too_long": { en: "The URL is longer than 2048 characters.", zh: "URL 超过 2048 个字符。" },
  "webhooks.url_not_absolute": { en: "Not an absolute URL.", zh: "不是绝对 URL。" },
  "webhooks.url_https": { en: "Webhook URLs must use https.", zh: "Webhook URL 必须使用 https。" },
  "webhooks.url_credentials": {
    en: "Webhook URLs must not carry credentials.",
    zh: "Webhook URL 不得包含凭据。",
  },
  "webhooks.url_port": {
    en: "Webhook URLs may only use port 443 or 8443.",
    zh: "Webhook URL 只能使用 443 或 8443 端口。",
  },
  "webhooks.url_no_host": { en: "The URL has no host.", zh: "URL 没有主机名。" },
  "webhooks.address_not_public": { en: "The address {host} is not public.", zh: "地址 {host} 不是公网地址。" },
  "webhooks.host_not_public": {
    en: "The host {host} is not a public domain name.",
    zh: "主机 {host} 不是公网域名。",
  },
  "webhooks.suffix_not_public": { en: "Hosts under .{suffix} are not public.", zh: ".{suffix} 下的主机不是公网主机。" },

  // --- emergency and governance ------------------------------------------------------------------
  "emergency.answer_rate_limited": { en: "Too many answers; wait a moment.", zh: "回复过于频繁，请稍候。" },
  "emergency.check_in_first": { en: "Check in first.", zh: "请先签到。" },
  "emergency.already_checked_in": { en: "Already checked in.", zh: "已经签到。" },
  "emergency.answers_closed": {
    en: "The incident is {status}; answers are closed.",
    zh: "该事件状态为 {status}，已停止接收回复。",
  },
  "emergency.already_checked_out": { en: "Already checked out.", zh: "已经签退。" },
  "emergency.no_open_site": { en: "No open site of this incident has that id.", zh: "本事件没有该 ID 的开放场所。" },
  "emergency.choose_open_site_field": {
    en: "Choose an open site of the affected area.",
    zh: "请选择受影响区域内的开放场所。",
  },
  "emergency.link_unknown": { en: "This link is unknown or has expired.", zh: "此链接无效或已过期。" },
  "emergency.answered_twice": {
    en: "Answered twice at once; reload the page.",
    zh: "同时提交了两次回复，请刷新页面。",
  },
  "emergency.page_too_long": {
    en: "The page would be {length} characters; one SMS segment holds 70.",
    zh: "通知将有 {length} 个字符，而一条短信最多 70 个字符。",
  },
  "emergency.shorten_headline_field": {
    en: "Shorten the headline by {excess} characters (the signature and the link take {fixed}).",
    zh: "请将标题缩短 {excess} 个字符（签名和链接占 {fixed} 个字符）。",
  },
  "emergency.dedup_key": {
    en: "An incident with this dedupKey already exists.",
    zh: "已存在 dedupKey 相同的突发事件。",
  },
  "emergency.occupancy_exceeds": { en: "Occupancy exceeds capacity.", zh: "在场人数超过容量。" },
  "emergency.membership_removed": {
    en: "The membership was removed concurrently.",
    zh: "该队伍成员关系已被同时移除。",
  },
  // --- emergency operations (emerg-ops) ------------------------------------------------------------
  "emergency.task_one_assignee": {
    en: "Name exactly one of teamId and volunteerId.",
    zh: "teamId 与 volunteerId 须且只能填写一个。",
  },
  "emergency.tasks_closed": {
    en: "The incident is {status}; no new tasks.",
    zh: "该事件状态为 {status}，不能再分派任务。",
  },
  "emergency.loan_lender_only": {
    en: "Only the lending county accepts or declines a loan.",
    zh: "只有出借队伍的区县可以接受或拒绝借调。",
  },
  "emergency.loan_borrower_only": {
    en: "Only the borrowing county withdraws its request.",
    zh: "只有提出借调的区县可以撤回申请。",
  },
  "emergency.loan_incident_over": {
    en: "The incident is no longer declared or active.",
    zh: "该事件已不处于已发布或响应中状态。",
  },
  "emergency.loan_team_gone": { en: "The team no longer exists.", zh: "该队伍已不存在。" },
  "emergency.site_full": {
    en: "The site is full (or closed); choose another site.",
    zh: "该场所已满员（或已关闭），请选择其他场所。",
  },
  "unique.team_member": { en: "The volunteer is already a member of this team.", zh: "该志愿者已是此队伍的成员。" },
  "field.not_after_today": { en: "Not after today (China time).", zh: "不得晚于今天（北京时间）。" },
  "field.must_be_true": { en: "Must be true.", zh: "必须为 true。" },
  "field.ends_before_starts": { en: "Ends before it starts.", zh: "结束早于开始。" },
  "governance.not_street_community_field": {
    en: "Not a distinct community of the street.",
    zh: "不是该街道下未重复列出的社区。",
  },
  "governance.not_street_communities": {
    en: "Some targets are not communities of the street.",
    zh: "部分目标不是该街道的社区。",
  },
  "governance.department_only": {
    en: "Only a department (a `department` token with its `unit` claim) may ask.",
    zh: "只有职能部门（带 `unit` 声明的 `department` 令牌）可以提出申请。",
  },
  "governance.period_ends_before_start": {
    en: "The period ends before it starts.",
    zh: "期间的结束日期早于开始日期。",
  },
  "governance.calendar_year": { en: "Every day must fall in {year}.", zh: "每一天都必须在 {year} 年内。" },
  "governance.calendar_year_field": { en: "Not in {year}.", zh: "不在 {year} 年内。" },
  "governance.calendar_etag": { en: "The calendar for {year} is at {etag}.", zh: "{year} 年的工作日历当前为 {etag}。" },
  "governance.calendar_race": {
    en: "The calendar for {year} was loaded concurrently; re-read it.",
    zh: "{year} 年的工作日历已被同时导入，请重新读取。",
  },
  "governance.calendar_changed": { en: "The calendar changed meanwhile.", zh: "工作日历已在此期间被修改。" },
  "governance.duty_kind": { en: "A {level} list has no {kind} items.", zh: "{level} 级清单没有 {kind} 类事项。" },
  "unique.duty_item_number": { en: "Another item of the list has this number.", zh: "清单中已有其他事项使用此编号。" },
  "governance.duty_changed": {
    en: "The duty list or item changed concurrently (published?). Re-read it and retry.",
    zh: "职责清单或事项已被同时修改（是否已发布？），请重新读取后重试。",
  },
  "governance.duty_list_not_draft": {
    en: "Only a draft duty list can be changed; this one is {status}.",
    zh: "只有草稿状态的职责清单可以修改，此清单为 {status}。",
  },
  "governance.city_adopts_none": {
    en: "The city's lists are the templates; they adopt none.",
    zh: "市级清单本身就是模板，不采用其他模板。",
  },
  "governance.city_adopts_none_field": {
    en: "Not allowed for the city's own lists.",
    zh: "市级自身的清单不允许此项。",
  },
  "unique.duty_list_edition": {
    en: "Another edition of this list was started at the same time; retry.",
    zh: "此清单的另一版本同时被创建，请重试。",
  },
  "governance.duty_list_empty": {
    en: "A duty list without items cannot be published.",
    zh: "没有事项的职责清单不能发布。",
  },
  "governance.left_in_future": { en: "The member cannot have left in the future.", zh: "党员的外出日期不能是将来。" },
  "unique.mobility_open": { en: "The member already has an open mobility record.", zh: "该党员已有未结束的流动记录。" },
  "governance.mobility_not_away": {
    en: "A {status} member is no longer checked on.",
    zh: "状态为 {status} 的党员不再需要跟踪联系。",
  },
  "governance.return_needs_certificate": {
    en: "A return needs the activity certificate inspected.",
    zh: "返回须查验活动证明。",
  },
  "governance.meeting_future": { en: "A meeting is recorded once held.", zh: "会议须在召开后才能登记。" },
  "governance.not_branch_member_field": {
    en: "Not a distinct member of the branch.",
    zh: "不是该支部中未重复列出的党员。",
  },
  "governance.not_branch_members": {
    en: "Some attendees are not members of the branch.",
    zh: "部分参会人员不是该支部的党员。",
  },
  "governance.requested_in_future": {
    en: "The work cannot have been asked for in the future.",
    zh: "工作的提出日期不能是将来。",
  },
  "governance.no_checklist_item_field": { en: "No item {code} in the checklist.", zh: "检查清单中没有事项 {code}。" },
  "governance.scored_twice_field": { en: "{code} is scored twice.", zh: "{code} 重复评分。" },
  "governance.unscored_field": { en: "Unscored items: {codes}.", zh: "未评分的事项：{codes}。" },
  "governance.scores_mismatch": { en: "The scores do not match the checklist.", zh: "评分与检查清单不符。" },
  "unique.checklist_edition": {
    en: "Another edition was loaded at the same time; retry.",
    zh: "另一版本同时被导入，请重试。",
  },
  "governance.no_active_checklist": {
    en: "No such active checklist within your reach.",
    zh: "在您的权限范围内没有这个有效的检查清单。",
  },
  "governance.dates_out_of_order": { en: "Dates out of order.", zh: "日期顺序有误。" },
  "governance.not_before_inspection_field": { en: "Not before the inspection.", zh: "不得早于检查日期。" },
  "governance.inspecting_level_only": {
    en: "Only the inspecting level closes or reopens a rectification.",
    zh: "只有实施检查的层级可以关闭或重新开启整改。",
  },
  "unique.street_body_name": { en: "The street already has a body of that name.", zh: "该街道已有同名组织。" },
  "governance.grade_band": {
    en: "A {tier} post's grade is {low}–{high} in this tenant.",
    zh: "本租户中 {tier} 岗位的等级为 {low}–{high}。",
  },
  "governance.grade_band_field": { en: "Between {low} and {high}.", zh: "应在 {low} 与 {high} 之间。" },
  "unique.worker_assessment": {
    en: "The worker already has an assessment for that year.",
    zh: "该社区工作者已有该年度的考核。",
  },
  "governance.grade_scale_etag": { en: "The grade scale is at {etag}.", zh: "等级标准当前为 {etag}。" },
  "governance.grade_scale_race": {
    en: "The scale was set concurrently; re-read it.",
    zh: "等级标准已被同时设置，请重新读取。",
  },
  "governance.grade_scale_changed": { en: "The grade scale changed meanwhile.", zh: "等级标准已在此期间被修改。" },
  "unique.worker_id_card": {
    en: "A community worker with this ID card number already exists in the tenant.",
    zh: "本租户已有身份证号码相同的社区工作者。",
  },
  "governance.worker_left": { en: "The worker has left.", zh: "该社区工作者已离职。" },
  "emergency.skill_once": { en: "Each skill at most once.", zh: "每项技能最多列出一次。" },
  "emergency.division_once": { en: "Each division at most once.", zh: "每个区划最多列出一次。" },
  "governance.makeup_day_weekend": { en: "A make-up working day falls on a weekend.", zh: "调休上班日应在周末。" },
  "field.mobile_loose": { en: "A mainland mobile number.", zh: "应为中国大陆手机号码。" },
  "governance.receiving_tenant_required": {
    en: "Name the receiving organisation's tenant.",
    zh: "请指定接收组织所在的租户。",
  },
  "governance.band_inverted": {
    en: "A band's lowest grade is above its highest.",
    zh: "某一等级区间的最低等级高于最高等级。",
  },
  // --- divisions, red property ----------------------------------------------------------------
  "divisions.no_county": {
    en: "The tenant has no county division yet: bootstrap it first.",
    zh: "该租户尚无县级区划，请先完成初始化。",
  },
  "divisions.import_too_large": {
    en: "An import takes at most {limit} divisions; split the file by street or town.",
    zh: "一次导入最多 {limit} 个区划，请按街道或乡镇拆分文件。",
  },
  "divisions.import_errors": {
    en: "{count} line(s) of the import have errors; nothing was written.",
    zh: "导入内容中有 {count} 行存在错误，未写入任何内容。",
  },
  "divisions.code_taken": { en: "Another division of the tenant has this code.", zh: "本租户已有其他区划使用此代码。" },
  "divisions.import_tree_changed": {
    en: "The division tree changed while the import was written; nothing was written. Run it again.",
    zh: "写入导入内容期间区划树已被修改，未写入任何内容，请重新导入。",
  },
  "divisions.county_root": {
    en: "The county division is the tenant's root: it is created at bootstrap and never edited here.",
    zh: "县级区划是租户的根节点：在初始化时创建，不能在此编辑。",
  },
  "divisions.own_division": {
    en: "You administer this division: only the divisions below it are yours to change.",
    zh: "您是此区划的管理员：只能修改其下级区划。",
  },
  "divisions.name_taken": {
    en: "An active division named {name} already exists under this parent ({id}).",
    zh: "此上级区划下已有名为 {name} 的有效区划（{id}）。",
  },
  "divisions.retired_reinstate": { en: "The division is retired: reinstate it first.", zh: "该区划已撤销，请先恢复。" },
  "divisions.subtree_holds_records": {
    en: "The division's subtree holds records ({records}): records carry their division path, so it cannot move. Create a new division and retire this one instead.",
    zh: "该区划及其下级区划中存有记录（{records}）：记录带有区划路径，因此不能移动。请新建区划并撤销此区划。",
  },
  "divisions.active_children": {
    en: "The division has {count} active sub-divisions: retire them first.",
    zh: "该区划有 {count} 个有效下级区划，请先撤销它们。",
  },
  "divisions.parent_retired_reinstate": {
    en: "Its parent division is retired: reinstate that first.",
    zh: "其上级区划已撤销，请先恢复上级区划。",
  },
  "divisions.move_under_itself": {
    en: "A division cannot be moved under itself or one of its own sub-divisions.",
    zh: "区划不能移动到自身或其下级区划之下。",
  },
  "divisions.wrong_parent_level": {
    en: "A {level} belongs under a {allowed}, not under a {actual}.",
    zh: "{level} 应隶属于 {allowed}，而不是 {actual}。",
  },
  "divisions.import_line": { en: "line {line}: {detail}", zh: "第 {line} 行：{detail}" },
  "divisions.csv_or_divisions": { en: "Send either `csv` or `divisions`.", zh: "请发送 `csv` 或 `divisions` 之一。" },
  "divisions.code_format": {
    en: "6–15 digits (GB/T 2260 or a statistical division code).",
    zh: "应为 6–15 位数字（GB/T 2260 或统计用区划代码）。",
  },
  "complaint.token_format": { en: "Not a follow-up token.", zh: "不是有效的投诉跟进令牌。" },
  "divisions.import_path_required": {
    en: "`path` is required: names from below the county, joined by /.",
    zh: "`path` 为必填项：县级以下各级名称，以 / 连接。",
  },
  "divisions.import_path_names": {
    en: "`path` has an empty or over-long (100+) name.",
    zh: "`path` 中有空名称或过长（100 个字符以上）的名称。",
  },
  "divisions.import_county": {
    en: "The county is the tenant's root and is not imported: start paths below it.",
    zh: "县级区划是租户的根节点，不参与导入：路径应从其下级开始。",
  },
  "divisions.import_level": { en: "`level` must be one of {levels}.", zh: "`level` 须为以下值之一：{levels}。" },
  "divisions.import_code_string": { en: "`code` must be a string of digits.", zh: "`code` 须为数字组成的字符串。" },
  "divisions.import_code_digits": { en: "`code` must be 6–15 digits.", zh: "`code` 须为 6–15 位数字。" },
  "divisions.import_header": {
    en: "The header must name the columns `path` and `level` (and optionally `code`).",
    zh: "表头须包含 `path` 和 `level` 列（`code` 列可选）。",
  },
  "divisions.import_list": {
    en: "Expected a list of objects with path, level and (optionally) code.",
    zh: "应为包含 path、level（及可选 code）的对象列表。",
  },
  "divisions.import_object": {
    en: "Expected an object with path, level and (optionally) code.",
    zh: "应为包含 path、level（及可选 code）的对象。",
  },
  "divisions.import_path_twice": { en: "{path} is already on line {line}.", zh: "{path} 已在第 {line} 行出现。" },
  "divisions.import_code_twice": {
    en: "Code {code} is already on line {line}.",
    zh: "代码 {code} 已在第 {line} 行出现。",
  },
  "divisions.import_retired": {
    en: "The division with code {code} ({path}) is retired: reinstate it first.",
    zh: "代码为 {code} 的区划（{path}）已撤销，请先恢复。",
  },
  "divisions.import_other_level": {
    en: "{path} is a {level}, not a {expected}.",
    zh: "{path} 的层级是 {level}，而不是 {expected}。",
  },
  "divisions.import_outside": {
    en: "{path} is outside the divisions you may change.",
    zh: "{path} 不在您可修改的区划范围内。",
  },
  "divisions.import_county_outside": {
    en: "The county is outside the divisions you may change.",
    zh: "县级区划不在您可修改的区划范围内。",
  },
  "divisions.import_other_code": {
    en: "{path} already exists ({id}) with another code.",
    zh: "{path} 已存在（{id}），但代码不同。",
  },
  "divisions.import_code_moves": {
    en: "Code {code} belongs to {path}: an import renames but never moves divisions (a PATCH of the division with parentId does).",
    zh: "代码 {code} 属于 {path}：导入只会重命名区划，不会移动区划（移动请对该区划发送带 parentId 的 PATCH 请求）。",
  },
  "divisions.import_moves": {
    en: "This is {path}: an import renames but never moves divisions (a PATCH of the division with parentId does).",
    zh: "这是 {path}：导入只会重命名区划，不会移动区划（移动请对该区划发送带 parentId 的 PATCH 请求）。",
  },
  "divisions.import_no_parent": {
    en: "Its parent {parent} is neither an active division of the tenant nor on an earlier line.",
    zh: "其上级 {parent} 既不是本租户的有效区划，也未在前面的行中出现。",
  },
  "divisions.import_parent_level": {
    en: "A {level} belongs under a {allowed}; {parent} is a {actual}.",
    zh: "{level} 应隶属于 {allowed}；{parent} 的层级是 {actual}。",
  },
  "divisions.import_county_level": {
    en: "A {level} belongs under a {allowed}; the county is a {actual}.",
    zh: "{level} 应隶属于 {allowed}；县级区划的层级是 {actual}。",
  },
  "divisions.parent_retired": { en: "The parent division is retired.", zh: "上级区划已撤销。" },
  "reference.division_retired": { en: "The division is retired.", zh: "该区划已撤销。" },
  "field.division_retired": {
    en: "The division is retired: it takes no new records.",
    zh: "该区划已撤销，不再接收新记录。",
  },
  "complaint.department_required": { en: "Name the department.", zh: "请填写部门名称。" },
  "complaint.department_required_field": { en: "Required for a department.", zh: "指派给部门时必填。" },
  "complaint.committee_required": { en: "Name the owners' committee.", zh: "请指定业主委员会。" },
  "complaint.committee_id_required": {
    en: "An owners' committee id (ocm_…) is required.",
    zh: "需要业主委员会 ID（ocm_…）。",
  },
  "complaint.committee_other_compound": {
    en: "The committee is not the complaint's compound's.",
    zh: "该业主委员会不属于投诉所在的小区。",
  },
  "complaint.committee_other_compound_field": {
    en: "Another compound's owners' committee.",
    zh: "这是其他小区的业主委员会。",
  },
  "complaint.no_property_company": {
    en: "The compound has no property company: name one.",
    zh: "该小区没有物业公司，请指定一个。",
  },
  "complaint.company_id_required": {
    en: "A property company's unit id (unit_…) is required.",
    zh: "需要物业公司的单位 ID（unit_…）。",
  },
  "complaint.no_such_company": { en: "No such property company in the tenant.", zh: "本租户中没有这个物业公司。" },
  "complaint.not_property_company_field": {
    en: "Not a unit of kind property_company in this tenant.",
    zh: "不是本租户中类型为 property_company 的单位。",
  },
  "complaint.not_your_company": {
    en: "The complaint is not assigned to your company.",
    zh: "该投诉未指派给您的公司。",
  },
  "complaint.already_county": { en: "The complaint is already at the county level.", zh: "该投诉已在县级处理。" },
  "complaint.duplicate_itself": { en: "A complaint cannot duplicate itself.", zh: "投诉不能与自身重复。" },
  "complaint.duplicate_other": { en: "Another complaint's id.", zh: "应为另一条投诉的 ID。" },
  "complaint.notes_full": { en: "The complaint has as many notes as it may have.", zh: "该投诉的备注数量已达上限。" },
  "complaint.closed": { en: "The complaint is closed.", zh: "该投诉已关闭。" },
  "complaint.closed_reopen_first": {
    en: "The complaint is closed; reopen it first if you can.",
    zh: "该投诉已关闭；如可以，请先重新打开。",
  },
  "complaint.reopen_window_ended": {
    en: "The window to reopen ended at {until}.",
    zh: "重新打开的期限已于 {until} 结束。",
  },
  "complaint.cannot_reopen": { en: "This complaint cannot be reopened.", zh: "此投诉不能重新打开。" },
  "complaint.not_rateable": {
    en: "A {status} complaint cannot be rated yet.",
    zh: "处于 {status} 状态的投诉暂不能评价。",
  },
  "complaint.rated_already": { en: "The complaint has been rated already.", zh: "该投诉已评价过。" },
  "complaint.too_many_from_address": {
    en: "Too many complaints from this address; try again later.",
    zh: "来自此地址的投诉过多，请稍后再试。",
  },
  "property.photo_type": {
    en: "Send the photo as image/jpeg, image/png or image/webp.",
    zh: "请以 image/jpeg、image/png 或 image/webp 格式发送照片。",
  },
  "property.photo_too_large": { en: "Photos are limited to {bytes} bytes.", zh: "照片不得超过 {bytes} 字节。" },
  "property.photo_no_body": { en: "The request has no body.", zh: "请求没有请求体。" },
  "property.photo_storage_missing": {
    en: "Photo storage is not configured on this server.",
    zh: "此服务器未配置照片存储。",
  },
  "property.photo_heic": {
    en: "HEIC/HEIF and AVIF photos are not accepted: send JPEG, PNG or WebP (most phones can share as JPEG).",
    zh: "不接受 HEIC/HEIF 和 AVIF 格式的照片：请发送 JPEG、PNG 或 WebP（大多数手机可以 JPEG 格式分享）。",
  },
  "property.photo_not_image": { en: "Not a JPEG, PNG or WebP image.", zh: "不是 JPEG、PNG 或 WebP 图片。" },
  "property.photo_malformed": { en: "{reason}", zh: "图片文件已损坏：{reason}" },
  "property.photo_type_mismatch": {
    en: "The bytes are {type}, not what Content-Type says.",
    zh: "文件内容为 {type}，与 Content-Type 声明的不符。",
  },
  "property.photos_full": { en: "A complaint has at most {limit} photos.", zh: "每条投诉最多 {limit} 张照片。" },
  "property.not_property_company": { en: "The unit is not a property company.", zh: "该单位不是物业公司。" },
  "property.unit_kind_field": {
    en: "Expected a unit of kind property_company, got {kind}.",
    zh: "应为类型为 property_company 的单位，实际为 {kind}。",
  },
  "http.idempotency_key_holds_response": {
    en: "This Idempotency-Key already holds a response.",
    zh: "此 Idempotency-Key 已对应一个响应。",
  },
  "http.idempotency_key_committed_first": {
    en: "A request with the same Idempotency-Key was committed first.",
    zh: "使用相同 Idempotency-Key 的请求已先行提交。",
  },
  // --- console: trends, webhook test-send, per-field reveal -----------------------------------------
  "stats.trend_order": { en: "`from` must not be after `to`.", zh: "`from` 不得晚于 `to`。" },
  "stats.trend_too_long": { en: "At most {limit} months at once.", zh: "一次最多 {limit} 个月。" },
  "webhooks.test_disabled": {
    en: "This endpoint is disabled: enable it before sending a test.",
    zh: "此推送地址已停用：请先启用再发送测试。",
  },
  // Pre-signed photo uploads (S3-compatible storage)
  "property.photo_presign_unsupported": {
    en: "This server keeps photos where clients cannot upload directly: send the photo to POST /v1/complaints/<id>/photos.",
    zh: "此服务器的照片存储不支持客户端直传：请通过 POST /v1/complaints/<id>/photos 上传照片。",
  },
  // Verifiable certificates (无证明城市)
  "certificate.keys_missing": {
    en: "Certificate keys are not configured on this server (HEXI_CERT_SIGNING_JWKS).",
    zh: "此服务器未配置证明签名密钥（HEXI_CERT_SIGNING_JWKS）。",
  },
  "certificate.no_record": {
    en: "The holder has no such record to certify.",
    zh: "持有人没有可供证明的相应记录。",
  },
  "certificate.one_holder": {
    en: "Name the holder: exactly one of memberId and volunteerId.",
    zh: "请指定持有人：memberId 与 volunteerId 二者必须且只能填一个。",
  },
  "certificate.field_required": { en: "Required for this kind of certificate.", zh: "此类证明必须填写。" },
  "certificate.period_range": {
    en: "The period must end on or after its start and span at most {days} days.",
    zh: "期间的结束日期不得早于开始日期，且不得超过 {days} 天。",
  },
  "certificate.rate_limited": {
    en: "Too many verifications from this address; try again later.",
    zh: "来自此地址的核验请求过多，请稍后再试。",
  },
  // ---- emergency: the SMS gateway's inbound events (branch emerg-gw) ----
  "emergency.gateway_unsigned": {
    en: "Sign the request with the webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks).",
    zh: "请求须带 webhook-id、webhook-timestamp 和 webhook-signature 签名头（Standard Webhooks）。",
  },
  "emergency.gateway_stale": {
    en: "webhook-timestamp is more than {seconds} seconds away from now: a replay, or a clock to fix.",
    zh: "webhook-timestamp 与当前时间相差超过 {seconds} 秒：可能是重放，或时钟需要校准。",
  },
  "emergency.gateway_bad_signature": {
    en: "No configured gateway secret verifies this signature.",
    zh: "签名无法用任何已配置的网关密钥验证。",
  },
  // New-employment groups and quick reports (新就业群体, 随手拍).
  "newemp.not_platform": {
    en: "Expected a unit of kind delivery_platform, courier_company or ride_hailing_platform, got {kind}.",
    zh: "应为类型为 delivery_platform、courier_company 或 ride_hailing_platform 的单位，实际为 {kind}。",
  },
  "newemp.worker_required": {
    en: "Name the worker who reports (workerId): only a worker's own token may leave it out.",
    zh: "请指明报告人（workerId）：只有新就业群体人员本人的令牌可以省略。",
  },
  "newemp.worker_inactive": {
    en: "The worker is no longer active and cannot file quick reports.",
    zh: "该人员已停用，不能提交随手拍。",
  },
  "newemp.no_area": {
    en: "No community of this tenant has an area set (PUT /v1/community-areas/:communityId): the place cannot be routed.",
    zh: "本租户尚无社区设置范围（PUT /v1/community-areas/:communityId），无法按位置分派。",
  },
  "newemp.photos_full": {
    en: "A quick report has at most {limit} photos.",
    zh: "每条随手拍最多 {limit} 张照片。",
  },
  "newemp.report_closed": {
    en: "The quick report is {status}: no more photos.",
    zh: "该随手拍状态为 {status}，不能再添加照片。",
  },
  "newemp.phone_taken": {
    en: "A worker with this phone is already registered in this tenant.",
    zh: "本租户已登记使用此手机号的人员。",
  },
  // --- residents (issue 13): points corrections and redemptions, platform API keys ----------------
  "newemp.points_short": {
    en: "Not enough points: the balance is {balance}, the redemption asks for {points}.",
    zh: "积分不足：当前余额 {balance}，本次兑换需要 {points}。",
  },
  "newemp.points_not_earned": {
    en: "The quick report earned no points on the ledger (it was never accepted): there is nothing to reverse.",
    zh: "该随手拍未在积分台账上获得积分（从未受理），无可冲正。",
  },
  "newemp.points_reversed_already": {
    en: "The points of this quick report have already been reversed.",
    zh: "该随手拍的积分已冲正过。",
  },
  "access.platform_scope": {
    en: "A platform's key may hold only a platform's scopes ({allowed}), not {scope}.",
    zh: "平台密钥只能持有平台的权限（{allowed}），不能持有 {scope}。",
  },
} as const satisfies Record<string, Text>;

export type MessageKey = keyof typeof details;

/** Type names for "expected …" field messages (zod's `expected`). */
export const typeNames: Record<string, Text> = {
  string: { en: "a string", zh: "字符串" },
  number: { en: "a number", zh: "数字" },
  int: { en: "an integer", zh: "整数" },
  boolean: { en: "true or false", zh: "布尔值（true 或 false）" },
  object: { en: "an object", zh: "对象" },
  array: { en: "an array", zh: "数组" },
  null: { en: "null", zh: "null" },
  date: { en: "a date", zh: "日期" },
};

/** Format names for "not a valid …" field messages (zod's `format`). */
export const formatNames: Record<string, Text> = {
  email: { en: "email address", zh: "电子邮件地址" },
  url: { en: "URL", zh: "URL" },
  uuid: { en: "UUID", zh: "UUID" },
  datetime: { en: "ISO 8601 date-time (2026-11-26T09:00:00Z)", zh: "ISO 8601 日期时间（2026-11-26T09:00:00Z）" },
  date: { en: "date (YYYY-MM-DD)", zh: "日期（YYYY-MM-DD）" },
  time: { en: "time (HH:MM[:SS])", zh: "时间（HH:MM[:SS]）" },
  ipv4: { en: "IPv4 address", zh: "IPv4 地址" },
  ipv6: { en: "IPv6 address", zh: "IPv6 地址" },
};

/** A placeholder's value: verbatim (an id, a number, a state), a text of each language, or a list of either. */
export type Param = string | number | Text | readonly (string | number | Text)[];

type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
type ParamsOf<K extends MessageKey> = [Placeholders<(typeof details)[K]["en"]>] extends [never]
  ? []
  : [params: Readonly<Record<Placeholders<(typeof details)[K]["en"]>, Param>>];

/** A detail to render later, in the language of the request. */
export interface Message {
  readonly key: MessageKey;
  readonly params?: Readonly<Record<string, Param>>;
}

/** A keyed message; the compiler checks its placeholders. */
export function msg<K extends MessageKey>(key: K, ...params: ParamsOf<K>): Message {
  return params.length ? { key, params: params[0] } : { key };
}

/** The name of a thing as a placeholder value. */
export const thing = (what: Thing): Text => things[what];

export const languages = ["zh-CN", "en"] as const;
export type Language = (typeof languages)[number];
/** Operators read Chinese: a request that names neither language gets zh-CN. */
export const defaultLanguage: Language = "zh-CN";

const textKey = (language: Language): keyof Text => (language === "en" ? "en" : "zh");
const listSeparator: Record<keyof Text, string> = { en: ", ", zh: "、" };

function paramText(value: Param, language: Language): string {
  const key = textKey(language);
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.map((v) => paramText(v, language)).join(listSeparator[key]);
  return (value as Text)[key];
}

/** A text with its `{name}` placeholders filled, in one language. */
export function renderText(text: Text, language: Language, params: Readonly<Record<string, Param>> = {}): string {
  return text[textKey(language)].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? paramText(params[name]!, language) : whole,
  );
}

export function renderMessage(message: Message, language: Language): string {
  return renderText(details[message.key], language, message.params);
}

/** A message in both languages, to nest in another message as a placeholder value. */
export function textOf(message: Message): Text {
  return { en: renderMessage(message, "en"), zh: renderMessage(message, "zh-CN") };
}

/**
 * The language for an `Accept-Language` header (RFC 9110 §12.5.4): the highest-weighted of zh
 * (any region or script: zh, zh-CN, zh-Hans, zh-TW) and en (any region); `*` or nothing usable
 * means the default, zh-CN.
 */
export function negotiateLanguage(header: string | null | undefined): Language {
  if (!header) return defaultLanguage;
  let best: Language | undefined;
  let bestWeight = 0;
  for (const range of header.split(",")) {
    const [tag = "", ...parameters] = range.split(";");
    const q = parameters.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (!(weight > 0)) continue;
    const language = languageOfTag(tag.trim().toLowerCase());
    if (language && weight > bestWeight) {
      best = language;
      bestWeight = weight;
    }
  }
  return best ?? defaultLanguage;
}

function languageOfTag(tag: string): Language | undefined {
  if (tag === "en" || tag.startsWith("en-")) return "en";
  if (tag === "zh" || tag.startsWith("zh-")) return "zh-CN";
  if (tag === "*") return defaultLanguage;
  return undefined;
}

/**
 * Zod lets a schema carry only a string message: a refinement names a catalogue key with this
 * (`"@field.at_least_one"`, params as a query string), and validation renders it per language.
 */
export function zodMessage<K extends MessageKey>(key: K, ...params: ParamsOf<K>): string {
  return zodMessageOf(msg(key, ...params));
}

/** `zodMessage` for a message already built. */
export function zodMessageOf(message: Message): string {
  const values = message.params;
  if (!values) return `@${message.key}`;
  const query = new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, String(v)]));
  return `@${message.key}?${query}`;
}

/** The message a zod issue's own message names (see `zodMessage`), if it names one. */
export function messageOfZodText(text: string | undefined): Message | undefined {
  if (!text?.startsWith("@")) return undefined;
  const [key = "", query] = text.slice(1).split("?", 2);
  if (!(key in details)) return undefined;
  return { key: key as MessageKey, params: query ? Object.fromEntries(new URLSearchParams(query)) : undefined };
}
