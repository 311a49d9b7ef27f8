// DuckDB's module, loaded on first use: importing it loads a native library of tens of
// megabytes (about 0.8 s here), which `lakec --help`, `validate` and `compile` never need.
// Modules that run DuckDB import its types statically and its values through this.
import type * as DuckDBApi from "@duckdb/node-api";

type DuckDBModule = typeof DuckDBApi;

let loading: Promise<DuckDBModule> | undefined;

export function duckdb(): Promise<DuckDBModule> {
  loading ??= import("@duckdb/node-api");
  return loading;
}
