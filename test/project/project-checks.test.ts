// Checks across the pipelines compiled together (compiler/check/project.ts): names that one
// dbt project, one Snowflake schema or one processed bucket can hold only once. Each case
// derives a second pipeline from the reference one and changes only what it needs, so the
// diagnostics show exactly which shared name collides, in the second file, at its own text.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkProject, PROJECT_CODES, type ProjectMember } from "../../compiler/check/project.js";
import { compilePipeline } from "../../compiler/index.js";

const REVIEWS = readFileSync("pipelines/reviews.yaml", "utf8");
const YELP = readFileSync("pipelines/yelp.yaml", "utf8");

function member(file: string, text: string): ProjectMember {
  const r = compilePipeline(file, text);
  expect(
    r.diagnostics.filter((d) => d.severity === "error"),
    file,
  ).toEqual([]);
  return { file, ir: r.ir!, locate: r.locate! };
}

/** The reference pipeline under another name, integration, bucket and schema, with its marts renamed: it shares nothing. */
function separate(text = REVIEWS): string {
  return text
    .replace("name: reviews\n", "name: reviews_eu\n")
    .replace("storage_integration: LAKE_S3\n", "storage_integration: LAKE_S3_EU\n")
    .replace("processed_bucket: acme-reviews-processed", "processed_bucket: acme-reviews-eu-processed")
    .replace("schema: REVIEWS\n", "schema: REVIEWS_EU\n")
    .replace(/^( {2})(product_daily_ratings|reviewer_activity|product_image_counts):/gm, "$1eu_$2:");
}

const lines = (ms: ProjectMember[]): string[] => checkProject(ms).map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`);

describe("checks across pipelines", () => {
  it("finds nothing in the repository's pipelines, nor in a pipeline that shares no name", () => {
    expect(lines([member("pipelines/reviews.yaml", REVIEWS), member("pipelines/yelp.yaml", YELP)])).toEqual([]);
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", separate())])).toEqual([]);
    expect(checkProject([member("a.yaml", REVIEWS)])).toEqual([]);
  });

  it("LK501: a second pipeline of the same name", () => {
    const second = separate().replace("name: reviews_eu\n", "name: reviews\n");
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", second)])).toEqual([
      "b.yaml:8:7 LK501 pipeline name 'reviews' is already the name of a.yaml",
    ]);
  });

  it("LK502: a mart name another pipeline's dbt model already has", () => {
    const second = separate().replace("eu_reviewer_activity:", "reviewer_activity:");
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", second)])).toEqual([
      "b.yaml:71:3 LK502 mart 'reviewer_activity' is also defined in a.yaml",
    ]);
  });

  it("LK503: a shared storage integration, whatever its case", () => {
    const second = separate().replace("storage_integration: LAKE_S3_EU\n", "storage_integration: lake_s3\n");
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", second)])).toEqual([
      "b.yaml:24:24 LK503 storage integration 'lake_s3' is also a.yaml's",
    ]);
  });

  it("LK504: a table name in the same processed bucket, or in the same Snowflake schema, reported once when both", () => {
    const sameBucket = separate().replace("processed_bucket: acme-reviews-eu-processed", "processed_bucket: acme-reviews-processed");
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", sameBucket)])).toEqual([
      "b.yaml:27:3 LK504 output table 'product_reviews' is also written by a.yaml into the same processed bucket 'acme-reviews-processed'",
      "b.yaml:55:16 LK504 output table 'product_review_images' is also written by a.yaml into the same processed bucket 'acme-reviews-processed'",
    ]);
    const sameSchema = separate().replace("schema: REVIEWS_EU\n", "schema: reviews\n");
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", sameSchema)])).toEqual([
      "b.yaml:27:3 LK504 output table 'product_reviews' is also written by a.yaml into the same Snowflake schema ANALYTICS.REVIEWS",
      "b.yaml:55:16 LK504 output table 'product_review_images' is also written by a.yaml into the same Snowflake schema ANALYTICS.REVIEWS",
    ]);
    const both = sameBucket.replace("schema: REVIEWS_EU\n", "schema: REVIEWS\n");
    expect(lines([member("a.yaml", REVIEWS), member("b.yaml", both)]).map((l) => l.split(" LK504")[0])).toEqual([
      "b.yaml:27:3",
      "b.yaml:55:16",
    ]);
  });

  it("blames the later file, names the earlier one, and gives every diagnostic a hint", () => {
    const ds = checkProject([member("first.yaml", REVIEWS), member("second.yaml", REVIEWS), member("third.yaml", REVIEWS)]);
    expect(new Set(ds.map((d) => d.file))).toEqual(new Set(["second.yaml", "third.yaml"]));
    expect(ds.every((d) => d.message.includes("first.yaml") && !d.message.includes("second.yaml"))).toBe(true);
    expect(ds.every((d) => d.severity === "error" && (d.hint ?? "").length > 0)).toBe(true);
    expect(new Set(ds.map((d) => d.code))).toEqual(new Set(Object.keys(PROJECT_CODES)));
  });

  it("docs/language.md lists every code with its rule", () => {
    const docs = readFileSync("docs/language.md", "utf8");
    expect(Object.entries(PROJECT_CODES).filter(([c, rule]) => !docs.includes(`| \`${c}\` | error | ${rule} |`))).toEqual([]);
  });
});
