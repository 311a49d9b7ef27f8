// Reading the warehouse for `lakec query` and `lakec show`: read-only, so it never blocks or
// changes a run, and results printed as an aligned table or CSV.
import { DuckDBInstance, type DuckDBType } from "@duckdb/node-api";
import { exists, lakePaths } from "./lake.js";

export interface QueryResult {
  readonly columns: readonly string[];
  /** JSON-safe values: BIGINT and DECIMAL come back as strings, dates as ISO text. */
  readonly rows: readonly (readonly unknown[])[];
  /** Each column's DuckDB type, for output that keeps numbers and times typed (cli/rows-json.ts). */
  readonly types: readonly DuckDBType[];
}

export class NoWarehouseError extends Error {
  override readonly name = "NoWarehouseError";
}

export async function queryWarehouse(lakeDir: string, sql: string): Promise<QueryResult> {
  const file = lakePaths(lakeDir).warehouse;
  if (!(await exists(file))) throw new NoWarehouseError(`no warehouse at ${file}: run \`lakec run\` first`);
  const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(sql);
    return { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][], types: r.columnTypes() };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export async function warehouseRelations(lakeDir: string): Promise<string[]> {
  const r = await queryWarehouse(lakeDir, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name");
  return r.rows.map((row) => String(row[0]));
}

/** JSON goes through cli/rows-json.ts, which keeps numbers and timestamps typed. */
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
  if (format === "csv") return [r.columns.map(csvCell).join(","), ...r.rows.map((row) => row.map(csvCell).join(","))].map((l) => `${l}\n`).join("");
  const cells = r.rows.map((row) => row.map(tableCell));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(" | ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  const count = `(${r.rows.length} row${r.rows.length === 1 ? "" : "s"})`;
  return `${[line(r.columns), rule, ...cells.map(line), count].join("\n")}\n`;
}
