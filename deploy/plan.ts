// A plan is data: the typed steps that take the deployed state to the desired one. `plan`
// prints it, `apply` executes it, `--json` and `plan --out` serialise it. Nothing in here
// talks to a cloud: providers read deployed state, the diff-* modules compute steps.
import { createHash } from "node:crypto";

export type Layer = "aws" | "snowflake" | "dbt" | "airflow" | "local";
export const LAYERS: readonly Layer[] = ["aws", "snowflake", "dbt", "airflow", "local"];

/** What `--target` selects; `all` is every cloud layer plus publishing, never the local lake. */
export type Target = "local" | "aws" | "snowflake" | "all";

export type Action = "create" | "update" | "replace" | "destroy" | "reprocess" | "rebuild" | "noop";

/** Data that must be recomputed when a step runs; the summary counts it. */
export interface DataImpact {
  /** Raw files (lake-relative or s3 keys) whose cleaning/flatten output is recomputed. */
  readonly rawFiles?: readonly string[];
  /** Marts rebuilt from scratch. */
  readonly marts?: readonly string[];
  /** External tables dropped and recreated (metadata only; the Parquet stays). */
  readonly externalTables?: readonly string[];
  /** Published rows a cleaning change moves to the quarantine (deploy/cleaning-changes.ts); absent when not counted. */
  readonly rowsToQuarantine?: number;
  /** Published rows a cleaning change deletes (`on_invalid: drop`); absent when not counted. */
  readonly rowsDeleted?: number;
  /** Quarantined records deleted by a switch to `on_invalid: drop`; absent when not counted. */
  readonly quarantineDeleted?: number;
}

/**
 * What a step changes, as typed values (never a string to split): the layer, the kind of object
 * and its name. Providers execute by kind; `stepKey` prints it for logs and errors.
 */
export type StepObject =
  /** `name`: the logical id, the script's S3 key, or the source whose raw objects are backfilled. */
  | { readonly layer: "aws"; readonly kind: "resource" | "script" | "backfill"; readonly name: string }
  /** The stack's parameters, and the Snowflake wiring known only after the Snowflake steps. */
  | { readonly layer: "aws"; readonly kind: "parameters" | "wiring" }
  | { readonly layer: "snowflake"; readonly kind: SnowflakeStepKind; readonly name: string }
  /** `name`: the file's path under the publish destination. */
  | { readonly layer: "dbt" | "airflow"; readonly kind: "file"; readonly name: string }
  /** `name`: the source reprocessed, the view's table, the model or the mart. */
  | { readonly layer: "local"; readonly kind: LocalStepKind; readonly name: string };

export type SnowflakeStepKind = "integration" | "file-format" | "stage" | "external-table";
export type LocalStepKind = "source" | "view" | "model" | "mart";

/** Every layer's kinds, and whether the kind names an object: what a saved plan is checked against. */
export const STEP_KINDS: Readonly<Record<Layer, Readonly<Record<string, "named" | "unnamed">>>> = {
  aws: { resource: "named", script: "named", backfill: "named", parameters: "unnamed", wiring: "unnamed" },
  snowflake: { integration: "named", "file-format": "named", stage: "named", "external-table": "named" },
  dbt: { file: "named" },
  airflow: { file: "named" },
  local: { source: "named", view: "named", model: "named", mart: "named" },
};

export interface StepChange {
  readonly action: Action;
  /** Human name of the thing changed, e.g. `AWS::S3::Bucket RawBucket`. */
  readonly resource: string;
  /** One line per attribute change, e.g. `+ column helpful_votes integer`. */
  readonly details: readonly string[];
  /** Loses data or breaks consumers: apply refuses it without --allow-destructive. */
  readonly destructive: boolean;
  /** Why the step exists, in one line. */
  readonly reason: string;
  readonly impact?: DataImpact;
  /** For a changed definition: breaking (existing columns or rows change) or non-breaking (only additions). */
  readonly change?: "breaking" | "non-breaking";
}

export type Step = StepObject & StepChange;

/** The one printed form of a step's object, e.g. `snowflake:external-table:PRODUCT_REVIEWS`. */
export function stepKey(s: StepObject): string {
  return "name" in s ? `${s.layer}:${s.kind}:${s.name}` : `${s.layer}:${s.kind}`;
}

/** Version 2 keys steps by typed `layer`/`kind`/`name`; version 1 keyed them by an `id` string. */
export const PLAN_FORMAT = "lakec-plan/2";

export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly pipeline: string;
  readonly pipelineFile: string;
  /** The environment planned, for a pipeline with environments. */
  readonly environment?: string;
  readonly targets: readonly Layer[];
  /** Hash of the desired state (IR + compiled files): a saved plan is refused once it moves. */
  readonly desired: string;
  /** Hash of the deployed state per layer, as read when the plan was made. */
  readonly deployed: Readonly<Partial<Record<Layer, string>>>;
  /** Layers whose deployed state could not be fully known yet (e.g. values produced mid-apply). */
  readonly notes: readonly string[];
  /** What the pipeline leaves undone that an operator should fix (absent in older saved plans). */
  readonly warnings?: readonly string[];
  readonly steps: readonly Step[];
  /** The Airflow DAG's schedule (cron in UTC, a preset, or dataset); the plan shows its next run. */
  readonly schedule?: string;
}

export interface Summary {
  readonly add: number;
  readonly change: number;
  readonly replace: number;
  readonly destroy: number;
  readonly rawFiles: number;
  readonly marts: number;
  readonly externalTables: number;
  readonly destructive: number;
}

export function summarize(steps: readonly Step[]): Summary {
  const count = (a: Action): number => steps.filter((s) => s.action === a).length;
  const unique = (pick: (i: DataImpact) => readonly string[] | undefined): number =>
    new Set(steps.flatMap((s) => (s.impact ? (pick(s.impact) ?? []).map((x) => `${s.layer}:${x}`) : []))).size;
  return {
    add: count("create"),
    change: count("update"),
    replace: count("replace"),
    destroy: count("destroy"),
    rawFiles: unique((i) => i.rawFiles),
    marts: unique((i) => i.marts),
    externalTables: unique((i) => i.externalTables),
    destructive: steps.filter((s) => s.destructive).length,
  };
}

export function hasChanges(plan: Pick<Plan, "steps">): boolean {
  return plan.steps.some((s) => s.action !== "noop");
}

/** Deterministic JSON: object keys sorted, so hashes do not depend on construction order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function sha256(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

export function fingerprint(v: unknown): string {
  return sha256(canonicalJson(v));
}
