// `lakec dev` started on a lake that is already up to date does no work proportional to the
// lake: its first batch (the watcher's initial scan of raw/) skips every file and runs every
// model incrementally over nothing. Before 2026-12-04 the first drop on a 1M-record lake waited
// ~108 s: the lake's big file had failed its build with States.Timeout (aws-local-stepfunctions
// bounds a Task without TimeoutSeconds to 60 s), so every later start processed it again in full
// and rebuilt the marts. The test asserts on the work done, not on time.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { readFileSync } from "node:fs";
import { openLake, runFiles, type RunSummary } from "../../engine/index.js";
import { localDefinition } from "../../engine/state-machine.js";
import { startDev, type DevEvent } from "../../engine/watch.js";
import { STATE } from "../../targets/stepfunctions/index.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LAKE_OPTIONS = { threads: 2, memoryLimit: "1GB" };

function reviewsIr(file: string) {
  const r = compilePipeline(file, readFileSync(file, "utf8"));
  if (!r.ir) throw new Error("the reference pipeline does not compile");
  return r.ir;
}

/** Every Task state of the definition, nested Parallel branches included, by name. */
function tasks(
  states: Record<string, Record<string, unknown>>,
  into: Map<string, Record<string, unknown>> = new Map(),
): Map<string, Record<string, unknown>> {
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === "Task") into.set(name, s);
    for (const b of (s.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) tasks(b.States, into);
  }
  return into;
}

describe("the local state machine bounds clean and flatten by the Glue job's timeout, not the 60 s default", () => {
  it("sets TimeoutSeconds on both Glue tasks from aws.glue.timeout_minutes", () => {
    const ir = reviewsIr("pipelines/reviews.yaml");
    const t = tasks(localDefinition(ir).States as Record<string, Record<string, unknown>>);
    for (const name of [STATE.cleanTask, STATE.flattenTask]) {
      expect(t.get(name), name).toBeDefined();
      expect(t.get(name)!.TimeoutSeconds, name).toBe(ir.aws.glue.timeoutMinutes * 60);
      expect(ir.aws.glue.timeoutMinutes * 60).toBeGreaterThan(60);
    }
  });
});

describe("lakec dev on an up-to-date lake", { timeout: 120_000 }, () => {
  it("the first batch reprocesses no file and rebuilds no model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lakec-dev-first-"));
    dirs.push(dir);
    const pipeline = join(dir, "reviews.yaml");
    copyFileSync("pipelines/reviews.yaml", pipeline);
    const lakeDir = join(dir, "lake");
    mkdirSync(join(lakeDir, "raw", "reviews"), { recursive: true });
    writeFileSync(join(lakeDir, "raw", "reviews", "history.jsonl"), generateAmazonReviews({ seed: 11, records: 2000 }));
    writeFileSync(
      join(lakeDir, "raw", "reviews", "day-1.jsonl"),
      generateAmazonReviews({ seed: 12, records: 300, dateRange: ["2018-09-01", "2018-09-03"] }),
    );
    // The lake, built by `lakec run` and closed.
    const lake = await openLake(lakeDir, LAKE_OPTIONS);
    let built: RunSummary;
    try {
      // Compiled under another spelling of the file's name than dev's (as `lakec run
      // pipelines/reviews.yaml` then `lakec dev /abs/…/reviews.yaml`): the generated SQL's
      // header names the file, and must not make dev rebuild the models.
      const r = compilePipeline("reviews.yaml", readFileSync(pipeline, "utf8"));
      built = await runFiles(lake, r.ir!);
    } finally {
      await lake.close();
    }
    expect(built.ok, built.problems.join("; ")).toBe(true);
    expect(built.files.map((f) => f.status)).toEqual(["processed", "processed"]);

    const events: DevEvent[] = [];
    const dev = await startDev({ pipelineFile: pipeline, lakeDir, lakeOptions: LAKE_OPTIONS, onEvent: (e) => events.push(e) });
    try {
      await dev.idle();
      const batches = events.filter((e): e is Extract<DevEvent, { kind: "batch" }> => e.kind === "batch");
      expect(batches.flatMap((b) => b.rawKeys).sort()).toEqual(["reviews/day-1.jsonl", "reviews/history.jsonl"]);
      for (const b of batches) {
        const r = b.report.result as RunSummary;
        // No file processed again: every published output is current.
        expect(r.files.map((f) => f.status)).toEqual(r.files.map(() => "skipped"));
        expect(b.report.compaction).toBeUndefined();
        // No model rebuilt in full, and none merged anything: the incremental form ran over no new file.
        if (r.warehouse.reused) continue;
        expect(r.warehouse.error).toBeUndefined();
        expect(r.warehouse.models.length).toBeGreaterThan(0);
        for (const m of r.warehouse.models) expect(m.materialized, m.name).toMatch(/^incremental \(0 (ids|groups)\)$/);
      }
    } finally {
      await dev.close();
    }
  });
});
