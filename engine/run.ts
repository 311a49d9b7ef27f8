// A whole run: every raw file not yet processed goes through the state machine, then the
// warehouse is refreshed, the models built and the tests run, once.
import type { PipelineIR } from "../compiler/ir.js";
import { executeFile } from "./state-machine.js";
import type { FileSummary } from "./file-job.js";
import { inArrivalOrder } from "./arrivals.js";
import { listRawKeys } from "./lake.js";
import type { Lake } from "./open-lake.js";
import { buildWarehouse, WarehouseBuildError, type WarehouseResult } from "./warehouse.js";
import { publishedState } from "./manifest.js";
import { buildBeside } from "./publish.js";

export interface TableSummary {
  readonly name: string;
  readonly source: string;
  /** Rows this run wrote (files skipped as current wrote none). */
  readonly rowsWritten: number;
  /** Rows the external table holds after the run. */
  readonly totalRows: number;
}

export interface RunSummary {
  readonly pipeline: string;
  readonly lake: string;
  readonly files: readonly FileSummary[];
  readonly tables: readonly TableSummary[];
  readonly warehouse: WarehouseResult;
  /** Human-readable reasons the run is not clean; empty means exit code 0. */
  readonly problems: readonly string[];
  readonly ok: boolean;
  readonly timingsMs: { files: number; warehouse: number; total: number };
}

export interface RunOptions {
  /** Rebuild every dbt model in full instead of incrementally (`--full-refresh`). */
  readonly fullRefresh?: boolean;
  /** Called before and after each file, e.g. for a progress display. */
  readonly onFile?: (event: { phase: "start" | "done"; rawKey: string; index: number; total: number; summary?: FileSummary }) => void;
}

/** Stages 1–2 for one raw file (via the state machine), serialised with other calls on the lake. */
export function processRawFile(lake: Lake, ir: PipelineIR, rawKey: string): Promise<FileSummary> {
  return lake.exclusive(() => executeFile(lake, ir, rawKey));
}

/**
 * Stages 3–5 (refresh, models, tests), built on a copy of warehouse.duckdb that replaces it when
 * complete (engine/publish.ts). The models run incrementally unless `fullRefresh`: a file
 * reprocessed under a changed pipeline is a new version of it (a later `_ingested_at`), which
 * the incremental models merge like a new file. A warehouse rebuilt from scratch has no tables
 * yet, so its models are built in full.
 */
export function refreshWarehouse(lake: Lake, ir: PipelineIR, opts: { fullRefresh?: boolean; files?: readonly FileSummary[] } = {}): Promise<WarehouseResult> {
  const fullRefresh = opts.fullRefresh === true;
  return lake.exclusive(async () => {
    let rebuilt: string | undefined;
    const result = await buildBeside(lake.paths, (paths) => buildWarehouse(paths, ir, lake.settings, { fullRefresh }), (why) => (rebuilt = why));
    return rebuilt === undefined ? result : { ...result, rebuilt };
  });
}

/**
 * refreshWarehouse for a run's report: a warehouse that cannot be built (a failing query,
 * DuckDB out of memory) becomes the run's problem, with the files' results kept, instead of
 * an exception that loses them.
 */
export async function refreshWarehouseForRun(lake: Lake, ir: PipelineIR, opts: { fullRefresh?: boolean; files?: readonly FileSummary[] } = {}): Promise<WarehouseResult> {
  try {
    return await refreshWarehouse(lake, ir, opts);
  } catch (e) {
    if (!(e instanceof WarehouseBuildError)) throw e;
    const published = await publishedState(lake.paths, ir);
    const hint = /out of memory/i.test(e.message) ? " (raise --memory-limit: a full build of the dbt models reads whole tables, not one file)" : "";
    return { views: [], orphans: published.orphans, tableRows: published.rowsByTable, models: [], tests: [], timingsMs: { refresh: 0, models: 0, tests: 0 }, error: `${e.message}${hint}` };
  }
}

/** Runs the given raw keys (default: every file in raw/), then the warehouse stages. */
export async function runFiles(lake: Lake, ir: PipelineIR, rawKeys?: readonly string[], opts: RunOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const keys = rawKeys ?? (await inArrivalOrder(lake.paths, await listRawKeys(lake.paths)));
  const files: FileSummary[] = [];
  for (const [index, rawKey] of keys.entries()) {
    opts.onFile?.({ phase: "start", rawKey, index, total: keys.length });
    const summary = await processRawFile(lake, ir, rawKey);
    files.push(summary);
    opts.onFile?.({ phase: "done", rawKey, index, total: keys.length, summary });
  }
  const t1 = performance.now();
  const warehouse = await refreshWarehouseForRun(lake, ir, { files, ...(opts.fullRefresh !== undefined && { fullRefresh: opts.fullRefresh }) });
  const t2 = performance.now();
  return summarizeRun(lake, ir, files, warehouse, { files: t1 - t0, warehouse: t2 - t1, total: t2 - t0 });
}

export function summarizeRun(lake: Lake, ir: PipelineIR, files: readonly FileSummary[], warehouse: WarehouseResult, timingsMs: RunSummary["timingsMs"]): RunSummary {
  const tables = ir.tables.map((t) => ({
    name: t.name,
    source: t.source,
    rowsWritten: files.reduce((sum, f) => sum + (f.rowsWritten[t.name] ?? 0), 0),
    totalRows: warehouse.tableRows[t.name] ?? 0,
  }));
  const problems: string[] = [];
  for (const f of files) {
    if (f.status === "failed") problems.push(`${f.rawKey}: failed: ${f.reason ?? "unknown"}`);
    if (!f.reconciled) problems.push(`${f.rawKey}: counts do not reconcile (engine bug)`);
  }
  if (warehouse.error !== undefined) problems.push(`warehouse not built: ${warehouse.error}`);
  for (const t of warehouse.tests) if (t.failures > 0 && t.severity === "error") problems.push(`test ${t.name} failed: ${t.failures} row(s)`);
  return { pipeline: ir.name, lake: lake.paths.root, files, tables, warehouse, problems, ok: problems.length === 0, timingsMs };
}
