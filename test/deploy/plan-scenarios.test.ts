// Plans as pure step lists: the reference pipeline deployed everywhere (no cloud: see
// plan-fixtures.ts), then edited the way users edit it.
import { describe, expect, it } from "vitest";
import { desiredState } from "../../deploy/desired.js";
import { diffBackfill, staleSources } from "../../deploy/diff-backfill.js";
import { planFrom, type DeployedSnapshot } from "../../deploy/planner.js";
import { summarize, type Layer, type Plan, type Step } from "../../deploy/plan.js";
import { renderPlan, summaryLine } from "../../deploy/render.js";
import { EDITS, editYaml, reviewsIr } from "../support/deploy-helpers.js";
import { deployedAs, RAW_FILES } from "../support/plan-fixtures.js";

const ALL: Layer[] = ["aws", "snowflake", "dbt", "airflow", "local"];
const withPublish = (t: string): string => `${t}\npublish:\n  dbt: s3://acme-mwaa/dbt/\n  airflow: s3://acme-mwaa/dags/\n`;
const line = (s: Step): string => `${s.layer} ${s.action} ${s.resource}${s.destructive ? " !" : ""}`;
const of = (p: Plan, layer: Layer): string[] => p.steps.filter((s) => s.layer === layer).map(line);

let base: DeployedSnapshot | undefined;
async function planAfter(edit?: (t: string) => string): Promise<Plan> {
  base ??= (await deployedAs(reviewsIr(withPublish))).snapshot;
  return planFrom(desiredState(reviewsIr((t) => (edit ? edit(withPublish(t)) : withPublish(t)))), ALL, base);
}

describe("plan scenarios", () => {
  it("no change: an empty plan", async () => {
    const p = await planAfter();
    expect(p.steps).toEqual([]);
    expect(renderPlan(p, { color: false })).toContain("No changes.");
  });

  it("added column: scripts, jobs, external table, dbt staging, local reprocess and rebuilds", async () => {
    const p = await planAfter(EDITS.addColumn);
    expect(of(p, "aws")).toEqual([
      expect.stringMatching(/^aws create s3:\/\/acme-reviews-processed\/_lakec\/scripts\/lakec-reviews-clean-[0-9a-f]{12}\.py$/),
      expect.stringMatching(/^aws create s3:\/\/acme-reviews-processed\/_lakec\/scripts\/lakec-reviews-flatten-[0-9a-f]{12}\.py$/),
      "aws update AWS::Glue::Job CleanJob",
      "aws update AWS::Glue::Job FlattenJob",
      "aws reprocess source product_reviews (3 raw objects)",
    ]);
    expect(p.steps.find((s) => s.resource === "AWS::Glue::Job CleanJob")!.details[0]).toMatch(/^~ Command\.ScriptLocation: /);
    expect(of(p, "snowflake")).toEqual(["snowflake replace external table PRODUCT_REVIEWS"]);
    expect(of(p, "dbt")).toEqual([
      "dbt update s3://acme-mwaa/dbt/models/staging/reviews/_models.yml",
      "dbt update s3://acme-mwaa/dbt/models/staging/reviews/_sources.yml",
      "dbt update s3://acme-mwaa/dbt/models/staging/reviews/stg_reviews__product_reviews.sql",
    ]);
    expect(of(p, "airflow")).toEqual([]);
    expect(of(p, "local")).toEqual([
      "local reprocess source product_reviews (3 raw files)",
      "local update view product_reviews",
      "local update model stg_reviews__product_reviews",
      "local rebuild mart product_daily_ratings",
      "local rebuild mart reviewer_activity",
      "local rebuild mart product_image_counts",
    ]);
    expect(summaryLine(summarize(p.steps))).toBe(
      "Plan: 2 to add, 7 to change, 1 to replace, 0 to destroy; 6 raw files to reprocess; 3 marts to rebuild; 1 external table to recreate",
    );
  });

  it("removed table: its external table and mart are destroyed, destructively", async () => {
    const p = await planAfter(EDITS.removeImagesTable);
    const destructive = p.steps.filter((s) => s.destructive).map(line);
    expect(destructive).toEqual([
      "snowflake destroy external table PRODUCT_REVIEW_IMAGES !",
      "local destroy view product_review_images !",
      "local destroy mart product_image_counts !",
    ]);
    expect(of(p, "dbt")).toContain("dbt destroy s3://acme-mwaa/dbt/models/marts/reviews/product_image_counts.sql");
    const text = renderPlan(p, { color: false });
    const block = text.slice(text.indexOf("Destructive changes (3)"));
    expect(block).toContain("- [snowflake] external table PRODUCT_REVIEW_IMAGES");
    expect(block).toContain("- [local] mart product_image_counts");
  });

  it("type narrowing loses data: destructive in Snowflake and in the local reprocess; widening is not", async () => {
    const narrow = await planAfter(EDITS.narrowRating);
    expect(narrow.steps.filter((s) => s.destructive).map(line)).toEqual([
      "aws reprocess source product_reviews (3 raw objects) !",
      "snowflake replace external table PRODUCT_REVIEWS !",
      "local reprocess source product_reviews (3 raw files) !",
    ]);
    expect(narrow.steps.find((s) => s.layer === "local")!.reason).toMatch(/^narrowing rating decimal\(2,1\) → decimal\(2,0\)/);
    const wide = await planAfter(EDITS.widenRating);
    expect(wide.steps.filter((s) => s.destructive)).toEqual([]);
  });

  it("cleaning-rule change: every raw file of the source is reprocessed; no warehouse DDL", async () => {
    const p = await planAfter(EDITS.cleaningRule);
    const reprocess = p.steps.find((s) => s.layer === "local" && s.action === "reprocess")!;
    expect(reprocess.impact?.rawFiles).toEqual(RAW_FILES);
    expect(reprocess.reason).toMatch(/cleaning or flatten semantics changed/);
    // The same backfill in the cloud: every raw object of the source through the state machine.
    const cloud = p.steps.find((s) => s.layer === "aws" && s.action === "reprocess")!;
    expect(cloud.impact?.rawFiles).toEqual(RAW_FILES.map((k) => `s3://acme-reviews-raw/${k}`));
    expect(of(p, "snowflake")).toEqual([]);
    expect(of(p, "dbt")).toEqual([]);
    expect(p.steps.filter((s) => s.action === "rebuild").map((s) => s.reason)).toEqual([
      "its inputs are reprocessed",
      "its inputs are reprocessed",
      "its inputs are reprocessed",
    ]);
  });

  it("mart measure change: that mart is rebuilt, nothing is reprocessed", async () => {
    const p = await planAfter(EDITS.martMeasure);
    expect(of(p, "local")).toEqual(["local rebuild mart product_daily_ratings"]);
    expect(of(p, "aws")).toEqual([]);
    expect(of(p, "snowflake")).toEqual([]);
    expect(of(p, "dbt")).toEqual([
      "dbt update s3://acme-mwaa/dbt/models/marts/reviews/_models.yml",
      "dbt update s3://acme-mwaa/dbt/models/marts/reviews/product_daily_ratings.sql",
    ]);
    expect(summaryLine(summarize(p.steps))).toBe("Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy; 1 mart to rebuild");
  });

  it("renamed bucket: the bucket is replaced, which is destructive", async () => {
    const p = await planAfter(EDITS.renameRawBucket);
    const bucket = p.steps.find((s) => s.resource === "AWS::S3::Bucket RawBucket")!;
    expect(bucket).toMatchObject({ action: "replace", destructive: true });
    expect(bucket.details).toEqual(['~ BucketName: "acme-reviews-raw" → "acme-reviews-landing"  (Replacement: True)']);
    expect(p.steps.filter((s) => s.destructive).map(line)).toEqual(["aws replace AWS::S3::Bucket RawBucket !"]);
  });

  it("a changed DAG schedule is a published file diff", async () => {
    const p = await planAfter((t) => editYaml(t, 'schedule: "@hourly"', 'schedule: "@daily"'));
    const dag = p.steps.filter((s) => s.layer === "airflow");
    expect(dag.map(line)).toEqual(["airflow update s3://acme-mwaa/dags/reviews_dbt.py"]);
    expect(dag[0]!.details.some((d) => d.startsWith("- ") && d.includes("@hourly"))).toBe(true);
    expect(dag[0]!.details.some((d) => d.startsWith("+ ") && d.includes("@daily"))).toBe(true);
  });
});

describe("NoEcho stack parameters", () => {
  it("a recreated integration (new external ID) updates the parameter without printing it", async () => {
    const { snapshot, fake } = await deployedAs(reviewsIr());
    fake.integrations.get("LAKE_S3")!.externalId = "ROTATED_SFCRole=9_zzz=";
    const { readSnowflake } = await import("../../deploy/providers/snowflake/read.js");
    const desired = desiredState(reviewsIr());
    const moved = { ...snapshot, snowflake: await readSnowflake(fake, desired.snowflake) };
    const p = planFrom(desired, ["aws", "snowflake"], moved);
    expect(p.steps.map(line)).toEqual(["aws update stack parameters of lakec-reviews"]);
    expect(p.steps[0]!.details).toEqual(["~ SnowflakeExternalId: (NoEcho) changes"]);
    expect(JSON.stringify(p)).not.toContain("ROTATED_SFCRole");
  });
});

describe("cloud backfill planning", () => {
  const desired = { rawBucket: "raw", semantics: { a: "s1", b: "s2" }, columnTypes: { a: {}, b: {} }, definitions: {}, mainTables: {} };
  it("lists stale and new sources, and nothing without a record", () => {
    const state = { version: 1 as const, pipeline: "p", semantics: { a: "old" }, columnTypes: {} };
    const steps = diffBackfill(desired, { state, rawKeys: { a: ["a/1.jsonl"], b: ["b/1.jsonl", "b/2.jsonl"] } });
    expect(steps.map((s) => [s.resource, s.reason.split(":")[0]])).toEqual([
      ["source a (1 raw object)", "cleaning or flatten semantics changed"],
      ["source b (2 raw objects)", "new source"],
    ]);
    expect(staleSources(desired, undefined)).toEqual([]);
    expect(staleSources(desired, { ...state, semantics: { a: "s1", b: "s2" } })).toEqual([]);
  });
});
