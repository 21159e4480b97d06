import { createServer, maxHeaderSize, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import { newId } from "../db/ids.js";
import type { Clock } from "../shared/request/context.js";
import { ApiError, problemDocument } from "../shared/http/errors.js";
import type { Logger } from "../shared/log.js";

type Fetch = Parameters<typeof getRequestListener>[0];

/** Why the adapter could not turn Node's request into a `Request` (its RequestError messages). */
const unreadableRequest: Record<string, string> = {
  "Missing host header": "The Host header is required.",
  "Invalid host header": "The Host header is not a valid host[:port].",
  "Backslash in request path": "The request path contains a backslash.",
};

/** What Node's parser refused, before any request existed (the codes Node's own default answers by). */
function parserRefusal(code: string | undefined): ApiError {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return new ApiError("headers_too_large", `The request line and header fields exceed ${maxHeaderSize} bytes.`);
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new ApiError("payload_too_large", "The chunk extensions are too large.");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new ApiError("request_timeout", "The request did not arrive in time.");
    default:
      return new ApiError("malformed_request", "The request is not valid HTTP/1.1.");
  }
}

/**
 * The HTTP server for the app on Node (not yet listening). Every error it answers is a problem
 * document, including those answered before the app runs:
 * - requests the adapter cannot turn into a `Request` (missing or invalid Host, a backslash in the
 *   path, `GET *`) reach its `errorHandler`; Node's own Host check is off, and no default host is
 *   given, so a request without Host is refused here rather than read as one for 127.0.0.1;
 * - what Node's parser refuses (header fields too large, malformed framing, not HTTP at all, a
 *   request too slow to arrive) is written to the socket by the `clientError` listener;
 * - an `Expect` other than 100-continue gets its 417 from the `checkExpectation` listener.
 */
export function createNodeServer(fetch: Fetch, deps: { clock: Clock; log: Logger }): Server {
  const document = (error: ApiError) => problemDocument(error, newId("req", deps.clock.now().getTime()));
  const response = (error: ApiError) => {
    const { status, headers, body } = document(error);
    return new Response(body, { status, headers });
  };

  const listener = getRequestListener(fetch, {
    errorHandler: (err) => {
      if (err instanceof RequestError) {
        const detail = unreadableRequest[err.message] ?? "The request target or the Host header is not valid.";
        return response(new ApiError("malformed_request", detail));
      }
      // The app answers its own errors; this is the adapter failing around it.
      deps.log.error("unhandled error in the Node adapter", { error: err });
      return response(new ApiError("internal", "An unexpected error occurred."));
    },
  });
  const server = createServer({ requireHostHeader: false }, listener);

  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's default: answer only if nothing of a response has been written on this connection.
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, headers, body } = document(parserRefusal(err.code));
    const head = Object.entries({
      ...headers,
      "content-length": String(Buffer.byteLength(body)),
      date: deps.clock.now().toUTCString(),
      connection: "close",
    }).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n${head.join("")}\r\n${body}`, () =>
      socket.destroy(),
    );
  });

  server.on("checkExpectation", (_req, res: ServerResponse) => {
    const { status, headers, body } = document(
      new ApiError("expectation_failed", "Only `Expect: 100-continue` is supported."),
    );
    res.writeHead(status, headers).end(body);
  });

  return server;
}
