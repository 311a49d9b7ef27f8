// `lakec compact` end to end (in-process, as a user runs it, text and JSON), and `lakec dev`
// compacting by itself once a partition passes --compact-above.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { printEvent } from "../../cli/dev.js";
import type { CompactionReport, DevEvent, RunSummary } from "../../engine/index.js";
import { startDev } from "../../engine/index.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { lakecIn, listing, removeTempDirs, tempDir, warehouseRows } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

/** Three days of synthetic reviews per export, the same three days each time: every export adds a file to each. */
const exportText = (seed: number): string => generateAmazonReviews({ seed, records: 300, dateRange: ["2018-09-01", "2018-09-03"] });

async function filesPerPartition(lakeDir: string, table: string): Promise<number> {
  const per = new Map<string, number>();
  for (const f of (await listing(join(lakeDir, "processed", table))).filter((x) => x.endsWith(".parquet"))) {
    const part = f.split("/").slice(0, -2).join("/");
    per.set(part, (per.get(part) ?? 0) + 1);
  }
  return Math.max(...per.values());
}

describe("lakec compact", () => {
  it("prints files and partitions before and after, rows kept and dead rows dropped; --json carries the same; a second run has nothing to do", async () => {
    const cwd = await tempDir("compact-cli");
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines", "reviews.yaml"), readFileSync("pipelines/reviews.yaml", "utf8"));
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(cwd, `e${i}.jsonl`), exportText(10 + i));
      const r = await lakecIn(cwd, "run", "pipelines/reviews.yaml", "--input", `e${i}.jsonl`, "--lake", "lake", "--memory-limit", "512MB");
      expect(r.code, r.err).toBe(0);
    }
    expect(await filesPerPartition(join(cwd, "lake"), "product_reviews")).toBe(4);
    const before = await warehouseRows(join(cwd, "lake"), "SELECT * FROM product_daily_ratings ORDER BY ALL");
    const text = await lakecIn(cwd, "compact", "pipelines/reviews.yaml", "--lake", "lake");
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(
      /^product_reviews: 12 files in 3 partitions \(at most 4 per partition\) → 3 files \(at most 1 per partition\); 3 partitions rewritten, 4 raw files packed, [\d,]+ rows kept, 0 dead rows dropped$/m,
    );
    expect(text.out).toMatch(/^product_review_images: /m);
    expect(text.out).toMatch(/compacted in [\d.]+s; superseded files are removed when the lake is next opened/);
    expect(await warehouseRows(join(cwd, "lake"), "SELECT * FROM product_daily_ratings ORDER BY ALL")).toEqual(before);
    const again = await lakecIn(cwd, "compact", "pipelines/reviews.yaml", "--lake", "lake", "--json");
    expect(again.code, again.err).toBe(0);
    const doc = JSON.parse(again.out) as { command: string; ok: boolean; result: CompactionReport };
    expect(doc.command).toBe("compact");
    expect(doc.result.tables.find((t) => t.table === "product_reviews")).toMatchObject({
      filesBefore: 3,
      filesAfter: 3,
      skipped: "already compacted",
    });
    // The second run opened the lake, which removed what the first one superseded.
    expect(await filesPerPartition(join(cwd, "lake"), "product_reviews")).toBe(1);
    const bad = await lakecIn(cwd, "compact", "pipelines/reviews.yaml", "--lake", "lake", "--table", "product_review");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--table product_review: no such table; did you mean 'product_reviews'/);
  }, 180_000);
});

describe("lakec dev compacts by itself", () => {
  it("once a batch leaves more than --compact-above files in a partition, and says so", async () => {
    const dir = await tempDir("compact-dev");
    const pipeline = join(dir, "reviews.yaml");
    writeFileSync(pipeline, readFileSync("pipelines/reviews.yaml", "utf8"));
    const lakeDir = join(dir, "lake");
    const events: DevEvent[] = [];
    let notify = (): void => undefined;
    const watcher = await startDev({
      pipelineFile: pipeline,
      lakeDir,
      compactAbove: 2,
      lakeOptions: { threads: 2, memoryLimit: "512MB" },
      onEvent: (e) => (events.push(e), notify()),
    });
    const batches = (): Extract<DevEvent, { kind: "batch" }>[] =>
      events.filter((e): e is Extract<DevEvent, { kind: "batch" }> => e.kind === "batch");
    const waitBatches = (n: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for batch ${n}: ${events.map((e) => e.kind).join(", ")}`)),
          90_000,
        );
        notify = () => {
          if (batches().length >= n) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify();
      });
    try {
      mkdirSync(join(lakeDir, "raw", "reviews"), { recursive: true });
      for (let i = 0; i < 3; i++) {
        writeFileSync(join(lakeDir, "raw", "reviews", `day-${i}.jsonl`), exportText(20 + i));
        await waitBatches(i + 1);
        await watcher.idle();
      }
    } finally {
      await watcher.close();
    }
    const [first, second, third] = batches();
    expect(first!.report.compaction).toBeUndefined();
    expect(second!.report.compaction).toBeUndefined();
    const c = third!.report.compaction!;
    const reviews = c.tables.find((t) => t.table === "product_reviews")!;
    expect(reviews).toMatchObject({ maxFilesPerPartitionBefore: 3, maxFilesPerPartitionAfter: 1, inputsAbsorbed: 3, deadRowsDropped: 0 });
    let out = "";
    printEvent({ out: (t) => void (out += t), err: () => undefined, cwd: dir }, third!);
    expect(out).toMatch(/^ {2}compacted product_reviews: 9 files in 3 partitions/m);
    // Nothing lost: the mart counts every clean record of the three files.
    const clean = batches()
      .flatMap((b) => (b.report.result as RunSummary).files)
      .reduce((n, f) => n + (f.counts?.clean ?? 0), 0);
    const [row] = await warehouseRows(lakeDir, "SELECT sum(reviews) AS n FROM product_daily_ratings");
    expect(Number(row!.n)).toBe(clean);
    expect(readdirSync(join(lakeDir, "processed", "product_reviews")).length).toBe(3);
  }, 180_000);
});
