// Cleaning changes that move or delete rows that are already published. A reprocess recomputes
// every output from the immutable raw files, so nothing is lost for good, but consumers see
// rows leave: a narrowed `range`, an added `required` or `accepted_values` moves the rows that
// fail the new check to the quarantine (or deletes them under `on_invalid: drop`); switching
// `on_invalid` from quarantine to drop deletes the quarantine; a removed column deletes its
// values. Deleting is *destructive* (apply refuses it without --allow-destructive); moving is
// *breaking*, and the plan says how many rows move, as SQLMesh's table diff does.
//
// The counts are measured by a provider before the diff (deploy/providers/local/
// cleaning-counts.ts runs each new check over the published rows, read-only) and passed in:
// this module stays pure. Without counts the plan says why they are missing.
import type { Definition } from "./definitions.js";

/** What the provider measured for one source, on the lake as it is before the apply. */
export interface CleaningCounts {
  /** Published rows of the source's main table that fail some check the deployed pipeline did not have. */
  readonly failingNewChecks?: number;
  /** Records the source's quarantine holds now (from the run manifests). */
  readonly quarantined?: number;
  /** Per removed column: its non-NULL values in the published main table. */
  readonly removedColumnValues?: Readonly<Record<string, number>>;
  /** Why a count could not be made, one line each (no warehouse yet, a check on a column the table lacks). */
  readonly unavailable?: readonly string[];
}

export interface CleaningImpact {
  /** Lines for changes that delete published data: the step becomes destructive. */
  readonly destructive: readonly string[];
  /** Lines for changes that move published rows (to the quarantine, or to a failed file). */
  readonly breaking: readonly string[];
  /** Published rows the new checks move to the quarantine (counted ones only). */
  readonly rowsToQuarantine?: number;
  /** Published rows the new checks delete under `on_invalid: drop` (counted ones only). */
  readonly rowsDeleted?: number;
  /** Quarantined records deleted by a switch to `on_invalid: drop` (counted ones only). */
  readonly quarantineDeleted?: number;
}

export interface CleaningChangeInput {
  readonly source: string;
  /** The source's main table, whose rows are counted. */
  readonly table: string;
  readonly before: Definition;
  readonly after: Definition;
  readonly counts?: CleaningCounts;
  /** Said instead of a count when there is none, e.g. "counts are made on the local lake only". */
  readonly noCounts: string;
}

const CHECK = "check ";
const COLUMN = "column ";

/** Checks (definition keys `check {…}`) in `after` that `before` lacks: a narrowed range is a new check. */
export function addedChecks(before: Definition, after: Definition): string[] {
  return Object.keys(after).filter((k) => k.startsWith(CHECK) && !(k in before));
}

export function removedColumns(before: Definition, after: Definition): string[] {
  return Object.keys(before)
    .filter((k) => k.startsWith(COLUMN) && !(k in after))
    .map((k) => k.slice(COLUMN.length));
}

const onInvalid = (d: Definition): string => {
  const v = d["on_invalid"]?.["value"];
  return v === undefined ? "quarantine" : (JSON.parse(v) as string);
};

/** `out_of_range on rating` from a definition key `check {"reason":…,"column":…,…}`. */
function describeCheck(key: string): string {
  const c = JSON.parse(key.slice(CHECK.length)) as { reason?: string; column?: string };
  return `${c.reason ?? "check"} on ${c.column ?? "?"}`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function classifyCleaning(i: CleaningChangeInput): CleaningImpact {
  const destructive: string[] = [];
  const breaking: string[] = [];
  const unavailable = i.counts ? (i.counts.unavailable ?? []) : [i.noCounts];
  const why = unavailable.length ? ` (count unavailable: ${unavailable.join("; ")})` : "";
  const counted: { rowsToQuarantine?: number; rowsDeleted?: number; quarantineDeleted?: number } = {};
  const was = onInvalid(i.before);
  const now = onInvalid(i.after);

  const added = addedChecks(i.before, i.after);
  if (added.length) {
    const n = i.counts?.failingNewChecks;
    const rows = n === undefined ? `rows of ${i.table}${why}` : `${plural(n, "row")} of ${i.table}`;
    const checks = `new check${added.length === 1 ? "" : "s"}: ${added.map(describeCheck).join(", ")}`;
    if (now === "drop") {
      destructive.push(`${rows} would be deleted (on_invalid: drop; ${checks})`);
      if (n !== undefined) counted.rowsDeleted = n;
    } else if (now === "fail") {
      breaking.push(`${rows} would fail their raw files (on_invalid: fail; the previous outputs stay published; ${checks})`);
    } else {
      breaking.push(`${rows} would move to quarantine (${checks})`);
      if (n !== undefined) counted.rowsToQuarantine = n;
    }
  }

  if (was === "quarantine" && now !== "quarantine") {
    const n = i.counts?.quarantined;
    const records = n === undefined ? `the quarantine of ${i.source}${why}` : `the quarantine of ${i.source} (${plural(n, "record")})`;
    if (now === "drop") {
      destructive.push(`${records} would be deleted (on_invalid: quarantine → drop)`);
      if (n !== undefined) counted.quarantineDeleted = n;
    } else {
      breaking.push(`${records} would make their raw files fail (on_invalid: quarantine → ${now})`);
    }
  }

  for (const col of removedColumns(i.before, i.after)) {
    const n = i.counts?.removedColumnValues?.[col];
    destructive.push(
      n === undefined
        ? `the values of column ${col} in ${i.table} would be deleted${why}`
        : `${plural(n, "non-NULL value")} of column ${col} in ${i.table} would be deleted`,
    );
  }

  return { destructive, breaking, ...counted };
}
