import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamTiming } from "../../src/domains/emergency/progress.js";
import { createWorld, declareBody, newTeam, newVolunteer, tokenOf, type World } from "./setup.js";

let w: World;
let incident: string;
beforeAll(async () => {
  w = await createWorld();
  await newTeam(w, w.fukang, "emergency", [await newVolunteer(w, w.fukang), await newVolunteer(w, w.fukang)]);
  incident = (await w.ctx.call(w.street, "POST", "/v1/incidents", declareBody(w))).body.incident.id;
  await w.ctx.settle();
  // Fast polling for the test; the events, not the timing, are asserted.
  Object.assign(streamTiming, { pollMs: 5, heartbeatMs: 20 });
});
afterAll(() => w.ctx.close());

/** Reads the stream until `until` holds for the text so far, then closes it. */
async function readUntil(res: Response, until: (text: string) => boolean) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  await reader.cancel();
  return text;
}

describe("the progress stream", () => {
  it("sends the progress, then a new event when an answer changes it, resuming from Last-Event-ID", async () => {
    const first = await w.ctx.as(w.street)(`/v1/incidents/${incident}/progress/stream`);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toContain("text/event-stream");
    const text = await readUntil(first, (t) => t.includes("\n\n"));
    const id = /^id: (\S+)$/m.exec(text)?.[1];
    expect(text).toContain("event: progress");
    expect(JSON.parse(/^data: (.*)$/m.exec(text)![1]!).overall).toMatchObject({ paged: 2, delivered: 2 });

    // Resumed with that id: nothing is repeated (a heartbeat comes) until an answer changes the counts.
    const resumed = await w.ctx.as(w.street)(`/v1/incidents/${incident}/progress/stream`, {
      headers: { "last-event-id": id! },
    });
    const pages = (await w.ctx.call(w.street, "GET", `/v1/incidents/${incident}/notifications`)).body.data;
    let answered = false;
    const later = await readUntil(resumed, (t) => {
      if (!answered && t.includes(": heartbeat")) {
        answered = true;
        void w.ctx.app.request(`/a/${tokenOf(pages[0].message)}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ action: "answer", answer: "available" }),
        });
      }
      return t.includes("event: progress") && t.endsWith("\n\n");
    });
    expect(later.indexOf(": heartbeat")).toBeLessThan(later.indexOf("event: progress"));
    expect(later).not.toContain(`id: ${id}\n`);
    expect(JSON.parse(/^data: (.*)$/m.exec(later)![1]!).overall).toMatchObject({ available: 1 });
  });

  it("needs a credential and reach like any call", async () => {
    expect((await w.ctx.app.request(`/v1/incidents/${incident}/progress/stream`)).status).toBe(401);
    expect((await w.ctx.as(w.otherCounty)(`/v1/incidents/${incident}/progress/stream`)).status).toBe(404);
  });
});
