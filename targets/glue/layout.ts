// The physical layout of the processed bucket, shared by the Glue scripts and the IAM policies
// that scope them. Agreed with the Snowflake, dbt and local-engine targets: do not change.
import { createHash } from "node:crypto";
import type { PipelineIR } from "../../compiler/ir.js";

/** Prefixes under the processed bucket that lakec writes besides the output tables. */
export const PROCESSED_PREFIX = {
  clean: "_lakec/clean/",
  quarantine: "_lakec/quarantine/",
  manifests: "_lakec/manifests/",
  tmp: "_lakec/tmp/",
  /** The compaction job's records: a manifest per compacted partition, a marker per packed input. */
  compaction: "_lakec/compaction/",
} as const;

/**
 * The `_input=` folder of a packed object (the compaction job's output), beside the `<16 hex>`
 * folders of single raw objects. The cloud writes `packed-<UTC yyyymmddHHMMSS>-<8 hex>`, the
 * local engine `packed-<generation>-<n>`; readers (Snowflake's PATTERN) admit both.
 */
export const PACKED_INPUT_PATTERN = "packed-[0-9a-z-]+";
export const PACKED_PREFIX_CLOUD = "packed-";

/** CloudWatch metrics the clean job publishes per input; the stack alarms on the ratio. */
export const METRICS = {
  namespace: "lakec",
  dimension: "Pipeline",
  quarantineRatio: "QuarantineRatio",
  recordsIn: "RecordsIn",
  recordsRejected: "RecordsRejected",
} as const;

/**
 * The metrics' Pipeline dimension: the pipeline, or `<pipeline>-<environment>`, so that one
 * environment's rejected records never raise another's alarm in a shared account.
 */
export function metricPipeline(ir: Pick<PipelineIR, "name" | "environment">): string {
  return ir.environment ? `${ir.name}-${ir.environment.name}` : ir.name;
}

export type GlueJobRole = "clean" | "flatten" | "compact";

export interface GlueScript {
  readonly role: GlueJobRole;
  /** Path relative to `generated/<pipeline>/`. */
  readonly path: string;
  readonly contents: string;
  /** Content-hashed key in the artifacts bucket: a changed script is a changed template. */
  readonly s3Key: string;
}

export function scriptKey(ir: PipelineIR, role: GlueJobRole, contents: string): string {
  const hash = createHash("sha256").update(contents, "utf8").digest("hex").slice(0, 12);
  return `${ir.aws.artifactsPrefix}scripts/lakec-${ir.name}-${role}-${hash}.py`;
}
