import { isMainThread } from "node:worker_threads";

/**
 * The V8 heap is bounded by default: on a machine with plenty of memory V8 grows its old space
 * lazily up to about a quarter of it (a 24 GiB machine: 4 GiB), so the same load that needs 180 MiB
 * reached 1.2 GB of RSS with no flags (bench/README.md). Imported first by src/server.ts: unless the
 * user chose a limit (`--max-old-space-size` on the command line or in NODE_OPTIONS), the process
 * re-executes itself with `defaultHeapMiB`, in place (`process.execve`: the same pid, so process
 * managers and signals are unaffected), before the app is loaded.
 */
export const defaultHeapMiB = 160;

const chosen = (args: readonly string[]) => args.some((a) => /^--max[-_]old[-_]space[-_]size\b/.test(a));

if (
  isMainThread &&
  typeof process.execve === "function" &&
  !chosen(process.execArgv) &&
  !chosen((process.env.NODE_OPTIONS ?? "").split(/\s+/))
) {
  process.execve(
    process.execPath,
    [process.execPath, `--max-old-space-size=${defaultHeapMiB}`, ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  );
}
