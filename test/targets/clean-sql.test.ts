// Runs the shared clean/flatten SQL on DuckDB for real over a few hand-written lines, so the
// semantics every target prints are pinned by behaviour, not by text.
import { readFileSync } from "node:fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PipelineDoc } from "../../compiler/doc.js";
import { lower } from "../../compiler/lower.js";
import { cleanStages, rankedInTwoSteps, tableSelect } from "../../compiler/sql/clean.js";
import type { PipelineIR } from "../../compiler/ir.js";

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
  await conn.run("CREATE TABLE lines (line_no BIGINT, line VARCHAR, _source_file VARCHAR, _ingested_at TIMESTAMP, _arrival_seq BIGINT)");
  for (const [i, l] of LINES.entries()) {
    await conn.run(
      `INSERT INTO lines VALUES (${i + 1}, '${l.replace(/'/g, "''")}', 'reviews/a.jsonl', TIMESTAMP '2024-01-01 00:00:00', 1)`,
    );
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
    const r = await rows(
      `SELECT reviewer_id, CAST(rating AS VARCHAR) rating, verified, CAST(reviewed_at AS VARCHAR) ts, CAST(review_date AS VARCHAR) d, helpful_votes, reviewer_name, title, style_size, style_flavor, _source_line FROM clean ORDER BY reviewer_id`,
    );
    expect(r).toEqual([
      {
        reviewer_id: "A1",
        rating: "5.0",
        verified: true,
        ts: "2016-09-01 00:00:00",
        d: "2016-09-01",
        helpful_votes: "1234",
        reviewer_name: null,
        title: "Great",
        style_size: "7.0 oz",
        style_flavor: "Classic",
        _source_line: "1",
      },
      {
        reviewer_id: "A5",
        rating: "2.0",
        verified: false,
        ts: "2016-09-02 00:00:00",
        d: "2016-09-02",
        helpful_votes: "7",
        reviewer_name: null,
        title: null,
        style_size: null,
        style_flavor: null,
        _source_line: "9",
      },
    ]);
  });

  it("derives the record id from the key's canonical text", async () => {
    const [r] = await rows(
      `SELECT review_id, md5(concat_ws(chr(31), 'A1', 'B1', '1472688000000000')) AS expected FROM clean WHERE reviewer_id = 'A1'`,
    );
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

describe("ranking in two steps (the local engine's form of `ranked`)", () => {
  const rec = (reviewer: string, overall: number): string =>
    `{"overall": ${overall}, "reviewerID": "${reviewer}", "asin": "B1", "unixReviewTime": 1472688000}`;
  // X three times; Y valid, then invalid with the same id (out of range), then valid again;
  // an invalid W before its valid copy; Z once; one line that is not JSON.
  const DUPS = [
    rec("X", 5),
    rec("Y", 4),
    rec("Z", 3),
    rec("X", 5),
    rec("Y", 9),
    rec("W", 0),
    rec("X", 5),
    rec("Y", 4),
    rec("W", 2),
    "not json",
  ];

  it("keeps the same first records and counts the same duplicates as `ranked`, third copies included", async () => {
    const c = await (await DuckDBInstance.create(":memory:")).connect();
    try {
      await c.run("CREATE TABLE lines (line_no BIGINT, line VARCHAR, _source_file VARCHAR, _ingested_at TIMESTAMP, _arrival_seq BIGINT)");
      for (const [i, l] of DUPS.entries())
        await c.run(`INSERT INTO lines VALUES (${i + 1}, '${l}', 'reviews/d.jsonl', TIMESTAMP '2024-01-01 00:00:00', 1)`);
      const src = ir.sources[0]!;
      const st = cleanStages(src, "duckdb");
      const two = rankedInTwoSteps(src, "duckdb");
      await c.run(`CREATE TABLE checked AS ${st.checked}`);
      await c.run(`CREATE TABLE one_step AS ${st.ranked}`);
      await c.run(`CREATE TABLE ranked AS ${two.provisional}`);
      await c.run(`UPDATE ranked SET _dup_rank = 2 WHERE line_no IN (${two.laterDuplicates})`);
      const kinds = async (table: string) =>
        (
          await c.runAndReadAll(
            `SELECT line_no, CASE WHEN _reason IS NOT NULL THEN 'invalid' WHEN _dup_rank = 1 THEN 'first' ELSE 'duplicate' END AS kind FROM ${table} ORDER BY line_no`,
          )
        ).getRowObjectsJson();
      const expected = ["first", "first", "first", "duplicate", "invalid", "invalid", "duplicate", "duplicate", "first", "invalid"].map(
        (kind, i) => ({ line_no: String(i + 1), kind }),
      );
      expect(await kinds("one_step")).toEqual(expected);
      expect(await kinds("ranked")).toEqual(expected);
      const counts = async (table: string) =>
        (await c.runAndReadAll(st.counts.replace(/FROM ranked$/, `FROM ${table}`))).getRowObjectsJson();
      expect(await counts("ranked")).toEqual(await counts("one_step"));
      expect(await counts("ranked")).toEqual([{ records_in: "10", clean: "4", invalid: "3", duplicates: "3" }]);
    } finally {
      c.closeSync();
    }
  });
});

describe("yelp shapes on DuckDB", () => {
  let yc: DuckDBConnection;
  let yir: PipelineIR;
  const BIZ = [
    `{"business_id":"b1","name":" Cafe ","city":"Tucson","state":"AZ","stars":3.5,"review_count":22,"is_open":1,"attributes":{"BikeParking":"True","RestaurantsPriceRange2":"2","WiFi":"u'free'","RestaurantsDelivery":"None"},"categories":"Food, Coffee & Tea,, ","hours":{"Monday":"8:0-18:30","Tuesday":"8:0-14:0"}}`,
    `{"business_id":"b2","name":"Shop","city":"Reno","state":"NV","stars":4.0,"review_count":1,"is_open":0,"attributes":null,"categories":null,"hours":null}`,
    `{"business_id":"b3","name":"Bad","stars":3.7}`,
  ];
  beforeAll(async () => {
    yir = lower(parse(readFileSync("pipelines/yelp.yaml", "utf8")) as PipelineDoc, "pipelines/yelp.yaml");
    yc = await (await DuckDBInstance.create(":memory:")).connect();
    await yc.run("CREATE TABLE lines (line_no BIGINT, line VARCHAR, _source_file VARCHAR, _ingested_at TIMESTAMP, _arrival_seq BIGINT)");
    for (const [i, l] of BIZ.entries())
      await yc.run(
        `INSERT INTO lines VALUES (${i + 1}, '${l.replace(/'/g, "''")}', 'yelp/business/a.json', TIMESTAMP '2024-01-01 00:00:00', 1)`,
      );
    const st = cleanStages(yir.sources[0]!, "duckdb");
    for (const name of ["checked", "ranked", "clean", "quarantine"] as const) await yc.run(`CREATE TABLE ${name} AS ${st[name]}`);
  });
  afterAll(() => yc.closeSync());
  const q = async (sql: string) => (await yc.runAndReadAll(sql)).getRowObjectsJson();

  it("casts object keys into typed columns and quarantines values outside accepted_values", async () => {
    expect(
      await q(
        "SELECT business_id, name, attributes_bike_parking AS bp, attributes_price_range AS pr, attributes_wifi AS wifi, attributes_delivery AS dl, is_open FROM clean ORDER BY 1",
      ),
    ).toEqual([
      { business_id: "b1", name: "Cafe", bp: true, pr: "2", wifi: "free", dl: null, is_open: true },
      { business_id: "b2", name: "Shop", bp: null, pr: null, wifi: null, dl: null, is_open: false },
    ]);
    expect(await q("SELECT reason, reason_column FROM quarantine")).toEqual([{ reason: "not_accepted", reason_column: "stars" }]);
  });

  it("splits delimited strings and expands dynamic-key objects into child tables", async () => {
    const cats = yir.tables.find((t) => t.name === "business_categories")!;
    expect(await q(`SELECT business_id, position, category FROM (${tableSelect(cats, "duckdb")}) ORDER BY position`)).toEqual([
      { business_id: "b1", position: "0", category: "Food" },
      { business_id: "b1", position: "1", category: "Coffee & Tea" },
    ]);
    const hours = yir.tables.find((t) => t.name === "business_hours")!;
    expect(await q(`SELECT day_of_week, opening_hours FROM (${tableSelect(hours, "duckdb")}) ORDER BY 1`)).toEqual([
      { day_of_week: "Monday", opening_hours: "8:0-18:30" },
      { day_of_week: "Tuesday", opening_hours: "8:0-14:0" },
    ]);
  });
});
