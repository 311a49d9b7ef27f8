// How `lakec query`, `show` and `run` print warehouse rows for people: an aligned table or CSV
// (JSON is cli/rows-json.ts). Formatting for a terminal, so it lives in cli/, not the engine.
import type { QueryResult } from "../engine/index.js";

export type RowFormat = "table" | "csv";

const text = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

function csvCell(v: unknown): string {
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Long cells are cut in the table view only; CSV and JSON keep every character. */
function tableCell(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  const s = text(v).replace(/[\r\n\t]/g, " ");
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

export function formatRows(r: QueryResult, format: RowFormat): string {
  if (format === "csv")
    return [r.columns.map(csvCell).join(","), ...r.rows.map((row) => row.map(csvCell).join(","))].map((l) => `${l}\n`).join("");
  const cells = r.rows.map((row) => row.map(tableCell));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  const count = `(${r.rows.length} row${r.rows.length === 1 ? "" : "s"})`;
  return `${[line(r.columns), rule, ...cells.map(line), count].join("\n")}\n`;
}
