import { createClient } from "@libsql/client";
import { eq, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { nodeDigests } from "../../src/node/deps.js";
import { createPiiVault, generatePiiKeyMaterial } from "../../src/shared/crypto/pii.js";
import { insertRow, isPreparedItem, PreparedItem, selectOnce } from "../../src/shared/store/prepared.js";

/** The hot path's statements without drizzle's builder must store and read exactly what drizzle does. */
const things = sqliteTable("things", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
  active: integer("active", { mode: "boolean" }).notNull(),
  count: integer("count").notNull().default(0),
  note: text("note"),
});

const client = createClient({ url: ":memory:" });
const db = createDb(client);

beforeAll(async () => {
  await client.execute(
    "create table things (id text primary key, name text not null, tags text not null, active integer not null, count integer not null default 0, note text)",
  );
});
afterAll(() => client.close());

const rowOf = async (id: string) =>
  (await client.execute({ sql: "select * from things where id = ?", args: [id] })).rows[0];

describe("insertRow", () => {
  it("stores a whole row exactly as drizzle's insert does", async () => {
    const row = { id: "a", name: '名字 "引号"', tags: ["法律", "x"], active: true, count: 3, note: null };
    const item = insertRow(db, things, row);
    expect(isPreparedItem(item)).toBe(true);
    await db.batch([item]);
    await db.insert(things).values({ ...row, id: "b" });
    const [a, b] = [await rowOf("a"), await rowOf("b")];
    expect({ ...a, id: "b" }).toEqual({ ...b });
    expect(a).toMatchObject({ tags: '["法律","x"]', active: 1, note: null });
  });

  it("leaves a row that omits a column, or gives SQL, to drizzle (defaults apply)", async () => {
    const omitted = insertRow(db, things, { id: "c", name: "c", tags: [], active: false });
    expect(isPreparedItem(omitted)).toBe(false);
    const computed = insertRow(db, things, {
      id: "d",
      name: sql`upper('d')` as unknown as string,
      tags: [],
      active: false,
      count: 1,
      note: null,
    });
    expect(isPreparedItem(computed)).toBe(false);
    await db.batch([omitted, computed]);
    expect(await rowOf("c")).toMatchObject({ count: 0, active: 0 });
    expect(await rowOf("d")).toMatchObject({ name: "D" });
  });
});

describe("selectOnce", () => {
  const byName = selectOnce((qb) =>
    qb
      .select({ id: things.id, tags: things.tags, active: things.active, note: things.note })
      .from(things)
      .where(eq(things.name, sql.placeholder("name"))),
  );

  it("binds this call's values and decodes columns as drizzle would", async () => {
    await db.insert(things).values({ id: "e", name: "e", tags: ["t"], active: true, note: "n" });
    const item = byName({ name: "e" });
    expect(item).toBeInstanceOf(PreparedItem);
    expect(item.statement.args).toEqual(["e"]);
    const [viaBatch] = await db.batch([item.asBatchItem]);
    const alone = await item.run(db);
    const drizzles = await db
      .select({ id: things.id, tags: things.tags, active: things.active, note: things.note })
      .from(things)
      .where(eq(things.name, "e"));
    expect(viaBatch).toEqual(drizzles);
    expect(alone).toEqual(drizzles);
    expect(alone).toEqual([{ id: "e", tags: ["t"], active: true, note: "n" }]);
    expect(await byName({ name: "nobody" }).run(db)).toEqual([]);
  });

  it("refuses, at build time, a select that is not of plain columns", () => {
    expect(() => selectOnce((qb) => qb.select({ n: sql<number>`count(*)` }).from(things))).toThrow(/plain column/);
  });
});

describe("synchronous digests (Node) and WebCrypto (Workers)", () => {
  it("give the same fingerprints, so hashes stored by one runtime are found by the other", async () => {
    const material = generatePiiKeyMaterial();
    const web = await createPiiVault(material);
    const node = await createPiiVault(material, nodeDigests);
    for (const value of ["620902199001011234", " 13812345678 ", "62090219900101123x", "名字", ""]) {
      expect(await node.fingerprint(value)).toBe(await web.fingerprint(value));
    }
    const request = 'POST /v1/member-reports\n{"memberId":"mem_1","intentions":["社区治理"]}';
    expect(await node.fingerprintOfText(request)).toBe(await web.fingerprintOfText(request));
    expect(await node.fingerprintOfText(request)).not.toBe(await node.fingerprintOfText(`${request} `));
  });
});
