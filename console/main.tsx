import "./style.css";
import { type JSX, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Principal, session, takeTokenFromFragment } from "./api.js";
import { lang, setLang, t } from "./i18n.js";
import { finishSignIn, signInProviders, startSignIn } from "./oidc.js";
import { AuditScreen } from "./screens/audit.js";
import { Dashboard } from "./screens/dashboard.js";
import { IncidentsScreen } from "./screens/incidents.js";
import { KeysScreen } from "./screens/keys.js";
import { ListScreen } from "./screens/list.js";
import { WebhooksScreen } from "./screens/webhooks.js";
import { Problem, useLoad } from "./ui.js";

/** Hash routes: #/, #/list/<name>?filters, #/keys, #/webhooks[/<id>], #/audit, #/incidents[/<id>]. */
function useRoute() {
  const parse = () => {
    const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
    return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query) };
  };
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const onHash = () => {
      setRoute(parse());
      // Move focus to the new page's heading, for keyboard and screen-reader users.
      requestAnimationFrame(() => document.querySelector<HTMLElement>("main h1")?.focus());
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

const nav = [
  { path: "", key: "nav.dashboard", scope: "stats:read" },
  { path: "keys", key: "nav.keys", scope: "access:manage" },
  { path: "webhooks", key: "nav.webhooks", scope: "webhooks:manage" },
  { path: "audit", key: "nav.audit", scope: "audit:read" },
  { path: "incidents", key: "nav.incidents", scope: "emergency:read" },
];

function SignIn({ error }: { error?: unknown }) {
  const [value, setValue] = useState("");
  return (
    <main id="main" class="signin">
      <h1>{t("signin.title")}</h1>
      {error !== undefined && <Problem error={error} />}
      <p>{t("signin.intro")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          session.signIn(value);
          location.hash = "#/";
          location.reload();
        }}
      >
        <label class="field">
          {t("signin.token")}
          <input
            name="token"
            type="password"
            autocomplete="off"
            required
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary">
          {t("signin.submit")}
        </button>
      </form>
      {signInProviders().map((p) => (
        <p key={p.issuer}>
          <button type="button" class="primary" onClick={() => void startSignIn(p)}>
            {t("signin.with")} {p.name}
          </button>
        </p>
      ))}
    </main>
  );
}

function Shell({ me, onLang }: { me: Principal; onLang: () => void }) {
  const { parts, params } = useRoute();
  const [first = "", second] = parts;
  let screen: JSX.Element;
  if (first === "list" && second) screen = <ListScreen name={second} params={params} me={me} />;
  else if (first === "keys") screen = <KeysScreen me={me} />;
  else if (first === "webhooks") screen = <WebhooksScreen me={me} selectedId={second} />;
  else if (first === "audit") screen = <AuditScreen me={me} />;
  else if (first === "incidents") screen = <IncidentsScreen me={me} selectedId={second} />;
  else screen = <Dashboard me={me} />;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        {lang() === "en" ? "Skip to content" : "跳到主要内容"}
      </button>
      <header class="top">
        <span class="brand">{t("app.brand")}</span>
        <nav aria-label={t("nav.main")}>
          {nav.map((n) => (
            <a
              key={n.path}
              href={`#/${n.path}`}
              aria-current={first === n.path || (n.path === "" && first === "list") ? "page" : undefined}
              class={n.scope && !me.scopes.includes(n.scope) ? "dim" : undefined}
            >
              {t(n.key)}
            </a>
          ))}
        </nav>
        <span class="who" title={me.subject}>
          {t("whoami")}: {me.roles.join(", ") || me.credential} · {me.tenant}
        </span>
        <button type="button" onClick={onLang} title={t("lang.label")} lang={lang() === "en" ? "zh-CN" : "en"}>
          {t("lang.switch")}
        </button>
        <button
          type="button"
          onClick={() => {
            session.signOut();
            location.hash = "#/";
            location.reload();
          }}
        >
          {t("signout")}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {screen}
      </main>
    </>
  );
}

function App() {
  const [, setLangState] = useState(lang());
  const me = useLoad(() => (session.token() ? api<Principal>("/v1/me") : Promise.resolve(null)), []);
  const switchLang = () => {
    setLang(lang() === "en" ? "zh-CN" : "en");
    setLangState(lang());
  };
  if (!session.token()) return <SignIn error={signInError} />;
  if (me.error) return <SignIn error={me.error} />;
  if (!me.data) return <p class="boot">{t("loading")}</p>;
  // Re-mount on a language switch so charts redraw with the new labels.
  return <Shell key={lang()} me={me.data} onLang={switchLang} />;
}

takeTokenFromFragment();
// A sign-in link opened in a tab that already shows the console: take the new token and start over.
addEventListener("hashchange", () => {
  if (/(?:^#|&)token=/.test(location.hash)) {
    takeTokenFromFragment();
    location.reload();
  }
});
document.documentElement.lang = lang();
document.title = `${t("app.brand")} · ${t("app.title")}`;
let signInError: unknown;
// Back from an identity provider (?code=…): exchange the code first, then render.
void finishSignIn()
  .catch((e) => {
    signInError = e;
  })
  .finally(() => render(<App />, document.getElementById("app")!));
