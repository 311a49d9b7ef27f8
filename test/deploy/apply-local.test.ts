// `plan`/`apply --target local`, end to end on a real DuckDB lake: first apply, a cleaning-rule
// change that reprocesses the raw files (the backfill), a mart change that rebuilds one mart,
// and convergence after each. Results are checked against the data, not just the step lists.
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineIR } from "../../compiler/ir.js";
import { queryWarehouse } from "../../engine/query.js";
import { applyPlan } from "../../deploy/apply.js";
import { desiredState } from "../../deploy/desired.js";
import { makePlan, type DeployContext } from "../../deploy/planner.js";
import type { Plan } from "../../deploy/plan.js";
import { localLakeContext } from "../support/local-lake-context.js";
import { editYaml, EDITS, reviewsIr } from "../support/deploy-helpers.js";
import { holdOpen } from "../support/warehouse-reader.js";

let dir = "";
let ctx: DeployContext;
beforeAll(async () => {
  ({ dir, ctx } = await localLakeContext("apply-local", 7, 400));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function plan(ir: PipelineIR): Promise<Plan> {
  return (await makePlan(desiredState(ir), ["local"], ctx)).plan;
}

async function apply(ir: PipelineIR): Promise<Plan> {
  const { plan, snapshot } = await makePlan(desiredState(ir), ["local"], ctx);
  const r = await applyPlan(plan, desiredState(ir), snapshot, ctx, { allowDestructive: false, showChanges: () => {} });
  expect(r.problems).toEqual([]);
  return plan;
}

async function scalar(sql: string): Promise<number> {
  const r = await queryWarehouse(ctx.lakeDir, sql);
  return Number(r.rows[0]![0]);
}

const strictRange = (t: string): string => editYaml(t, "range: [1, 5]", "range: [2, 5]");

describe("apply --target local", { timeout: 60_000 }, () => {
  it("first apply processes the raw file, builds views and marts, records them, and converges", async () => {
    const first = await apply(reviewsIr());
    expect(first.steps[0]).toMatchObject({ action: "reprocess", impact: { rawFiles: ["reviews/export-2024-06-01.jsonl"] } });
    expect(first.steps[0]!.reason).toMatch(/not processed yet/);
    expect(await scalar("SELECT count(*) FROM product_reviews")).toBeGreaterThan(300);
    expect((await plan(reviewsIr())).steps).toEqual([]);
  });

  it("a cleaning-rule change reprocesses the raw file and rebuilds the marts from it", async () => {
    const ones = await scalar("SELECT count(*) FROM product_reviews WHERE rating < 2");
    const before = await scalar("SELECT count(*) FROM product_reviews");
    expect(ones).toBeGreaterThan(0);
    const ir = reviewsIr(strictRange);
    const p = await plan(ir);
    expect(p.steps.map((s) => `${s.action} ${s.resource}`)).toEqual([
      "reprocess source product_reviews (1 raw file)",
      "rebuild mart product_daily_ratings",
      "rebuild mart reviewer_activity",
      "rebuild mart product_image_counts",
    ]);
    await apply(ir);
    expect(await scalar("SELECT count(*) FROM product_reviews WHERE rating < 2")).toBe(0);
    const after = await scalar("SELECT count(*) FROM product_reviews");
    // At least the 1-star reviews are gone; a key duplicate of one of them may now win instead.
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThanOrEqual(before - ones);
    expect(await scalar("SELECT sum(reviews) FROM product_daily_ratings")).toBe(after);
    expect(await scalar("SELECT min(avg_rating) >= 2 FROM reviewer_activity")).toBe(1);
    expect((await plan(ir)).steps).toEqual([]);
  });

  it("a mart change rebuilds that mart only, with the new measure computed", async () => {
    const ir = reviewsIr((t) => EDITS.martMeasure(strictRange(t)));
    const p = await plan(ir);
    expect(p.steps.map((s) => `${s.action} ${s.resource}`)).toEqual(["rebuild mart product_daily_ratings"]);
    await apply(ir);
    const mismatches = await scalar(`
      SELECT count(*) FROM product_daily_ratings m
      JOIN (SELECT asin, review_date, max(rating) AS expected FROM product_reviews GROUP BY ALL) r
        ON m.asin = r.asin AND m.review_date IS NOT DISTINCT FROM r.review_date
      WHERE m.max_rating IS DISTINCT FROM r.expected`);
    expect(mismatches).toBe(0);
    expect(await scalar("SELECT count(*) FROM product_daily_ratings WHERE max_rating IS NOT NULL")).toBeGreaterThan(0);
    expect((await plan(ir)).steps).toEqual([]);
  });

  it("removing a mart is destructive: refused without --allow-destructive, dropped with it", async () => {
    const withoutMart = (t: string): string =>
      EDITS.martMeasure(strictRange(t)).replace(/ {2}reviewer_activity:\n[\s\S]*?avg_rating: avg\(rating\)\n/, "");
    const ir = reviewsIr(withoutMart);
    const { plan: p, snapshot } = await makePlan(desiredState(ir), ["local"], ctx);
    expect(p.steps.filter((s) => s.destructive).map((s) => s.resource)).toEqual(["mart reviewer_activity"]);
    await expect(applyPlan(p, desiredState(ir), snapshot, ctx, { allowDestructive: false, showChanges: () => {} })).rejects.toThrow(
      /destructive/,
    );
    expect(await scalar("SELECT count(*) FROM reviewer_activity")).toBeGreaterThan(0);
    // Another process holds the warehouse open across the apply, as `lakec query` may
    // (docs/local-engine.md, "Guarantees"). Its shared lock makes any write-open of the live
    // file fail: the drop must happen on the build's copy, and the reader keeps its old file.
    const warehouse = join(ctx.lakeDir, "warehouse.duckdb");
    const inodeBefore = (await stat(warehouse)).ino;
    const reader = await holdOpen(warehouse);
    try {
      await applyPlan(p, desiredState(ir), snapshot, ctx, { allowDestructive: true, showChanges: () => {} });
      expect(await reader.count("reviewer_activity")).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    expect((await stat(warehouse)).ino).not.toBe(inodeBefore);
    await expect(queryWarehouse(ctx.lakeDir, "SELECT count(*) FROM reviewer_activity")).rejects.toThrow(/reviewer_activity/);
    expect((await plan(ir)).steps).toEqual([]);
  });
});
