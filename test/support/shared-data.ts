// Reference material that lives beside the repository, never in it: real public review data
// (../shared/data) and the dbt JSON schemas (../shared/schemas). Tests that need it are skipped,
// with the missing path in their name, when it is absent; CI sets LAKEC_REQUIRE_SHARED=1 so that
// a missing folder fails the run instead of quietly skipping the tests that read it.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The shared folder: LAKEC_SHARED_DIR, else ../shared beside the repository. */
export const SHARED_DIR = resolve(process.env["LAKEC_SHARED_DIR"] ?? join(import.meta.dirname, "..", "..", "..", "shared"));
/** The real data sets: LAKEC_DATA_DIR, else <shared>/data. */
export const DATA_DIR = resolve(process.env["LAKEC_DATA_DIR"] ?? join(SHARED_DIR, "data"));

export interface SharedPaths {
  /** The paths, all present. */
  readonly present: boolean;
  /** Appended to a test's name: empty when present, the reason it is skipped otherwise. */
  readonly skipNote: string;
}

/** Checks that shared paths exist; with LAKEC_REQUIRE_SHARED set, a missing one is an error. */
export function shared(...paths: string[]): SharedPaths {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0 && process.env["LAKEC_REQUIRE_SHARED"]) {
    throw new Error(
      `LAKEC_REQUIRE_SHARED is set but shared test data is missing: ${missing.join(", ")} (set LAKEC_SHARED_DIR or LAKEC_DATA_DIR)`,
    );
  }
  return { present: missing.length === 0, skipNote: missing.length === 0 ? "" : ` [skipped: ${missing.join(", ")} not found]` };
}
