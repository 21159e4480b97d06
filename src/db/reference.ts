/** The city organisation department's tenant: it reads across the seven county-level tenants. */
export const CITY_TENANT = "620900";

/** Jiuquan and its seven county-level divisions (GB/T 2260). Tenants are rows: this is only their seed. */
export const jiuquanTenants = [
  { code: CITY_TENANT, parentCode: null, level: "city", kind: "city", nameZh: "酒泉市", nameEn: "Jiuquan City" },
  {
    code: "620902",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "district",
    nameZh: "肃州区",
    nameEn: "Suzhou District",
  },
  {
    code: "620921",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "county",
    nameZh: "金塔县",
    nameEn: "Jinta County",
  },
  {
    code: "620922",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "county",
    nameZh: "瓜州县",
    nameEn: "Guazhou County",
  },
  {
    code: "620923",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "autonomous_county",
    nameZh: "肃北蒙古族自治县",
    nameEn: "Subei Mongol Autonomous County",
  },
  {
    code: "620924",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "autonomous_county",
    nameZh: "阿克塞哈萨克族自治县",
    nameEn: "Aksay Kazakh Autonomous County",
  },
  {
    code: "620981",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "county_city",
    nameZh: "玉门市",
    nameEn: "Yumen City",
  },
  {
    code: "620982",
    parentCode: CITY_TENANT,
    level: "county",
    kind: "county_city",
    nameZh: "敦煌市",
    nameEn: "Dunhuang City",
  },
] as const;

export const countyTenantCodes = jiuquanTenants.filter((t) => t.level === "county").map((t) => t.code);
