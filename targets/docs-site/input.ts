// What the docs site is built from: the IRs, each pipeline's generated files, the bundled layout
// library, and optionally what a local lake holds. All plain data: the CLI does the reading.
import type { PipelineIR, ReasonCode } from "../../compiler/ir.js";

export interface Artifact {
  /** As the user sees it after `lakec compile`: `generated/reviews/glue/clean.py`, `dbt/models/…`. */
  readonly path: string;
  readonly contents: string;
}

export interface DocsPipeline {
  readonly ir: PipelineIR;
  readonly artifacts: readonly Artifact[];
}

export interface DocsAssets {
  /** dagre's browser bundle (it defines `window.dagre`), inlined into assets/dagre.min.js. */
  readonly layoutLibrary: string;
  /** Its licence notice, kept with it. */
  readonly layoutLicense: string;
}

/** One raw file's reconciliation, from its run manifest. */
export interface LakeFile {
  readonly rawKey: string;
  readonly source: string;
  readonly status: "ok" | "failed";
  readonly error?: string;
  readonly bytes: number;
  readonly recordsIn: number;
  readonly clean: number;
  readonly quarantined: number;
  readonly droppedInvalid: number;
  readonly duplicates: number;
  readonly byReason: Partial<Record<ReasonCode, number>>;
  readonly rowsWritten: Readonly<Record<string, number>>;
}

export interface QuarantineSample {
  readonly rawKey: string;
  readonly line?: number;
  readonly reason: string;
  readonly detail?: string;
  /** The raw record as it was read (possibly cut short). */
  readonly record: string;
}

export interface LakePipelineStats {
  readonly files: readonly LakeFile[];
  /** Rows per table and mart in the warehouse; absent when it could not be read. */
  readonly rows: Readonly<Record<string, number>>;
  /** Newest `_ingested_at` per table (ISO text), from the warehouse. */
  readonly freshness: Readonly<Record<string, string>>;
  /** Up to a few quarantined records per source and reason. */
  readonly samples: Readonly<Record<string, readonly QuarantineSample[]>>;
  /** Why some numbers are missing (e.g. no warehouse yet). */
  readonly notes: readonly string[];
}

export interface LakeStats {
  /** The lake folder as given on the command line. */
  readonly dir: string;
  /** When it was read (ISO 8601, UTC): the ages of the freshest rows are taken against it. */
  readonly readAt: string;
  readonly pipelines: Readonly<Record<string, LakePipelineStats>>;
}

export interface DocsInput {
  readonly pipelines: readonly DocsPipeline[];
  readonly assets: DocsAssets;
  readonly lake?: LakeStats;
}
