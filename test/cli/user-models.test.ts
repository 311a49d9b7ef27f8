// Hand-written dbt models beside the generated ones (issue 14): a model with a window function
// and a percentile that refs a generated mart, its schema tests and a singular test, built by
// `lakec run`, tested by `lakec test`, checked by `lakec validate` (a removed column fails there
// with LK602 and its line:col), narrowed by --select.
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { DBT_PROJECT_CODES } from "../../targets/dbt/user-project.js";
import { runDev } from "../../cli/dev.js";
import { lakecIn, MIXED_LINES, review, removeTempDirs, tempDir, warehouseRows, writeLines } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const RANKS = `{{ config(materialized='table', tags=['custom']) }}
-- Each product's days ranked by rating, with the product's median daily rating.
with daily as (
  select asin, review_date, avg_rating, reviews
  from {{ ref('product_daily_ratings') }}
  where reviews >= {{ var('min_reviews', 1) }}
)
select
  asin,
  review_date,
  avg_rating,
  rank() over (partition by asin order by avg_rating desc, review_date) as day_rank,
  quantile_cont(avg_rating, 0.5) over (partition by asin) as median_rating
from daily
`;

const RANKS_YML = `version: 2
models:
  - name: product_rating_ranks
    description: Days ranked per product.
    columns:
      - name: asin
        data_tests: [not_null]
      - name: day_rank
        data_tests:
          - not_null
`;

/** A model on a model: hand-written models ref each other. */
const BEST_DAYS = `select asin, review_date as best_day, median_rating from {{ ref('product_rating_ranks') }} where day_rank = 1
`;

const MEDIAN_TEST = `-- A median daily rating outside 1..5 is impossible.
select * from {{ ref('product_rating_ranks') }} where median_rating < 1 or median_rating > 5
`;

async function put(root: string, rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

/** A project folder: the reference pipeline and a dbt/ with the hand-written files. */
async function project(tag: string, files: Record<string, string>): Promise<string> {
  const root = await tempDir(tag);
  await mkdir(join(root, "pipelines"));
  await copyFile("pipelines/reviews.yaml", join(root, "pipelines/reviews.yaml"));
  for (const [rel, text] of Object.entries(files)) await put(root, rel, text);
  return root;
}

const GOOD = {
  "dbt/models/custom/reviews/product_rating_ranks.sql": RANKS,
  "dbt/models/custom/reviews/schema.yml": RANKS_YML,
  "dbt/models/custom/reviews/best_days.sql": BEST_DAYS,
  "dbt/tests/reviews/median_in_range.sql": MEDIAN_TEST,
};

async function diagnosticsOf(root: string): Promise<{ code: number; diagnostics: Diagnostic[]; err: string }> {
  const r = await lakecIn(root, "validate", "pipelines/reviews.yaml", "--json");
  const text = await lakecIn(root, "validate", "pipelines/reviews.yaml");
  return { code: r.code, diagnostics: (JSON.parse(r.out) as { diagnostics: Diagnostic[] }).diagnostics, err: text.err };
}

describe("hand-written models run with the generated ones", () => {
  let root: string;
  let lake: string;

  beforeAll(async () => {
    root = await project("user-models", GOOD);
    lake = join(root, ".lake");
    const lines = [
      ...MIXED_LINES,
      review(100, { asin: "B0A", overall: 2 }),
      review(101, { asin: "B0A", overall: 4, reviewTime: "06 26, 2018", unixReviewTime: 1530000000 }),
    ];
    await writeLines(join(root, "day1.jsonl"), lines);
  }, 30_000);

  it("validate binds them against the pipeline's columns and passes", async () => {
    const r = await lakecIn(root, "validate", "pipelines/reviews.yaml");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("run builds them in ref() order after the mart, and their tests pass", async () => {
    const r = await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake, "--input", join(root, "day1.jsonl"), "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as {
      result: { warehouse: { models: { name: string; rows: number }[]; tests: { name: string; failures: number }[] } };
    };
    const order = s.result.warehouse.models.map((m) => m.name);
    expect(order.indexOf("product_rating_ranks")).toBeGreaterThan(order.indexOf("product_daily_ratings"));
    expect(order.indexOf("best_days")).toBeGreaterThan(order.indexOf("product_rating_ranks"));
    const tests = s.result.warehouse.tests.map((t) => t.name);
    expect(tests).toEqual(
      expect.arrayContaining(["not_null_product_rating_ranks_asin", "not_null_product_rating_ranks_day_rank", "median_in_range"]),
    );
    expect(s.result.warehouse.tests.every((t) => t.failures === 0)).toBe(true);
  });

  it("the window function and the percentile agree with an independent computation over the mart", async () => {
    const mart = await warehouseRows(lake, "SELECT asin, review_date::VARCHAR AS d, avg_rating FROM product_daily_ratings");
    const ranks = await warehouseRows(lake, "SELECT asin, review_date::VARCHAR AS d, day_rank, median_rating FROM product_rating_ranks");
    expect(ranks.length).toBe(mart.length);
    const byAsin = new Map<string, { d: string; r: number }[]>();
    for (const m of mart) byAsin.set(String(m.asin), [...(byAsin.get(String(m.asin)) ?? []), { d: String(m.d), r: Number(m.avg_rating) }]);
    for (const row of ranks) {
      const days = byAsin.get(String(row.asin))!;
      const sorted = days.map((x) => x.r).sort((a, b) => a - b);
      const mid = (sorted.length - 1) / 2;
      const median = (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
      expect(Number(row.median_rating)).toBeCloseTo(median, 9);
      const me = days.find((x) => x.d === row.d)!;
      const better = days.filter((x) => x.r > me.r || (x.r === me.r && x.d < me.d)).length;
      expect(Number(row.day_rank)).toBe(better + 1);
    }
    const b0a = ranks.filter((r) => r.asin === "B0A");
    expect(b0a.map((r) => Number(r.median_rating))).toEqual([3, 3]);
  });

  it("lakec test runs the tests alone, read-only; a failing user test exits 1 with its name and rows", async () => {
    const before = (await stat(join(lake, "warehouse.duckdb"))).mtimeMs;
    const ok = await lakecIn(root, "test", "pipelines/reviews.yaml", "--lake", lake);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("PASS median_in_range");
    await put(
      root,
      "dbt/tests/reviews/no_low_best_day.sql",
      "{{ config(severity='error') }}\nselect asin, avg_rating from {{ ref('product_rating_ranks') }} where day_rank = 1 and asin = 'B0A' and avg_rating < 5\n",
    );
    const bad = await lakecIn(root, "test", "pipelines/reviews.yaml", "--lake", lake);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAIL no_low_best_day: 1 failing row\(s\)/);
    expect(bad.out).toMatch(/\d+ passed, 1 failed, 0 warned, 0 not built/);
    expect((await stat(join(lake, "warehouse.duckdb"))).mtimeMs).toBe(before);
    // The same test run by `lakec run` fails the run too.
    const run = await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake);
    expect(run.code).toBe(1);
    await rm(join(root, "dbt/tests/reviews/no_low_best_day.sql"));
  });

  it("--select narrows run and test like dbt; a selector that matches nothing is a usage error", async () => {
    const r = await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake, "--select", "product_rating_ranks+", "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { result: { warehouse: { models: { name: string }[]; tests: { name: string }[] } } };
    expect(s.result.warehouse.models.map((m) => m.name)).toEqual(["product_rating_ranks", "best_days"]);
    expect(s.result.warehouse.tests.map((t) => t.name).sort()).toEqual([
      "median_in_range",
      "not_null_product_rating_ranks_asin",
      "not_null_product_rating_ranks_day_rank",
    ]);
    const t = await lakecIn(root, "test", "pipelines/reviews.yaml", "--lake", lake, "--select", "tag:custom");
    expect(t.code).toBe(0);
    expect(t.out).not.toContain("product_daily_ratings");
    const typo = await lakecIn(root, "test", "pipelines/reviews.yaml", "--lake", lake, "--select", "product_rating_rank+");
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("--select 'product_rating_rank+' matches no model; did you mean 'product_rating_ranks'?");
    const runTypo = await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake, "--exclude", "nope");
    expect(runTypo.code).toBe(2);
  });

  it("a test of a model the warehouse does not have yet says so instead of failing with a DuckDB error", async () => {
    await put(root, "dbt/models/custom/reviews/later.sql", "select asin from {{ ref('best_days') }}\n");
    await put(root, "dbt/tests/reviews/later_has_rows.sql", "select 1 where (select count(*) from {{ ref('later') }}) = 0\n");
    const r = await lakecIn(root, "test", "pipelines/reviews.yaml", "--lake", lake, "--select", "later");
    expect(r.code).toBe(1);
    expect(r.out).toContain("ERROR later_has_rows: later not in the warehouse (run `lakec run` first)");
    await rm(join(root, "dbt/models/custom/reviews/later.sql"));
    await rm(join(root, "dbt/tests/reviews/later_has_rows.sql"));
  });
});

/** Runs a project with `reviews_per_product.sql` on 8 reviews, then on `second`; how the second run built the model. */
async function twoRuns(tag: string, model: string, second: readonly string[]): Promise<{ materialized?: string; lake: string }> {
  const root = await project(tag, { "dbt/models/custom/reviews/reviews_per_product.sql": model });
  const lake = join(root, ".lake");
  await writeLines(
    join(root, "a.jsonl"),
    Array.from({ length: 8 }, (_, i) => review(i)),
  );
  await writeLines(join(root, "b.jsonl"), second);
  expect((await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake, "--input", join(root, "a.jsonl"))).code).toBe(0);
  const r = await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake, "--input", join(root, "b.jsonl"), "--json");
  expect(r.code).toBe(0);
  const models = (JSON.parse(r.out) as { result: { warehouse: { models: { name: string; materialized: string }[] } } }).result.warehouse
    .models;
  const built = models.find((m) => m.name === "reviews_per_product")?.materialized;
  return { ...(built !== undefined && { materialized: built }), lake };
}

describe("incremental hand-written models", () => {
  it("an is_incremental() model with dbt's default strategy is rebuilt in full locally, so a second run counts every row once", async () => {
    const model = `{{ config(materialized='incremental', unique_key='asin') }}
select asin, count(*) as reviews, max(_arrival_seq) as seq
from {{ ref('stg_reviews__product_reviews') }}
{% if is_incremental() %}where _arrival_seq > (select coalesce(max(seq), 0) from {{ this }}){% endif %}
group by asin
`;
    const { materialized, lake } = await twoRuns(
      "user-incremental",
      model,
      Array.from({ length: 8 }, (_, i) => review(i + 8)),
    );
    expect(materialized).toBe("table");
    const rows = await warehouseRows(lake, "SELECT asin, reviews::INT AS n FROM reviews_per_product ORDER BY asin");
    expect(rows).toEqual(["B0", "B1", "B2", "B3"].map((asin) => ({ asin, n: 4 })));
  });
});

describe("lakec dev", () => {
  it("builds hand-written models with each batch and reads an edit with the next one; a broken edit is reported, not fatal", async () => {
    const root = await project("user-dev", {
      "dbt/models/custom/reviews/rating_counts.sql":
        "select rating, count(*) as n from {{ ref('stg_reviews__product_reviews') }} group by rating\n",
    });
    let out = "";
    const waiters: { re: RegExp; resolve: () => void }[] = [];
    const heard = (t: string): void => {
      out += t;
      for (const w of waiters.filter((x) => x.re.test(out))) w.resolve();
    };
    const waitFor = (re: RegExp): Promise<void> =>
      re.test(out) ? Promise.resolve() : new Promise((resolve) => waiters.push({ re, resolve }));
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const done = runDev(
      { io: { out: heard, err: heard, cwd: root }, exit: () => undefined },
      "pipelines/reviews.yaml",
      { lake: ".lake", memoryLimit: "1GB", threads: "2" },
      until,
    );
    await waitFor(/watching for raw files/);
    await mkdir(join(root, ".lake/raw/reviews"), { recursive: true });
    await writeLines(join(root, ".lake/raw/reviews/one.jsonl"), MIXED_LINES);
    await waitFor(/marts updated in [0-9.]+s/);
    await put(
      root,
      "dbt/models/custom/reviews/rating_counts.sql",
      "select rating, count(*) as n from {{ ref('stg_reviews__product_reviews') }} group by ratin\n",
    );
    await writeLines(join(root, ".lake/raw/reviews/two.jsonl"), [review(50)]);
    await waitFor(/warehouse not built: .*rating_counts/);
    stop();
    await done;
    expect(await warehouseRows(join(root, ".lake"), "SELECT sum(n)::INT AS n FROM rating_counts")).toEqual([{ n: 20 }]);
  }, 120_000);
});

describe("an incremental hand-written model with lakec_replace", () => {
  it("runs incrementally on the second run (only the touched keys) and ends with the rows a full build gives", async () => {
    const model = `{{ config(materialized='incremental', unique_key='asin', incremental_strategy='lakec_replace', lakec_row_marker='_arrival_seq') }}
select asin, count(*) as reviews, max(_arrival_seq) as _arrival_seq
from {{ ref('stg_reviews__product_reviews') }}
{% if is_incremental() %}
where asin in (select asin from {{ ref('stg_reviews__product_reviews') }} where _arrival_seq > (select coalesce(max(_arrival_seq), 0) from {{ this }}))
{% endif %}
group by asin
`;
    const { materialized, lake } = await twoRuns("user-lakec-replace", model, [review(8, { asin: "B0" }), review(9, { asin: "B9" })]);
    expect(materialized).toBe("incremental (2 ids)");
    const rows = await warehouseRows(lake, "SELECT asin, reviews::INT AS n FROM reviews_per_product ORDER BY asin");
    expect(rows).toEqual([
      { asin: "B0", n: 3 },
      { asin: "B1", n: 2 },
      { asin: "B2", n: 2 },
      { asin: "B3", n: 2 },
      { asin: "B9", n: 1 },
    ]);
  });
});

describe("plan, apply and graph see hand-written models", () => {
  it("a new hand-written model is a plan step of the local layer, apply builds it, then there is nothing to do; graph draws it", async () => {
    const root = await project("user-plan", GOOD);
    const lake = join(root, ".lake");
    await writeLines(join(root, "day1.jsonl"), MIXED_LINES);
    expect((await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", lake, "--input", join(root, "day1.jsonl"))).code).toBe(0);
    expect((await lakecIn(root, "plan", "pipelines/reviews.yaml", "--lake", lake)).out).toContain("No changes.");
    await put(
      root,
      "dbt/models/custom/reviews/days_per_product.sql",
      "select asin, count(*) as days from {{ ref('product_rating_ranks') }} group by asin\n",
    );
    const plan = await lakecIn(root, "plan", "pipelines/reviews.yaml", "--lake", lake);
    expect(plan.out).toMatch(/\+ model days_per_product\n\s+# new model/);
    const apply = await lakecIn(root, "apply", "pipelines/reviews.yaml", "--lake", lake, "--yes");
    expect(apply.code).toBe(0);
    expect(await warehouseRows(lake, "SELECT count(*) AS n FROM days_per_product")).toEqual([{ n: expect.anything() }]);
    expect((await lakecIn(root, "plan", "pipelines/reviews.yaml", "--lake", lake)).out).toContain("No changes.");
    const graph = await lakecIn(root, "graph", "pipelines/reviews.yaml");
    expect(graph.out).toMatch(/(n\d+)\["model product_rating_ranks \(hand-written\)"\]/);
    const ranks = /(n\d+)\["model product_rating_ranks \(hand-written\)"\]/.exec(graph.out)![1]!;
    const mart = /subgraph (n\d+)\["mart product_daily_ratings"\]/.exec(graph.out)![1]!;
    expect(graph.out).toContain(`${mart} ==> ${ranks}`);
    // lakec docs shows the hand-written files, and the mart's page links to where they use it.
    expect((await lakecIn(root, "docs", "pipelines/reviews.yaml", "--out", "site")).code).toBe(0);
    expect((await stat(join(root, "site/p/reviews/a/dbt/models/custom/reviews/product_rating_ranks.sql.html"))).isFile()).toBe(true);
    expect((await stat(join(root, "site/p/reviews/a/dbt/tests/reviews/median_in_range.sql.html"))).isFile()).toBe(true);
    expect(await readFile(join(root, "site/p/reviews/mart-product_daily_ratings.html"), "utf8")).toContain(
      "custom/reviews/product_rating_ranks.sql.html",
    );
  });
});

describe("lakec validate checks hand-written files against the IR", () => {
  it("a column the pipeline does not have fails with LK602 at its line and column, with the mart's columns as hint", async () => {
    const root = await project("user-removed-column", {
      ...GOOD,
      "dbt/models/custom/reviews/product_rating_ranks.sql": RANKS.replace("avg_rating, reviews\n", "avg_rating, review_count\n"),
    });
    const r = await diagnosticsOf(root);
    expect(r.code).toBe(1);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ file: "dbt/models/custom/reviews/product_rating_ranks.sql", line: 4, col: 41, code: "LK602" }),
    ]);
    expect(r.err).toContain(
      "dbt/models/custom/reviews/product_rating_ranks.sql:4:41 error LK602: model product_rating_ranks: column 'review_count' does not exist",
    );
    expect(r.err).toMatch(/hint: columns of ref\('product_daily_ratings'\): grain_key, asin, review_date, reviews, avg_rating/);
    // run refuses before processing anything: no half-built warehouse.
    const run = await lakecIn(root, "run", "pipelines/reviews.yaml", "--lake", join(root, ".lake"), "--demo");
    expect(run.code).toBe(1);
    await expect(stat(join(root, ".lake", "warehouse.duckdb"))).rejects.toThrow();
  });

  it("compile checks them too: a broken hand-written model fails it and nothing is written; a good one is kept as it is", async () => {
    const root = await project("user-compile", {
      ...GOOD,
      "dbt/models/custom/reviews/product_rating_ranks.sql": RANKS.replace("avg_rating, reviews\n", "avg_rating, review_count\n"),
    });
    const bad = await lakecIn(root, "compile", "pipelines/reviews.yaml");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("error LK602");
    await expect(stat(join(root, "generated"))).rejects.toThrow();
    await put(root, "dbt/models/custom/reviews/product_rating_ranks.sql", RANKS);
    const good = await lakecIn(root, "compile", "pipelines/reviews.yaml");
    expect(good.code).toBe(0);
    expect(await readFile(join(root, "dbt/models/custom/reviews/product_rating_ranks.sql"), "utf8")).toBe(RANKS);
    expect((await stat(join(root, "dbt/models/marts/reviews/product_daily_ratings.sql"))).isFile()).toBe(true);
  });

  it("a column the pipeline renames: an edit to pipeline.yaml breaks the hand-written model in validate", async () => {
    const root = await project("user-renamed", GOOD);
    const yaml = await readFile(join(root, "pipelines/reviews.yaml"), "utf8");
    expect(yaml).toContain("avg_rating");
    await writeFile(join(root, "pipelines/reviews.yaml"), yaml.replace(/\bavg_rating\b/g, "mean_rating"));
    const r = await diagnosticsOf(root);
    expect(r.code).toBe(1);
    expect(r.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}`)).toEqual([
      "LK602 dbt/models/custom/reviews/product_rating_ranks.sql:4",
    ]);
  });

  it("reports every problem at once: unknown ref, unknown source, Jinja syntax, a name clash, properties of a missing model, an unknown test", async () => {
    const root = await project("user-errors", {
      "dbt/models/custom/reviews/a.sql": "select * from {{ ref('product_daily_rating') }}\n",
      "dbt/models/custom/reviews/b.sql": "select * from {{ source('reviews', 'product_review') }}\n",
      "dbt/models/custom/reviews/c.sql": "select 1\n{% if true %}\n",
      "dbt/models/custom/reviews/reviewer_activity.sql": "select 1 as x\n",
      "dbt/models/custom/reviews/props.yml":
        "version: 2\nmodels:\n  - name: nothing_here\n  - name: a\n    columns:\n      - name: asin\n        data_tests: [dbt_utils.not_empty_string]\n",
      "dbt/tests/reviews/t.sql": "select * from {{ ref('zzz') }}\n",
    });
    const r = await diagnosticsOf(root);
    expect(r.code).toBe(1);
    const got = r.diagnostics.map((d) => `${d.file.replace("dbt/", "")}:${d.line}:${d.col} ${d.code}`).sort();
    expect(got).toEqual([
      "models/custom/reviews/a.sql:1:23 LK601",
      "models/custom/reviews/b.sql:1:37 LK604",
      expect.stringMatching(/^models\/custom\/reviews\/c\.sql:\d+:\d+ LK603$/),
      "models/custom/reviews/props.yml:3:11 LK607",
      expect.stringMatching(/^models\/custom\/reviews\/props\.yml:7:\d+ LK607$/),
      "models/custom/reviews/reviewer_activity.sql:1:1 LK605",
      "tests/reviews/t.sql:1:23 LK601",
    ]);
    expect(r.err).toContain("hint: did you mean 'product_daily_ratings'?");
    expect(r.err).toContain("hint: sources of pipeline reviews: product_reviews, product_review_images; did you mean 'product_reviews'?");
    expect(r.err).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it("a schema test on a column the hand-written model does not have is LK602 at the column's line in the .yml", async () => {
    const root = await project("user-yml-column", {
      ...GOOD,
      "dbt/models/custom/reviews/schema.yml": RANKS_YML.replace("- name: day_rank", "- name: day_rnk"),
    });
    const r = await diagnosticsOf(root);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ file: "dbt/models/custom/reviews/schema.yml", line: 8, col: 15, endCol: 22, code: "LK602" }),
    ]);
    expect(r.err).toContain("did you mean 'day_rank'?");
  });

  it("one dbt project for all pipelines: a hand-written model may not take another pipeline's model name (LK605)", async () => {
    const root = await project("user-clash", {
      "dbt/models/custom/yelp/product_daily_ratings.sql": "select 1 as x\n",
      "dbt/models/custom/yelp/top.sql": "select 1 as x\n",
      "dbt/models/custom/reviews/top.sql": "select 2 as x\n",
    });
    await copyFile("pipelines/yelp.yaml", join(root, "pipelines/yelp.yaml"));
    const r = await lakecIn(root, "validate", "pipelines/reviews.yaml", "pipelines/yelp.yaml", "--json");
    expect(r.code).toBe(1);
    const got = (JSON.parse(r.out) as { diagnostics: Diagnostic[] }).diagnostics.map((d) => `${d.code} ${d.file}: ${d.message}`);
    expect(got).toEqual([
      "LK605 dbt/models/custom/yelp/product_daily_ratings.sql: model name 'product_daily_ratings' is taken by a generated model of pipeline reviews",
      "LK605 dbt/models/custom/yelp/top.sql: model name 'top' is taken by hand-written dbt/models/custom/reviews/top.sql",
    ]);
  });

  it("every LK6xx code has its row in docs/language.md", async () => {
    const docs = await readFile("docs/language.md", "utf8");
    for (const [code, rule] of Object.entries(DBT_PROJECT_CODES)) expect(docs).toContain(`| \`${code}\` | error | ${rule} |`);
  });

  it("hand-written models that ref each other in a cycle fail with LK606", async () => {
    const root = await project("user-cycle", {
      "dbt/models/custom/reviews/x.sql": "select * from {{ ref('y') }}\n",
      "dbt/models/custom/reviews/y.sql": "select * from {{ ref('x') }}\n",
    });
    const r = await diagnosticsOf(root);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["LK606"]);
  });

  it("SQL that does not parse on DuckDB is LK608 at the offending word", async () => {
    const root = await project("user-syntax", {
      "dbt/models/custom/reviews/s.sql": "select asin\nfrom {{ ref('product_daily_ratings') }}\nwehre reviews > 1\n",
    });
    const r = await diagnosticsOf(root);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: "LK608", line: 3 })]);
  });
});
