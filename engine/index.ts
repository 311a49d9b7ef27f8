// The local engine's interface: opening a lake, ingesting and running files, querying the
// warehouse read-only and watching a lake for `lakec dev`. cli/, deploy/ and bench/ import the
// engine only through this file (a lint rule in eslint.config.js holds them to it); how rows
// are printed for people is cli/'s business, and the synthetic data generators are synthetic/.
//
//   const lake = await openLake(".lake", { memoryLimit: "2GB", threads: 2 });
//   await ingestInputs(lake.paths, ir, ["export.jsonl"], { source: "product_reviews" });
//   const summary = await runFiles(lake, ir);          // every raw file, then stages 3–5
//   await lake.close();
//
// - openLake(dir, opts)                → Lake. One in-memory DuckDB for stages 1–2 (memory
//                                        limit, spills to <dir>/tmp). Close it when done. One
//                                        process per lake: throws LakeBusyError while another
//                                        live process has it open (state/lake.lock).
// - ingestInputs(lake.paths, ir, files, { source?, link? }) → Ingested[]: copy/link into raw/.
// - listRawKeys(lake.paths)            → raw keys ("reviews/a.jsonl"), sorted.
// - processRawFile(lake, ir, rawKey)   → FileSummary: stages 1–2 for one file through the
//                                        compiled state machine; skipped when its manifest is
//                                        current; never throws for a bad file. Calls are
//                                        serialised per lake, so a watcher may fire freely.
// - refreshWarehouse(lake, ir)         → WarehouseResult: views, dbt models, dbt tests, built
//                                        on a copy of <dir>/warehouse.duckdb that then replaces
//                                        it in one rename (engine/publish.ts buildBeside).
//                                        Throws WarehouseBuildError when a query fails;
//                                        refreshWarehouseForRun returns it as `error` instead.
// - runFiles(lake, ir, rawKeys?, { onFile?, dbt? }) → RunSummary: the above for every key
//                                        (default: all of raw/), then refreshWarehouse once.
//                                        `dbt: { dbtDir, select?, exclude? }` adds the user's
//                                        hand-written models and tests (dbt-project.ts) and
//                                        narrows the build to a dbt selection.
// - summarizeRun(...)                  → RunSummary from FileSummaries you ran yourself.
// - formatRunSummary(summary)          → the human-readable report `lakec run` prints.
//
// A file's outputs: processed/<table>/[<key>=<v>/]_input=<h>[-b]/part-<n>.parquet (the slot
// its manifest names; engine/publish.ts), quarantine/<source>/_input=<h>.jsonl and
// state/manifests/<source>/<h>.json, h = inputHash(rawKey).
export { LakeBusyError, openLake, parseByteSize, type Lake, type LakeOptions } from "./open-lake.js";
export { ingestInputs, IngestError, sourceForInput, type IngestOptions, type Ingested } from "./ingest.js";
export { inputHash, lakePaths, listRawKeys, manifestFile, quarantineFile, sourceForKey, type LakePaths } from "./lake.js";
export { inArrivalOrder } from "./arrivals.js";
export {
  processRawFile,
  refreshWarehouse,
  refreshWarehouseForRun,
  runFiles,
  summarizeRun,
  type RunOptions,
  type RunSummary,
  type WarehouseOptions,
  type TableSummary,
} from "./run.js";
export type { FileStatus, FileSummary } from "./file-job.js";
export { readManifest, semanticsFingerprint, type FileManifest } from "./manifest.js";
export { WarehouseBuildError, type TestOutcome, type WarehouseResult } from "./warehouse.js";
export { hasUserFiles, loadLocalProject, readUserDbtFiles, type DbtProjectOptions } from "./dbt-project.js";
export { testWarehouse, type StandaloneTestResult } from "./dbt-tests.js";
export { checkUserProject } from "./user-models-bind.js";
export { NoWarehouseError, NotReadOnlyError, queryWarehouse, warehouseRelations, type QueryResult } from "./query.js";
export { DEFAULT_COMPACT_ABOVE, startDev, type DevEvent } from "./watch.js";
export { publishedState } from "./manifest.js";
// DuckDB is loaded on first use (engine/duckdb.ts), so `--help`, `validate` and `compile` never load it.
export { duckdb } from "./duckdb.js";
export { compactLake, maxFilesPerPartition, type CompactionReport, type CompactOptions, type TableCompactionReport } from "./compact.js";
