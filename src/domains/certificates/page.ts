import type { Verification } from "./verdict.js";

/** The verification page: plain HTML in Chinese, no script and no assets (CSP allows only its own inline style). */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const style = `body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0;padding:16px;max-width:520px;color:#222}
h1{font-size:1.3rem;margin:.3em 0}.verdict{font-size:1.5rem;font-weight:700;padding:12px;border-radius:8px;margin:12px 0}
.ok{background:#e6f4ea;color:#1a7f37}.bad{background:#fdecea;color:#b42318}dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 12px}
dt{color:#555}dd{margin:0}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px;text-align:left}
footer{margin-top:16px;color:#777;font-size:.85rem}`;

const kindNames: Record<string, string> = {
  service_hours: "志愿服务时长证明",
  team_membership: "志愿服务队伍成员证明",
  dual_report: "党员双报到证明",
  evaluation: "年度评价证明",
};

const reasonText: Record<string, string> = {
  malformed: "这不是一份证明（格式不正确）。",
  not_a_certificate: "这不是本平台签发的证明。",
  unknown_key: "签名密钥已停用或未知，证明不再有效。",
  signature: "签名校验失败：证明内容可能被篡改。",
  expired: "证明已过有效期。",
  not_yet_valid: "证明尚未生效。",
  claims: "证明的签发信息不符。",
  unknown: "没有找到这份证明的签发记录。",
  revoked: "证明已被撤销。",
};

const revocationText: Record<string, string> = {
  issued_in_error: "误签发",
  data_corrected: "数据已更正",
  holder_request: "持有人申请撤销",
  superseded: "已由新证明替代",
};

const modeNames: Record<string, string> = { normal: "平时小分队", emergency: "急时小分队", mobile: "机动队伍" };
const roleNames: Record<string, string> = { leader: "队长", deputy: "副队长", member: "队员" };
const reportStatusNames: Record<string, string> = {
  submitted: "已提交",
  confirmed: "已确认",
  active: "在册服务中",
  overdue: "待复核",
};
const gradeNames: Record<string, string> = { excellent: "优秀", good: "良好", fair: "一般", poor: "较差" };

const beijingDay = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 10);

function factRows(kind: string, facts: Record<string, unknown>): [string, string][] {
  const rows: [string, string][] = [["出具单位", String(facts.authority ?? "")]];
  const holder = facts.holder as { kind?: string; name?: string } | undefined;
  rows.push(["持有人", holder?.name ?? "（持有人未公开姓名）"]);
  rows.push(["身份", holder?.kind === "volunteer" ? "志愿者" : "党员"]);
  if (kind === "service_hours") {
    const period = facts.period as { from: string; to: string };
    rows.push(["期间", `${period.from} 至 ${period.to}`], ["服务时长", `${facts.totalHours} 小时`]);
  } else if (kind === "team_membership") {
    const team = facts.team as { name: string; mode: string };
    rows.push(
      ["队伍", `${team.name}（${modeNames[team.mode] ?? team.mode}）`],
      ["职务", roleNames[String(facts.role)] ?? String(facts.role)],
      ["入队日期", String(facts.since)],
    );
  } else if (kind === "dual_report") {
    rows.push(
      ["报到社区", String(facts.community)],
      ["状态", reportStatusNames[String(facts.status)] ?? String(facts.status)],
    );
    if (facts.since) rows.push(["确认日期", String(facts.since)]);
  } else if (kind === "evaluation") {
    rows.push(
      ["年度", String(facts.year)],
      ["评价等次", gradeNames[String(facts.grade)] ?? String(facts.grade)],
      ["评价单位", String(facts.evaluatedBy)],
    );
  }
  return rows;
}

function activitiesTable(facts: Record<string, unknown>): string {
  const lines = facts.activities as { title: string; date: string; hours: number }[] | undefined;
  if (!lines?.length) return "";
  const body = lines
    .map((l) => `<tr><td>${escapeHtml(l.date)}</td><td>${escapeHtml(l.title)}</td><td>${l.hours}</td></tr>`)
    .join("");
  return `<h2>服务明细</h2><table><thead><tr><th>日期</th><th>活动</th><th>小时</th></tr></thead><tbody>${body}</tbody></table>`;
}

export function renderVerificationPage(v: Verification): { html: string; csp: string } {
  const cert = v.certificate;
  const title = cert ? (kindNames[cert.kind] ?? "证明") : "证明核验";
  let body: string;
  if (v.valid && cert?.facts) {
    const rows = factRows(cert.kind, cert.facts)
      .map(([k, val]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(val)}</dd>`)
      .join("");
    body = `<div class="verdict ok" role="status">✔ 有效</div><dl>${rows}<dt>签发日期</dt><dd>${beijingDay(cert.issuedAt)}</dd><dt>有效期至</dt><dd>${beijingDay(cert.expiresAt)}</dd><dt>证明编号</dt><dd>${escapeHtml(cert.id)}</dd></dl>${activitiesTable(cert.facts)}`;
  } else {
    const reason = reasonText[v.reason ?? "malformed"] ?? "证明无效。";
    const revoked =
      v.reason === "revoked"
        ? `<p>撤销原因：${escapeHtml(revocationText[v.revocationReason ?? ""] ?? "未说明")}${v.revokedAt ? `（${beijingDay(v.revokedAt)}）` : ""}</p>`
        : "";
    body = `<div class="verdict bad" role="status">✘ 无效</div><p>${escapeHtml(reason)}</p>${revoked}${cert ? `<p>证明编号：${escapeHtml(cert.id)}</p>` : ""}`;
  }
  const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · 核验</title><style>${style}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}
<footer>本页根据证明的数字签名和撤销清单核验，仅显示持有人同意公开的信息。无证明城市 · 数据多跑路，群众少跑腿。</footer>
</body></html>`;
  return { html, csp: "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'" };
}
