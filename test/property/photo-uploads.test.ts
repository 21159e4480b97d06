import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBlobStore } from "../../src/shared/blobs.js";
import { s3BlobStore } from "../../src/shared/s3-blobs.js";
import { startS3Stub, stubCredentials, type S3Stub } from "../helpers/s3-stub.js";
import { anonymous, propertyWorld, TestClock, type PropertyWorld } from "./setup.js";

/**
 * The S3-compatible adapter and pre-signed uploads, against a local stub that checks every SigV4
 * signature with its own implementation (test/helpers/s3-stub.ts): no real S3 is reachable here.
 */
const enc = (text: string) => new TextEncoder().encode(text);
const bytesOf = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...enc(p)] : p)));
const exif = "Exif\0\0GPSLatitude=39.7446;GPSLongitude=98.5131";
/** SOI, APP0 (JFIF), APP1 (EXIF with a GPS position), a scan, EOI. */
const jpeg = bytesOf(
  [0xff, 0xd8, 0xff, 0xe0, 0, 16],
  "JFIF\0",
  [1, 1, 0, 0, 1, 0, 1, 0, 0],
  [0xff, 0xe1, 0, enc(exif).length + 2],
  exif,
  [0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0],
  "pixels",
  [0xff, 0xd9],
);
const has = (bytes: Uint8Array, text: string) => Buffer.from(bytes).includes(Buffer.from(text));

describe("S3-compatible blob store", () => {
  const clock = new TestClock();
  let stub: S3Stub;
  beforeAll(async () => {
    stub = await startS3Stub(clock.now);
  });
  afterAll(() => stub.close());
  const settings = () => ({ endpoint: stub.endpoint, bucket: stub.bucket, ...stubCredentials });

  it("puts, sizes, gets and deletes objects with signed requests", async () => {
    const store = s3BlobStore(settings(), { now: clock.now });
    await store.put("complaints/620902/cmp_1/cph_1", jpeg, "image/jpeg");
    expect(stub.objects.get("complaints/620902/cmp_1/cph_1")?.contentType).toBe("image/jpeg");
    expect(await store.sizeOf("complaints/620902/cmp_1/cph_1")).toBe(jpeg.length);
    expect(await store.get("complaints/620902/cmp_1/cph_1")).toEqual(jpeg);
    await store.delete("complaints/620902/cmp_1/cph_1");
    expect(await store.get("complaints/620902/cmp_1/cph_1")).toBeNull();
    expect(await store.sizeOf("complaints/620902/cmp_1/cph_1")).toBeNull();
    expect(stub.refusals).toEqual([]);
  });

  it("is refused with a wrong secret, or a clock 20 minutes off", async () => {
    const wrong = s3BlobStore({ ...settings(), secretAccessKey: "not-the-secret" }, { now: clock.now });
    await expect(wrong.put("a/b", jpeg, "image/jpeg")).rejects.toThrow(/403/);
    const late = s3BlobStore(settings(), { now: () => new Date(clock.now().getTime() - 20 * 60_000) });
    await expect(late.get("a/b")).rejects.toThrow(/403/);
    expect(stub.refusals.splice(0)).toEqual(["PUT signature", "GET request time"]);
  });
});

/** A property world whose photos are kept in the S3 stub, and a complaint filed through the public form. */
async function s3World(clock: TestClock) {
  const stub = await startS3Stub(clock.now);
  const w = await propertyWorld({
    clock,
    blobs: s3BlobStore(
      { endpoint: stub.endpoint, bucket: stub.bucket, ...stubCredentials },
      { now: () => clock.now() },
    ),
  });
  const res = await anonymous(w.ctx, "POST", "/v1/public/complaints", {
    compoundId: w.compound.id,
    category: "flying_wire_charging",
    description: "楼道里有人飞线给电动车充电。",
  });
  return { stub, w, complaint: { id: res.body.complaint.id as string, token: res.body.followUp.token as string } };
}

/** Registers the suite's world: built before its tests, closed after them. */
function useS3World(clock: TestClock, take: (world: Awaited<ReturnType<typeof s3World>>) => void) {
  let world: Awaited<ReturnType<typeof s3World>>;
  beforeAll(async () => {
    world = await s3World(clock);
    take(world);
  });
  afterAll(async () => {
    world.w.ctx.close();
    await world.stub.close();
  });
}

describe("pre-signed complaint photo uploads", () => {
  let w: PropertyWorld;
  let stub: S3Stub;
  let complaint: { id: string; token: string };
  const clock = new TestClock();
  useS3World(clock, (world) => ({ stub, w, complaint } = world));

  const ask = (bytes: number, contentType = "image/jpeg") =>
    w.ctx.call(w.fukangAdmin, "POST", `/v1/complaints/${complaint.id}/photo-uploads`, { contentType, bytes });
  const put = (upload: { url: string; headers: Record<string, string> }, body: Uint8Array) =>
    fetch(upload.url, {
      method: "PUT",
      headers: { "content-type": upload.headers["content-type"]! },
      body: body as Uint8Array<ArrayBuffer>,
    });
  const attach = (path: string) => w.ctx.call(w.fukangAdmin, "POST", path);

  it("hands out a URL the client PUTs to directly; attaching checks, strips and stores the photo", async () => {
    const asked = await ask(jpeg.length);
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body.url.startsWith(`${stub.endpoint}/${stub.bucket}/uploads/620902/${complaint.id}/`)).toBe(true);
    expect(asked.body.url).toMatch(/X-Amz-Expires=600/);
    expect(asked.body.headers).toEqual({ "content-type": "image/jpeg", "content-length": String(jpeg.length) });
    const uploaded = await put(asked.body, jpeg);
    expect(uploaded.status).toBe(200);
    const staged = `uploads/620902/${complaint.id}/${asked.body.uploadId}`;
    expect(has(stub.objects.get(staged)!.bytes, "GPSLatitude")).toBe(true);

    const attached = await attach(asked.body.attach);
    expect(attached.status, JSON.stringify(attached.body)).toBe(201);
    expect(attached.body).toMatchObject({ contentType: "image/jpeg", author: "staff" });
    expect(attached.body.bytes).toBeLessThan(jpeg.length);
    // The upload is consumed; the stored copy has no EXIF and is served like any photo.
    expect(stub.objects.has(staged)).toBe(false);
    const served = await w.ctx.as(w.fukangAdmin)(`/v1/complaints/${complaint.id}/photos/${attached.body.id}`);
    const bytes = new Uint8Array(await served.arrayBuffer());
    expect(has(bytes, "GPS")).toBe(false);
    expect(has(bytes, "pixels")).toBe(true);
    expect((await attach(asked.body.attach)).status).toBe(404);
    expect(stub.refusals).toEqual([]);
  });

  it("the bucket refuses a body of another length, another type, or after the URL expired", async () => {
    const asked = await ask(jpeg.length);
    expect((await put(asked.body, bytesOf([...jpeg], "extra"))).status).toBe(403);
    const typed = await fetch(asked.body.url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: jpeg as Uint8Array<ArrayBuffer>,
    });
    expect(typed.status).toBe(403);
    clock.advanceHours(1);
    expect((await put(asked.body, jpeg)).status).toBe(403);
    expect(stub.refusals.splice(0)).toEqual(["PUT signature", "PUT signature", "PUT expired"]);
    expect((await attach(asked.body.attach)).status).toBe(404);
  });

  it("refuses what is not an image by content (415), and anything over the limit (413), deleting the upload", async () => {
    const gif = bytesOf("GIF89a-not-a-jpeg");
    const asked = await ask(gif.length);
    expect((await put(asked.body, gif)).status).toBe(200);
    const refused = await attach(asked.body.attach);
    expect(refused.status).toBe(415);
    expect(stub.objects.size).toBe(1); // only the attached photo of the first test
    const big = await ask(jpeg.length);
    stub.objects.set(`uploads/620902/${complaint.id}/${big.body.uploadId}`, {
      bytes: Buffer.alloc(9 * 1024 * 1024),
      contentType: "image/jpeg",
    });
    expect((await attach(big.body.attach)).status).toBe(413);
    expect(stub.objects.size).toBe(1);
    expect((await ask(9 * 1024 * 1024)).status).toBe(400);
  });

  it("is out of reach for another community (404), and unavailable where storage cannot pre-sign (503)", async () => {
    const other = await w.ctx.call(w.beiyuanAdmin, "POST", `/v1/complaints/${complaint.id}/photo-uploads`, {
      contentType: "image/jpeg",
      bytes: 10,
    });
    expect(other.status).toBe(404);
    const plain = await propertyWorld({ blobs: memoryBlobStore() });
    const filed = await anonymous(plain.ctx, "POST", "/v1/public/complaints", {
      compoundId: plain.compound.id,
      category: "parking",
      description: "车位被占。",
    });
    const res = await plain.ctx.call(
      plain.fukangAdmin,
      "POST",
      `/v1/complaints/${filed.body.complaint.id}/photo-uploads`,
      { contentType: "image/jpeg", bytes: 10 },
    );
    expect(res.status).toBe(503);
    plain.ctx.close();
  });
});

describe("pre-signed photo uploads through the reporter's follow-up link", () => {
  let w: PropertyWorld;
  let stub: S3Stub;
  let complaint: { id: string; token: string };
  const clock = new TestClock();
  useS3World(clock, (world) => ({ stub, w, complaint } = world));

  const ask = (bytes: number, token = complaint.token) =>
    anonymous(w.ctx, "POST", `/v1/public/complaints/${token}/photo-uploads`, { contentType: "image/jpeg", bytes });
  const put = (upload: { url: string; headers: Record<string, string> }, body: Uint8Array) =>
    fetch(upload.url, {
      method: "PUT",
      headers: { "content-type": upload.headers["content-type"]! },
      body: body as Uint8Array<ArrayBuffer>,
    });

  it("lets the reporter upload straight to storage; attaching checks by content, strips EXIF, and audits as the link", async () => {
    const asked = await ask(jpeg.length);
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body.url.startsWith(`${stub.endpoint}/${stub.bucket}/uploads/620902/${complaint.id}/`)).toBe(true);
    expect(asked.body.attach).toBe(
      `/v1/public/complaints/${complaint.token}/photo-uploads/${asked.body.uploadId}/attach`,
    );
    expect((await put(asked.body, jpeg)).status).toBe(200);
    const attached = await anonymous(w.ctx, "POST", asked.body.attach);
    expect(attached.status, JSON.stringify(attached.body)).toBe(201);
    expect(attached.body).toMatchObject({ contentType: "image/jpeg", author: "reporter" });
    const served = await w.ctx.app.request(`/v1/public/complaints/${complaint.token}/photos/${attached.body.id}`);
    const bytes = new Uint8Array(await served.arrayBuffer());
    expect(has(bytes, "GPS")).toBe(false);
    expect(has(bytes, "pixels")).toBe(true);
    // Consumed: a second attach finds nothing.
    expect((await anonymous(w.ctx, "POST", asked.body.attach)).status).toBe(404);
    const trail = await w.ctx.call(w.fukangAdmin, "GET", `/v1/audit-events?targetId=${complaint.id}`);
    const added = trail.body.data.find((e: { action: string }) => e.action === "complaint.add_photo");
    expect(added.actor).toMatch(/^link:620902:/);
  });

  it("refuses what is not an image by content (415), over the limit (413), a wrong token (404), and a closed complaint (409)", async () => {
    const gif = bytesOf("GIF89a-not-a-jpeg");
    const asked = await ask(gif.length);
    expect((await put(asked.body, gif)).status).toBe(200);
    expect((await anonymous(w.ctx, "POST", asked.body.attach)).status).toBe(415);
    const big = await ask(jpeg.length);
    stub.objects.set(`uploads/620902/${complaint.id}/${big.body.uploadId}`, {
      bytes: Buffer.alloc(9 * 1024 * 1024),
      contentType: "image/jpeg",
    });
    expect((await anonymous(w.ctx, "POST", big.body.attach)).status).toBe(413);
    expect([...stub.objects.keys()].filter((k) => k.startsWith("uploads/"))).toEqual([]);
    expect((await ask(9 * 1024 * 1024)).status).toBe(400);
    expect((await ask(10, "AAAAAAAAAAAA")).status).toBe(404);
    // Closed: asked before closing, attached after — both refused once closed.
    const pending = await ask(jpeg.length);
    expect((await put(pending.body, jpeg)).status).toBe(200);
    const closed = await w.ctx.call(w.fukangAdmin, "POST", `/v1/complaints/${complaint.id}/close-duplicate`, {
      duplicateOfId: await otherComplaint(),
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect((await anonymous(w.ctx, "POST", pending.body.attach)).status).toBe(409);
    expect((await ask(jpeg.length)).status).toBe(409);
  });

  async function otherComplaint() {
    const res = await anonymous(w.ctx, "POST", "/v1/public/complaints", {
      compoundId: w.compound.id,
      category: "flying_wire_charging",
      description: "同一处飞线。",
    });
    return res.body.complaint.id as string;
  }
});
