// Runs the shared clean/flatten SQL on DuckDB for real over a few hand-written lines, so the
// semantics every target prints are pinned by behaviour, not by text.
import { readFileSync } from "node:fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PipelineDoc } from "../compiler/doc.js";
import { lower } from "../compiler/lower.js";
import { cleanStages, tableSelect } from "../compiler/sql/clean.js";
import type { PipelineIR } from "../compiler/ir.js";

const LINES = [
  `{"overall": 5.0, "verified": true, "reviewTime": "09 1, 2016", "reviewerID": "A1", "asin": "B1", "style": {"Size:": " 7.0 oz", "Flavor:": " Classic"}, "reviewerName": " Amazon Customer ", "summary": " Great ", "unixReviewTime": 1472688000, "vote": "1,234", "image": ["u1", "u2"]}`,
  `{"overall": 4.0, "reviewTime": "09 1, 2016", "reviewerID": "A1", "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": 9.0, "reviewerID": "A2", "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": "abc", "reviewerID": "A3", "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": 3.0, "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": 3.0, "reviewerID": "A4", "asin": "B2", "unixReviewTime": 1472688000`,
  `[1, 2]`,
  ``,
  `{"overall": 2.0, "verified": "false", "reviewerID": "A5", "asin": "B2", "unixReviewTime": "1472774400", "reviewTime": "9 02, 2016", "vote": "7"}`,
];

let conn: DuckDBConnection;
let ir: PipelineIR;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJson() as Record<string, unknown>[];
}

beforeAll(async () => {
  ir = lower(parse(readFileSync("pipelines/reviews.yaml", "utf8")) as PipelineDoc, "pipelines/reviews.yaml");
  conn = await (await DuckDBInstance.create(":memory:")).connect();
  await conn.run("CREATE TABLE lines (line_no BIGINT, line VARCHAR, _source_file VARCHAR, _ingested_at TIMESTAMP)");
  for (const [i, l] of LINES.entries()) {
    await conn.run(`INSERT INTO lines VALUES (${i + 1}, '${l.replace(/'/g, "''")}', 'reviews/a.jsonl', TIMESTAMP '2024-01-01 00:00:00')`);
  }
  const st = cleanStages(ir.sources[0]!, "duckdb");
  for (const name of ["checked", "ranked"] as const) await conn.run(`CREATE TABLE ${name} AS ${st[name]}`);
  await conn.run(`CREATE TABLE clean AS ${st.clean}`);
  await conn.run(`CREATE TABLE quarantine AS ${st.quarantine}`);
  await conn.run(`CREATE TABLE counts AS ${st.counts}`);
});

afterAll(() => conn.closeSync());

describe("clean stages on DuckDB", () => {
  it("classifies every record and reconciles", async () => {
    const [c] = await rows("SELECT * FROM counts");
    expect(c).toEqual({ records_in: "8", clean: "2", invalid: "5", duplicates: "1" });
    const q = await rows("SELECT line_number, reason, reason_column FROM quarantine ORDER BY line_number");
    expect(q).toEqual([
      { line_number: "3", reason: "out_of_range", reason_column: "rating" },
      { line_number: "4", reason: "cast_failed", reason_column: "rating" },
      { line_number: "5", reason: "missing_required", reason_column: "reviewer_id" },
      { line_number: "6", reason: "malformed_json", reason_column: null },
      { line_number: "7", reason: "not_an_object", reason_column: null },
    ]);
  });

  it("cleans values: strip, trim, null_if, defaults, formats, epoch units, first record wins", async () => {
    const r = await rows(`SELECT reviewer_id, CAST(rating AS VARCHAR) rating, verified, CAST(reviewed_at AS VARCHAR) ts, CAST(review_date AS VARCHAR) d, helpful_votes, reviewer_name, title, style_size, style_flavor, _source_line FROM clean ORDER BY reviewer_id`);
    expect(r).toEqual([
      { reviewer_id: "A1", rating: "5.0", verified: true, ts: "2016-09-01 00:00:00", d: "2016-09-01", helpful_votes: "1234", reviewer_name: null, title: "Great", style_size: "7.0 oz", style_flavor: "Classic", _source_line: "1" },
      { reviewer_id: "A5", rating: "2.0", verified: false, ts: "2016-09-02 00:00:00", d: "2016-09-02", helpful_votes: "7", reviewer_name: null, title: null, style_size: null, style_flavor: null, _source_line: "9" },
    ]);
  });

  it("derives the record id from the key's canonical text", async () => {
    const [r] = await rows(`SELECT review_id, md5(concat_ws(chr(31), 'A1', 'B1', '1472688000000000')) AS expected FROM clean WHERE reviewer_id = 'A1'`);
    expect(r!.review_id).toBe(r!.expected);
  });

  it("flattens arrays into a child table with 0-based positions and carried keys", async () => {
    const child = ir.tables.find((t) => t.name === "product_review_images")!;
    const r = await rows(`SELECT reviewer_id, asin, position, image_url FROM (${tableSelect(child, "duckdb")}) ORDER BY position`);
    expect(r).toEqual([
      { reviewer_id: "A1", asin: "B1", position: "0", image_url: "u1" },
      { reviewer_id: "A1", asin: "B1", position: "1", image_url: "u2" },
    ]);
    const main = ir.tables.find((t) => t.name === "product_reviews")!;
    const m = await rows(`SELECT count(*) AS n FROM (${tableSelect(main, "duckdb")})`);
    expect(m[0]!.n).toBe("2");
  });
});
