/**
 * Lists every confirmed member report (报到登记表) of the API key's tenant, page by page.
 *
 *   HEXI_URL=http://127.0.0.1:8787 HEXI_API_KEY=hx_live_… npx tsx examples/third-party/list-confirmed-reports.ts
 *
 * Optional: PAGE_SIZE (1–100, default 100) or `--page-size N`. The key needs the scope reports:read.
 * Prints one line per report and a total; a 429 is retried after `Retry-After` (client.ts); any
 * other error prints the problem's `code` and `requestId` (quote it to Hexi's operators) and exits 1.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { components } from "./api.js";
import { clientFromEnv, dataOrThrow, HexiApiError, type HexiClient } from "./client.js";

export type MemberReport = components["schemas"]["MemberReport"];

export interface ListOptions {
  /** Reports per request, 1–100. */
  pageSize?: number;
  /** Where lines go (default console.log). */
  print?: (line: string) => void;
}

/** Follows `nextCursor` from the first page until it is null; answers the reports and the pages read. */
export async function listConfirmedReports(
  client: HexiClient,
  options: ListOptions = {},
): Promise<{ reports: MemberReport[]; pages: number }> {
  const { pageSize = 100, print = console.log } = options;
  const reports: MemberReport[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = dataOrThrow(
      await client.GET("/v1/member-reports", {
        params: { query: { status: "confirmed", limit: pageSize, ...(cursor ? { cursor } : {}) } },
      }),
    );
    pages++;
    for (const report of page.data) {
      print(
        `${report.id}  community ${report.communityId}  member ${report.memberId}  confirmed ${report.confirmedAt ?? "-"}`,
      );
      reports.push(report);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  print(`Total: ${reports.length} confirmed member report(s) in ${pages} page(s)`);
  return { reports, pages };
}

/** The command line: answers the exit code. */
export async function main(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  print = console.log,
  printError = console.error,
): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "page-size": { type: "string" } } });
  const pageSize = Number(values["page-size"] ?? env.PAGE_SIZE ?? 100);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    printError("The page size must be a whole number from 1 to 100.");
    return 2;
  }
  try {
    await listConfirmedReports(clientFromEnv(env), { pageSize, print });
    return 0;
  } catch (err) {
    if (err instanceof HexiApiError) {
      printError(
        `Hexi answered ${err.status}: code ${err.problem?.code ?? "(none)"}, requestId ${err.problem?.requestId ?? "(none)"}${err.problem ? ` — ${err.problem.detail}` : ""}`,
      );
    } else {
      // e.g. "fetch failed (connect ECONNREFUSED 127.0.0.1:8787)": the server could not be reached.
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
      printError(`${err instanceof Error ? err.message : String(err)}${cause}`);
    }
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
