import { afterEach, describe, expect, it, vi } from "vitest";
import { openStream, type StreamEvent, type StreamState } from "../console/stream.js";

/**
 * The console's SSE reader (console/stream.ts) against a scripted fetch: it sends the bearer token
 * (which EventSource cannot), splits events across chunk boundaries, skips heartbeats, and after the
 * stream ends reconnects with the last event id. Timers are faked: no test waits on the clock.
 */
afterEach(() => {
  vi.useRealTimers();
});

const streamOf = (chunks: string[]) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );

describe("the console's event stream reader", () => {
  it("reads events with Authorization, then reconnects with Last-Event-ID when the stream ends", async () => {
    vi.useFakeTimers();
    const calls: Headers[] = [];
    const answers = [
      streamOf([
        'event: progress\nid: p1\ndata: {"n":',
        "1}\n\n: heartbeat\n\n",
        "event: progress\nid: p2\ndata: {}\n\n",
      ]),
      streamOf(['event: progress\nid: p3\ndata: {"n":3}\n\n']),
    ];
    const fakeFetch = (async (_path: string, init: RequestInit) => {
      calls.push(new Headers(init.headers));
      const next = answers.shift();
      if (!next) return new Promise<Response>(() => {}); // a third connection stays open
      return next;
    }) as typeof fetch;
    const events: StreamEvent[] = [];
    const states: StreamState[] = [];
    const stream = openStream(
      "/v1/incidents/x/progress/stream",
      (e) => events.push(e),
      (s) => states.push(s),
      () => "tok",
      fakeFetch,
    );

    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[0]).toEqual({ event: "progress", id: "p1", data: '{"n":1}' });
    expect(calls[0]!.get("authorization")).toBe("Bearer tok");
    expect(calls[0]!.get("last-event-id")).toBeNull();
    await vi.waitFor(() => expect(states.at(-1)).toBe("reconnecting"));

    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(events).toHaveLength(3));
    expect(calls[1]!.get("last-event-id")).toBe("p2");
    expect(events[2]!.id).toBe("p3");
    expect(states).toContain("live");
    stream.close();
  });

  it("backs off while the server answers errors, and stops for good on close", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const failing = (async () => {
      calls++;
      return new Response("no", { status: 503 });
    }) as unknown as typeof fetch;
    const stream = openStream(
      "/s",
      () => {},
      () => {},
      () => null,
      failing,
    );
    await vi.waitFor(() => expect(calls).toBe(1));
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toBe(1); // after one failure the wait is 2 s
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(calls).toBe(2));
    stream.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(2);
  });
});
