// `lakec query` is read-only: it reads the lake and nothing else, and writes nothing anywhere.
// Each statement here once ran through it: a COPY with PARTITION_BY and OVERWRITE into
// processed/<table> deleted the whole table; a COPY outside the lake wrote a file; INSTALL
// downloaded an extension.
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exists } from "../../engine/lake.js";
import { main } from "../../cli/main.js";
import { MIXED_LINES, listing, removeTempDirs, tempDir, writeLines, lakec } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

let dir: string;
let lake: string;
/** Errors go to stderr as text; results are read from the JSON document (cli/json-output.ts). */
const query = (sql: string) => lakec("query", "pipelines/reviews.yaml", sql, "--lake", lake);
const queryJson = async (sql: string): Promise<Record<string, unknown>[]> => {
  const r = await lakec("query", "pipelines/reviews.yaml", sql, "--lake", lake, "--format", "json");
  return (JSON.parse(r.out) as { result: { rows: Record<string, unknown>[] } }).result.rows;
};
/** A path outside the lake may be refused while the statement is prepared, before its type is checked. */
const outside = (type: string): RegExp => new RegExp(`not ${type}|disabled by configuration`);
const count = async (): Promise<number> => Number((await queryJson("SELECT count(*) AS n FROM product_reviews"))[0]!.n);

beforeAll(async () => {
  dir = await tempDir("query-ro");
  lake = join(dir, ".lake");
  const input = await writeLines(join(dir, "day1.jsonl"), MIXED_LINES);
  const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--input", input, "--memory-limit", "512MB");
  expect(r.code).toBe(0);
}, 60_000);

describe("lakec query is read-only", () => {
  it("refuses every statement that is not one SELECT, and the lake stays as it was", async () => {
    const before = await listing(lake);
    const outsideFile = join(dir, "outside.csv");
    const refused: [string, RegExp][] = [
      [
        `COPY (SELECT 1 AS x, 'a' AS p) TO '${join(lake, "processed", "product_reviews")}' (FORMAT parquet, PARTITION_BY (p), OVERWRITE)`,
        /not COPY/,
      ],
      [`COPY (SELECT 1) TO '${outsideFile}'`, outside("COPY")],
      ["INSTALL httpfs", /not LOAD/],
      ["LOAD httpfs", /not LOAD/],
      [`ATTACH '${join(dir, "other.duckdb")}' AS other`, outside("ATTACH")],
      ["SET enable_external_access = true", /not SET/],
      ["DROP VIEW product_reviews", /not DROP/],
      ["CREATE TABLE t AS SELECT 1", /not CREATE/],
      ["CALL pragma_version()", /not CALL/],
      ["EXPLAIN ANALYZE SELECT 1", /not EXPLAIN/],
      [`EXPORT DATABASE '${join(dir, "export")}'`, outside("EXPORT")],
      ["SELECT 1; SELECT 2", /expected one SQL statement, got 2/],
    ];
    for (const [sql, why] of refused) {
      const r = await query(sql);
      expect({ sql, code: r.code }).toEqual({ sql, code: 1 });
      expect(r.err).toMatch(why);
      expect(r.err).not.toContain("internal error");
    }
    expect(await exists(outsideFile)).toBe(false);
    expect(await exists(join(dir, "other.duckdb"))).toBe(false);
    expect(await listing(lake)).toEqual(before);
    expect(await count()).toBe(20);
  });

  it("reads no file outside the lake, not even through a SELECT", async () => {
    const secret = join(dir, "secret.txt");
    await writeFile(secret, "not for query\n");
    for (const sql of [
      `SELECT * FROM read_text('${secret}')`,
      "SELECT * FROM read_csv('https://example.com/x.csv')",
      `SELECT * FROM glob('${dir}/*')`,
    ]) {
      const r = await query(sql);
      expect({ sql, code: r.code }).toEqual({ sql, code: 1 });
      expect(r.err).toMatch(/Permission Error|disabled by configuration/);
      expect(r.out).not.toContain("not for query");
    }
  });

  it("reads the lake's own files, and SELECT-shaped statements work", async () => {
    expect(await queryJson(`SELECT count(*) AS n FROM read_text('${join(lake, "raw", "reviews", "*.jsonl")}')`)).toEqual([{ n: 1 }]);
    for (const sql of [
      "FROM product_reviews LIMIT 1",
      "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
      "DESCRIBE product_reviews",
      "SHOW TABLES",
      "SUMMARIZE product_reviews",
    ]) {
      const r = await query(sql);
      expect({ sql, err: r.err, code: r.code }).toEqual({ sql, err: "", code: 0 });
    }
    expect((await readdir(join(lake, "processed"))).length).toBeGreaterThan(0);
  });

  it("reads the SQL from standard input with -, and refuses several statements there too", async () => {
    const viaStdin = async (sql: string): Promise<{ code: number; out: string; err: string }> => {
      let out = "";
      let err = "";
      const io = {
        out: (t: string) => void (out += t),
        err: (t: string) => void (err += t),
        cwd: process.cwd(),
        readStdin: async () => sql,
      };
      const code = await main(["query", "pipelines/reviews.yaml", "-", "--lake", lake, "--format", "csv"], io);
      return { code, out, err };
    };
    expect(await viaStdin("SELECT count(*) AS n\nFROM product_reviews;\n")).toEqual({ code: 0, out: "n\n20\n", err: "" });
    const several = await viaStdin("SELECT 1;\nDELETE FROM product_reviews;\n");
    expect(several.code).toBe(1);
    expect(several.err).toMatch(/expected one SQL statement, got 2: lakec query runs one statement per call, never only the first/);
    const empty = await viaStdin("  \n");
    expect(empty.code).toBe(2); // a usage error, like a missing argument
    expect(empty.err).toMatch(/no SQL on standard input/);
  });
});
