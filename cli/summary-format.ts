// The human-readable run report. `--json` prints the RunSummary itself instead.
import type { FileSummary, RunSummary, TestOutcome } from "../engine/index.js";

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const testResult = (t: TestOutcome): string => (t.failures === 0 ? "PASS" : t.severity === "error" ? "FAIL" : "WARN");

const fmtMs = (v: number | undefined): string => (v === undefined ? "-" : v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${Math.round(v)}ms`);

function fileRow(f: FileSummary): string[] {
  const c = f.counts;
  const invalidLabel = c ? String(c.invalid) : "-";
  const t = f.timingsMs;
  return [
    f.rawKey,
    f.status,
    c ? String(c.recordsIn) : "-",
    c ? String(c.clean) : "-",
    invalidLabel,
    c ? String(c.duplicates) : "-",
    c ? (f.reconciled ? "ok" : "MISMATCH") : "-",
    `${fmtMs(t.clean)}/${fmtMs(t.flatten)}/${fmtMs(t.publish)}`,
  ];
}

function fileDetails(f: FileSummary): string[] {
  const out: string[] = [];
  if (f.reason && f.status !== "skipped") out.push(`    ${f.status === "failed" ? "error" : "why"}: ${f.reason}`);
  const reasons = Object.entries(f.counts?.byReason ?? {});
  if (reasons.length > 0 && f.counts) {
    const verb = f.counts.quarantined > 0 ? "quarantined" : f.counts.droppedInvalid > 0 ? "dropped" : "rejected";
    out.push(`    ${verb}: ${reasons.map(([r, n]) => `${r} ${n}`).join(", ")}`);
    const lines = f.samples.map((s) => `line ${s.line} ${s.reason}${s.column ? `(${s.column})` : ""}`);
    if (lines.length > 0) out.push(`    first: ${lines.join("; ")}`);
  }
  const nulled = Object.entries(f.counts?.castNulls ?? {}).filter(([, n]) => n > 0);
  if (nulled.length > 0) out.push(`    set NULL, did not cast: ${nulled.map(([c, n]) => `${c} ${n}`).join(", ")}`);
  const drift = f.counts?.drift;
  if (drift && drift.unmappedPaths > 0) {
    const shown = Object.entries(drift.unmapped).map(([p, n]) => `${p} (${n})`);
    const more = drift.unmappedPaths - shown.length;
    out.push(`    drift: ${drift.unmappedPaths} unmapped key path(s), records: ${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`);
  }
  if (drift && drift.absent.length > 0) out.push(`    drift: mapped but absent in every record: ${drift.absent.join(", ")}`);
  for (const n of f.notes) out.push(`    note: ${n}`);
  return out;
}

export function formatRunSummary(s: RunSummary): string {
  const out: string[] = [`lakec run: pipeline ${s.pipeline}, lake ${s.lake}`, ""];
  // Unchanged files are only counted: a rerun over a big raw/ would otherwise list them all.
  const shown = s.files.filter((f) => f.status !== "skipped");
  const skipped = s.files.length - shown.length;
  if (s.files.length === 0) out.push("No raw files. Put JSON Lines files under raw/<prefix>/ or pass --input.");
  if (shown.length > 0) {
    const rows = table(
      ["file", "status", "in", "clean", "invalid", "dup", "reconciled", "clean/flatten/publish"],
      shown.map(fileRow),
      new Set([2, 3, 4, 5]),
    );
    out.push(rows[0]!);
    shown.forEach((f, i) => out.push(rows[i + 1]!, ...fileDetails(f)));
  }
  if (skipped > 0)
    out.push(`${shown.length > 0 ? "\n" : ""}${skipped} unchanged file(s) skipped: already processed with this pipeline's semantics`);
  if (s.warehouse.orphans.length > 0) {
    out.push(
      "",
      `note: ${s.warehouse.orphans.length} raw file(s) are gone from raw/ but their rows are still published: ${s.warehouse.orphans.join(", ")}`,
    );
    out.push("  (delete their _input=<h> folders under processed/ and their manifests to drop them)");
  }
  if (s.warehouse.rebuilt !== undefined)
    out.push("", `note: rebuilt warehouse.duckdb from the lake: the old file could not be opened (${s.warehouse.rebuilt})`);
  out.push(
    "",
    ...table(
      ["table", "rows written", "rows total"],
      s.tables.map((t) => [t.name, String(t.rowsWritten), String(t.totalRows)]),
      new Set([1, 2]),
    ),
  );
  const w = s.warehouse;
  if (w.reused) out.push("", "models and tests: nothing changed since the last build, not rebuilt (results of that build below)");
  // One line per model and per test with its time, as dbt prints them.
  if (w.models.length > 0)
    out.push(
      "",
      ...table(
        ["model", "dbt materialization", "rows", "time"],
        w.models.map((m) => [m.name, m.materialized, String(m.rows), fmtMs(m.ms)]),
        new Set([2, 3]),
      ),
    );
  const failed = w.tests.filter((t) => t.failures > 0);
  out.push(
    "",
    w.error !== undefined
      ? "tests: not run, the warehouse was not built (see problems)"
      : `tests: ${w.tests.length - failed.length} passed, ${failed.length} failed`,
  );
  if (w.tests.length > 0)
    out.push(
      ...table(
        ["  result", "test", "time"],
        w.tests.map((t) => [`  ${testResult(t)}`, t.name, fmtMs(t.ms)]),
        new Set([2]),
      ),
    );
  for (const t of failed) {
    out.push(`  ${testResult(t)} ${t.name}: ${t.failures} row(s)`);
    for (const r of t.sample) out.push(`    ${JSON.stringify(r)}`);
  }
  out.push(
    "",
    `time: files ${fmtMs(s.timingsMs.files)}, refresh ${fmtMs(w.timingsMs.refresh)}, models ${fmtMs(w.timingsMs.models)}, tests ${fmtMs(w.timingsMs.tests)}, total ${fmtMs(s.timingsMs.total)}`,
  );
  if (s.problems.length > 0) out.push("", `${s.problems.length} problem(s):`, ...s.problems.map((p) => `  ${p}`));
  return `${out.join("\n")}\n`;
}
