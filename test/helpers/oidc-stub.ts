import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSigningKey, signToken, type TokenOptions } from "./keys.js";

/**
 * A stand-in for a tenant's OpenID Connect provider: the authorization endpoint approves at once
 * and redirects back with a code; the token endpoint insists on PKCE (S256) and answers an access
 * token for the configured person, signed with a key whose public half goes into HEXI_TENANT_ISSUERS.
 */
export async function startOidcStub(person: TokenOptions & { tenant: string }) {
  const key = await createSigningKey("stub-idp");
  const codes = new Map<string, { challenge: string; method: string; redirectUri: string; clientId: string }>();
  const authorizations: URLSearchParams[] = [];
  let issuer = "";
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    if (req.method === "GET" && url.pathname === "/authorize") {
      authorizations.push(url.searchParams);
      const code = randomUUID();
      codes.set(code, {
        challenge: url.searchParams.get("code_challenge") ?? "",
        method: url.searchParams.get("code_challenge_method") ?? "",
        redirectUri: url.searchParams.get("redirect_uri") ?? "",
        clientId: url.searchParams.get("client_id") ?? "",
      });
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/token") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", async () => {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        const verifier = form.get("code_verifier") ?? "";
        const ok =
          grant &&
          grant.method === "S256" &&
          createHash("sha256").update(verifier).digest("base64url") === grant.challenge &&
          form.get("redirect_uri") === grant.redirectUri &&
          form.get("client_id") === grant.clientId;
        const headers = { "content-type": "application/json", "access-control-allow-origin": "*" };
        if (!ok) {
          res.writeHead(400, headers).end(JSON.stringify({ error: "invalid_grant" }));
          return;
        }
        // The real server this stub serves runs on the wall clock.
        const accessToken = await signToken(key, { ...person, issuer, audience: "hexi-api" }, new Date());
        res
          .writeHead(200, headers)
          .end(JSON.stringify({ access_token: accessToken, token_type: "Bearer", expires_in: 600 }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    authorizations,
    /** One HEXI_TENANT_ISSUERS entry trusting this provider, with the console's sign-in settings. */
    tenantIssuer: (name: string) => ({
      tenant: person.tenant,
      issuer,
      jwks: { keys: [key.publicJwk] },
      console: {
        clientId: "hexi-console",
        authorizationEndpoint: `${issuer}/authorize`,
        tokenEndpoint: `${issuer}/token`,
        name,
      },
    }),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
