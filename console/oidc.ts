/**
 * Sign-in through a tenant's own identity provider: OpenID Connect authorization code with PKCE
 * (RFC 7636, S256), as a public client. The providers come from the page (`<meta name="hexi-sign-in">`,
 * HEXI_TENANT_ISSUERS entries with `console`); the access token they issue is used against /v1
 * exactly as any client's, and kept like the development token (this tab's sessionStorage).
 */
import type { ConsoleSignInProvider } from "../src/domains/console/routes.js";
import { session } from "./api.js";

export type SignInProvider = ConsoleSignInProvider;

const pendingKey = "hexi.console.oidc";

export function signInProviders(): SignInProvider[] {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="hexi-sign-in"]');
  try {
    return meta ? (JSON.parse(meta.content) as SignInProvider[]) : [];
  } catch {
    return [];
  }
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const random = (n = 32) => base64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${location.origin}/console/`;

export async function startSignIn(provider: SignInProvider) {
  const verifier = random();
  const state = random(16);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state, issuer: provider.issuer }));
  const url = new URL(provider.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: provider.clientId,
    redirect_uri: redirectUri(),
    scope: "openid",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/** On the way back (?code=…&state=…): checks the state, exchanges the code with the verifier, keeps the token. */
export async function finishSignIn(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return;
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? "null") as {
    verifier: string;
    state: string;
    issuer: string;
  } | null;
  sessionStorage.removeItem(pendingKey);
  // Never leave the code in the address bar or the history.
  history.replaceState(null, "", `${location.pathname}#/`);
  if (error) throw new Error(`${error}: ${params.get("error_description") ?? ""}`);
  const provider = signInProviders().find((p) => p.issuer === pending?.issuer);
  if (!pending || !provider || params.get("state") !== pending.state) throw new Error("sign-in state mismatch");
  const response = await fetch(provider.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: code!,
      redirect_uri: redirectUri(),
      client_id: provider.clientId,
      code_verifier: pending.verifier,
    }),
    credentials: "omit",
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string };
  if (!response.ok || !body.access_token) throw new Error(`token endpoint: ${body.error ?? response.status}`);
  session.signIn(body.access_token);
}
