import { encodeBase64Url } from "hono/utils/encode";

/** The answer page: plain HTML, a few lines of script that post JSON back to the same address, no assets to load. */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const typeNames: Record<string, string> = {
  rainstorm_flood: "暴雨洪涝",
  earthquake: "地震",
  stranded_travellers: "旅客滞留",
  public_health: "公共卫生",
  fire: "火灾",
  snow_sandstorm: "雨雪沙尘",
  other: "突发事件",
};

const style = `body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0;padding:16px;max-width:480px;color:#222}
h1{font-size:1.25rem;margin:.2em 0}.tag{display:inline-block;background:#c00;color:#fff;border-radius:4px;padding:0 6px;font-size:.85rem}
.drill{background:#e69500}p{line-height:1.5}button{font-size:1.1rem;padding:12px;margin:6px 0;width:100%;border-radius:8px;border:1px solid #999;background:#f4f4f4}
button.yes{background:#1a7f37;color:#fff;border-color:#1a7f37}button.no{background:#fff}select,input{font-size:1rem;padding:8px;width:100%;box-sizing:border-box;margin:4px 0}
#state{font-weight:600;margin:12px 0}h2{font-size:1.1rem}ul{padding-left:1.2em}li{margin:8px 0}section{border-top:1px solid #ddd;margin-top:12px;padding-top:8px}`;

export interface AnswerPageInput {
  incident: { type: string; level: string; headline: string; instruction: string; drill: boolean; status: string };
  state: { answer: string | null; etaMinutes: number | null; checkedInAt: string | null; checkedOutAt: string | null };
  sites: { id: string; name: string; address: string; capacity: number; occupancy: number }[];
  /** The tasks assigned to this volunteer or their team: accepted and marked done from the page. */
  tasks?: { id: string; title: string; detail: string | null; siteName: string | null; status: string }[];
}

const taskStates: Record<string, string> = { assigned: "待接受", accepted: "已接受", done: "已完成" };

function taskItems(tasks: NonNullable<AnswerPageInput["tasks"]>): string {
  if (!tasks.length) return "";
  const items = tasks
    .map((t) => {
      const move =
        t.status === "assigned"
          ? `<button data-task="${escapeHtml(t.id)}" data-move="accept">接受任务</button>`
          : t.status === "accepted"
            ? `<button data-task="${escapeHtml(t.id)}" data-move="complete">标记完成</button>`
            : "";
      return `<li><b>${escapeHtml(t.title)}</b>（${taskStates[t.status] ?? ""}）${t.siteName ? `<br>地点：${escapeHtml(t.siteName)}` : ""}${t.detail ? `<br>${escapeHtml(t.detail)}` : ""}${move}</li>`;
    })
    .join("");
  return `<section><h2>任务</h2><ul id="tasks">${items}</ul></section>`;
}

function stateText(s: AnswerPageInput["state"]): string {
  if (s.checkedOutAt) return "已签退，感谢您的付出！";
  if (s.checkedInAt) return "已签到。";
  if (s.answer === "available") return `已答复：能到${s.etaMinutes === null ? "" : `（约 ${s.etaMinutes} 分钟）`}`;
  if (s.answer === "unavailable") return "已答复：不能到";
  return "尚未答复";
}

export function renderAnswerPage(input: AnswerPageInput): { html: string; csp: string } {
  const nonce = encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)).buffer);
  const { incident, state, sites } = input;
  const active = incident.status === "active";
  const siteOptions = sites
    .map(
      (s) =>
        `<option value="${escapeHtml(s.id)}"${s.occupancy >= s.capacity ? " disabled" : ""}>${escapeHtml(s.name)}（${escapeHtml(s.address)}，${s.occupancy}/${s.capacity}${s.occupancy >= s.capacity ? "，已满" : ""}）</option>`,
    )
    .join("");
  const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>应急响应</title><style>${style}</style></head>
<body>
<p>${incident.drill ? '<span class="tag drill">演练</span> ' : ""}<span class="tag">${escapeHtml(typeNames[incident.type] ?? "突发事件")} ${escapeHtml(incident.level)}级</span></p>
<h1>${escapeHtml(incident.headline)}</h1>
<p>${escapeHtml(incident.instruction)}</p>
<div id="state" role="status">${escapeHtml(stateText(state))}</div>
${
  active && !state.checkedInAt
    ? `<section><label for="eta">预计到达（分钟）</label><input id="eta" type="number" min="0" max="1440" inputmode="numeric" value="${state.etaMinutes ?? ""}">
<button class="yes" data-answer="available">能到</button><button class="no" data-answer="unavailable">不能到</button></section>`
    : ""
}
${
  active && !state.checkedInAt && sites.length
    ? `<section><label for="site">到达后签到</label><select id="site">${siteOptions}</select><button id="checkin">签到</button></section>`
    : ""
}
${state.checkedInAt && !state.checkedOutAt ? '<section><button id="checkout">签退</button></section>' : ""}
${taskItems(input.tasks ?? [])}
<script nonce="${nonce}">
const show=(t)=>{document.getElementById("state").textContent=t};
async function send(body,path){
  const r=await fetch(path||location.pathname,{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify(body)});
  if(r.ok){location.reload();return}
  const p=await r.json().catch(()=>({}));show(p.detail||"提交失败，请稍后重试");
}
document.querySelectorAll("[data-answer]").forEach(b=>b.addEventListener("click",()=>{
  const v=document.getElementById("eta").value;const body={action:"answer",answer:b.dataset.answer};
  if(b.dataset.answer==="available"&&v!=="")body.etaMinutes=Number(v);send(body)}));
const ci=document.getElementById("checkin");if(ci)ci.addEventListener("click",()=>send({action:"check_in",siteId:document.getElementById("site").value}));
const co=document.getElementById("checkout");if(co)co.addEventListener("click",()=>send({action:"check_out"}));
document.querySelectorAll("[data-task]").forEach(b=>b.addEventListener("click",()=>send({},location.pathname+"/tasks/"+b.dataset.task+"/"+b.dataset.move)));
</script>
</body></html>`;
  return {
    html,
    csp: `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}

export function renderGonePage(): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>链接已失效</title><style>${style}</style></head><body><h1>链接已失效</h1><p>此链接不存在或对应的应急响应已结束。如需帮助，请联系所在社区。</p></body></html>`;
}
