// Cleaning changes that move or delete published rows (issue 13, item 7), planned against a real
// local lake: each count the plan shows is checked against the same question asked of the lake
// directly, and a change that deletes data is refused without --allow-destructive.
import { readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineIR } from "../../compiler/ir.js";
import { queryWarehouse } from "../../engine/query.js";
import { applyPlan, checkDestructive, DestructiveStepsRefused } from "../../deploy/apply.js";
import { desiredState } from "../../deploy/desired.js";
import { diffBackfill } from "../../deploy/diff-backfill.js";
import { makePlan, type DeployContext } from "../../deploy/planner.js";
import { stepKey, type Plan, type Step } from "../../deploy/plan.js";
import { localLakeContext } from "../support/local-lake-context.js";
import { editYaml, reviewsIr } from "../support/deploy-helpers.js";

let dir = "";
let ctx: DeployContext;
const TITLE = "title:         { from: summary, type: string, trim: true }";
const EDIT = {
  drop: (t: string): string => editYaml(t, "on_invalid: quarantine", "on_invalid: drop"),
  narrowRange: (t: string): string => editYaml(t, "range: [1, 5]", "range: [2, 5]"),
  requireName: (t: string): string =>
    editYaml(t, 'null_if: ["", "Amazon Customer"] }', 'null_if: ["", "Amazon Customer"], required: true }'),
  acceptVerified: (t: string): string =>
    editYaml(
      t,
      "verified:      { from: verified, type: boolean, default: false }",
      "verified:      { from: verified, type: boolean, default: false, accepted_values: [true] }",
    ),
  dropTitle: (t: string): string => editYaml(t, `      ${TITLE}\n`, ""),
};

beforeAll(async () => {
  ({ dir, ctx } = await localLakeContext("plan-cleaning", 11, 600));
  const first = await makePlan(desiredState(reviewsIr()), ["local"], ctx);
  const r = await applyPlan(first.plan, desiredState(reviewsIr()), first.snapshot, ctx, { allowDestructive: false, showChanges: () => {} });
  expect(r.problems).toEqual([]);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function reprocessStep(ir: PipelineIR): Promise<{ plan: Plan; step: Step }> {
  const { plan } = await makePlan(desiredState(ir), ["local"], ctx);
  const step = plan.steps.find((s) => stepKey(s) === "local:source:product_reviews");
  expect(step, "the change reprocesses the source").toBeDefined();
  return { plan, step: step! };
}

async function scalar(sql: string): Promise<number> {
  return Number((await queryWarehouse(ctx.lakeDir, sql)).rows[0]![0]);
}

/** Lines in the source's quarantine files: counted from the files, not from the manifests the plan reads. */
async function quarantineLines(): Promise<number> {
  const qdir = join(ctx.lakeDir, "quarantine", "product_reviews");
  let n = 0;
  for (const f of await readdir(qdir)) n += (await readFile(join(qdir, f), "utf8")).split("\n").filter((l) => l !== "").length;
  return n;
}

describe("plan: cleaning changes that move or delete published rows", { timeout: 60_000 }, () => {
  it("quarantine → drop deletes the quarantine: destructive, counted, refused without --allow-destructive", async () => {
    const quarantined = await quarantineLines();
    expect(quarantined).toBeGreaterThan(0);
    const { plan, step } = await reprocessStep(reviewsIr(EDIT.drop));
    expect(step).toMatchObject({ destructive: true, change: "breaking", impact: { quarantineDeleted: quarantined } });
    expect(step.details).toContain(
      `the quarantine of product_reviews (${quarantined} records) would be deleted (on_invalid: quarantine → drop)`,
    );
    expect(() => checkDestructive(plan, false)).toThrow(DestructiveStepsRefused);
    expect(() => checkDestructive(plan, true)).not.toThrow();
  });

  it("a narrowed range moves the published rows outside it to the quarantine: breaking, not destructive", async () => {
    const outside = await scalar("SELECT count(*) FROM product_reviews WHERE rating < 2");
    expect(outside).toBeGreaterThan(0);
    const { plan, step } = await reprocessStep(reviewsIr(EDIT.narrowRange));
    expect(step).toMatchObject({ destructive: false, change: "breaking", impact: { rowsToQuarantine: outside } });
    expect(step.details).toContain(`${outside} rows of product_reviews would move to quarantine (new check: out_of_range on rating)`);
    expect(step.reason).toMatch(/^cleaning change moves published rows/);
    expect(() => checkDestructive(plan, false)).not.toThrow();
  });

  it("the same narrowed range under on_invalid: drop deletes those rows: destructive", async () => {
    const outside = await scalar("SELECT count(*) FROM product_reviews WHERE rating < 2");
    const { step } = await reprocessStep(reviewsIr((t) => EDIT.drop(EDIT.narrowRange(t))));
    expect(step).toMatchObject({ destructive: true, impact: { rowsDeleted: outside } });
  });

  it.each([
    [
      "an added required moves the published rows without a value",
      EDIT.requireName,
      "reviewer_name IS NULL",
      "missing_required on reviewer_name",
    ],
    ["added accepted_values move the published rows with another value", EDIT.acceptVerified, "NOT verified", "not_accepted on verified"],
  ])("%s", async (_name, edit, failing, check) => {
    const moved = await scalar(`SELECT count(*) FROM product_reviews WHERE ${failing}`);
    expect(moved).toBeGreaterThan(0);
    const { step } = await reprocessStep(reviewsIr(edit));
    expect(step).toMatchObject({ destructive: false, change: "breaking", impact: { rowsToQuarantine: moved } });
    expect(step.details).toContain(`${moved} rows of product_reviews would move to quarantine (new check: ${check})`);
  });

  it("a dropped column deletes its published values: destructive, counted", async () => {
    const values = await scalar("SELECT count(title) FROM product_reviews");
    expect(values).toBeGreaterThan(0);
    const { plan, step } = await reprocessStep(reviewsIr(EDIT.dropTitle));
    expect(step.destructive).toBe(true);
    expect(step.details).toContain(`${values} non-NULL values of column title in product_reviews would be deleted`);
    expect(() => checkDestructive(plan, false)).toThrow(/local source product_reviews/);
  });

  it("says when the counts are unavailable: no warehouse, a check on a column not yet published", async () => {
    const addRequired = (t: string): string =>
      editYaml(t, `      ${TITLE}\n`, `      ${TITLE}\n      language:      { from: lang, type: string, required: true }\n`);
    const { step } = await reprocessStep(reviewsIr(addRequired));
    expect(step.impact?.rowsToQuarantine).toBeUndefined();
    expect(step.details).toContain(
      "rows of product_reviews (count unavailable: the missing_required check reads language, which product_reviews does not publish yet) would move to quarantine (new check: missing_required on language)",
    );
    const warehouse = join(ctx.lakeDir, "warehouse.duckdb");
    await rename(warehouse, `${warehouse}.aside`);
    try {
      const { step: blind } = await reprocessStep(reviewsIr(EDIT.narrowRange));
      expect(blind.details.join("\n")).toMatch(/rows of product_reviews \(count unavailable: the local lake has no warehouse yet/);
      expect(blind.impact?.rowsToQuarantine).toBeUndefined();
    } finally {
      await rename(`${warehouse}.aside`, warehouse);
    }
  });

  it("applying the narrowed range moves rows as counted: published + quarantine still reconcile", async () => {
    const published = await scalar("SELECT count(*) FROM product_reviews");
    const quarantined = await quarantineLines();
    const { plan, step } = await reprocessStep(reviewsIr(EDIT.narrowRange));
    const moved = step.impact!.rowsToQuarantine!;
    const { snapshot } = await makePlan(desiredState(reviewsIr(EDIT.narrowRange)), ["local"], ctx);
    const r = await applyPlan(plan, desiredState(reviewsIr(EDIT.narrowRange)), snapshot, ctx, {
      allowDestructive: false,
      showChanges: () => {},
    });
    expect(r.problems).toEqual([]);
    // A key duplicate of a moved row may win in its place, so the table shrinks by at most `moved`.
    const after = await scalar("SELECT count(*) FROM product_reviews");
    expect(published - after).toBeLessThanOrEqual(moved);
    expect(published - after).toBeGreaterThan(0);
    expect(await quarantineLines()).toBe(quarantined + moved);
  });
});

describe("plan: cleaning changes in the cloud backfill", () => {
  it("classifies them the same way and says rows in S3 are not counted", () => {
    const before = desiredState(reviewsIr());
    const after = desiredState(reviewsIr(EDIT.drop));
    const state = {
      version: 1 as const,
      pipeline: "reviews",
      semantics: before.backfill.semantics,
      columnTypes: before.backfill.columnTypes,
      definitions: before.backfill.definitions,
    };
    const [step] = diffBackfill(after.backfill, { state, rawKeys: { product_reviews: ["reviews/a.jsonl"] } });
    expect(step).toMatchObject({ layer: "aws", kind: "backfill", name: "product_reviews", destructive: true, change: "breaking" });
    expect(step!.impact?.quarantineDeleted).toBeUndefined();
    expect(step!.details).toContain(
      "the quarantine of product_reviews (count unavailable: rows in S3 are not counted; `lakec plan --target local` counts them on a local lake) would be deleted (on_invalid: quarantine → drop)",
    );
  });

  it("a state written before definitions were recorded plans the reprocess as before", () => {
    const before = desiredState(reviewsIr());
    const after = desiredState(reviewsIr(EDIT.drop));
    const state = {
      version: 1 as const,
      pipeline: "reviews",
      semantics: before.backfill.semantics,
      columnTypes: before.backfill.columnTypes,
    };
    const [step] = diffBackfill(after.backfill, { state, rawKeys: { product_reviews: ["reviews/a.jsonl"] } });
    expect(step).toMatchObject({ destructive: false, reason: expect.stringMatching(/^cleaning or flatten semantics changed/) });
  });
});
