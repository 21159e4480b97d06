import { encode, renderSVG } from "uqr";
import { concat } from "./images.js";

/**
 * QR codes for verification links: `uqr` (MIT, no dependencies, ~28 KB unminified) makes the
 * matrix and the SVG; the PNG is written here (greyscale, one deflated IDAT) with the runtime's
 * own CompressionStream, so it works the same on Workers and Node. Error correction M: a printed
 * code survives a crease or a smudge.
 */
const ecc = "M" as const;
const border = 4;

export function qrSvg(text: string): string {
  return renderSVG(text, { ecc, border, pixelSize: 4 });
}

/** A PNG of the code, `scale` pixels per module, with the standard 4-module quiet zone. */
export async function qrPng(text: string, scale = 6): Promise<Uint8Array> {
  const { data } = encode(text, { ecc, border });
  const modules = data.length;
  const side = modules * scale;
  // One filter byte (0 = none) then one greyscale byte per pixel, per row.
  const raw = new Uint8Array(side * (side + 1));
  for (let y = 0; y < side; y++) {
    const row = data[Math.floor(y / scale)]!;
    const at = y * (side + 1);
    raw[at] = 0;
    for (let x = 0; x < side; x++) raw[at + 1 + x] = row[Math.floor(x / scale)] ? 0 : 255;
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, side);
  view.setUint32(4, side);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, adaptive filtering, no interlace
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", await deflate(raw)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

let table: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
