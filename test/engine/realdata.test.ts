// The reference pipeline over the real Amazon 2018 export and pipelines/yelp.yaml over the real
// Yelp 2022 files, end to end through the engine, checked against the independent model
// (test/independent-*.ts: plain TypeScript over the JSON lines, no compiler code). The same
// checks run on synthetic stand-ins of both, so they guard the engine even without the data.
//
// Real data lives in ../shared/data (CI has it; it is research data and never enters the repo).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { ingestInputs, openLake, runFiles, type RunSummary } from "../../engine/index.js";
import { queryWarehouse } from "../../engine/query.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { generateYelp } from "../../synthetic/yelp.js";
import { expectReviews, normalise, type MartExpectation, type PipelineExpectation } from "../support/independent-pipelines.js";
import { expectYelp } from "../support/independent-yelp.js";
import { DATA_DIR, shared } from "../support/shared-data.js";

// LAKEC_DATA_DIR points elsewhere (or nowhere, to see the skip).
const AMAZON = join(DATA_DIR, "amazon2018_all_beauty", "All_Beauty_5.json");
const YELP_BUSINESS = join(DATA_DIR, "yelp_2022", "yelp_academic_dataset_business.json");
const YELP_REVIEW = join(DATA_DIR, "yelp_2022", "yelp_academic_dataset_review.json");
const data = shared(AMAZON, YELP_BUSINESS, YELP_REVIEW);

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}, 120_000);

interface EngineRun {
  readonly summary: RunSummary;
  readonly lakeDir: string;
}

/** Compiles the pipeline, puts each input under its source's prefix in a fresh lake, runs it. */
async function runEngine(pipelineFile: string, inputs: readonly { file: string; source: string }[]): Promise<EngineRun> {
  const r = compilePipeline(pipelineFile, readFileSync(pipelineFile, "utf8"));
  if (!r.ir) throw new Error(`${pipelineFile} does not compile: ${JSON.stringify(r.diagnostics)}`);
  const lakeDir = mkdtempSync(join(tmpdir(), "lakec-realdata-"));
  dirs.push(lakeDir);
  const lake = await openLake(lakeDir, { threads: 2, memoryLimit: "2GB" });
  try {
    for (const i of inputs) await ingestInputs(lake.paths, r.ir, [i.file], { source: i.source });
    return { summary: await runFiles(lake, r.ir), lakeDir };
  } finally {
    await lake.close();
  }
}

function checkCounts(run: EngineRun, e: PipelineExpectation): void {
  for (const [source, want] of Object.entries(e.sources)) {
    const files = run.summary.files.filter((f) => f.source === source);
    expect(
      files.map((f) => f.status),
      source,
    ).toEqual(["processed"]);
    const f = files[0]!;
    const c = f.counts!;
    expect(f.reconciled, `${source} reconciles`).toBe(true);
    expect(c.recordsIn, `${source} records in`).toBe(c.clean + c.invalid + c.duplicates);
    expect({ recordsIn: c.recordsIn, clean: c.clean, duplicates: c.duplicates, byReason: c.byReason }, source).toEqual({
      recordsIn: want.recordsIn,
      clean: want.clean,
      duplicates: want.duplicates,
      byReason: want.invalidByReason,
    });
  }
  for (const t of run.summary.tables) {
    if (e.tables[t.name] !== undefined) expect(t.totalRows, `rows of ${t.name}`).toBe(e.tables[t.name]);
  }
  expect(Object.keys(e.tables).filter((n) => n !== "orphan_reviews" && !run.summary.tables.some((t) => t.name === n))).toEqual([]);
}

/** Every error-severity test passes; warn tests (declared references) fail exactly on the orphans. */
function checkTests(run: EngineRun, e: PipelineExpectation): void {
  const tests = run.summary.warehouse.tests;
  expect(tests.length).toBeGreaterThan(0);
  expect(tests.filter((t) => t.severity === "error" && t.failures > 0).map((t) => `${t.name}: ${t.failures}`)).toEqual([]);
  const warned = tests.filter((t) => t.severity === "warn").reduce((n, t) => n + t.failures, 0);
  expect(warned, "warn-severity failures are the reviews of businesses not in the file").toBe(e.tables.orphan_reviews ?? 0);
}

async function checkMart(run: EngineRun, m: MartExpectation): Promise<void> {
  const cols = m.columns.map(([c, k]) => `CAST("${c}" AS ${k === "double" ? "DOUBLE" : "VARCHAR"}) AS "${c}"`);
  const got = await queryWarehouse(run.lakeDir, `SELECT ${cols.join(", ")} FROM "${m.name}"`);
  const rows = got.rows.map((r) => m.columns.map(([, k], i) => normalise(r[i], k)).join(" | ")).sort();
  const want = new Set(m.rows);
  const have = new Set(rows);
  expect({
    mart: m.name,
    rows: rows.length,
    missing: m.rows.filter((r) => !have.has(r)).slice(0, 5),
    unexpected: rows.filter((r) => !want.has(r)).slice(0, 5),
  }).toEqual({
    mart: m.name,
    rows: m.rows.length,
    missing: [],
    unexpected: [],
  });
}

async function checkAll(run: EngineRun, e: PipelineExpectation): Promise<void> {
  checkCounts(run, e);
  checkTests(run, e);
  for (const m of e.marts) await checkMart(run, m);
}

describe.skipIf(!data.present)(`real data${data.skipNote}`, () => {
  it("runs pipelines/reviews.yaml over amazon2018_all_beauty and matches the independent model", async () => {
    const run = await runEngine("pipelines/reviews.yaml", [{ file: AMAZON, source: "product_reviews" }]);
    const e = expectReviews(readFileSync(AMAZON, "utf8"));
    expect(e.sources.product_reviews!.recordsIn).toBe(5269);
    await checkAll(run, e);
  }, 300_000);

  it("runs pipelines/yelp.yaml over yelp_2022 and matches the independent model", async () => {
    const run = await runEngine("pipelines/yelp.yaml", [
      { file: YELP_BUSINESS, source: "business" },
      { file: YELP_REVIEW, source: "review" },
    ]);
    const e = expectYelp(readFileSync(YELP_BUSINESS, "utf8"), readFileSync(YELP_REVIEW, "utf8"));
    expect([e.sources.business!.recordsIn, e.sources.review!.recordsIn]).toEqual([5000, 5000]);
    await checkAll(run, e);
  }, 300_000);
});

describe("synthetic stand-ins (always run)", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lakec-synthetic-"));
    dirs.push(dir);
  });

  it("reviews: a messy generated export matches the independent model", async () => {
    const file = join(dir, "reviews.jsonl");
    writeFileSync(
      file,
      generateAmazonReviews({ seed: 42, records: 1500, products: 40, messiness: { missingKey: 0.02, malformed: 0.01, outOfRange: 0.02 } }),
    );
    const run = await runEngine("pipelines/reviews.yaml", [{ file, source: "product_reviews" }]);
    await checkAll(run, expectReviews(readFileSync(file, "utf8")));
  }, 300_000);

  it("yelp: generated businesses and reviews, with orphans, match the independent model", async () => {
    const y = generateYelp({ seed: 42, businesses: 150, reviews: 1500, messiness: { orphanReview: 0.05 } });
    const business = join(dir, "business.json");
    const review = join(dir, "review.json");
    writeFileSync(business, y.business);
    writeFileSync(review, y.review);
    const run = await runEngine("pipelines/yelp.yaml", [
      { file: business, source: "business" },
      { file: review, source: "review" },
    ]);
    const e = expectYelp(y.business, y.review);
    expect(e.tables.orphan_reviews).toBeGreaterThan(0);
    await checkAll(run, e);
  }, 300_000);
});
