/**
 * IPv4/IPv6 addresses and CIDR ranges, parsed to bytes so that matching is exact (no string
 * prefix tricks). An IPv4-mapped IPv6 address (::ffff:192.0.2.1, as Node reports IPv4 clients on
 * a dual-stack socket) is treated as the IPv4 address.
 */
export interface IpRange {
  bytes: Uint8Array;
  prefix: number;
}

export function parseIp(text: string): Uint8Array | undefined {
  const value = text.trim();
  const bytes = value.includes(":") ? parseIpv6(value) : parseIpv4(value);
  return bytes && unmapIpv4(bytes);
}

/** `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128). Host bits must be zero. */
export function parseCidr(text: string): IpRange | undefined {
  const [address, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || !address) return undefined;
  const raw = address.includes(":") ? parseIpv6(address) : parseIpv4(address);
  if (!raw) return undefined;
  const bits = raw.length * 8;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  let bytes = raw;
  if (raw.length === 16 && isMappedIpv4(raw) && prefix >= 96) {
    bytes = raw.slice(12);
    prefix -= 96;
  }
  if (!hostBitsZero(bytes, prefix)) return undefined;
  return { bytes, prefix };
}

export function inRange(ip: Uint8Array, range: IpRange): boolean {
  return ip.length === range.bytes.length && matchesPrefix(ip, range.bytes, range.prefix);
}

function matchesPrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const full = Math.floor(prefix / 8);
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full]! & mask) === (b[full]! & mask);
}

function hostBitsZero(bytes: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) return false;
  }
  return true;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Decimal only, no leading zeros (01.2.3.4 is octal to some parsers: refuse the ambiguity).
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (text.includes("%")) return undefined; // zone ids never identify a remote client
  let value = text;
  // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  const lastColon = value.lastIndexOf(":");
  if (value.includes(".", lastColon)) {
    const v4 = parseIpv4(value.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    value = `${value.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = value.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  // "::" stands for at least one group of zeros; without it there must be exactly eight.
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    const n = parseInt(group, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  return bytes;
}

function isMappedIpv4(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

function unmapIpv4(bytes: Uint8Array): Uint8Array {
  return isMappedIpv4(bytes) ? bytes.slice(12) : bytes;
}
