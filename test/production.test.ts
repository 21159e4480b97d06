/**
 * From a fresh database to a first member report in production mode, as a county's IT department
 * would do it: generate keys (`npm run keys`), bootstrap the tenants (`npm run bootstrap`, with a
 * first admin token), start the real server with HEXI_ENV=production, and work through the API with
 * no development key anywhere. Against an embedded file database and against a remote libSQL
 * server (the Hrana HTTP test server, a stand-in for Turso or sqld).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { startLibsqlHttpServer } from "./libsql-http-server.js";
import { repoRoot, startServer, type ServerProcess } from "./helpers/server-process.js";

const execFileAsync = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `npm run <script>` the way npm does (tsx), with exactly the given environment on top of a clean one. */
async function run(script: string, args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("HEXI_") && k !== "DATABASE_URL" && k !== "NODE_ENV"),
  );
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: repoRoot,
      env: { ...clean, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** `KEY='value'` lines, as `npm run keys` prints them. */
function envLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.trim().split("\n")) {
    const m = /^([A-Z_]+)='(.*)'$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const tenantsFile = {
  tenants: [
    { code: "620900", level: "city", kind: "city", nameZh: "酒泉市", nameEn: "Jiuquan City" },
    {
      code: "620902",
      level: "county",
      kind: "district",
      nameZh: "肃州区",
      nameEn: "Suzhou District",
      divisions: [{ name: "东北街街道", level: "street", children: [{ name: "富康社区", level: "community" }] }],
    },
    { code: "620982", level: "county", kind: "county_city", nameZh: "敦煌市", nameEn: "Dunhuang City" },
  ],
};

async function json(server: ServerProcess, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json", "idempotency-key": crypto.randomUUID() }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function keys() {
  const [signing, pii, certificates] = await Promise.all([
    run("scripts/keys.ts", ["signing"], {}),
    run("scripts/keys.ts", ["pii"], {}),
    run("scripts/keys.ts", ["certificates"], {}),
  ]);
  expect(signing.code, signing.stderr).toBe(0);
  expect(pii.code, pii.stderr).toBe(0);
  expect(certificates.code, certificates.stderr).toBe(0);
  return { ...envLines(signing.stdout), ...envLines(pii.stdout), ...envLines(certificates.stdout) };
}

describe("production mode", () => {
  it("refuses to start without real keys and names every missing one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hexi-prod-"));
    dirs.push(dir);
    const databaseUrl = `file:${join(dir, "hexi.db")}`;
    const [explicit, viaNodeEnv, token] = await Promise.all([
      run("src/server.ts", [], { HEXI_ENV: "production", DATABASE_URL: databaseUrl, PORT: "0" }),
      // NODE_ENV=production means production too.
      run("src/server.ts", [], { NODE_ENV: "production", DATABASE_URL: databaseUrl, PORT: "0" }),
      // Nor does the token script fall back to a development key.
      run("scripts/token.ts", ["--tenant", "620902", "--roles", "county_admin"], {
        HEXI_ENV: "production",
        DATABASE_URL: databaseUrl,
      }),
    ]);
    expect(explicit.code).toBe(1);
    for (const name of [
      "HEXI_SIGNING_JWKS",
      "HEXI_PII_KEYS",
      "HEXI_PII_KEY_ID",
      "HEXI_PII_HMAC_KEY",
      // Certificates no longer start without their keys (they answered 503), nor without the URL their QR codes point at.
      "HEXI_CERT_SIGNING_JWKS",
      "HEXI_PUBLIC_URL",
    ])
      expect(explicit.stderr).toContain(`${name}: missing`);
    expect(viaNodeEnv.code).toBe(1);
    expect(viaNodeEnv.stderr).toContain("HEXI_SIGNING_JWKS: missing");
    expect(token.code).toBe(2);
    expect(token.stderr).toContain("HEXI_SIGNING_JWKS is not set");
    // No development key was made up on the way.
    expect(readdirSync(dir).filter((f) => f.startsWith("dev-"))).toEqual([]);
  });

  for (const backend of ["file", "libsql-http"] as const) {
    it(`goes from a fresh ${backend} database to a first member report, with no development key`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "hexi-prod-"));
      dirs.push(dir);
      const file = join(dir, "hexi.db");
      const authToken = "test-libsql-token";
      const remote = backend === "libsql-http" ? await startLibsqlHttpServer({ file, authToken }) : undefined;
      const database: Record<string, string> = remote
        ? { DATABASE_URL: remote.url, DATABASE_AUTH_TOKEN: authToken }
        : { DATABASE_URL: `file:${file}` };
      let server: ServerProcess | undefined;
      try {
        const env = {
          ...(await keys()),
          ...database,
          HEXI_ENV: "production",
          HEXI_JWT_ISSUER: "https://hexi.example.gov.cn",
          HEXI_PUBLIC_URL: "https://hexi.example.gov.cn",
        };
        writeFileSync(join(dir, "tenants.json"), JSON.stringify(tenantsFile));

        // Bootstrap: migrate, create the tenants, print a first county admin token.
        const boot = await run(
          "scripts/bootstrap.ts",
          ["--tenants", join(dir, "tenants.json"), "--admin-token", "620902"],
          env,
        );
        expect(boot.code, boot.stderr).toBe(0);
        expect(boot.stderr).toMatch(/created: 620900, 620902, 620982/);
        const countyToken = boot.stdout.trim();
        expect(countyToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
        // Idempotent: a second run changes nothing.
        const again = await run("scripts/bootstrap.ts", ["--tenants", join(dir, "tenants.json")], env);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stderr).toMatch(/unchanged: 620900, 620902, 620982/);
        expect(again.stderr).toMatch(/divisions created: 0/);

        server = await startServer({ dataDir: dir, env });
        expect(server.output()).toMatch(/listening on .*\(production/);

        // No demo data: the tenant is empty but for what bootstrap created.
        const none = await json(server, countyToken, "GET", "/v1/members");
        expect(none.status, JSON.stringify(none.body)).toBe(200);
        expect(none.body.data).toEqual([]);
        const divisions = await json(server, countyToken, "GET", "/v1/divisions?limit=100");
        expect(divisions.status).toBe(200);
        const community = divisions.body.data.find((d: { name: string }) => d.name === "富康社区");
        expect(community).toBeDefined();

        const member = await json(server, countyToken, "POST", "/v1/members", {
          name: "张丽",
          gender: "female",
          birthDate: "1988-05-01",
          idCard: "620902198805010024",
          phone: "13812345678",
          joinDate: "2012-07-01",
          status: "full",
          classification: "in_service",
          residenceDivisionId: community.id,
        });
        expect(member.status, JSON.stringify(member.body)).toBe(201);

        // A community admin's token, signed with HEXI_SIGNING_JWKS by `npm run token`.
        const minted = await run(
          "scripts/token.ts",
          ["--tenant", "620902", "--roles", "community_admin", "--org", community.id],
          env,
        );
        expect(minted.code, minted.stderr).toBe(0);
        const report = await json(server, minted.stdout.trim(), "POST", "/v1/member-reports", {
          memberId: member.body.id,
          communityId: community.id,
          channel: "on_site",
        });
        expect(report.status, JSON.stringify(report.body)).toBe(201);
        expect(report.body).toMatchObject({ status: "submitted", memberId: member.body.id });

        // A certificate, signed with HEXI_CERT_SIGNING_JWKS: its QR code points at HEXI_PUBLIC_URL, not at this loopback origin.
        const certificate = await json(server, minted.stdout.trim(), "POST", "/v1/certificates", {
          kind: "service_hours",
          holder: { memberId: member.body.id },
          period: { from: "2026-01-01", to: "2026-06-30" },
        });
        expect(certificate.status, JSON.stringify(certificate.body)).toBe(201);
        expect(certificate.body.verificationUrl).toBe(`https://hexi.example.gov.cn/c/${certificate.body.token}`);

        // Nothing of development was made up: no key files beside the database.
        expect(readdirSync(dir).filter((f) => f.startsWith("dev-"))).toEqual([]);
      } finally {
        await server?.stop();
        await remote?.close();
      }
    });
  }
});
