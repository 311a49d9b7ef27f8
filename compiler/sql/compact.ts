// The rows a packed object keeps, shared by the Glue compaction job, the flatten job's rewrite of
// a packed object when one of its raw files is reprocessed, and the tests that run it on DuckDB.
// Input contract: `lakec_partition_rows`, every row of the objects being rewritten (their own
// columns, no partition key nor `_input`: those live in the path), and `lakec_dropped_inputs(raw_key)`,
// the raw files whose rows must go (empty for a plain compaction). Every column is copied as it
// is, so `_source_file`, `_arrival_seq` and `_ingested_at` (what incremental models compare) do
// not change; rows are ordered as the local engine orders a packed file (engine/compact.ts).
import type { SqlDialect } from "./clean.js";

export const PACKED_ROWS = "lakec_partition_rows";
export const DROPPED_INPUTS = "lakec_dropped_inputs";

export function packedRowsSelect(_d: SqlDialect): string {
  return [
    `SELECT r.* FROM ${PACKED_ROWS} AS r`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${DROPPED_INPUTS} AS x WHERE x.raw_key = r._source_file)`,
    "ORDER BY r._arrival_seq, r._source_file, r._source_line",
  ].join(" ");
}
