import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { seedDemo } from "../../src/db/seed/demo.js";
import { migrateDatabase, openDatabase } from "../../src/node/database.js";
import type { Role } from "../../src/shared/auth/principal.js";

/** The repository root: every child runs from here, like `npm start` does. */
export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * `node --import tsx <script>`: the same TypeScript loader `npm start` uses, but without tsx's
 * wrapper process, so the child's pid is the server's own (signals and /proc readings hit it).
 * `process.execPath` is the Node that runs the caller — the pinned Node 22 under `npm run`/`npx`.
 */
function nodeWithTsx(script: string, args: string[] = []): [string, string[]] {
  return [process.execPath, ["--import", "tsx", script, ...args]];
}

export interface StartServerOptions {
  /** Extra environment for the server; PORT, HOST and DATABASE_URL are set here unless given. */
  env?: Record<string, string | undefined>;
  /** Where the database and dev key go. Default: a fresh temp directory, removed by stop(). */
  dataDir?: string;
  /** How long to wait for the "listening on" line. */
  timeoutMs?: number;
  /**
   * false: the database gets the demo tenants and division tree before the server starts, so the
   * server (which fills only a fresh database) adds none of its demo records. For tests that count
   * what they create themselves.
   */
  demoRecords?: boolean;
  /** A command the server runs under, e.g. `["faketime", "2026-12-04 10:00:00"]` (it must exec the server). */
  wrapper?: string[];
}

export interface ServerProcess {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  dataDir: string;
  databaseUrl: string;
  /** The server process itself (not a wrapper). */
  pid: number;
  /** Everything the server has written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Spawns the real server (`src/server.ts`) on a free port and a fresh database, and waits until it listens. */
export async function startServer(options: StartServerOptions = {}): Promise<ServerProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "hexi-server-"));
  mkdirSync(dataDir, { recursive: true });
  const databaseUrl = `file:${join(dataDir, "hexi.db")}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (options.demoRecords === false) {
    const { client, db } = openDatabase(databaseUrl);
    await migrateDatabase(db);
    await seedDemo(db);
    client.close();
  }

  const [node, nodeArgs] = nodeWithTsx("src/server.ts");
  const [command, args] = options.wrapper?.length
    ? [options.wrapper[0]!, [...options.wrapper.slice(1), node, ...nodeArgs]]
    : [node, nodeArgs];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const cleanup = () => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const baseUrl = await new Promise<string>((ready, fail) => {
      const describe = (why: string) =>
        new Error(
          `Hexi server ${why}.\n  command: ${command} ${args.join(" ")}\n  output:\n${indent(output) || "    (none)"}`,
        );
      const timer = setTimeout(() => fail(describe(`did not print "listening on" within ${timeoutMs} ms`)), timeoutMs);
      const onData = () => {
        const match = /listening on (http:\/\/[^\s]+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        child.off("close", onExit);
        ready(match[1]!.replace(/\/$/, ""));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        fail(describe(`exited before listening (code ${code}, signal ${signal})`));
      };
      child.stdout!.on("data", onData);
      // "close", not "exit": by then all of the child's output has been read.
      child.once("close", onExit);
      child.once("error", (err) => {
        clearTimeout(timer);
        fail(describe(`could not be spawned: ${err.message}`));
      });
    });
    return {
      baseUrl,
      dataDir,
      databaseUrl,
      pid: child.pid!,
      output: () => output,
      stop: async () => {
        await stopChild(child, exited);
        cleanup();
      },
    };
  } catch (err) {
    await stopChild(child, exited);
    cleanup();
    throw err;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((line) => `    ${line}`)
    .join("\n");

export interface MintTokenOptions {
  tenant: string;
  roles: Role[];
  org?: string;
  ttlSeconds?: number;
  sub?: string;
}

const execFileAsync = promisify(execFile);

/**
 * Mints a JWT exactly as `npm run token` does: runs scripts/token.ts against the server's
 * DATABASE_URL, so it signs with the dev key the server created beside that database.
 */
export async function mintToken(
  server: Pick<ServerProcess, "databaseUrl">,
  options: MintTokenOptions,
): Promise<string> {
  const flags = ["--tenant", options.tenant, "--roles", options.roles.join(",")];
  if (options.org) flags.push("--org", options.org);
  if (options.ttlSeconds !== undefined) flags.push("--ttl", String(options.ttlSeconds));
  if (options.sub) flags.push("--sub", options.sub);
  const [command, args] = nodeWithTsx("scripts/token.ts", flags);
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: server.databaseUrl },
      timeout: 30_000,
    });
    const token = stdout.trim();
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token))
      throw new Error(`scripts/token.ts printed something that is not a JWT: ${JSON.stringify(stdout)}`);
    return token;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`scripts/token.ts ${flags.join(" ")} failed: ${e.message}${e.stderr ? `\n${e.stderr}` : ""}`);
  }
}
