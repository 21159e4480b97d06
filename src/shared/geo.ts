/**
 * Coordinates are stored in WGS-84 (what Open311 and GPS speak). Chinese map SDKs (AMap/高德, Tencent,
 * WeChat's `wx.getLocation({type: "gcj02"})`) return GCJ-02, the obfuscated datum of GB 20263, which is
 * a few hundred metres off; inputs therefore say which datum they use and are converted here. The
 * forward transform is the public-domain approximation every open implementation uses (accurate to
 * well under a metre against the official one); the inverse is found by fixed-point iteration of it.
 * Outside mainland China GCJ-02 equals WGS-84.
 */
export type Datum = "wgs84" | "gcj02";
export interface LatLong {
  lat: number;
  long: number;
}

const a = 6378245.0;
const ee = 0.006693421622965943;

export function outsideChina({ lat, long }: LatLong): boolean {
  return long < 72.004 || long > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function transformLong(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS-84 → GCJ-02. */
export function wgs84ToGcj02(p: LatLong): LatLong {
  if (outsideChina(p)) return { lat: p.lat, long: p.long };
  const radLat = (p.lat / 180) * Math.PI;
  const magic = 1 - ee * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (transformLat(p.long - 105, p.lat - 35) * 180) / (((a * (1 - ee)) / (magic * sqrtMagic)) * Math.PI);
  const dLong = (transformLong(p.long - 105, p.lat - 35) * 180) / ((a / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { lat: p.lat + dLat, long: p.long + dLong };
}

/** GCJ-02 → WGS-84, to about 1e-9 degrees (millimetres). */
export function gcj02ToWgs84(p: LatLong): LatLong {
  if (outsideChina(p)) return { lat: p.lat, long: p.long };
  let guess = { lat: p.lat, long: p.long };
  for (let i = 0; i < 30; i++) {
    const forward = wgs84ToGcj02(guess);
    const dLat = p.lat - forward.lat;
    const dLong = p.long - forward.long;
    guess = { lat: guess.lat + dLat, long: guess.long + dLong };
    if (Math.abs(dLat) < 1e-10 && Math.abs(dLong) < 1e-10) break;
  }
  return guess;
}

export function toWgs84(p: LatLong, datum: Datum): LatLong {
  return datum === "gcj02" ? gcj02ToWgs84(p) : { lat: p.lat, long: p.long };
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceMetres(p: LatLong, q: LatLong): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((q.lat - p.lat) * rad) / 2) ** 2 +
    Math.cos(p.lat * rad) * Math.cos(q.lat * rad) * Math.sin(((q.long - p.long) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

/**
 * Whether a point lies inside a ring of [lat, long] vertices (even-odd ray casting; the ring closes
 * itself). Planar in degrees, which is exact enough at a community's size; a point on an edge may
 * fall either way.
 */
export function insidePolygon(p: LatLong, ring: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [latI, longI] = ring[i]!;
    const [latJ, longJ] = ring[j]!;
    if (latI > p.lat !== latJ > p.lat && p.long < ((longJ - longI) * (p.lat - latI)) / (latJ - latI) + longI)
      inside = !inside;
  }
  return inside;
}
