// Compile-time benchmark: the reference pipeline, and synthetic pipelines of 1 to 200 sources
// to show that compile time grows linearly with the pipeline (target: 200 sources under 1 s,
// in-process). Measures compilePipeline (load → schema → check → lower), text in, IR out.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { compilePipeline } from "../compiler/index.js";

export interface CompileTiming {
  readonly label: string;
  readonly sources: number;
  readonly yamlBytes: number;
  /** Median of the timed runs, in milliseconds. */
  readonly medianMs: number;
  readonly minMs: number;
  /** minMs divided by the 1-source pipeline's minMs: the fastest run is the least disturbed by other load. */
  readonly ratioToOne?: number;
}

const HEADER = `version: 1
name: bench
aws: { region: eu-west-1, raw_bucket: bench-raw, processed_bucket: bench-processed }
snowflake: { database: ANALYTICS, schema: BENCH, warehouse: WH, storage_integration: LAKE_S3 }
`;

/** One source shaped like the reference one (every column option, both flatten kinds) plus one mart. */
function sourceBlock(i: number): { source: string; mart: string } {
  const n = `s${String(i).padStart(3, "0")}`;
  const source = `  ${n}_reviews:
    format: jsonl
    prefix: ${n}/
    key: [reviewer_id, asin, reviewed_at]
    id: review_id
    on_invalid: quarantine
    columns:
      reviewer_id:   { from: reviewerID, type: string, required: true }
      asin:          { from: asin, type: string, required: true }
      rating:        { from: overall, type: "decimal(2,1)", required: true, range: [1, 5] }
      verified:      { from: verified, type: boolean, default: false }
      reviewed_at:   { from: unixReviewTime, type: timestamp, unit: seconds, required: true }
      review_date:   { from: reviewTime, type: date, format: "%m %d, %Y" }
      helpful_votes: { from: vote, type: integer, strip: ",", default: 0 }
      reviewer_name: { from: reviewerName, type: string, trim: true, null_if: ["", "Amazon Customer"] }
      title:         { from: summary, type: string, trim: true }
      style:         { from: style, type: object }
      images:        { from: image, type: "array<string>" }
    flatten:
      style: { into: columns, keys: { "Size:": size, "Color:": color }, trim: true }
      images: { into: table, table: ${n}_images, value: image_url, index: position }
    partition_by: review_date
`;
  const mart = `  ${n}_daily:
    from: ${n}_reviews
    grain: [asin, review_date]
    where: verified = true and rating >= 2
    measures: { reviews: "count(*)", avg_rating: avg(rating), votes: sum(helpful_votes) }
`;
  return { source, mart };
}

export function syntheticPipeline(sources: number): string {
  const blocks = Array.from({ length: sources }, (_, i) => sourceBlock(i + 1));
  return `${HEADER}sources:\n${blocks.map((b) => b.source).join("")}marts:\n${blocks.map((b) => b.mart).join("")}`;
}

function compileOrThrow(file: string, text: string): void {
  const r = compilePipeline(file, text);
  if (!r.ir)
    throw new Error(`bench: ${file} does not compile: ${r.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join("; ")}`);
}

function time(label: string, sources: number, file: string, text: string, runs: number): Omit<CompileTiming, "ratioToOne"> {
  compileOrThrow(file, text);
  for (let i = 0; i < 2; i++) compilePipeline(file, text); // warm the JIT and ajv's compiled schema
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    compilePipeline(file, text);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { label, sources, yamlBytes: Buffer.byteLength(text), medianMs: ms[Math.floor(ms.length / 2)]!, minMs: ms[0]! };
}

/** The first size must be 1: the others are compared with it. */
export function benchCompile(sizes: readonly number[] = [1, 10, 50, 100, 200]): CompileTiming[] {
  if (sizes[0] !== 1) throw new Error("bench: benchCompile sizes must start with 1");
  const ref = "pipelines/reviews.yaml";
  const out: CompileTiming[] = [time("reference (pipelines/reviews.yaml)", 1, ref, readFileSync(ref, "utf8"), 30)];
  let one: number | undefined;
  for (const n of sizes) {
    const t = time(`synthetic, ${n} source${n === 1 ? "" : "s"}`, n, `bench-${n}.yaml`, syntheticPipeline(n), n >= 100 ? 11 : 21);
    one ??= t.minMs;
    out.push({ ...t, ratioToOne: t.minMs / one });
  }
  return out;
}
