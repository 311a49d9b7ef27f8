// The cloud backfill: raw objects in S3 whose outputs were computed under cleaning/flatten
// semantics the pipeline no longer has. Apply records, in the artifacts bucket, the semantics
// each source was last deployed with; when they change, every raw object under the source's
// prefix is run through the state machine again (raw data is immutable, so this is always
// possible, and each file's outputs are overwritten, never duplicated).
import { typeChanges } from "./diff-local.js";
import type { Step } from "./plan.js";

/** `<artifacts prefix>state/<pipeline>-semantics.json`, written by apply. */
export interface BackfillState {
  readonly version: 1;
  readonly pipeline: string;
  readonly semantics: Readonly<Record<string, string>>;
  readonly columnTypes: Readonly<Record<string, Readonly<Record<string, string>>>>;
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
}

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
    const reason = narrowing.length
      ? `narrowing ${narrowing.join(", ")}: values that fitted the old type become cast_failed and are quarantined`
      : isNew
        ? "new source: objects already under its prefix never produced an event the pipeline saw"
        : "cleaning or flatten semantics changed: the state machine runs again for every raw object of the source";
    steps.push({
      id: `aws:backfill:${source}`,
      layer: "aws",
      action: "reprocess",
      resource: `source ${source} (${keys.length} raw object${keys.length === 1 ? "" : "s"})`,
      details: [...lines, ...keys.map((k) => `reprocess s3://${desired.rawBucket}/${k}`)],
      destructive: narrowing.length > 0,
      reason,
      impact: { rawFiles: keys.map((k) => `s3://${desired.rawBucket}/${k}`) },
    });
  }
  return steps;
}
