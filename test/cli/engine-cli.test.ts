// `lakec run`, `lakec query` and `lakec show` in-process: exit codes, the readable report,
// --json, --format, and the mistakes a user makes (unknown table, no warehouse, bad flags).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import type { RunSummary } from "../../engine/index.js";
import { processStart } from "../../engine/open-lake.js";
import { MIXED_LINES, review, tempDir, writeLines, removeTempDirs } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

async function lakec(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), cwd: process.cwd() });
  return { code, out, err };
}

let dir: string;
let lake: string;

beforeAll(async () => {
  dir = await tempDir("cli");
  lake = join(dir, ".lake");
}, 30_000);

describe("lakec run", () => {
  // The README's first command (`npm start`) is this, on the default lake.
  it("--demo processes the bundled sample, passes every dbt test, prints a mart's top rows and a query that works as printed", async () => {
    const demoLake = join(dir, "demo lake");
    const r = await lakec("run", "pipelines/reviews.yaml", "--demo", "--lake", demoLake);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/reviews\/demo-reviews\.jsonl\s+processed\s+2000\s+\d+\s+\d+\s+\d+\s+ok/);
    expect(r.out).toMatch(/tests: \d+ passed, 0 failed/);
    expect(r.out).toContain("top rows of product_daily_ratings:");
    const hint = /look further: lakec query pipelines\/reviews\.yaml --lake '([^']+)' "(.+)"\n/.exec(r.out);
    expect(hint?.[1]).toBe(demoLake);
    const q = await lakec("query", "pipelines/reviews.yaml", "--lake", hint![1]!, hint![2]!, "--format", "json");
    expect(q.code).toBe(0);
    expect((JSON.parse(q.out) as { result: { rows: unknown[] } }).result.rows.length).toBe(20);
  });

  it("prints the report and exits 0 on a clean run", async () => {
    const input = await writeLines(join(dir, "day1.jsonl"), MIXED_LINES);
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--input", input, "--memory-limit", "512MB");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/reviews\/day1\.jsonl\s+processed\s+27\s+20\s+5\s+2\s+ok/);
    expect(r.out).toContain("quarantined: cast_failed 1, malformed_json 1, missing_required 1, not_an_object 1, out_of_range 1");
    expect(r.out).toMatch(/product_reviews\s+20\s+20/);
    expect(r.out).toMatch(/tests: \d+ passed, 0 failed/);
    // One line per model and per test with its time, as dbt prints them.
    expect(r.out).toMatch(/^product_daily_ratings\s+incremental \(full build\)\s+\d+\s+\d+(ms|\.\d\ds)$/m);
    const passed = Number(/tests: (\d+) passed/.exec(r.out)![1]);
    const testLines = r.out.split("\n").filter((l) => /^ {2}PASS\s+\S+\s+\d+(ms|\.\d\ds)$/.test(l));
    expect(testLines.length).toBe(passed);
    expect(r.out).toMatch(/^ {2}PASS\s+not_null_stg_reviews__product_reviews_review_id\s+\d+(ms|\.\d\ds)$/m);
  });

  it("--json prints the summary for machines; a rerun skips the file", async () => {
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { command: string; ok: boolean; result: RunSummary };
    expect(doc).toMatchObject({ command: "run", ok: true });
    const s = doc.result;
    expect(s.files.map((f) => [f.rawKey, f.status])).toEqual([["reviews/day1.jsonl", "skipped"]]);
    expect(s.tables.find((t) => t.name === "product_reviews")).toMatchObject({ rowsWritten: 0, totalRows: 20 });
    expect(s.ok).toBe(true);
    const text = await lakec("run", "pipelines/reviews.yaml", "--lake", lake);
    expect(text.out).toContain("1 unchanged file(s) skipped: already processed with this pipeline's semantics");
    expect(text.out).not.toContain("reviews/day1.jsonl");
  });

  it("a warehouse that cannot be built is the run's problem (exit 1, files reported), not an internal error", async () => {
    const whLake = join(dir, "wh-lake");
    const { mkdir, readdir, writeFile } = await import("node:fs/promises");
    const first = await lakec(
      "run",
      "pipelines/reviews.yaml",
      "--lake",
      whLake,
      "--input",
      await writeLines(join(dir, "wh1.jsonl"), [review(1), review(2)]),
      "--memory-limit",
      "512MB",
    );
    expect(first.code).toBe(0);
    // A Parquet file that is not one, beside a published one (a file the manifest does not list,
    // so the run's check of published files does not repair it): the views that read it fail.
    const partition = join(whLake, "processed", "product_reviews", "review_date=2016-09-02");
    const [slot] = await readdir(partition);
    await mkdir(join(partition, slot!), { recursive: true });
    await writeFile(join(partition, slot!, "part-1.parquet"), "not parquet");
    // An incremental run reads only newly arrived files; the full refresh reads every one.
    const r = await lakec(
      "run",
      "pipelines/reviews.yaml",
      "--lake",
      whLake,
      "--input",
      await writeLines(join(dir, "wh2.jsonl"), [review(3)]),
      "--memory-limit",
      "512MB",
      "--json",
      "--full-refresh",
    );
    expect(r.err).not.toContain("internal error");
    expect(r.code).toBe(1);
    const s = (JSON.parse(r.out) as { result: RunSummary }).result;
    expect(s.files.map((f) => [f.rawKey, f.status])).toEqual([
      ["reviews/wh1.jsonl", "skipped"],
      ["reviews/wh2.jsonl", "processed"],
    ]);
    expect(s.warehouse.error).toMatch(/part-1\.parquet/);
    expect(s.problems).toEqual([expect.stringMatching(/^warehouse not built: /)]);
    // The failed build rolled back (the models stay as the last good build left them); a full
    // refresh fails again on the broken file.
    const text = await lakec("run", "pipelines/reviews.yaml", "--lake", whLake, "--full-refresh");
    expect(text.code).toBe(1);
    expect(text.out).toContain("1 problem(s):\n  warehouse not built: ");
    expect(text.out).toContain("tests: not run, the warehouse was not built (see problems)");
  });

  it("exits 1 when a file fails, and still processes the others", async () => {
    const failLake = join(dir, "fail-lake");
    const bad = await writeLines(join(dir, "bad.jsonl"), [review(1), "{not json"]);
    const good = await writeLines(join(dir, "good.jsonl"), [review(2)]);
    const { writeFile, readFile } = await import("node:fs/promises");
    const pipeline = join(dir, "strict.yaml");
    await writeFile(pipeline, (await readFile("pipelines/reviews.yaml", "utf8")).replace("on_invalid: quarantine", "on_invalid: fail"));
    const r = await lakec("run", pipeline, "--lake", failLake, "--input", bad, good);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/reviews\/bad\.jsonl\s+failed/);
    expect(r.out).toMatch(/reviews\/good\.jsonl\s+processed/);
    expect(r.out).toContain("error: lakec.InvalidRecords: 1 invalid record(s) and on_invalid is fail (first: line 2, malformed_json)");
  });

  it("exits 1 with counts and sample rows when a dbt test fails", async () => {
    // A Parquet file with NULL ids beside a published one, as a foreign writer would leave it.
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const { mkdir, readdir } = await import("node:fs/promises");
    const damaged = join(dir, "damaged-lake");
    expect((await lakec("run", "pipelines/reviews.yaml", "--lake", damaged, "--input", join(dir, "day1.jsonl"))).code).toBe(0);
    const part = join(damaged, "processed", "product_reviews", "review_date=2016-09-01");
    const [input] = await readdir(part);
    await mkdir(join(part, input!), { recursive: true });
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    await db.run(
      `COPY (SELECT * REPLACE (NULL::VARCHAR AS review_id) FROM read_parquet('${join(part, input!, "part-0.parquet")}') LIMIT 1) TO '${join(part, input!, "part-1.parquet")}' (FORMAT parquet)`,
    );
    db.closeSync();
    // The foreign file carries an arrival the models already saw, so only a full refresh reads it.
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", damaged, "--full-refresh");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL not_null_stg_reviews__product_reviews_review_id: 1 row\(s\)/);
    expect(r.out).toMatch(/\{"review_id":null,"reviewer_id":"R\d+"/);
    expect(r.out).toContain("test not_null_stg_reviews__product_reviews_review_id failed: 1 row(s)");
  });

  it("refuses a lake another live process has open, and takes over a dead one's lock", async () => {
    const { writeFile, readFile } = await import("node:fs/promises");
    const lock = join(lake, "state", "lake.lock");
    const held = JSON.stringify({ pid: process.ppid, start: processStart(process.ppid) });
    await writeFile(lock, held);
    const busy = await lakec("run", "pipelines/reviews.yaml", "--lake", lake);
    expect(busy.code).toBe(1);
    expect(busy.err).toContain(`is in use by process ${process.ppid}`);
    expect(await readFile(lock, "utf8")).toBe(held);
    await writeFile(lock, "999999999");
    expect((await lakec("run", "pipelines/reviews.yaml", "--lake", lake)).code).toBe(0);
    await expect(readFile(lock, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("rejects bad flags and unknown sources as usage errors", async () => {
    expect((await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--memory-limit", "lots")).err).toContain(
      "--memory-limit lots: expected a size",
    );
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--input", join(dir, "day1.jsonl"), "--source", "nope");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--source nope: pipeline reviews has no such source (sources: product_reviews)");
  });

  it("never replaces a raw file, and needs --source when the pipeline has several", async () => {
    const other = join(dir, "other");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(other, { recursive: true });
    const clash = await writeLines(join(other, "day1.jsonl"), [review(99)]);
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--input", clash);
    expect(r.code).toBe(2);
    expect(r.err).toContain("raw/reviews/day1.jsonl already exists with different content; raw files are never replaced");
    const yelp = await lakec("run", "pipelines/yelp.yaml", "--lake", join(dir, "yelp-lake"), "--input", clash);
    expect(yelp.code).toBe(2);
    expect(yelp.err).toContain("pipeline yelp has 2 sources; say which one with --source (business, review)");
  });

  it("documents how inputs map to sources in --help", async () => {
    const r = await lakec("run", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("the source named by --source");
    expect(r.out).toContain("the only source, when the pipeline has one");
  });
});

describe("lakec query and show", () => {
  it("query prints an aligned table by default", async () => {
    const r = await lakec(
      "query",
      "pipelines/reviews.yaml",
      "SELECT asin, count(*) AS n FROM product_reviews GROUP BY asin ORDER BY asin",
      "--lake",
      lake,
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe(["asin | n", "-----+--", "B0   | 5", "B1   | 5", "B2   | 5", "B3   | 5", "(4 rows)", ""].join("\n"));
  });

  it("query --format csv and json", async () => {
    const sql = "SELECT reviewer_id, title FROM product_reviews WHERE reviewer_id IN ('R1', 'R2') ORDER BY 1";
    expect((await lakec("query", "pipelines/reviews.yaml", sql, "--lake", lake, "--format", "csv")).out).toBe(
      "reviewer_id,title\nR1,Summary 1\nR2,Summary 2\n",
    );
    const json = JSON.parse((await lakec("query", "pipelines/reviews.yaml", sql, "--lake", lake, "--format", "json")).out) as {
      result: unknown;
    };
    expect(json.result).toEqual({
      columns: ["reviewer_id", "title"],
      types: ["VARCHAR", "VARCHAR"],
      rows: [
        { reviewer_id: "R1", title: "Summary 1" },
        { reviewer_id: "R2", title: "Summary 2" },
      ],
    });
  });

  it("a SQL mistake exits 1 with DuckDB's message", async () => {
    const r = await lakec("query", "pipelines/reviews.yaml", "SELECT nope FROM product_reviews", "--lake", lake);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Referenced column "nope" not found');
  });

  it("show prints a table's first rows and suggests names for a typo", async () => {
    const r = await lakec("show", "pipelines/reviews.yaml", "product_reviews", "--lake", lake, "--limit", "3", "--format", "json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { command: string; result: { rows: unknown[] } }).result.rows.length).toBe(3);
    const typo = await lakec("show", "pipelines/reviews.yaml", "product_review", "--lake", lake);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("did you mean 'product_reviews'?");
  });

  it("says to run first when there is no warehouse", async () => {
    const r = await lakec("query", "pipelines/reviews.yaml", "SELECT 1", "--lake", join(dir, "nothing-here"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("no warehouse at");
    expect(r.err).toContain("run `lakec run` first");
  });
});
