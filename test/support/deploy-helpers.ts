// Shared by the plan/apply tests: the reference pipeline, optionally edited as text the way a
// user would edit it, compiled to IR.
import { readFileSync } from "node:fs";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";

export const REVIEWS_FILE = "pipelines/reviews.yaml";

export function reviewsYaml(): string {
  return readFileSync(REVIEWS_FILE, "utf8");
}

/** Replaces `from` (which must occur) in the reference pipeline's text. */
export function editYaml(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test edit: '${from}' not found in the pipeline`);
  return text.replace(from, to);
}

export function compileText(text: string, file = REVIEWS_FILE): PipelineIR {
  const r = compilePipeline(file, text);
  if (!r.ir)
    throw new Error(`test pipeline does not compile:\n${r.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join("\n")}`);
  return r.ir;
}

export function reviewsIr(edit?: (text: string) => string): PipelineIR {
  return compileText(edit ? edit(reviewsYaml()) : reviewsYaml());
}

/** Edits of the reference pipeline that the plan tests share. */
export const EDITS = {
  addColumn: (t: string): string =>
    editYaml(
      t,
      "      body:          { from: reviewText, type: string }\n",
      "      body:          { from: reviewText, type: string }\n      language:      { from: lang, type: string }\n",
    ),
  narrowRating: (t: string): string => editYaml(t, 'type: "decimal(2,1)"', 'type: "decimal(2,0)"'),
  widenRating: (t: string): string => editYaml(t, 'type: "decimal(2,1)"', 'type: "decimal(4,1)"'),
  cleaningRule: (t: string): string => editYaml(t, 'null_if: ["", "Amazon Customer"]', 'null_if: ["", "Amazon Customer", "A Customer"]'),
  martMeasure: (t: string): string =>
    editYaml(t, "      helpful_votes: sum(helpful_votes)\n", "      helpful_votes: sum(helpful_votes)\n      max_rating: max(rating)\n"),
  renameRawBucket: (t: string): string => editYaml(t, "raw_bucket: acme-reviews-raw", "raw_bucket: acme-reviews-landing"),
  removeImagesTable: (t: string): string => {
    const flatten = / {6}images:\n {8}into: table[\s\S]*? {8}index: position\n/;
    const mart = / {2}product_image_counts:\n[\s\S]*?reviews_with_images: count_distinct\(review_id\)\n/;
    if (!flatten.test(t) || !mart.test(t)) throw new Error("test edit: images table not found");
    return t.replace(flatten, "").replace(mart, "");
  },
};
