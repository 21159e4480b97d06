import { describe, expect, it } from "vitest";
import { distanceMetres, gcj02ToWgs84, toWgs84, wgs84ToGcj02 } from "../../src/shared/geo.js";

const jiuquan = { lat: 39.7326, long: 98.4943 }; // WGS-84, 肃州区 city centre

describe("GCJ-02 ⇄ WGS-84", () => {
  it("offsets a point in Jiuquan by the few hundred metres GCJ-02 is known for", () => {
    const offset = distanceMetres(jiuquan, wgs84ToGcj02(jiuquan));
    expect(offset).toBeGreaterThan(100);
    expect(offset).toBeLessThan(800);
  });

  it("inverts to millimetres across the country", () => {
    for (const p of [
      jiuquan,
      { lat: 39.9087, long: 116.3975 },
      { lat: 22.5431, long: 114.0579 },
      { lat: 43.8256, long: 87.6168 },
    ]) {
      expect(distanceMetres(p, gcj02ToWgs84(wgs84ToGcj02(p)))).toBeLessThan(0.01);
    }
  });

  it("leaves points outside mainland China alone, and WGS-84 input as it is", () => {
    const tokyo = { lat: 35.6812, long: 139.7671 };
    expect(gcj02ToWgs84(tokyo)).toEqual(tokyo);
    expect(toWgs84({ ...jiuquan, datum: "wgs84" } as typeof jiuquan, "wgs84")).toEqual(jiuquan);
  });
});
