/**
 * The README's shell blocks, pasted as written: every ```sh block runs against the real server
 * (`src/server.ts` on a fresh database with the demo data, as `npm start` serves it), in README
 * order in one bash (one terminal), from a directory that looks like a fresh checkout. A block that cannot run here
 * (a cloud account, root, a second long-running server) says why in a comment right above it:
 * `<!-- not run by test/readme.test.ts: … -->`, and the reason must name what covers it instead.
 *
 * A block passes when bash exits 0 under `set -eo pipefail` and no HTTP answer is an error the
 * block does not announce: each curl call's status is recorded, and a status of 400 or more must
 * appear in the block as `→ <status>` (the README's way of showing an answer).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, type ServerProcess, startServer } from "./helpers/server-process.js";

interface ShellBlock {
  /** The heading the block sits under. */
  heading: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Why it is not run, from the marker comment above it; undefined when it runs. */
  notRun?: string;
}

const notRunMarker = /^<!--\s*not run by test\/readme\.test\.ts:\s*(.+?)\s*-->$/;

/** Every sh/bash/shell fenced block of a Markdown text, with its heading and not-run marker. */
function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const blocks: ShellBlock[] = [];
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^```(\w*)\s*$/.exec(line);
    if (!fence) {
      if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, "");
      continue;
    }
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (["sh", "bash", "shell"].includes(fence[1]!)) {
      let above = start - 1;
      while (above >= 0 && lines[above]!.trim() === "") above--;
      const marker = above >= 0 ? notRunMarker.exec(lines[above]!.trim()) : null;
      blocks.push({ heading, line: start + 1, code: lines.slice(start + 1, end).join("\n"), notRun: marker?.[1] });
    }
    i = end;
  }
  return blocks;
}

/** The HTTP statuses a block announces as `→ 403` (or `→ 201 {…}`). */
function announcedStatuses(code: string): Set<number> {
  return new Set([...code.matchAll(/→\s*(\d{3})\b/g)].map((m) => Number(m[1])));
}

const checkoutChanging = /\bnpm (ci|install|i|uninstall)\b|\brm -r|\bgit (pull|checkout|reset)\b/;

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const blocks = shellBlocks(readme);

describe("the README's shell blocks are found and accounted for", () => {
  it("parses fences, headings and markers (checked on a sample)", () => {
    const sample = [
      "# A",
      "```sh",
      "echo one",
      "```",
      "## B",
      "<!-- not run by test/readme.test.ts: needs a cloud account; nothing covers it -->",
      "",
      "```bash",
      "wrangler deploy",
      "```",
      "```yaml",
      "a: 1",
      "```",
      "```sh",
      "curl x   # → 403 {…}",
      "```",
    ].join("\n");
    expect(shellBlocks(sample)).toEqual([
      { heading: "A", line: 2, code: "echo one", notRun: undefined },
      { heading: "B", line: 8, code: "wrangler deploy", notRun: "needs a cloud account; nothing covers it" },
      { heading: "B", line: 14, code: "curl x   # → 403 {…}", notRun: undefined },
    ]);
    expect([...announcedStatuses("a → 201 {…}\nb → 403\nc →{json}")]).toEqual([201, 403]);
  });

  it("runs the walk-throughs, and every block it skips says why", () => {
    const skipped = blocks.filter((b) => b.notRun !== undefined);
    // The walk-throughs (tokens, divisions, third-party access, webhooks, emergency, languages) run.
    expect(blocks.length - skipped.length).toBeGreaterThanOrEqual(8);
    for (const block of skipped) expect(block.notRun!.length, `README line ${block.line}`).toBeGreaterThan(20);
  });

  it("runs no block that would reinstall or delete the checkout it runs from", () => {
    // The blocks run from links to this checkout: `npm ci` there would empty its node_modules.
    const touching = blocks.filter((b) => b.notRun === undefined && checkoutChanging.test(b.code));
    expect(touching.map((b) => b.line)).toEqual([]);
  });
});

/**
 * The README's examples carry dates from when they were written (December 2026: a refusal asked
 * for on 2026-12-01, an admission period in 2027). So that the test does not depend on the day it
 * runs, the server and the shell run with their clock pinned there by faketime when it is installed
 * (CI installs it); without it they run on the machine's clock.
 */
const readmeClock = "2026-12-04 10:00:00";
const clockWrapper = spawnSync("sh", ["-c", "command -v faketime"]).status === 0 ? ["faketime", readmeClock] : [];
/** An outer faketime (CI runs the suite under one) would shift the pinned clock again: its settings are dropped. */
const outerFaketime = clockWrapper.length
  ? Object.fromEntries(
      Object.keys(process.env)
        .filter((key) => key.startsWith("FAKETIME") || key === "LD_PRELOAD")
        .map((key) => [key, undefined]),
    )
  : {};

let server: ServerProcess;
let workspace: string;
let statusLog: string;

/** A directory that looks like a fresh checkout: every top-level entry linked, but no data/. */
function checkoutLookalike(): string {
  const dir = mkdtempSync(join(tmpdir(), "hexi-readme-"));
  const leaveOut = new Set(["data", ".git", "test-results", "bench"]);
  for (const entry of readdirSync(repoRoot)) {
    if (!leaveOut.has(entry)) symlinkSync(join(repoRoot, entry), join(dir, entry));
  }
  return dir;
}

/** Records each curl call's HTTP status (and curl's own complaints) in the log; stdout stays as the README wrote it. */
const prelude = (log: string) => `set -eo pipefail
curl() { command curl --write-out '%{stderr}hexi-readme-status %{http_code}\\n' "$@" 2>>${JSON.stringify(log)}; }
`;

interface BlockOutcome {
  done: boolean;
  statuses: number[];
  curlLog: string;
  output: string;
}

/**
 * Runs the blocks one after another in one bash, as a newcomer pastes them into one terminal (later
 * blocks may use what earlier ones set, like `$TOKEN`); the first failing block stops the rest.
 */
function runInOrder(runnable: ShellBlock[]): Promise<{ outcomes: Map<number, BlockOutcome>; exit: number | null }> {
  const script = [
    prelude(statusLog),
    ...runnable.map(
      (b) =>
        `echo; echo "@@block ${b.line}"; echo "hexi-readme-block ${b.line}" >> ${JSON.stringify(statusLog)}\n` +
        `${b.code.replaceAll("http://127.0.0.1:8787", server.baseUrl)}\n` +
        `echo; echo "@@done ${b.line}"`,
    ),
  ].join("\n");
  return new Promise((done) => {
    const [shell, ...shellArgs] = [...clockWrapper, "bash", "-c", script];
    const child = spawn(shell!, shellArgs, {
      cwd: workspace,
      env: {
        ...process.env,
        ...outerFaketime,
        DATABASE_URL: server.databaseUrl,
        HEXI_ENV: undefined,
        NODE_ENV: undefined,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (exit) => {
      const outcomes = new Map<number, BlockOutcome>();
      const log = readFileSync(statusLog, "utf8").split("hexi-readme-block ");
      for (const b of runnable) {
        const part = output.split(`@@block ${b.line}\n`)[1]?.split("\n@@block ")[0] ?? "";
        const curlLog = log.find((entry) => entry.startsWith(`${b.line}\n`)) ?? "";
        outcomes.set(b.line, {
          done: part.includes(`@@done ${b.line}`),
          statuses: [...curlLog.matchAll(/^hexi-readme-status (\d{3})$/gm)].map((m) => Number(m[1])),
          curlLog,
          output: part,
        });
      }
      done({ outcomes, exit });
    });
  });
}

describe("the README's shell blocks, pasted as written, top to bottom", () => {
  const runnable = blocks.filter((b) => b.notRun === undefined && !checkoutChanging.test(b.code));
  let run: Awaited<ReturnType<typeof runInOrder>>;

  beforeAll(async () => {
    server = await startServer({ timeoutMs: 120_000, wrapper: clockWrapper, env: outerFaketime });
    workspace = checkoutLookalike();
    statusLog = join(workspace, "statuses.log");
    writeFileSync(statusLog, "");
    run = await runInOrder(runnable);
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  for (const block of runnable) {
    it(`README line ${block.line} (${block.heading})`, () => {
      const outcome = run.outcomes.get(block.line)!;
      const failed = runnable.find((b) => !run.outcomes.get(b.line)!.done);
      expect(
        outcome.done,
        failed && failed.line < block.line
          ? `not reached: the block at README line ${failed.line} failed first`
          : `the block at README line ${block.line} failed (bash exit ${run.exit}); its output:\n${outcome.output}\ncurl:\n${outcome.curlLog}`,
      ).toBe(true);
      const announced = announcedStatuses(block.code);
      const unannounced = outcome.statuses.filter((s) => (s >= 400 || s === 0) && !announced.has(s));
      expect(unannounced, `HTTP errors the README does not show; output:\n${outcome.output}`).toEqual([]);
    });
  }
});
