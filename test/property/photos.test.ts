import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBlobStore } from "../../src/shared/blobs.js";
import { sniffImage, stripMetadata } from "../../src/shared/images.js";
import { anonymous, propertyWorld, type PropertyWorld } from "./setup.js";

const enc = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: (Uint8Array | number[])[]) => {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
};
const has = (bytes: Uint8Array, text: string) => Buffer.from(bytes).includes(Buffer.from(text));
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

const segment = (marker: number, payload: Uint8Array) => concat([0xff, marker, ...u16(payload.length + 2)], payload);
const scan = concat([0xff, 0xda, ...u16(8), 1, 1, 0, 0, 0x3f, 0], enc("pixels-pixels"), [0xff, 0xd9]);
/** A JPEG whose EXIF carries a GPS position, with XMP and a comment too. */
const jpeg = concat(
  [0xff, 0xd8],
  segment(0xe0, concat(enc("JFIF\0"), [1, 1, 0, 0, 1, 0, 1, 0, 0])),
  segment(0xe1, enc("Exif\0\0GPSLatitude=39.7446;GPSLongitude=98.5131")),
  segment(0xe1, enc("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>iPhone 15</x:xmpmeta>")),
  segment(0xe2, enc("ICC_PROFILE\0sRGB")),
  segment(0xfe, enc("taken at 富康家园")),
  scan,
);
const chunk = (type: string, data: Uint8Array) => concat(u32be(data.length), enc(type), data, [0, 0, 0, 0]);
const png = concat(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  chunk("IHDR", new Uint8Array(13)),
  chunk("eXIf", enc("MM\0*GPSLatitude=39.7446")),
  chunk("tEXt", enc("Author\0王秀兰")),
  chunk("IDAT", enc("pixels-pixels")),
  chunk("IEND", new Uint8Array(0)),
);
const riffChunk = (type: string, data: Uint8Array) =>
  concat(enc(type), u32le(data.length), data, data.length % 2 ? [0] : []);
const webpBody = concat(
  riffChunk("VP8X", Uint8Array.from([0x08 | 0x04 | 0x10, 0, 0, 0, 1, 0, 0, 1, 0, 0])),
  riffChunk("VP8 ", enc("pixels-pixels")),
  riffChunk("EXIF", enc("GPSLatitude=39.7446")),
  riffChunk("XMP ", enc("<x:xmpmeta/>")),
);
const webp = concat(enc("RIFF"), u32le(webpBody.length + 4), enc("WEBP"), webpBody);
const heic = concat([0, 0, 0, 24], enc("ftypheic"), [0, 0, 0, 0], enc("mif1heic"));

describe("image checks", () => {
  it("knows JPEG, PNG and WebP by their bytes and refuses HEIC and the rest", () => {
    expect(sniffImage(jpeg)).toBe("image/jpeg");
    expect(sniffImage(png)).toBe("image/png");
    expect(sniffImage(webp)).toBe("image/webp");
    expect(() => sniffImage(heic)).toThrow(/HEIC/);
    expect(() => sniffImage(enc("GIF89a…"))).toThrow(/Not a JPEG/);
  });

  it("strips EXIF, XMP and comments from a JPEG, keeping JFIF, the ICC profile and the scan byte for byte", () => {
    const out = stripMetadata(jpeg, "image/jpeg");
    for (const gone of ["Exif", "GPS", "xmpmeta", "富康"]) expect(has(out, gone), gone).toBe(false);
    expect(has(out, "JFIF")).toBe(true);
    expect(has(out, "ICC_PROFILE")).toBe(true);
    expect(Buffer.from(out.subarray(out.length - scan.length)).equals(Buffer.from(scan))).toBe(true);
  });

  it("strips eXIf and text chunks from a PNG", () => {
    const out = stripMetadata(png, "image/png");
    expect(has(out, "GPS")).toBe(false);
    expect(has(out, "Author")).toBe(false);
    expect(has(out, "IDAT")).toBe(true);
    expect(has(out, "IEND")).toBe(true);
  });

  it("strips EXIF and XMP from a WebP, clears their VP8X flags and fixes the RIFF size", () => {
    const out = stripMetadata(webp, "image/webp");
    expect(has(out, "GPS")).toBe(false);
    expect(has(out, "xmpmeta")).toBe(false);
    expect(out[20]).toBe(0x10); // the alpha flag stays
    expect(Buffer.from(out).readUInt32LE(4)).toBe(out.length - 8);
  });

  it("refuses a malformed container", () => {
    expect(() => stripMetadata(concat([0xff, 0xd8], [0xff, 0xe1, 0xff, 0xff]), "image/jpeg")).toThrow(/Malformed/);
    expect(() => stripMetadata(png.subarray(0, 40), "image/png")).toThrow(/Malformed/);
  });
});

describe("complaint photos over HTTP", () => {
  let w: PropertyWorld;
  const blobs = memoryBlobStore();
  let complaint: { id: string; token: string };
  beforeAll(async () => {
    w = await propertyWorld({ blobs });
    const res = await anonymous(w.ctx, "POST", "/v1/public/complaints", {
      compoundId: w.compound.id,
      category: "blocked_fire_lane",
      description: "消防通道被私家车堵住。",
    });
    complaint = { id: res.body.complaint.id, token: res.body.followUp.token };
  });
  afterAll(() => w.ctx.close());

  const upload = (path: string, body: Uint8Array, type: string, headers: Record<string, string> = {}) =>
    w.ctx.app.request(path, { method: "POST", headers: { "content-type": type, ...headers }, body });

  it("lets the reporter add a photo through the link, stored without its metadata, and read it back", async () => {
    const res = await upload(`/v1/public/complaints/${complaint.token}/photos`, jpeg, "image/jpeg");
    expect(res.status).toBe(201);
    const photo = (await res.json()) as { id: string; bytes: number; author: string };
    expect(photo.author).toBe("reporter");
    expect(photo.bytes).toBeLessThan(jpeg.length);
    const back = await w.ctx.app.request(`/v1/public/complaints/${complaint.token}/photos/${photo.id}`);
    expect(back.status).toBe(200);
    expect(back.headers.get("content-type")).toBe("image/jpeg");
    const bytes = new Uint8Array(await back.arrayBuffer());
    expect(has(bytes, "GPS")).toBe(false);
    const view = await anonymous(w.ctx, "GET", `/v1/public/complaints/${complaint.token}`);
    expect(view.body.photos.map((p: { id: string }) => p.id)).toEqual([photo.id]);
  });

  it("serves photos only to whoever may read the complaint", async () => {
    const detail = await w.ctx.call(w.fukangAdmin, "GET", `/v1/complaints/${complaint.id}`);
    const photoId = detail.body.photos[0].id as string;
    const path = `/v1/complaints/${complaint.id}/photos/${photoId}`;
    expect((await w.ctx.as(w.fukangAdmin)(path)).status).toBe(200);
    expect((await w.ctx.as(w.company.token)(path)).status).toBe(200);
    expect((await w.ctx.as(w.beiyuanAdmin)(path)).status).toBe(404);
    expect((await w.ctx.as(w.otherCompany.token)(path)).status).toBe(404);
    expect((await w.ctx.as(w.otherCounty)(path)).status).toBe(404);
    expect((await w.ctx.app.request(path)).status).toBe(401);
  });

  it("takes staff photos (PNG, WebP) and refuses HEIC, a lying Content-Type, JSON and oversized bodies", async () => {
    const path = `/v1/complaints/${complaint.id}/photos`;
    const staff = w.ctx.as(w.company.token);
    const post = (body: Uint8Array, type: string) =>
      staff(path, { method: "POST", headers: { "content-type": type }, body });
    expect((await post(png, "image/png")).status).toBe(201);
    expect((await post(webp, "image/webp")).status).toBe(201);
    const refusedHeic = await post(heic, "image/jpeg");
    expect(refusedHeic.status).toBe(415);
    expect(((await refusedHeic.json()) as { detail: string }).detail).toMatch(/HEIC/);
    expect((await post(png, "image/jpeg")).status).toBe(415);
    expect((await post(enc("{}"), "application/json")).status).toBe(415);
    const huge = concat(jpeg.subarray(0, jpeg.length - 2), new Uint8Array(8 * 1024 * 1024), [0xff, 0xd9]);
    expect((await post(huge, "image/jpeg")).status).toBe(413);
    // Above the app's general 64 KiB test body limit, below the photo limit: accepted.
    const large = concat(jpeg.subarray(0, jpeg.length - 2), new Uint8Array(200 * 1024), [0xff, 0xd9]);
    expect((await post(large, "image/jpeg")).status).toBe(201);
  });

  it("caps the photos of a complaint and keeps no blob of a refused one", async () => {
    const path = `/v1/complaints/${complaint.id}/photos`;
    const post = () =>
      w.ctx.as(w.fukangAdmin)(path, { method: "POST", headers: { "content-type": "image/png" }, body: png });
    let status = 201;
    while (status === 201) status = (await post()).status;
    expect(status).toBe(409);
    const detail = await w.ctx.call(w.fukangAdmin, "GET", `/v1/complaints/${complaint.id}`);
    expect(detail.body.photos).toHaveLength(9);
    expect(blobs.size()).toBe(9);
  });
});
