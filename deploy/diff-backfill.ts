// The cloud backfill: raw objects in S3 whose outputs were computed under cleaning/flatten
// semantics the pipeline no longer has. Apply records, in the artifacts bucket, the semantics
// each source was last deployed with; when they change, every raw object under the source's
// prefix is run through the state machine again (raw data is immutable, so this is always
// possible, and each file's outputs are overwritten, never duplicated).
import { classifyCleaning } from "./cleaning-changes.js";
import type { Definition } from "./definitions.js";
import { rowCounts, typeChanges } from "./diff-local.js";
import type { Step } from "./plan.js";

/** `<artifacts prefix>state/<pipeline>-semantics.json`, written by apply. */
export interface BackfillState {
  readonly version: 1;
  readonly pipeline: string;
  readonly semantics: Readonly<Record<string, string>>;
  readonly columnTypes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Per source, its attributes (deploy/definitions.ts); absent in states written before cleaning changes were classified. */
  readonly definitions?: Readonly<Record<string, Definition>>;
}

export interface BackfillDeployed {
  readonly state?: BackfillState;
  /** Raw keys, listed only for sources whose recorded semantics differ from the desired ones. */
  readonly rawKeys: Readonly<Record<string, readonly string[]>>;
}

export interface BackfillDesired {
  readonly rawBucket: string;
  readonly semantics: Readonly<Record<string, string>>;
  readonly columnTypes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly definitions: Readonly<Record<string, Definition>>;
  /** Per source: its main table, named in the plan's lines. */
  readonly mainTables: Readonly<Record<string, string>>;
}

/** Rows in S3 are not counted: reading every Parquet file of a source to plan would cost a scan. */
const CLOUD_NO_COUNTS = "rows in S3 are not counted; `lakec plan --target local` counts them on a local lake";

/**
 * Sources whose raw objects must be listed: recorded under other semantics, or new (objects
 * already under a new prefix got no event the pipeline listened to). Without any record, the
 * stack predates it: nothing is known to be stale.
 */
export function staleSources(desired: BackfillDesired, state: BackfillState | undefined): string[] {
  if (!state) return [];
  return Object.keys(desired.semantics).filter((s) => state.semantics[s] !== desired.semantics[s]);
}

export function diffBackfill(desired: BackfillDesired, deployed: BackfillDeployed): Step[] {
  const steps: Step[] = [];
  for (const source of staleSources(desired, deployed.state)) {
    const keys = deployed.rawKeys[source] ?? [];
    if (!keys.length) continue;
    const { lines, narrowing } = typeChanges(deployed.state?.columnTypes[source], desired.columnTypes[source] ?? {});
    const isNew = deployed.state?.semantics[source] === undefined;
    const before = deployed.state?.definitions?.[source];
    const cleaning = before
      ? classifyCleaning({
          source,
          table: desired.mainTables[source] ?? source,
          before,
          after: desired.definitions[source] ?? {},
          noCounts: CLOUD_NO_COUNTS,
        })
      : undefined;
    const reason = narrowing.length
      ? `narrowing ${narrowing.join(", ")}: values that fitted the old type become cast_failed and are quarantined`
      : isNew
        ? "new source: objects already under its prefix never produced an event the pipeline saw"
        : cleaning?.destructive.length
          ? "cleaning change deletes published data: the state machine runs again for every raw object of the source"
          : cleaning?.breaking.length
            ? "cleaning change moves published rows: the state machine runs again for every raw object of the source"
            : "cleaning or flatten semantics changed: the state machine runs again for every raw object of the source";
    steps.push({
      layer: "aws",
      kind: "backfill",
      name: source,
      action: "reprocess",
      resource: `source ${source} (${keys.length} raw object${keys.length === 1 ? "" : "s"})`,
      details: [
        ...lines,
        ...(cleaning ? [...cleaning.destructive, ...cleaning.breaking] : []),
        ...keys.map((k) => `reprocess s3://${desired.rawBucket}/${k}`),
      ],
      destructive: narrowing.length > 0 || (cleaning?.destructive.length ?? 0) > 0,
      reason,
      impact: { rawFiles: keys.map((k) => `s3://${desired.rawBucket}/${k}`), ...rowCounts(cleaning) },
      ...(cleaning && (cleaning.destructive.length || cleaning.breaking.length) ? { change: "breaking" as const } : {}),
    });
  }
  return steps;
}
