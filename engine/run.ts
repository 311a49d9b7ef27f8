// A whole run: every raw file not yet processed goes through the state machine, then the
// warehouse is refreshed, the models built and the tests run, once.
import type { PipelineIR } from "../compiler/ir.js";
import { executeFile } from "./state-machine.js";
import type { FileSummary } from "./file-job.js";
import { inArrivalOrder } from "./arrivals.js";
import { exists, listRawKeys, type LakePaths } from "./lake.js";
import type { Lake } from "./open-lake.js";
import { buildWarehouse, WarehouseBuildError, type WarehouseResult } from "./warehouse.js";
import { publishedState } from "./manifest.js";
import { buildBeside, startWarehouseCopy, type WarehouseCopy } from "./publish.js";
import { collectRetired, prepareRetirement } from "./retired-warehouses.js";
import type { DbtProjectOptions } from "./dbt-project.js";
import { traced } from "./trace.js";

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
  /**
   * The result of the last warehouse build on this lake for this same pipeline: when every file
   * is skipped, it is returned (marked `reused`) instead of rebuilding. Callers that hold it
   * (dev) must pass it only for the IR it was built with.
   */
  readonly reuseWarehouse?: WarehouseResult;
  /** The dbt project's hand-written files and `--select` (engine/dbt-project.ts). */
  readonly dbt?: DbtProjectOptions;
  /** Called before and after each file, e.g. for a progress display. */
  readonly onFile?: (event: { phase: "start" | "done"; rawKey: string; index: number; total: number; summary?: FileSummary }) => void;
}

export interface WarehouseOptions {
  readonly fullRefresh?: boolean;
  /** The files this run processed (reported with the build; a reprocessed one is merged incrementally as a new version). */
  readonly files?: readonly FileSummary[];
  readonly dbt?: DbtProjectOptions;
}

/** Stages 1–2 for one raw file (via the state machine), serialised with other calls on the lake. */
export function processRawFile(lake: Lake, ir: PipelineIR, rawKey: string): Promise<FileSummary> {
  return lake.exclusive(() => executeFile(lake, ir, rawKey));
}

export interface RefreshOptions extends WarehouseOptions {
  /**
   * Changes the build makes besides creating (apply drops removed views and marts), run on the
   * same private copy of the warehouse first: readers see them in the one rename that publishes
   * the build, never the live file changed under them.
   */
  readonly beforeBuild?: (warehouseFile: string) => Promise<void>;
  /** The copy to build on, started while the files ran (publish.ts startWarehouseCopy). */
  readonly prepared?: WarehouseCopy;
}

/**
 * Stages 3–5 (refresh, models, tests), built on a copy of warehouse.duckdb that replaces it when
 * complete (engine/publish.ts). The models run incrementally unless `fullRefresh`: a file
 * reprocessed under a changed pipeline is a new version of it (a later `_ingested_at`), which
 * the incremental models merge like a new file. A warehouse rebuilt from scratch has no tables
 * yet, so its models are built in full.
 */
export function refreshWarehouse(lake: Lake, ir: PipelineIR, opts: RefreshOptions = {}): Promise<WarehouseResult> {
  const fullRefresh = opts.fullRefresh === true;
  return lake.exclusive(async () => {
    let rebuilt: string | undefined;
    const build = async (paths: LakePaths): Promise<WarehouseResult> => {
      await opts.beforeBuild?.(paths.warehouse);
      return buildWarehouse(paths, ir, lake.settings, { fullRefresh }, opts.dbt);
    };
    const retirement = await traced("warehouse: prepare retirement", () => prepareRetirement(lake.paths));
    let result: WarehouseResult;
    try {
      result = await traced("warehouse: build beside (copy, build, rename)", () =>
        buildBeside(lake.paths, build, (why) => (rebuilt = why), opts.prepared),
      );
    } catch (e) {
      await retirement.abandon();
      throw e;
    }
    await retirement.commit();
    await traced("warehouse: collect retired", () => collectRetired(lake.paths));
    return rebuilt === undefined ? result : { ...result, rebuilt };
  });
}

/**
 * refreshWarehouse for a run's report: a warehouse that cannot be built (a failing query,
 * DuckDB out of memory) becomes the run's problem, with the files' results kept, instead of
 * an exception that loses them.
 */
export async function refreshWarehouseForRun(lake: Lake, ir: PipelineIR, opts: RefreshOptions = {}): Promise<WarehouseResult> {
  try {
    return await refreshWarehouse(lake, ir, opts);
  } catch (e) {
    if (!(e instanceof WarehouseBuildError)) throw e;
    const published = await publishedState(lake.paths, ir);
    const hint = /out of memory/i.test(e.message)
      ? " (raise --memory-limit: a full build of the dbt models reads whole tables, not one file)"
      : "";
    return {
      views: [],
      orphans: published.orphans,
      tableRows: published.rowsByTable,
      models: [],
      tests: [],
      timingsMs: { refresh: 0, models: 0, tests: 0 },
      error: `${e.message}${hint}`,
    };
  }
}

/** Runs the given raw keys (default: every file in raw/), then the warehouse stages. */
export async function runFiles(lake: Lake, ir: PipelineIR, rawKeys?: readonly string[], opts: RunOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const keys = rawKeys ?? (await inArrivalOrder(lake.paths, await listRawKeys(lake.paths)));
  const files: FileSummary[] = [];
  // The files never touch warehouse.duckdb, so its copy for the build can be made meanwhile.
  const prepared = opts.fullRefresh === true ? undefined : startWarehouseCopy(lake.paths);
  for (const [index, rawKey] of keys.entries()) {
    opts.onFile?.({ phase: "start", rawKey, index, total: keys.length });
    const summary = await traced(`file ${rawKey}`, () => processRawFile(lake, ir, rawKey));
    files.push(summary);
    opts.onFile?.({ phase: "done", rawKey, index, total: keys.length, summary });
  }
  const t1 = performance.now();
  // Every file skipped and the same pipeline as the build the caller holds: models, marts and
  // tests would come out the same, so that build stands (dev saves a rebuild per touched file).
  const unchanged =
    opts.reuseWarehouse !== undefined &&
    !opts.fullRefresh &&
    files.every((f) => f.status === "skipped") &&
    (await exists(lake.paths.warehouse));
  if (unchanged) await prepared?.discard();
  const warehouse = unchanged
    ? { ...opts.reuseWarehouse!, reused: true as const, timingsMs: { refresh: 0, models: 0, tests: 0 } }
    : await refreshWarehouseForRun(lake, ir, {
        files,
        ...(prepared && { prepared }),
        ...(opts.fullRefresh !== undefined && { fullRefresh: opts.fullRefresh }),
        ...(opts.dbt && { dbt: opts.dbt }),
      });
  const t2 = performance.now();
  return summarizeRun(lake, ir, files, warehouse, { files: t1 - t0, warehouse: t2 - t1, total: t2 - t0 });
}

export function summarizeRun(
  lake: Lake,
  ir: PipelineIR,
  files: readonly FileSummary[],
  warehouse: WarehouseResult,
  timingsMs: RunSummary["timingsMs"],
): RunSummary {
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
  for (const t of warehouse.tests)
    if (t.failures > 0 && t.severity === "error") problems.push(`test ${t.name} failed: ${t.failures} row(s)`);
  return { pipeline: ir.name, lake: lake.paths.root, files, tables, warehouse, problems, ok: problems.length === 0, timingsMs };
}
