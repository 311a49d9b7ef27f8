// `lakec dev`: files dropped into raw/ are each processed exactly once (bursts included), a
// broken pipeline edit reports diagnostics with line:col and pauses the queue without stopping
// the watcher, and a fix resumes it. Once with a recording runner (the queue's contract), once
// with the real engine (marts updated from a dropped file).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import type { PipelineIR } from "../../compiler/ir.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { startDev, type DevEvent, type DevRunner, type DevWatcher } from "../../engine/watch.js";
import type { RunSummary } from "../../engine/index.js";
import { runDev } from "../../cli/dev.js";

interface Harness {
  readonly dir: string;
  readonly pipeline: string;
  readonly events: DevEvent[];
  waitFor(pred: (e: DevEvent[]) => boolean, what: string, ms?: number): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Resolves when `pred` holds, checked now and after every change `subscribe` reports; no polling.
 * The timeout only turns a hang into a failure that says what was awaited.
 */
function when(subscribe: (onChange: () => void) => () => void, pred: () => boolean, what: () => string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what()}`));
    }, ms);
    const unsubscribe = subscribe(() => {
      if (!pred()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** A list of listeners, called on every change. */
function changes(): { subscribe: (f: () => void) => () => void; notify: () => void } {
  const listeners = new Set<() => void>();
  return {
    subscribe: (f) => (listeners.add(f), () => void listeners.delete(f)),
    notify: () => [...listeners].forEach((f) => f()),
  };
}

function harness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), "lakec-dev-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pipeline = join(dir, "reviews.yaml");
  copyFileSync("pipelines/reviews.yaml", pipeline);
  const events: DevEvent[] = [];
  const pushed = changes();
  const push = events.push.bind(events);
  events.push = (...e: DevEvent[]) => {
    const n = push(...e);
    pushed.notify();
    return n;
  };
  return {
    dir,
    pipeline,
    events,
    waitFor: (pred, what, ms = 15_000) =>
      when(
        pushed.subscribe,
        () => pred(events),
        () => `${what}; events: ${events.map((e) => e.kind).join(", ")}`,
        ms,
      ),
  };
}

/** Records each batch; while held, a batch does not finish, so files dropped meanwhile queue behind it. */
function recordingRunner(): DevRunner & { calls: string[][]; hold(): void; release(): void } {
  const calls: string[][] = [];
  let gate: Promise<void> = Promise.resolve();
  let open = (): void => undefined;
  return {
    calls,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
    async runBatch(_ir: PipelineIR, keys: readonly string[]) {
      calls.push([...keys]);
      await gate;
      return { files: keys.map((rawKey) => ({ rawKey, status: "processed" })), result: null };
    },
    close: async () => undefined,
  };
}

const processedKeys = (events: readonly DevEvent[]): string[] => events.flatMap((e) => (e.kind === "batch" ? e.rawKeys : []));

function drop(dir: string, key: string, text: string): void {
  const p = join(dir, "raw", key);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
}

async function start(h: Harness, runner?: DevRunner): Promise<DevWatcher> {
  const w = await startDev({
    pipelineFile: h.pipeline,
    lakeDir: join(h.dir, "lake"),
    onEvent: (e) => h.events.push(e),
    ...(runner && { runner }),
    lakeOptions: { threads: 2, memoryLimit: "1GB" },
  });
  cleanups.push(() => w.close());
  return w;
}

describe("lakec dev: the queue", () => {
  it("processes each dropped file exactly once, bursts included, and ignores temp files", async () => {
    const h = harness();
    const runner = recordingRunner();
    await start(h, runner);
    const queued = (e: DevEvent[]): number => e.filter((x) => x.kind === "queued").length;
    runner.hold();
    drop(join(h.dir, "lake"), "reviews/first.jsonl", "{}\n");
    cleanups.push(() => runner.release());
    await h.waitFor((e) => queued(e) === 1, "the first file");
    expect(runner.calls).toEqual([["reviews/first.jsonl"]]); // its batch starts as it is queued
    // The first batch is still running: the burst queues behind it and runs as one batch.
    for (let i = 0; i < 5; i++) drop(join(h.dir, "lake"), `reviews/burst-${i}.jsonl`, `{"n": ${i}}\n`);
    drop(join(h.dir, "lake"), "reviews/.upload.jsonl.tmp", "{}\n");
    await h.waitFor((e) => queued(e) === 6, "the burst to queue");
    runner.release();
    await h.waitFor((e) => processedKeys(e).length >= 6, "the burst");
    // A file written after the burst was processed: once its event has arrived, any late
    // duplicate event for the burst's files would have arrived before it.
    drop(join(h.dir, "lake"), "reviews/last.jsonl", "{}\n");
    await h.waitFor((e) => processedKeys(e).includes("reviews/last.jsonl"), "the last file");
    const keys = processedKeys(h.events).sort();
    expect(keys).toEqual([
      "reviews/burst-0.jsonl",
      "reviews/burst-1.jsonl",
      "reviews/burst-2.jsonl",
      "reviews/burst-3.jsonl",
      "reviews/burst-4.jsonl",
      "reviews/first.jsonl",
      "reviews/last.jsonl",
    ]);
    expect(runner.calls.map((c) => c.length)).toEqual([1, 5, 1]);
    expect(runner.calls.flat().sort()).toEqual(keys);
  });

  it("reports a broken pipeline with line:col, keeps watching, and resumes when it is fixed", async () => {
    const h = harness();
    const runner = recordingRunner();
    const w = await start(h, runner);
    const good = readFileSync(h.pipeline, "utf8");
    writeFileSync(h.pipeline, good.replace("avg_rating: avg(rating)", "avg_rating: avg(ratng)"));
    await h.waitFor((e) => e.some((x) => x.kind === "diagnostics"), "diagnostics");
    const d = h.events.find((e) => e.kind === "diagnostics");
    expect(d?.kind === "diagnostics" && d.diagnostics[0]).toMatchObject({
      code: "LK204",
      line: good.split("\n").findIndex((l) => l.includes("avg(rating)")) + 1,
    });
    drop(join(h.dir, "lake"), "reviews/while-broken.jsonl", "{}\n");
    await h.waitFor((e) => e.some((x) => x.kind === "queued" && x.rawKey === "reviews/while-broken.jsonl"), "the file to queue");
    await w.idle();
    expect(runner.calls).toEqual([]);
    writeFileSync(h.pipeline, good);
    await h.waitFor((e) => processedKeys(e).includes("reviews/while-broken.jsonl"), "processing after the fix");
    expect(h.events.filter((e) => e.kind === "compiled").map((e) => e.kind === "compiled" && e.changed)).toEqual([false, false]);
    expect(runner.calls).toEqual([["reviews/while-broken.jsonl"]]);
  });

  it("queues every raw file again when the pipeline's meaning changes", async () => {
    const h = harness();
    const runner = recordingRunner();
    await start(h, runner);
    drop(join(h.dir, "lake"), "reviews/a.jsonl", "{}\n");
    await h.waitFor((e) => processedKeys(e).length === 1, "the first file");
    writeFileSync(h.pipeline, readFileSync(h.pipeline, "utf8").replace("range: [1, 5]", "range: [2, 5]"));
    await h.waitFor((e) => processedKeys(e).length === 2, "the re-run");
    expect(runner.calls).toEqual([["reviews/a.jsonl"], ["reviews/a.jsonl"]]);
  });
});

describe("lakec dev: with the engine", () => {
  it("updates the marts from a dropped file, processes a burst of five once each, and survives bad files", async () => {
    const h = harness();
    await start(h);
    const lake = join(h.dir, "lake");
    // Nightly exports: each file's reviews fall on a few days, as in production.
    const nightly = (i: number, records: number): string =>
      generateAmazonReviews({ seed: 100 + i, records, dateRange: [`2018-09-0${i + 1}`, `2018-09-0${i + 3}`] });
    drop(lake, "reviews/day-0.jsonl", nightly(0, 300));
    await h.waitFor((e) => processedKeys(e).length === 1, "the first file", 60_000);
    for (let i = 1; i <= 5; i++) drop(lake, `reviews/day-${i}.jsonl`, nightly(i, 200));
    await h.waitFor((e) => processedKeys(e).length >= 6, "the burst", 60_000);
    const burst = h.events.flatMap((e) => (e.kind === "batch" ? (e.report.result as RunSummary).files : []));
    expect(burst.map((f) => `${f.rawKey}:${f.status}`).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `reviews/day-${i}.jsonl:processed`));
    const last = h.events.filter((e) => e.kind === "batch").pop();
    expect(
      last?.kind === "batch" && (last.report.result as RunSummary).warehouse.tests.filter((t) => t.failures > 0 && t.severity === "error"),
    ).toEqual([]);
    drop(lake, "elsewhere/stray.jsonl", nightly(0, 10));
    drop(lake, "reviews/empty.jsonl", "");
    await h.waitFor((e) => processedKeys(e).length >= 8, "the bad files", 60_000);
    drop(lake, "reviews/day-6.jsonl", nightly(6, 50));
    await h.waitFor((e) => processedKeys(e).includes("reviews/day-6.jsonl"), "a good file after the bad ones", 60_000);
    const statusOf = (key: string): string | undefined =>
      h.events.flatMap((e) => (e.kind === "batch" ? (e.report.result as RunSummary).files : [])).find((f) => f.rawKey === key)?.status;
    expect([statusOf("elsewhere/stray.jsonl"), statusOf("reviews/day-6.jsonl")]).toEqual(["unmatched", "processed"]);
    expect(statusOf("reviews/empty.jsonl")).toBeDefined();
    const db = await DuckDBInstance.create(join(lake, "warehouse.duckdb"), { access_mode: "READ_ONLY" });
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll("SELECT sum(reviews) AS n FROM product_daily_ratings")).getRowObjectsJson();
    conn.closeSync();
    db.closeSync();
    const all = h.events.flatMap((e) => (e.kind === "batch" ? (e.report.result as RunSummary).files : []));
    const clean = all.filter((f) => f.status === "processed").reduce((n, f) => n + (f.counts?.clean ?? 0), 0);
    expect(Number(rows[0]!.n)).toBe(clean);
  }, 120_000);
});

describe("lakec dev: the command", () => {
  it("prints queued files, the batch summary, and diagnostics with file:line:col, then stops cleanly", async () => {
    const h = harness();
    let out = "";
    let err = "";
    let code = 0;
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const printed = changes();
    const io = {
      out: (t: string) => void ((out += t), printed.notify()),
      err: (t: string) => void ((err += t), printed.notify()),
      cwd: h.dir,
    };
    const done = runDev(
      { io, exit: (c: 0 | 1 | 2) => void (code = c) },
      "reviews.yaml",
      { lake: "lake", memoryLimit: "1GB", threads: "2" },
      until,
    );
    const waitOut = (re: RegExp, what: string): Promise<void> =>
      when(
        printed.subscribe,
        () => re.test(out + err),
        () => `${what}:\n${out}\n${err}`,
        60_000,
      );
    await waitOut(/watching for raw files/, "ready");
    drop(
      join(h.dir, "lake"),
      "reviews/one.jsonl",
      generateAmazonReviews({ seed: 5, records: 100, dateRange: ["2018-09-01", "2018-09-02"] }),
    );
    await waitOut(/marts updated in [0-9.]+s \(\d+\/\d+ dbt tests pass\)/, "the batch");
    expect(out).toContain("+ raw/reviews/one.jsonl");
    expect(out).toMatch(/reviews\/one\.jsonl processed: 100 in, \d+ clean/);
    const good = readFileSync(h.pipeline, "utf8");
    writeFileSync(
      h.pipeline,
      good.replace("workers: 2", "workers: 2\n   bad indent: [").replace("avg_rating: avg(rating)", "avg_rating: avg(ratng)"),
    );
    await waitOut(/reviews\.yaml:\d+:\d+ error LK\d{3}/, "the diagnostic");
    expect(err).toMatch(/new raw files wait until the pipeline compiles/);
    stop();
    await done;
    expect(out).toContain("stopping");
    expect(code).toBe(0);
  }, 120_000);
});
