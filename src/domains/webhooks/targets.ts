import { type Message, msg, renderMessage } from "../../shared/http/messages.js";
/**
 * Where a webhook may be sent (SSRF). A tenant admin chooses the URL, so it must never make the
 * server talk to itself, its cloud metadata service or the private network it sits in.
 *
 * - At create/update: the URL is checked syntactically (`webhookUrlProblem`).
 * - At delivery: the same check again, plus, where the runtime can resolve names (Node), every
 *   address the host resolves to (`deliveryTargetProblem`), so a name that resolves, or later
 *   re-resolves (DNS rebinding), to a private address is refused. On Workers outbound fetch cannot
 *   reach private addresses, so the syntactic check is all there is to do.
 *
 * Pure functions with no I/O of their own: unit-tested with many addresses.
 *
 * One development exception, off unless a deployment opts in (`HEXI_WEBHOOK_ALLOW_LOOPBACK=true`,
 * honoured by the Node server only): loopback targets, so a receiver on the developer's own machine
 * can be subscribed. It widens exactly one thing — a URL whose host is `localhost`, 127.0.0.0/8 or
 * [::1] may use http or https on any port — and nothing else private becomes reachable.
 */

export const allowedPorts = ["", "443", "8443"] as const;

/** Which targets beyond public https ones a deployment accepts. */
export interface TargetPolicy {
  /** Development only: http(s) to `localhost`, 127.0.0.0/8 or [::1], any port. */
  allowLoopback: boolean;
}

/** The default, and the only policy on Workers and in production: public https targets only. */
export const publicTargetsOnly: TargetPolicy = Object.freeze({ allowLoopback: false });

/** 127.0.0.0/8 or ::1, exactly: not the other IPv6 forms of 127.x, not 0.0.0.0. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4) return v4[0] === 127;
  const v6 = parseIPv6(address);
  return v6 !== null && v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1;
}

/** A URL `hostname` (as the URL parser normalised it) that is `localhost`, 127.0.0.0/8 or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost") return true;
  if (host.startsWith("[")) return isLoopbackAddress(host.slice(1, -1));
  return parseIPv4(host) !== null && isLoopbackAddress(host);
}

/** Names that resolve inside the network, never on the public internet (RFC 6761, 6762 App. G, 8375). */
const privateSuffixes = [
  "localhost",
  "local",
  "internal",
  "intranet",
  "private",
  "corp",
  "home",
  "lan",
  "localdomain",
  "home.arpa",
  "arpa",
  "test",
  "invalid",
  "example",
];

/** Why the URL may not be a webhook target (for a client, in both languages), or null when it may. */
export function webhookUrlMessage(raw: string, policy: TargetPolicy = publicTargetsOnly): Message | null {
  if (raw.length > 2048) return msg("webhooks.url_too_long");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return msg("webhooks.url_not_absolute");
  }
  const loopback = policy.allowLoopback && isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !(loopback && url.protocol === "http:")) return msg("webhooks.url_https");
  if (url.username || url.password) return msg("webhooks.url_credentials");
  if (loopback) return null;
  if (!(allowedPorts as readonly string[]).includes(url.port)) return msg("webhooks.url_port");
  return hostMessage(url.hostname);
}

/** Why the URL may not be a webhook target, in English (for delivery records and logs), or null when it may. */
export function webhookUrlProblem(raw: string, policy: TargetPolicy = publicTargetsOnly): string | null {
  const problem = webhookUrlMessage(raw, policy);
  return problem && renderMessage(problem, "en");
}

/** Why the host (a URL's `hostname`, as the URL parser normalised it) may not be a target. */
function hostMessage(hostname: string): Message | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (!host) return msg("webhooks.url_no_host");
  if (host.startsWith("[")) {
    return isForbiddenAddress(host.slice(1, -1)) ? msg("webhooks.address_not_public", { host }) : null;
  }
  if (parseIPv4(host)) return isForbiddenAddress(host) ? msg("webhooks.address_not_public", { host }) : null;
  if (!host.includes(".")) return msg("webhooks.host_not_public", { host });
  const suffix = privateSuffixes.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix) return msg("webhooks.suffix_not_public", { suffix });
  return null;
}

/** `hostMessage` in English. */
export function hostProblem(hostname: string): string | null {
  const problem = hostMessage(hostname);
  return problem && renderMessage(problem, "en");
}

/**
 * The delivery-time check: the URL check again, then every address the host resolves to must be
 * public. `resolveHost` is absent where the runtime cannot resolve names (Workers).
 */
export async function deliveryTargetProblem(
  raw: string,
  resolveHost?: (host: string) => Promise<string[]>,
  policy: TargetPolicy = publicTargetsOnly,
): Promise<string | null> {
  const problem = webhookUrlProblem(raw, policy);
  if (problem || !resolveHost) return problem;
  const host = new URL(raw).hostname.replace(/\.$/, "");
  if (host.startsWith("[") || parseIPv4(host)) return null;
  let addresses: string[];
  try {
    addresses = await resolveHost(host);
  } catch (err) {
    return `The host ${host} did not resolve: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!addresses.length) return `The host ${host} did not resolve.`;
  // Only a loopback name (it passed the URL check, so the policy allows loopback) may resolve to loopback, and only to it.
  if (isLoopbackHost(host)) {
    const elsewhere = addresses.find((a) => !isLoopbackAddress(a));
    return elsewhere ? `The host ${host} resolves to ${elsewhere}, which is not loopback.` : null;
  }
  const forbidden = addresses.find(isForbiddenAddress);
  return forbidden ? `The host ${host} resolves to ${forbidden}, which is not public.` : null;
}

/**
 * True for any address that is not global unicast: unspecified, loopback, private, CGNAT,
 * link-local (incl. 169.254.169.254 metadata), multicast, reserved, documentation, benchmark,
 * unique-local, site-local, and IPv6 forms that embed such an IPv4 address (mapped, NAT64, 6to4).
 * Anything that does not parse as an address is forbidden too.
 */
export function isForbiddenAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4) return isForbiddenIPv4(v4);
  const v6 = parseIPv6(address);
  if (!v6) return true;
  return isForbiddenIPv6(v6);
}

type Octets = [number, number, number, number];

const inV4 = (ip: Octets, base: Octets, bits: number) => {
  const value = toUint32(ip);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (value & mask) >>> 0 === (toUint32(base) & mask) >>> 0;
};
const toUint32 = (ip: Octets) => ((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) >>> 0;

const forbiddenV4: [Octets, number][] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // CGNAT
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local, cloud metadata
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation
  [[192, 88, 99, 0], 24], // 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation
  [[203, 0, 113, 0], 24], // documentation
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, broadcast
];

function isForbiddenIPv4(ip: Octets): boolean {
  return forbiddenV4.some(([base, bits]) => inV4(ip, base, bits));
}

/** Strict dotted quad (the URL parser already turned hex, octal and short forms into one). */
export function parseIPv4(text: string): Octets | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? (octets as Octets) : null;
}

/** Eight 16-bit groups, or null. Accepts `::` compression, a dotted IPv4 tail and a zone id. */
export function parseIPv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9a-f:.]+$/.test(s)) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (g: string) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  const split = (h: string) => (h === "" ? [] : h.split(":").map(group));
  const head = split(halves[0]!);
  const rest = halves.length === 2 ? split(halves[1]!) : [];
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const groups = [...head, ...Array(8 - explicit).fill(0), ...rest, ...tail];
  return groups.every((g) => Number.isInteger(g)) ? groups : null;
}

const embeddedV4 = (hi: number, lo: number): Octets => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];

function isForbiddenIPv6(g: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(5) && g5 === 0xffff) return isForbiddenIPv4(embeddedV4(g6, g7)); // ::ffff:a.b.c.d mapped
  if (zeroTo(6)) return true; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)
    return isForbiddenIPv4(embeddedV4(g6, g7)); // NAT64
  if (g0 === 0x2002) return isForbiddenIPv4(embeddedV4(g1, g2)); // 6to4
  if ((g0 & 0xe000) !== 0x2000) return true; // outside 2000::/3 global unicast: ULA fc00::/7, fe80::/10, fec0::/10, ff00::/8, 64:ff9b:1::/48, 100::/64 …
  if (g0 === 0x2001 && g1 < 0x200) return true; // 2001::/23 IETF protocol assignments, Teredo 2001::/32
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  if (g0 === 0x3fff && g1 < 0x1000) return true; // documentation 3fff::/20
  return false;
}
