// `lakec dev`: the local lake as an event-driven system, like S3 → EventBridge → Step Functions.
// A raw file appearing under raw/ is an event; each one is queued and processed exactly once,
// in arrival order, and a batch that arrived together refreshes the warehouse once. An edit to
// the pipeline file recompiles it; while it has errors the queue waits (the user is mid-edit,
// and processing with a pipeline about to change would only be redone), and the watcher keeps
// running. When the fixed pipeline means something new, every raw file is queued again: the
// engine's manifests skip the files whose outputs are still current.
import { mkdir, readFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { compilePipeline } from "../compiler/index.js";
import { decodeSource } from "../compiler/load.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { PipelineIR } from "../compiler/ir.js";
import { inArrivalOrder } from "./arrivals.js";
import { openLake, type LakeOptions } from "./open-lake.js";
import type { DbtProjectOptions } from "./dbt-project.js";
import { runFiles, type RunSummary } from "./run.js";
import type { WarehouseResult } from "./warehouse.js";
import { compactLake, maxFilesPerPartition, partitionsWrittenBy, type CompactionReport } from "./compact.js";
import { traced } from "./trace.js";

/** What a batch of raw files did; the CLI prints it, tests and benchmarks inspect it. */
export interface BatchReport {
  readonly files: readonly { readonly rawKey: string; readonly status: string; readonly detail?: string }[];
  /** The engine's RunSummary for the batch (engineRunner); whatever a custom runner returns. */
  readonly result: unknown;
  /** The compaction the batch set off (engineRunner), when a partition passed the threshold. */
  readonly compaction?: CompactionReport;
}

/** Does the work for a batch of raw files (keys relative to raw/, `/`-separated). */
export interface DevRunner {
  runBatch(ir: PipelineIR, rawKeys: readonly string[]): Promise<BatchReport>;
  close(): Promise<void>;
}

export type DevEvent =
  | { readonly kind: "compiled"; readonly pipeline: string; readonly changed: boolean }
  | { readonly kind: "diagnostics"; readonly diagnostics: readonly Diagnostic[]; readonly text: string }
  | { readonly kind: "queued"; readonly rawKey: string }
  | {
      readonly kind: "batch";
      readonly rawKeys: readonly string[];
      readonly report: BatchReport;
      readonly ms: number;
      readonly queuedAt: readonly number[];
    }
  | { readonly kind: "batch-failed"; readonly rawKeys: readonly string[]; readonly error: string }
  | { readonly kind: "watch-error"; readonly message: string }
  | { readonly kind: "ready" };

export interface DevOptions {
  /** The pipeline file: absolute, or relative to the process's working folder. */
  readonly pipelineFile: string;
  /** How diagnostics name the file (default: `pipelineFile`). */
  readonly displayName?: string;
  readonly lakeDir: string;
  /** The environment to run, for a pipeline with environments (default: its default one). */
  readonly environment?: string;
  /** Default: the engine on `lakeDir` (`engineRunner`). */
  readonly runner?: DevRunner;
  readonly lakeOptions?: LakeOptions;
  /** The dbt project's hand-written files and `--select`, read again for every batch. */
  readonly dbt?: DbtProjectOptions;
  readonly onEvent?: (e: DevEvent) => void;
  /** How long a file's size must stay unchanged before it counts as written (default 100 ms). */
  readonly writeStableMs?: number;
  /** Poll the file system instead of using native events (network drives, some containers). */
  readonly usePolling?: boolean;
  /** Compact after a batch when a partition holds more live files than this; 0 never (default DEFAULT_COMPACT_ABOVE). */
  readonly compactAbove?: number;
}

/**
 * lakec dev's compaction threshold: each delivery adds a file to every partition it touches, so
 * a daily export compacts about once a week. Lower costs more rewriting (each compaction rewrites
 * every partition touched since the last), higher leaves readers more files to open.
 */
export const DEFAULT_COMPACT_ABOVE = 8;

export interface DevWatcher {
  /** Resolves once nothing is queued or running (the queue may be paused on errors). */
  idle(): Promise<void>;
  /** Stops watching, lets a running batch finish, closes the runner. */
  close(): Promise<void>;
}

/** Names of files a writer is still producing or that are not data: editors' and tools' temp files. */
function isTempName(key: string): boolean {
  const base = key.slice(key.lastIndexOf("/") + 1);
  return base.startsWith(".") || base.endsWith("~") || /\.(tmp|part|partial|crdownload|swp)$/i.test(base);
}

class DevLoop {
  private ir: PipelineIR | undefined;
  private irJson = "";
  private readonly pending: { key: string; at: number }[] = [];
  private running: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private compiling: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: DevOptions & { readonly runner: DevRunner },
    private readonly rawDir: string,
  ) {}

  private get shown(): string {
    return this.opts.displayName ?? this.opts.pipelineFile;
  }

  emit(e: DevEvent): void {
    this.opts.onEvent?.(e);
  }

  /**
   * Recompiles; compiles run one after another so the last edit always wins. True when the
   * pipeline compiled and means something different from the last good version.
   */
  recompile(): Promise<boolean> {
    const next = this.compiling.then(() => this.compileNow());
    this.compiling = next.then(() => undefined);
    return next;
  }

  private async compileNow(): Promise<boolean> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.opts.pipelineFile);
    } catch (e) {
      // An editor's atomic save can leave no file for a moment; the next event recompiles.
      this.ir = undefined;
      this.emit({ kind: "watch-error", message: `cannot read ${this.shown}: ${e instanceof Error ? e.message : String(e)}` });
      return false;
    }
    const decoded = decodeSource(this.shown, bytes);
    const r = decoded.text === undefined ? { diagnostics: decoded.diagnostics } : compilePipeline(this.shown, decoded.text);
    if (!("ir" in r) || !r.ir) {
      this.ir = undefined;
      this.emit({ kind: "diagnostics", diagnostics: r.diagnostics, text: decoded.text ?? "" });
      return false;
    }
    if (r.diagnostics.length > 0) this.emit({ kind: "diagnostics", diagnostics: r.diagnostics, text: decoded.text ?? "" });
    const env = this.opts.environment;
    const ir = env === undefined ? r.ir : r.irs?.find((i) => i.environment?.name === env);
    if (!ir || (env === undefined && ir.environment)) {
      // The lake was chosen at start, for one environment (or for none): an edit that removes
      // that environment, or adds environments to a pipeline started without, must not run
      // another environment's pipeline in this lake.
      this.ir = undefined;
      const message =
        env === undefined
          ? "now declares environments; restart lakec dev (with --env) to run one in its own lake"
          : `has no environment '${env}' any more`;
      this.emit({ kind: "watch-error", message: `${this.shown} ${message}; new raw files wait` });
      return false;
    }
    const json = JSON.stringify(ir);
    const changed = this.irJson !== "" && json !== this.irJson;
    this.ir = ir;
    this.irJson = json;
    this.emit({ kind: "compiled", pipeline: ir.name, changed });
    this.kick();
    return changed;
  }

  private readonly known = new Set<string>();

  private keyOf(path: string): string | undefined {
    const key = relative(this.rawDir, path).split(sep).join("/");
    return key === "" || key.startsWith("..") || isTempName(key) ? undefined : key;
  }

  forget(path: string): void {
    const key = this.keyOf(path);
    if (key !== undefined) this.known.delete(key);
  }

  /** Called with every raw file the watcher reports; a key already waiting is not queued twice. */
  enqueue(path: string): void {
    const key = this.keyOf(path);
    if (key === undefined) return;
    this.known.add(key);
    if (this.pending.some((p) => p.key === key)) return;
    this.pending.push({ key, at: performance.now() });
    this.emit({ kind: "queued", rawKey: key });
    this.kick();
  }

  requeueAll(): void {
    for (const k of [...this.known].sort()) this.enqueue(join(this.rawDir, k));
  }

  private kick(): void {
    if (this.running || this.closed) return this.settle();
    if (!this.ir || this.pending.length === 0) return this.settle();
    this.running = this.drain().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  /** Takes everything queued as one batch, so a burst refreshes the warehouse once. */
  private async drain(): Promise<void> {
    const ir = this.ir!;
    const batch = this.pending.splice(0, this.pending.length);
    const keys = batch.map((b) => b.key);
    const t0 = performance.now();
    try {
      const report = await this.opts.runner.runBatch(ir, keys);
      this.emit({ kind: "batch", rawKeys: keys, report, ms: performance.now() - t0, queuedAt: batch.map((b) => b.at) });
    } catch (e) {
      this.emit({ kind: "batch-failed", rawKeys: keys, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private settle(): void {
    if (this.running || (this.ir && this.pending.length > 0 && !this.closed)) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }

  idle(): Promise<void> {
    return this.compiling.then(
      () =>
        new Promise<void>((res) => {
          this.idleWaiters.push(res);
          this.settle();
        }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.compiling;
    await this.running;
    this.settle();
  }
}

/** The engine as a dev runner: one open lake; a batch is `runFiles` over its keys (stages 1–5). */
export async function engineRunner(
  lakeDir: string,
  lakeOptions: LakeOptions = {},
  dbt: DbtProjectOptions = {},
  compactAbove = DEFAULT_COMPACT_ABOVE,
): Promise<DevRunner> {
  const lake = await traced("dev: open lake", () => openLake(lakeDir, lakeOptions));
  // The last successful build and the pipeline it was built for: a batch whose files are all
  // unchanged (a touched or re-saved file) under the same pipeline keeps it, no mart rebuilt.
  let last: { ir: string; warehouse: WarehouseResult } | undefined;
  let checkedAll = false;
  return {
    async runBatch(ir, keys) {
      const irText = JSON.stringify(ir);
      const reuse = last?.ir === irText ? { reuseWarehouse: last.warehouse } : {};
      // Files of one batch get their arrivals in the order they landed (see inArrivalOrder); the
      // models then run incrementally, so a new file costs its own size, not the lake's.
      const summary: RunSummary = await traced(`dev batch of ${keys.length}: runFiles`, async () =>
        runFiles(lake, ir, await inArrivalOrder(lake.paths, keys), { ...reuse, dbt }),
      );
      last = summary.warehouse.error === undefined ? { ir: irText, warehouse: summary.warehouse } : undefined;
      // After the models merged the batch, so that its files can be packed too (compact.ts).
      // The first batch looks at every partition; later ones only where their files wrote, since
      // the rest were at most compactAbove after the batch before (or were compacted then).
      const touched = checkedAll ? await partitionsWrittenBy(lake.paths, ir, keys) : undefined;
      const compact =
        compactAbove > 0 &&
        summary.warehouse.error === undefined &&
        (await traced("dev: files per partition", () => maxFilesPerPartition(lake.paths, ir, touched))) > compactAbove;
      if (summary.warehouse.error === undefined) checkedAll = true;
      const compaction = compact ? await compactLake(lake, ir, { above: compactAbove }) : undefined;
      // Compaction rebuilt the warehouse: the next all-skipped batch must not stand on the old result.
      if (compaction) last = undefined;
      return {
        files: summary.files.map((f) => ({ rawKey: f.rawKey, status: f.status, ...(f.reason !== undefined && { detail: f.reason }) })),
        result: summary,
        ...(compaction && { compaction }),
      };
    },
    close: () => lake.close(),
  };
}

/** Starts watching; resolves once both watchers have scanned and the pipeline was compiled once. */
export async function startDev(options: DevOptions): Promise<DevWatcher> {
  const rawDir = resolve(options.lakeDir, "raw");
  await mkdir(rawDir, { recursive: true });
  const opts = {
    ...options,
    runner: options.runner ?? (await engineRunner(options.lakeDir, options.lakeOptions, options.dbt, options.compactAbove)),
  };
  const loop = new DevLoop(opts, rawDir);
  await loop.recompile();
  const stable = opts.writeStableMs ?? 100;
  const common = {
    usePolling: opts.usePolling ?? false,
    interval: 50,
    awaitWriteFinish: { stabilityThreshold: stable, pollInterval: Math.max(10, Math.floor(stable / 4)) },
  };
  // Existing raw files are events too (ignoreInitial: false): whatever arrived while dev was not
  // running is processed now, and files already processed are skipped by their manifests.
  const raw = watch(rawDir, { ...common, ignoreInitial: false });
  const path = (fn: (p: string) => void) => (p: unknown) => void (typeof p === "string" && fn(p));
  raw
    .on(
      "add",
      path((p) => loop.enqueue(p)),
    )
    .on(
      "change",
      path((p) => loop.enqueue(p)),
    )
    .on(
      "unlink",
      path((p) => loop.forget(p)),
    );
  raw.on("error", (e) => opts.onEvent?.({ kind: "watch-error", message: e instanceof Error ? e.message : String(e) }));
  const pipeline = watch(resolve(opts.pipelineFile), { ...common, ignoreInitial: true });
  const onPipeline = (): void => {
    void loop.recompile().then((changed) => {
      if (changed) loop.requeueAll();
    });
  };
  pipeline.on("change", onPipeline).on("add", onPipeline);
  await Promise.all([ready(raw), ready(pipeline)]);
  opts.onEvent?.({ kind: "ready" });
  return {
    idle: () => loop.idle(),
    async close() {
      await Promise.all([raw.close(), pipeline.close()]);
      await loop.close();
      await opts.runner.close();
    },
  };
}

function ready(w: FSWatcher): Promise<void> {
  return new Promise((res) => w.once("ready", () => res()));
}
