/**
 * The Node server's answers to requests the app never sees: what Node's HTTP parser refuses, what
 * the adapter cannot turn into a Request (Host, request target), unsupported expectations, and a
 * client hanging up mid-body. Raw sockets against the real server process (`src/server.ts`).
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken, startServer, type ServerProcess } from "./helpers/server-process.js";

let server: ServerProcess;
let port: number;

beforeAll(async () => {
  server = await startServer();
  port = Number(new URL(server.baseUrl).port);
});
afterAll(() => server?.stop());

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Writes `request` as is, reads until the server closes the connection, and parses one response. */
function raw(request: string): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", fail);
    socket.on("close", () => {
      try {
        done(parseResponse(Buffer.concat(chunks).toString("latin1")));
      } catch (err) {
        fail(err);
      }
    });
    socket.write(request, "latin1");
  });
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no complete response: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers = new Map(
    lines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    }),
  );
  let body = text.slice(end + 4);
  if (headers.get("transfer-encoding") === "chunked") {
    let decoded = "";
    for (let at = 0; ; ) {
      const lineEnd = body.indexOf("\r\n", at);
      const size = Number.parseInt(body.slice(at, lineEnd), 16);
      if (!size) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
    body = decoded;
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: Buffer.from(body, "latin1").toString("utf8") };
}

function expectProblem(res: RawResponse, status: number, code: string) {
  expect(res.status, res.body).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(res.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: `https://hexi.dev/problems/${code.replaceAll("_", "-")}` });
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.detail).toBe("string");
  expect(problem.requestId).toMatch(/^req_/);
  expect(res.headers.get("x-request-id")).toBe(problem.requestId);
  return problem;
}

describe("errors the app never sees are problem documents", () => {
  it("still answers a well-formed request over a raw socket", async () => {
    const res = await raw("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expect(res.status).toBe(200);
  });

  it("a backslash in the path: 400", async () => {
    const res = await raw("GET /v1\\me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expectProblem(res, 400, "malformed_request");
  });

  it("GET *: 400", async () => {
    const res = await raw("GET * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expectProblem(res, 400, "malformed_request");
  });

  it("a missing Host: 400", async () => {
    const problem = expectProblem(
      await raw("GET /v1/me HTTP/1.1\r\nConnection: close\r\n\r\n"),
      400,
      "malformed_request",
    );
    expect(problem.detail).toMatch(/Host/);
  });

  it("an invalid Host: 400", async () => {
    for (const host of ["exa mple", "user@example.com", "example.com:99999"]) {
      const res = await raw(`GET /v1/me HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expectProblem(res, 400, "malformed_request");
    }
  });

  it("header fields over the size limit: 431", async () => {
    const res = await raw(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expectProblem(res, 431, "headers_too_large");
  });

  it("malformed framing (two different Content-Length): 400", async () => {
    const res = await raw(
      "POST /v1/oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    );
    expectProblem(res, 400, "malformed_request");
  });

  it("not HTTP at all: 400", async () => {
    expectProblem(await raw("HELLO\r\n\r\n"), 400, "malformed_request");
  });

  it("an expectation other than 100-continue: 417", async () => {
    const res = await raw("GET /healthz HTTP/1.1\r\nHost: localhost\r\nExpect: teapot\r\nConnection: close\r\n\r\n");
    expectProblem(res, 417, "expectation_failed");
  });
});

describe("what a client pastes from the README", () => {
  it("a POST with no body at all (no Content-Length, no Content-Type) to an action is not a 415", async () => {
    const token = await mintToken(server, { tenant: "620902", roles: ["community_admin"] });
    // As `curl -X POST …/confirm` sends it: no framing headers, so no body.
    const res = await raw(
      `POST /v1/member-reports/mrep_01KDVDNA011AKWK3RC504FTYF8/confirm HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nAccept-Language: en\r\nConnection: close\r\n\r\n`,
    );
    // Past the content-type check to the record lookup: an id nobody has is a 404.
    const problem = expectProblem(res, 404, "not_found");
    expect(problem.detail).toBe("No such member report.");
    expect(res.headers.get("content-language")).toBe("en");
  });

  it("a body without a JSON content type is still a 415", async () => {
    const token = await mintToken(server, { tenant: "620902", roles: ["community_admin"] });
    const res = await raw(
      `POST /v1/member-reports/mrep_01KDVDNA011AKWK3RC504FTYF8/confirm HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`,
    );
    expectProblem(res, 415, "unsupported_media_type");
  });
});

describe("a client hanging up mid-body", () => {
  it("is logged as info, not as an error", async () => {
    const logged = server.output().length;
    await new Promise<void>((done, fail) => {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", fail);
      // Expect: 100-continue makes the server say when the request has reached the app, so the
      // hang-up provably happens while the app reads the body.
      socket.write(
        "POST /v1/oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
      );
      socket.once("data", (chunk) => {
        expect(chunk.toString()).toMatch(/^HTTP\/1\.1 100 Continue/);
        socket.write("grant_type=client_cred", () => {
          socket.destroy();
          done();
        });
      });
    });
    const lines = await logLinesAfter(logged, (line) => line.includes('"path":"/v1/oauth/token"'));
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: "info", path: "/v1/oauth/token" }));
  });
});

/** Waits until the server has logged a JSON line (after `offset`) that `matches`; answers every JSON line since. */
async function logLinesAfter(offset: number, matches: (line: string) => boolean) {
  for (;;) {
    const lines = server
      .output()
      .slice(offset)
      .split("\n")
      .filter((l) => l.startsWith("{"));
    if (lines.some(matches)) return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("memory", () => {
  it("bounds the V8 heap by default, in the same process (no flags from the user)", async () => {
    // /proc/<pid>/cmdline: the server re-executed itself in place with the limit (src/node/heap.ts).
    const argv = readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0");
    expect(argv).toContain("--max-old-space-size=160");
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });

  it("keeps a limit the user chose", async () => {
    const chosen = await startServer({ env: { NODE_OPTIONS: "--max-old-space-size=300" } });
    try {
      const argv = readFileSync(`/proc/${chosen.pid}/cmdline`, "utf8").split("\0");
      expect(argv.some((a) => a.startsWith("--max-old-space-size"))).toBe(false);
      expect((await fetch(`${chosen.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await chosen.stop();
    }
  });
});
