// The incremental models, as they ship: the emitted dbt models' incremental form (is_incremental()
// true, {{ this }} bound) and the emitted lakec_replace strategy macro, rendered for DuckDB and run
// by the engine's model stage. After every delivery the incrementally maintained models must
// equal the same models built from scratch.
import { readFileSync } from "node:fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PipelineDoc } from "../../compiler/doc.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { lower } from "../../compiler/lower.js";
import { buildModels, type ModelOutcome } from "../../engine/model-stage.js";
import { emitDbt, renderForDuckDB, type LocalProject } from "../../targets/dbt/index.js";
import { MERGE_COLUMN } from "../../targets/dbt/macros.js";
import { createSourceTables, publish, randomDelivery, rng, type Delivery, type Row } from "../support/incremental-fixtures.js";
import { load } from "../support/load.js";

async function connect(ir: PipelineIR): Promise<DuckDBConnection> {
  const conn = await (await DuckDBInstance.create(":memory:")).connect();
  await createSourceTables(conn, ir);
  return conn;
}

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/**
 * A model's rows in a stable order; doubles rounded, since an average's last bits depend on row
 * order. Without the merge clock, which says when a row was merged, not what it holds.
 */
async function snapshot(conn: DuckDBConnection, model: string): Promise<string[]> {
  const cols = await rows(
    conn,
    `select column_name, data_type from information_schema.columns where table_name = '${model}' and table_schema = 'main' and column_name <> '${MERGE_COLUMN}' order by ordinal_position`,
  );
  const list = cols.map((c) =>
    c.data_type === "DOUBLE" ? `round(${String(c.column_name)}, 9) as ${String(c.column_name)}` : String(c.column_name),
  );
  return (await rows(conn, `select ${list.join(", ")} from "${model}"`)).map((r) => JSON.stringify(r)).sort();
}

/** Two warehouses over the same deliveries: one maintained incrementally, one rebuilt each time. */
class Twin {
  private constructor(
    readonly ir: PipelineIR,
    readonly project: LocalProject,
    readonly incremental: DuckDBConnection,
    readonly scratch: DuckDBConnection,
  ) {}

  static async open(ir: PipelineIR): Promise<Twin> {
    return new Twin(ir, renderForDuckDB(ir, emitDbt(ir)), await connect(ir), await connect(ir));
  }

  /** Publishes the delivery in both, runs the models, and returns what the incremental side ran. */
  async deliver(d: Delivery): Promise<ModelOutcome[]> {
    await publish(this.incremental, this.ir, d);
    await publish(this.scratch, this.ir, d);
    await buildModels(this.scratch, this.project, { fullRefresh: true });
    return buildModels(this.incremental, this.project);
  }

  async expectEqual(context: string): Promise<void> {
    for (const m of this.project.models) {
      expect(await snapshot(this.incremental, m.name), `${context}: ${m.name}`).toEqual(await snapshot(this.scratch, m.name));
    }
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return rows(this.incremental, sql);
  }
}

/**
 * The deliveries of a random history. Files become visible out of arrival order now and then, as
 * Snowflake's asynchronous registration allows (a lower arrival after higher ones were merged),
 * and now and then a file is processed again: same arrival, a later `_ingested_at` and new
 * content (other records, some of its ids gone, so they fall back to older versions).
 */
function randomHistory(ir: PipelineIR, r: () => number, steps: number): { delivery: Delivery; note: string }[] {
  const out: { delivery: Delivery; note: string }[] = [];
  const used = new Set<number>();
  for (let step = 1; step <= steps; step++) {
    const source = ir.sources[Math.floor(r() * ir.sources.length)]!.name;
    const earlier = out.filter((x) => x.note !== "reprocessed");
    if (earlier.length > 2 && r() < 0.15) {
      const again = earlier[Math.floor(r() * earlier.length)]!.delivery;
      const redo = randomDelivery(ir, again.source, again.file, again.arrival, r, `2026-01-01 00:00:${String(step).padStart(2, "0")}`);
      out.push({ delivery: redo, note: "reprocessed" });
      continue;
    }
    // A late file: an arrival below the newest one already delivered.
    let arrival = step * 10;
    let note = "";
    if (step > 2 && r() < 0.3) {
      arrival = Math.floor(r() * (step - 1)) * 10 + 1 + Math.floor(r() * 9);
      note = "late";
    }
    while (used.has(arrival)) arrival++;
    used.add(arrival);
    out.push({ delivery: randomDelivery(ir, source, `raw/file-${step}.jsonl`, arrival, r), note });
  }
  return out;
}

describe.each(["pipelines/reviews.yaml", "pipelines/yelp.yaml"])(
  "incremental models of %s equal a full rebuild after every delivery",
  (file) => {
    const ir = load(file);
    it.each([1, 2, 3])(
      "random deliveries, seed %i: re-deliveries, moved dates, very old dates, emptied groups, files registered late, reprocessed files with new content",
      async (seed) => {
        const r = rng(seed);
        const twin = await Twin.open(ir);
        const history = randomHistory(ir, r, 16);
        // Not vacuous: the history has late files and reprocesses.
        expect(history.some((x) => x.note === "late")).toBe(true);
        expect(history.some((x) => x.note === "reprocessed")).toBe(true);
        for (const [i, { delivery, note }] of history.entries()) {
          const ran = await twin.deliver(delivery);
          // Only the first build is a full one; every later one ran the incremental form.
          if (i > 0) for (const m of ran) expect(m.materialized, `step ${i + 1}: ${m.name}`).toMatch(/^incremental \(\d+ (groups|ids)\)$/);
          await twin.expectEqual(`seed ${seed}, step ${i + 1}: ${delivery.file} (arrival ${delivery.arrival}${note ? `, ${note}` : ""})`);
        }
      },
    );
  },
);

/**
 * A generated pipeline with joins: yelp's sources with marts drawn at random over
 * review ⋈ business [⋈ business_categories]: grains with and without dates, count_distinct, min,
 * max, sometimes a where filter.
 */
function generatedJoinPipeline(seed: number): PipelineIR {
  const r = rng(seed);
  const doc = parse(readFileSync("pipelines/yelp.yaml", "utf8")) as PipelineDoc & { marts: Record<string, unknown> };
  const grains = ["business.city", "business.state", "business_categories.category", "review.user_id", "business.is_open"];
  const marts: Record<string, unknown> = {};
  for (let i = 0; i < 3; i++) {
    const withCategories = r() < 0.5;
    const usable = grains.filter((g) => withCategories || !g.startsWith("business_categories."));
    const grain = [...new Set([usable[Math.floor(r() * usable.length)]!, usable[Math.floor(r() * usable.length)]!])];
    marts[`gen_${seed}_${i}`] = {
      from: "review",
      join: withCategories ? ["business", "business_categories"] : ["business"],
      grain,
      ...(r() < 0.4 && { where: "business.is_open = true" }),
      measures: {
        rows: "count(*)",
        users: "count_distinct(review.user_id)",
        first_at: "min(review.reviewed_at)",
        top_stars: "max(business.stars)",
        useful_votes: "sum(useful)",
      },
    };
  }
  return lower({ ...doc, marts } as PipelineDoc, "generated.yaml");
}

describe("incremental models of generated pipelines with joins equal a full rebuild after every delivery", () => {
  it.each([11, 12])("seed %i", async (seed) => {
    const ir = generatedJoinPipeline(seed);
    const r = rng(seed * 7);
    const twin = await Twin.open(ir);
    for (let step = 1; step <= 12; step++) {
      await twin.deliver(randomDelivery(ir, ir.sources[Math.floor(r() * ir.sources.length)]!.name, `raw/file-${step}.jsonl`, step, r));
      await twin.expectEqual(`generated seed ${seed}, step ${step}`);
    }
    // Not vacuous: the marts hold groups, joined through business.
    for (const m of ir.marts) expect(Number((await twin.rows(`select count(*) as n from ${m.name}`))[0]!.n), m.name).toBeGreaterThan(0);
    expect(ir.marts.every((m) => m.joins.length > 0)).toBe(true);
  });
});

/** product_reviews rows for reviews.yaml: `[id, asin, reviewer, date, rating]`. */
function reviewsDelivery(
  ir: PipelineIR,
  file: string,
  arrival: number,
  records: readonly [string, string, string, string, number][],
): Delivery {
  const d = randomDelivery(ir, "product_reviews", file, arrival, rng(arrival));
  const template = d.rows["product_reviews"]![0]!;
  const rows: Row[] = records.map(([id, asin, reviewer, date, rating], i) => ({
    ...template,
    review_id: id,
    asin,
    reviewer_id: reviewer,
    review_date: date,
    reviewed_at: `${date} 10:00:00`,
    rating,
    _source_line: i + 1,
  }));
  return { ...d, rows: { product_reviews: rows, product_review_images: [] } };
}

describe("incremental marts, named cases (reviews.yaml, emitted SQL on DuckDB)", () => {
  const ir = load("pipelines/reviews.yaml");

  it("a late backfill: the newest two thirds first, then the oldest third, reaches the marts", async () => {
    const twin = await Twin.open(ir);
    const day = (i: number): string => `2020-01-${String(i + 1).padStart(2, "0")}`;
    const records = Array.from(
      { length: 30 },
      (_, i) => [`r${i}`, "A1", `u${i % 4}`, day(i), 4] as [string, string, string, string, number],
    );
    await twin.deliver(reviewsDelivery(ir, "raw/newer-1.jsonl", 1, records.slice(20)));
    await twin.deliver(reviewsDelivery(ir, "raw/newer-2.jsonl", 2, records.slice(10, 20)));
    // Dates 20 to 30 days behind the newest one: a date-window filter would skip them all.
    const ran = await twin.deliver(reviewsDelivery(ir, "raw/backfill.jsonl", 3, records.slice(0, 10)));
    expect(ran.find((m) => m.name === "product_daily_ratings")!.materialized).toBe("incremental (10 groups)");
    expect(await twin.rows("select count(*) as days, sum(reviews) as reviews from product_daily_ratings")).toEqual([
      { days: "30", reviews: "30" },
    ]);
    await twin.expectEqual("backfill");
  });

  it("a file registered late (a lower arrival after a higher one was merged) reaches staging and the marts", async () => {
    const twin = await Twin.open(ir);
    await twin.deliver(reviewsDelivery(ir, "raw/a.jsonl", 1, [["r1", "A1", "u1", "2020-01-10", 5]]));
    // Arrival 3 is merged first; arrival 2 becomes visible only afterwards (Snowflake's
    // auto-refresh registers files asynchronously). A max(_arrival_seq) watermark skipped it.
    await twin.deliver(reviewsDelivery(ir, "raw/c.jsonl", 3, [["r3", "A1", "u3", "2020-01-10", 1]]));
    const ran = await twin.deliver(
      reviewsDelivery(ir, "raw/b.jsonl", 2, [
        ["r1", "A1", "u1", "2020-01-10", 3],
        ["r2", "A2", "u2", "2020-01-11", 4],
        ["r3", "A1", "u3", "2020-01-10", 5],
      ]),
    );
    expect(ran.find((m) => m.name === "stg_reviews__product_reviews")!.materialized).toBe("incremental (2 ids)");
    // r1 takes arrival 2's version; r3 keeps arrival 3's, which is later although merged earlier.
    expect(
      await twin.rows("select review_id, cast(rating as double) as rating, _arrival_seq from stg_reviews__product_reviews order by 1"),
    ).toEqual([
      { review_id: "r1", rating: 3, _arrival_seq: "2" },
      { review_id: "r2", rating: 4, _arrival_seq: "2" },
      { review_id: "r3", rating: 1, _arrival_seq: "3" },
    ]);
    expect(
      await twin.rows("select asin, cast(review_date as varchar) as d, reviews, avg_rating from product_daily_ratings order by 1"),
    ).toEqual([
      { asin: "A1", d: "2020-01-10", reviews: "2", avg_rating: 2 },
      { asin: "A2", d: "2020-01-11", reviews: "1", avg_rating: 4 },
    ]);
    // Nothing is merged twice: the next run with nothing new merges no review and touches no group.
    const again = await twin.deliver({
      ...reviewsDelivery(ir, "raw/none.jsonl", 4, []),
      rows: { product_reviews: [], product_review_images: [] },
    });
    const ranAgain = (name: string): string => again.find((m) => m.name === name)!.materialized;
    expect(ranAgain("stg_reviews__product_reviews")).toBe("incremental (0 ids)");
    for (const mart of ir.marts) expect(ranAgain(mart.name), mart.name).toBe("incremental (0 groups)");
    await twin.expectEqual("late registration");
  });

  it("a reprocessed file (same arrival, new _ingested_at) replaces its rows; an id it lost falls back to its older version", async () => {
    const twin = await Twin.open(ir);
    await twin.deliver(
      reviewsDelivery(ir, "raw/a.jsonl", 1, [
        ["r1", "A1", "u1", "2020-01-10", 5],
        ["r2", "A1", "u2", "2020-01-10", 5],
      ]),
    );
    await twin.deliver(
      reviewsDelivery(ir, "raw/b.jsonl", 2, [
        ["r1", "A1", "u1", "2020-01-10", 1],
        ["r2", "A2", "u2", "2020-01-12", 2],
        ["r3", "A2", "u3", "2020-01-12", 2],
      ]),
    );
    // b.jsonl processed again after a cleaning change: r2 is now invalid (quarantined), r3 changed.
    const redo = reviewsDelivery(ir, "raw/b.jsonl", 2, [
      ["r1", "A1", "u1", "2020-01-10", 1],
      ["r3", "A2", "u3", "2020-01-12", 4],
    ]);
    const ran = await twin.deliver({
      ...redo,
      rows: { ...redo.rows, product_reviews: redo.rows["product_reviews"]!.map((x) => ({ ...x, _ingested_at: "2026-02-01 00:00:00" })) },
    });
    expect(ran.every((m) => m.materialized.startsWith("incremental ("))).toBe(true);
    expect(
      await twin.rows(
        "select review_id, asin, cast(rating as double) as rating, _arrival_seq, cast(_ingested_at as varchar) as at from stg_reviews__product_reviews order by 1",
      ),
    ).toEqual([
      { review_id: "r1", asin: "A1", rating: 1, _arrival_seq: "2", at: "2026-02-01 00:00:00" },
      { review_id: "r2", asin: "A1", rating: 5, _arrival_seq: "1", at: "2026-01-01 00:00:00" },
      { review_id: "r3", asin: "A2", rating: 4, _arrival_seq: "2", at: "2026-02-01 00:00:00" },
    ]);
    expect(await twin.rows("select asin, reviews, avg_rating from product_daily_ratings order by 1")).toEqual([
      { asin: "A1", reviews: "2", avg_rating: 3 },
      { asin: "A2", reviews: "1", avg_rating: 4 },
    ]);
    await twin.expectEqual("reprocessed file");
  });

  it("a re-delivered record whose date moved counts in its new group only", async () => {
    const twin = await Twin.open(ir);
    await twin.deliver(
      reviewsDelivery(ir, "raw/a.jsonl", 1, [
        ["r1", "A1", "u1", "2020-01-10", 5],
        ["r2", "A1", "u2", "2020-01-10", 3],
      ]),
    );
    const ran = await twin.deliver(reviewsDelivery(ir, "raw/b.jsonl", 2, [["r1", "A1", "u1", "2020-01-02", 5]]));
    // The group it left and the group it joined.
    expect(ran.find((m) => m.name === "product_daily_ratings")!.materialized).toBe("incremental (2 groups)");
    expect(await twin.rows("select cast(review_date as varchar) as d, reviews, avg_rating from product_daily_ratings order by 1")).toEqual([
      { d: "2020-01-02", reviews: "1", avg_rating: 5 },
      { d: "2020-01-10", reviews: "1", avg_rating: 3 },
    ]);
    await twin.expectEqual("moved date");
  });

  it("a group that becomes empty disappears", async () => {
    const twin = await Twin.open(ir);
    await twin.deliver(
      reviewsDelivery(ir, "raw/a.jsonl", 1, [
        ["r1", "A1", "u1", "2020-01-10", 5],
        ["r2", "A2", "u1", "2020-01-11", 3],
      ]),
    );
    await twin.deliver(reviewsDelivery(ir, "raw/b.jsonl", 2, [["r1", "A2", "u1", "2020-01-11", 4]]));
    expect(await twin.rows("select asin, cast(review_date as varchar) as d, reviews from product_daily_ratings order by 1")).toEqual([
      { asin: "A2", d: "2020-01-11", reviews: "2" },
    ]);
    await twin.expectEqual("emptied group");
  });

  it("a mart without a date in its grain (reviewer_activity): min and max follow a moved record", async () => {
    const twin = await Twin.open(ir);
    await twin.deliver(
      reviewsDelivery(ir, "raw/a.jsonl", 1, [
        ["r1", "A1", "u1", "2020-01-01", 5],
        ["r2", "A1", "u1", "2020-03-01", 3],
        ["r3", "A1", "u2", "2020-02-01", 2],
      ]),
    );
    // r2 moves to reviewer u2: u1's last review and u2's first one both change; a very old date arrives late.
    const ran = await twin.deliver(
      reviewsDelivery(ir, "raw/b.jsonl", 2, [
        ["r2", "A1", "u2", "2020-03-01", 3],
        ["r4", "A1", "u1", "1999-05-05", 1],
      ]),
    );
    expect(ran.find((m) => m.name === "reviewer_activity")!.materialized).toBe("incremental (2 groups)");
    expect(
      await twin.rows(
        "select reviewer_id, reviews, cast(first_review_at as varchar) as first, cast(last_review_at as varchar) as last from reviewer_activity order by 1",
      ),
    ).toEqual([
      { reviewer_id: "u1", reviews: "2", first: "1999-05-05 10:00:00", last: "2020-01-01 10:00:00" },
      { reviewer_id: "u2", reviews: "2", first: "2020-02-01 10:00:00", last: "2020-03-01 10:00:00" },
    ]);
    await twin.expectEqual("no date in grain");
  });
});
