import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import Database from "libsql";

/**
 * A stand-in for `turso dev`/sqld: the Hrana v2 JSON protocol over HTTP that `@libsql/client/web`
 * speaks (POST /v2/pipeline), backed by the real libSQL engine (the `libsql` package) on a file.
 * Each Hrana stream gets its own connection; a baton keeps it (and its transaction) across requests.
 * Test and local-dev tooling only: no auth beyond an optional fixed bearer token, no TLS, no limits.
 */

type Value =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };
interface Stmt {
  sql?: string;
  sql_id?: number;
  args?: Value[];
  named_args?: { name: string; value: Value }[];
  want_rows?: boolean;
}
type Cond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: Cond }
  | { type: "and" | "or"; conds: Cond[] }
  | { type: "is_autocommit" };
type Request =
  | { type: "execute"; stmt: Stmt }
  | { type: "batch"; batch: { steps: { condition?: Cond; stmt: Stmt }[] } }
  | { type: "sequence"; sql?: string; sql_id?: number }
  | { type: "store_sql"; sql_id: number; sql: string }
  | { type: "close_sql"; sql_id: number }
  | { type: "get_autocommit" }
  | { type: "close" };
interface Stream {
  db: Database.Database;
  sqls: Map<number, string>;
  lastUsed: number;
  closed: boolean;
}

class ProtocolError extends Error {
  constructor(
    message: string,
    readonly code = "PROTOCOL_ERROR",
    readonly status = 400,
  ) {
    super(message);
  }
}

const fromValue = (v: Value): unknown =>
  v.type === "integer"
    ? BigInt(v.value)
    : v.type === "blob"
      ? Buffer.from(v.base64, "base64")
      : v.type === "null"
        ? null
        : v.value;

const toValue = (v: unknown): Value =>
  v === null || v === undefined
    ? { type: "null" }
    : typeof v === "bigint"
      ? { type: "integer", value: String(v) }
      : typeof v === "number"
        ? { type: "float", value: v }
        : typeof v === "string"
          ? { type: "text", value: v }
          : { type: "blob", base64: Buffer.from(v as Uint8Array).toString("base64") };

const toError = (err: unknown) =>
  err instanceof Error
    ? { message: err.message, code: (err as { code?: string }).code ?? "UNKNOWN" }
    : { message: String(err), code: "UNKNOWN" };

function execute(stream: Stream, stmt: Stmt) {
  const { db } = stream;
  const sql = stmt.sql ?? stream.sqls.get(stmt.sql_id ?? -1);
  if (sql === undefined) throw new ProtocolError(`No SQL text with id ${stmt.sql_id}`, "SQL_NOT_FOUND");
  const named = stmt.named_args ?? [];
  const params = named.length
    ? Object.fromEntries(named.map((a) => [a.name.replace(/^[:@$]/, ""), fromValue(a.value)]))
    : (stmt.args ?? []).map(fromValue);
  const prepared = db.prepare(sql);
  if (!prepared.reader) {
    const info = prepared.run(params);
    return { cols: [], rows: [], affected_row_count: info.changes, last_insert_rowid: String(info.lastInsertRowid) };
  }
  // A statement that returns rows (SELECT, or INSERT … RETURNING): count its changes as a difference.
  const scalar = (sql: string) => (db.prepare(sql).safeIntegers(true).raw(true).get() as [bigint])[0];
  const totalChanges = () => Number(scalar("select total_changes()"));
  const before = totalChanges();
  const rows = prepared.safeIntegers(true).raw(true).all(params) as unknown[][];
  const affected = totalChanges() - before;
  return {
    cols: prepared.columns().map((c) => ({ name: c.name, decltype: c.type })),
    rows: stmt.want_rows === false ? [] : rows.map((row) => row.map(toValue)),
    affected_row_count: affected,
    last_insert_rowid: affected ? String(scalar("select last_insert_rowid()")) : null,
  };
}

function batch(stream: Stream, steps: { condition?: Cond; stmt: Stmt }[]) {
  const results: unknown[] = [];
  const errors: unknown[] = [];
  const holds = (c: Cond): boolean =>
    c.type === "ok"
      ? results[c.step] != null
      : c.type === "error"
        ? errors[c.step] != null
        : c.type === "not"
          ? !holds(c.cond)
          : c.type === "and"
            ? c.conds.every(holds)
            : c.type === "or"
              ? c.conds.some(holds)
              : !stream.db.inTransaction;
  for (const step of steps) {
    let result = null,
      error = null;
    if (!step.condition || holds(step.condition)) {
      try {
        result = execute(stream, step.stmt);
      } catch (err) {
        error = toError(err);
      }
    }
    results.push(result);
    errors.push(error);
  }
  return { step_results: results, step_errors: errors };
}

function handle(stream: Stream, req: Request) {
  if (stream.closed) throw new ProtocolError("The stream is closed", "STREAM_CLOSED");
  switch (req.type) {
    case "execute":
      return { type: "execute", result: execute(stream, req.stmt) };
    case "batch":
      return { type: "batch", result: batch(stream, req.batch.steps) };
    case "sequence": {
      const sql = req.sql ?? stream.sqls.get(req.sql_id ?? -1);
      if (sql === undefined) throw new ProtocolError(`No SQL text with id ${req.sql_id}`, "SQL_NOT_FOUND");
      stream.db.exec(sql);
      return { type: "sequence" };
    }
    case "store_sql":
      stream.sqls.set(req.sql_id, req.sql);
      return { type: "store_sql" };
    case "close_sql":
      stream.sqls.delete(req.sql_id);
      return { type: "close_sql" };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: !stream.db.inTransaction };
    case "close":
      stream.closed = true;
      return { type: "close" };
    default:
      throw new ProtocolError(`Unsupported request type ${(req as { type: string }).type}`, "NOT_SUPPORTED");
  }
}

export async function startLibsqlHttpServer(options: {
  file: string;
  authToken?: string;
  streamIdleMs?: number;
}): Promise<{ url: string; readonly pipelines: number; close(): Promise<void> }> {
  const { file, authToken, streamIdleMs = 10_000 } = options;
  /** `POST /v2/pipeline` requests served: each is one network round trip from the edge to Turso. */
  let pipelines = 0;
  const streams = new Map<string, Stream>(); // by current baton
  const idle: Database.Database[] = [];
  const open = (): Database.Database => {
    const db = idle.pop();
    if (db) return db;
    const fresh = new Database(file);
    // busy_timeout stays 0: every connection lives on this one thread, so waiting for a lock can only stall it.
    fresh.exec("pragma journal_mode = wal");
    return fresh;
  };
  const release = (db: Database.Database) => {
    if (db.inTransaction) db.exec("rollback"); // like sqld: a stream closed mid-transaction rolls back
    if (idle.length < 4) idle.push(db);
    else db.close();
  };
  const sweep = setInterval(() => {
    for (const [baton, stream] of streams) {
      if (Date.now() - stream.lastUsed > streamIdleMs) {
        streams.delete(baton);
        release(stream.db);
      }
    }
  }, 1000).unref();

  function pipeline(body: { baton?: string | null; requests: Request[] }) {
    let stream: Stream | undefined;
    if (body.baton) {
      stream = streams.get(body.baton);
      if (!stream) throw new ProtocolError("The baton is unknown or its stream expired", "STREAM_EXPIRED");
      streams.delete(body.baton);
    } else {
      stream = { db: open(), sqls: new Map(), lastUsed: 0, closed: false };
    }
    const results = body.requests.map((req) => {
      try {
        return { type: "ok", response: handle(stream, req) };
      } catch (err) {
        return { type: "error", error: toError(err) };
      }
    });
    if (stream.closed) {
      release(stream.db);
      return { baton: null, base_url: null, results };
    }
    const baton = randomUUID(); // a new baton for every response, as sqld does
    stream.lastUsed = Date.now();
    streams.set(baton, stream);
    return { baton, base_url: null, results };
  }

  const readJson = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new ProtocolError("The body is not JSON");
    }
  };

  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)); // exactly application/json: the client checks it
    };
    try {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (req.method === "GET" && (path === "/health" || path === "/v2")) return send(200, { ok: true });
      if (req.method !== "POST" || path !== "/v2/pipeline")
        return send(404, { message: `No route ${req.method} ${path}` });
      if (authToken && req.headers.authorization !== `Bearer ${authToken}`)
        return send(401, { message: "Unauthorized: wrong or missing bearer token", code: "UNAUTHORIZED" });
      pipelines++;
      send(200, pipeline(await readJson(req)));
    } catch (err) {
      send(err instanceof ProtocolError ? err.status : 500, toError(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get pipelines() {
      return pipelines;
    },
    close: async () => {
      clearInterval(sweep);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stream of streams.values()) stream.db.close();
      for (const db of idle) db.close();
      streams.clear();
      idle.length = 0;
    },
  };
}
