// Latency benchmark: under `lakec dev` (the watcher with the real engine), the time from a
// raw file appearing in raw/ to the marts being rebuilt from it, for a 10,000-record file
// (target: under 2 s). Files arrive the way uploaders deliver them: written elsewhere, then
// renamed into raw/ in one step. Each file is one nightly export: reviews dated within its last
// three days (late arrivals). The first drop also creates the warehouse and builds every model
// from nothing, so it is reported apart from the steady-state drops.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateAmazonReviews } from "../synthetic/amazon.js";
import { startDev, type DevEvent } from "../engine/index.js";
import type { RunSummary } from "../engine/index.js";

export interface LatencyDrop {
  readonly records: number;
  /** File renamed into raw/ → marts updated (batch finished), in ms. */
  readonly latencyMs: number;
  /** Part of it spent waiting for the file to stop changing (awaitWriteFinish) and queueing. */
  readonly detectMs: number;
  readonly processMs: number;
  readonly warehouseMs: number;
  readonly status: string;
}

export interface LatencyResult {
  readonly first: LatencyDrop;
  readonly steady: readonly LatencyDrop[];
  readonly medianSteadyMs: number;
}

function waitForBatch(events: DevEvent[], key: string, timeoutMs: number): Promise<Extract<DevEvent, { kind: "batch" }>> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const poll = (): void => {
      const e = events.find((x): x is Extract<DevEvent, { kind: "batch" }> => x.kind === "batch" && x.rawKeys.includes(key));
      if (e) return res(e);
      const failed = events.find((x) => x.kind === "batch-failed" && x.rawKeys.includes(key));
      if (failed) return rej(new Error(`batch failed for ${key}: ${JSON.stringify(failed)}`));
      if (Date.now() - t0 > timeoutMs) return rej(new Error(`no batch for ${key} after ${timeoutMs} ms`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

async function dropOnce(workDir: string, events: DevEvent[], i: number, records: number): Promise<LatencyDrop> {
  const key = `reviews/drop-${i}.jsonl`;
  const staged = join(workDir, `staged-${i}.jsonl`);
  const day = (offset: number): string => new Date(Date.UTC(2018, 8, 1 + i + offset)).toISOString().slice(0, 10);
  writeFileSync(staged, generateAmazonReviews({ seed: 7000 + i, records, dateRange: [day(-2), day(0)] }));
  const t0 = performance.now();
  renameSync(staged, join(workDir, "lake", "raw", key));
  const e = await waitForBatch(events, key, 600_000);
  const latencyMs = performance.now() - t0;
  const s = e.report.result as RunSummary;
  const f = s.files.find((x) => x.rawKey === key)!;
  return {
    records,
    latencyMs,
    detectMs: latencyMs - e.ms,
    processMs: s.timingsMs.files,
    warehouseMs: s.timingsMs.warehouse,
    status: f.status,
  };
}

export async function benchLatency(workDir: string, records = 10_000, steadyDrops = 5, memoryLimit = "2GB"): Promise<LatencyResult> {
  mkdirSync(join(workDir, "lake", "raw", "reviews"), { recursive: true });
  const events: DevEvent[] = [];
  const watcher = await startDev({
    pipelineFile: "pipelines/reviews.yaml",
    lakeDir: join(workDir, "lake"),
    lakeOptions: { threads: 2, memoryLimit },
    onEvent: (e) => events.push(e),
  });
  try {
    const first = await dropOnce(workDir, events, 0, records);
    const steady: LatencyDrop[] = [];
    for (let i = 1; i <= steadyDrops; i++) steady.push(await dropOnce(workDir, events, i, records));
    const sorted = steady.map((d) => d.latencyMs).sort((a, b) => a - b);
    return { first, steady, medianSteadyMs: sorted[Math.floor(sorted.length / 2)]! };
  } finally {
    await watcher.close();
  }
}
