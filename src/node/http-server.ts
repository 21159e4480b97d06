import {
  createServer,
  type IncomingMessage,
  maxHeaderSize,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import { newId } from "../db/ids.js";
import type { Clock } from "../shared/request/context.js";
import { ApiError, problemDocument } from "../shared/http/errors.js";
import type { Logger } from "../shared/log.js";
import { msg, type Message, type Language, negotiateLanguage } from "../shared/http/messages.js";

type Fetch = Parameters<typeof getRequestListener>[0];

/** Why the adapter could not turn Node's request into a `Request` (its RequestError messages). */
const unreadableRequest: Record<string, Message> = {
  "Missing host header": msg("http.host_required"),
  "Invalid host header": msg("http.host_invalid"),
  "Backslash in request path": msg("http.backslash_in_path"),
};

/** What Node's parser refused, before any request existed (the codes Node's own default answers by). */
function parserRefusal(code: string | undefined): ApiError {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return new ApiError("headers_too_large", msg("http.headers_too_large", { bytes: maxHeaderSize }));
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new ApiError("payload_too_large", msg("http.chunk_extensions_too_large"));
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new ApiError("request_timeout", msg("http.request_timeout"));
    default:
      return new ApiError("malformed_request", msg("http.not_http11"));
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
  const document = (error: ApiError, language?: Language) =>
    problemDocument(error, newId("req", deps.clock.now().getTime()), language);
  const response = (error: ApiError) => {
    const { status, headers, body } = document(error);
    return new Response(body, { status, headers });
  };

  const listener = getRequestListener(fetch, {
    errorHandler: (err) => {
      if (err instanceof RequestError) {
        const detail = unreadableRequest[err.message] ?? msg("http.target_invalid");
        return response(new ApiError("malformed_request", detail));
      }
      // The app answers its own errors; this is the adapter failing around it.
      deps.log.error("unhandled error in the Node adapter", { error: err });
      return response(new ApiError("internal", msg("generic.internal_adapter")));
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

  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const { status, headers, body } = document(
      new ApiError("expectation_failed", msg("http.expect_unsupported")),
      negotiateLanguage(req.headers["accept-language"]),
    );
    res.writeHead(status, headers).end(body);
  });

  return server;
}
