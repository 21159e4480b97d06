export interface StreamEvent {
  event: string;
  id?: string;
  data: string;
}

export type StreamState = "connecting" | "live" | "reconnecting";

/**
 * Server-Sent Events read with fetch streaming, because a browser's EventSource cannot send the
 * Authorization header. When the stream ends or breaks (the server ends it after 10 minutes), it
 * reconnects with `Last-Event-ID`, so the server sends nothing it already sent; waits grow from 1 s
 * to 15 s while the server cannot be reached. `close()` stops it for good.
 */
export function openStream(
  path: string,
  onEvent: (event: StreamEvent) => void,
  onState: (state: StreamState) => void,
  token: () => string | null,
  fetchImpl: typeof fetch = fetch,
): { close: () => void } {
  let lastEventId: string | undefined;
  let closed = false;
  let controller: AbortController | undefined;
  let failures = 0;

  const dispatch = (block: string) => {
    const event: StreamEvent = { event: "message", data: "" };
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // a comment (heartbeat)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") event.id = value;
    }
    if (event.id !== undefined) lastEventId = event.id;
    if (data.length) onEvent({ ...event, data: data.join("\n") });
  };

  const connect = async () => {
    controller = new AbortController();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (lastEventId) headers["last-event-id"] = lastEventId;
    try {
      const response = await fetchImpl(path, { headers, credentials: "omit", signal: controller.signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState("live");
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      failures++;
    }
    if (closed) return;
    onState("reconnecting");
    setTimeout(() => void (closed || connect()), Math.min(15_000, 1000 * 2 ** Math.min(failures, 4)));
  };

  onState("connecting");
  void connect();
  return {
    close: () => {
      closed = true;
      controller?.abort();
    },
  };
}
