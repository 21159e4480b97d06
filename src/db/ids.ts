const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Random bytes drawn from a pool refilled 4 KiB at a time: one getRandomValues call per 256 ids, not per id. */
const pool = new Uint8Array(4096);
let poolOffset = pool.length;
function pooledRandom(bytes: Uint8Array): Uint8Array {
  if (poolOffset + bytes.length > pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  bytes.set(pool.subarray(poolOffset, poolOffset + bytes.length));
  poolOffset += bytes.length;
  return bytes;
}

/**
 * `<prefix>_<ULID>`: 48 bits of milliseconds then 80 random bits, Crockford base32. Ids sort by
 * creation time, which is what keyset pagination orders by, and the prefix says what a bare id is.
 */
export function newId(prefix: string, nowMs: number, random: (bytes: Uint8Array) => Uint8Array = pooledRandom): string {
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = crockford[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = random(new Uint8Array(16));
  let rand = "";
  for (let i = 0; i < 16; i++) rand += crockford[bytes[i]! % 32];
  return `${prefix}_${time}${rand}`;
}

/** A deterministic byte source (mulberry32) so seeded data gets the same ids on every run. */
export function seededRandom(seed: number): (bytes: Uint8Array) => Uint8Array {
  let state = seed >>> 0;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
    }
    return bytes;
  };
}
