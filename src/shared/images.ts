/**
 * Photo checks that work the same on Node and Workers, without decoding or re-encoding pixels: the
 * type is decided by the bytes (JPEG, PNG, WebP; HEIC and anything else refused), and metadata that
 * may carry a location or a person's details (EXIF, XMP, IPTC, text chunks, comments) is cut out of
 * the container, leaving the image data byte for byte.
 */
export type ImageType = "image/jpeg" | "image/png" | "image/webp";

export class ImageRejected extends Error {}

const ascii = (bytes: Uint8Array, from: number, length: number) =>
  String.fromCharCode(...bytes.subarray(from, from + length));

export function sniffImage(bytes: Uint8Array): ImageType {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === "\x89PNG\r\n\x1a\n") return "image/png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "image/webp";
  if (
    bytes.length >= 12 &&
    ascii(bytes, 4, 4) === "ftyp" &&
    /^(hei[cxms]|hev[cx]|mif1|msf1|avif)$/.test(ascii(bytes, 8, 4))
  )
    throw new ImageRejected(
      "HEIC/HEIF and AVIF photos are not accepted: send JPEG, PNG or WebP (most phones can share as JPEG).",
    );
  throw new ImageRejected("Not a JPEG, PNG or WebP image.");
}

/** The image with its metadata removed; throws `ImageRejected` for a malformed container. */
export function stripMetadata(bytes: Uint8Array, type: ImageType): Uint8Array {
  if (type === "image/jpeg") return stripJpeg(bytes);
  if (type === "image/png") return stripPng(bytes);
  return stripWebp(bytes);
}

/** The parts one after another in one array. */
export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** JPEG: drop APP1 (EXIF, XMP), APP13 (IPTC) and COM segments before the scan; keep JFIF, ICC (APP2), Adobe (APP14). */
function stripJpeg(bytes: Uint8Array): Uint8Array {
  const dropped = new Set([0xe1, 0xed, 0xfe]);
  const parts: Uint8Array[] = [bytes.subarray(0, 2)];
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageRejected("Malformed JPEG: expected a marker.");
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) {
      parts.push(bytes.subarray(at)); // start of scan (or end): the rest is image data
      return concat(parts);
    }
    if (marker >= 0xd0 && marker <= 0xd7) throw new ImageRejected("Malformed JPEG: restart marker before the scan.");
    if (at + 4 > bytes.length) throw new ImageRejected("Malformed JPEG: truncated segment.");
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) throw new ImageRejected("Malformed JPEG: segment beyond the end.");
    if (!dropped.has(marker)) parts.push(bytes.subarray(at, end));
    at = end;
  }
  throw new ImageRejected("Malformed JPEG: no image data.");
}

/** PNG: drop eXIf and the text and time chunks; every kept chunk (and its CRC) is copied as is. */
function stripPng(bytes: Uint8Array): Uint8Array {
  const dropped = new Set(["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]);
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
    const type = ascii(bytes, at + 4, 4);
    const end = at + 12 + length;
    if (end > bytes.length) throw new ImageRejected("Malformed PNG: chunk beyond the end.");
    if (!dropped.has(type)) parts.push(bytes.subarray(at, end));
    at = end;
    if (type === "IEND") return concat(parts);
  }
  throw new ImageRejected("Malformed PNG: no IEND chunk.");
}

/** WebP: drop the EXIF and XMP chunks, clear their VP8X flags, and rewrite the RIFF size. */
function stripWebp(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 12;
  while (at + 8 <= bytes.length) {
    const type = ascii(bytes, at, 4);
    const size = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
    const end = at + 8 + size + (size % 2);
    if (at + 8 + size > bytes.length) throw new ImageRejected("Malformed WebP: chunk beyond the end.");
    if (type === "VP8X") {
      const chunk = bytes.slice(at, Math.min(end, bytes.length));
      chunk[8] = chunk[8]! & ~0x0c; // EXIF (0x08) and XMP (0x04) flags
      parts.push(chunk);
    } else if (type !== "EXIF" && type !== "XMP ") {
      parts.push(bytes.subarray(at, Math.min(end, bytes.length)));
    }
    at = end;
  }
  if (parts.length === 0) throw new ImageRejected("Malformed WebP: no chunks.");
  const body = concat(parts);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 12));
  const riffSize = body.length + 4;
  header[4] = riffSize & 0xff;
  header[5] = (riffSize >> 8) & 0xff;
  header[6] = (riffSize >> 16) & 0xff;
  header[7] = (riffSize >>> 24) & 0xff;
  return concat([header, body]);
}
