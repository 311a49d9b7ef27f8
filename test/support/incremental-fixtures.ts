// Random raw deliveries for the incremental property test: rows for a pipeline's external tables,
// shaped as the flatten stage writes them (one row per id per file, child rows with their
// parent's id and arrival, references that hit the referenced table's keys), with small value
// domains so records collide in mart groups, move between them and leave them empty.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PipelineIR, ScalarType, TableIR } from "../../compiler/ir.js";
import { findSource } from "../../compiler/ir.js";
import { mulberry32 } from "../../synthetic/amazon.js";
import { duckdbSourceRelation, duckdbSourceSchema } from "../../targets/dbt/index.js";
import { stagingColumns } from "../../targets/dbt/staging.js";

export type Row = Record<string, string | number | boolean | null>;

/** One processed raw file: its arrival and the rows it wrote per table. */
export interface Delivery {
  readonly source: string;
  readonly file: string;
  readonly arrival: number;
  readonly rows: Record<string, Row[]>;
}

/** A seeded generator, so a failing sequence can be replayed from its seed. */
export const rng = mulberry32;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

// Dates include a very old one, so late and backfilled records land far behind the newest.
const DATES = ["2020-03-01", "2020-03-02", "2020-03-09", "1999-05-05", null];

function randomValue(r: () => number, t: ScalarType | { kind: "json" }): string | number | boolean | null {
  switch (t.kind) {
    case "integer":
      return pick(r, [0, 1, 2, 3, null]);
    case "double":
      return pick(r, [1.5, 2, 4.5, null]);
    case "decimal":
      return pick(r, [1.5, 4, 4.5, null]);
    case "boolean":
      return pick(r, [true, false, null]);
    case "date":
      return pick(r, DATES);
    case "timestamp":
      return pick(
        r,
        DATES.map((d) => (d === null ? null : `${d} 10:00:00`)),
      );
    default:
      return pick(r, ["x", "y", "z", null]);
  }
}

export const RECORDS_PER_SOURCE = 8;

/** A key column's value for record n: the same n gives the same key, whatever the column's type. */
function keyValue(t: TableIR, type: ScalarType | { kind: "json" }, n: number): string | number {
  if (type.kind === "timestamp") return `2001-01-${String(n + 1).padStart(2, "0")} 00:00:00`;
  if (type.kind === "date") return `2001-01-${String(n + 1).padStart(2, "0")}`;
  if (type.kind === "integer" || type.kind === "double" || type.kind === "decimal") return n;
  return `${t.name}-${n}`;
}

function mainRow(ir: PipelineIR, t: TableIR, n: number, r: () => number): Row {
  const keys = new Set(findSource(ir, t.source).key);
  const row: Row = {};
  for (const c of t.columns) {
    const ref = t.references.find((x) => x.column === c.name);
    if (c.name === t.idColumn) row[c.name] = `id-${t.name}-${n}`;
    else if (keys.has(c.name)) row[c.name] = keyValue(t, c.type, n);
    // References hit the referenced table's key values, or nothing (a dangling reference).
    else if (ref) row[c.name] = r() < 0.9 ? `${ref.toTable}-${Math.floor(r() * RECORDS_PER_SOURCE)}` : "dangling";
    else row[c.name] = randomValue(r, c.type);
  }
  return row;
}

function childRows(t: TableIR, parent: Row, r: () => number): Row[] {
  const child = t.child!;
  const count = Math.floor(r() * 3);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const row: Row = {};
    for (const c of t.columns) {
      if (c.name === t.idColumn || child.carried.includes(c.name)) row[c.name] = parent[c.name] ?? null;
      else if (child.expansion.mode === "entries" && c.name === child.expansion.keyColumn) row[c.name] = `k${i}`;
      else if (child.expansion.mode !== "entries" && c.name === child.expansion.indexColumn) row[c.name] = i;
      else row[c.name] = randomValue(r, c.type);
    }
    rows.push(row);
  }
  return rows;
}

/** A file of `source` with 1–5 records drawn from a small id space (so records are re-delivered). */
/** `ingestedAt` is the processing event's time: a reprocess (same file, same arrival) has a later one. */
export function randomDelivery(
  ir: PipelineIR,
  source: string,
  file: string,
  arrival: number,
  r: () => number,
  ingestedAt = "2026-01-01 00:00:00",
): Delivery {
  const main = ir.tables.find((t) => t.source === source && t.kind === "main")!;
  const ns = [...new Set(Array.from({ length: 1 + Math.floor(r() * 5) }, () => Math.floor(r() * RECORDS_PER_SOURCE)))];
  const rows: Record<string, Row[]> = Object.fromEntries(ir.tables.filter((t) => t.source === source).map((t) => [t.name, [] as Row[]]));
  ns.forEach((n, line) => {
    const parent = { ...mainRow(ir, main, n, r), _source_line: line + 1 };
    rows[main.name]!.push(parent);
    for (const t of ir.tables.filter((x) => x.child?.parent === main.name))
      rows[t.name]!.push(...childRows(t, parent, r).map((c) => ({ ...c, _source_line: line + 1 })));
  });
  for (const list of Object.values(rows))
    for (const row of list) Object.assign(row, { _source_file: file, _ingested_at: ingestedAt, _arrival_seq: arrival });
  return { source, file, arrival, rows };
}

const literal = (v: Row[string]): string => (v === null ? "null" : typeof v === "string" ? `'${v.replace(/'/g, "''")}'` : String(v));

/** Tables in the schema the models' source() resolves to, typed like the external tables. */
export async function createSourceTables(conn: DuckDBConnection, ir: PipelineIR): Promise<void> {
  await conn.run(`create schema if not exists "${duckdbSourceSchema(ir)}"`);
  for (const t of ir.tables) {
    const cols = stagingColumns(t)
      .map(([n, type]) => `${n} ${type}`)
      .join(", ");
    await conn.run(`create table ${duckdbSourceRelation(ir, t.name)} (${cols})`);
  }
}

/** Publishes a delivery as the lake does: the file's earlier rows (a reprocess) are replaced. */
export async function publish(conn: DuckDBConnection, ir: PipelineIR, d: Delivery): Promise<void> {
  for (const t of ir.tables.filter((x) => x.source === d.source)) {
    const rel = duckdbSourceRelation(ir, t.name);
    await conn.run(`delete from ${rel} where _source_file = ${literal(d.file)}`);
    const rows = d.rows[t.name] ?? [];
    if (rows.length === 0) continue;
    const cols = stagingColumns(t).map(([n]) => n);
    await conn.run(
      `insert into ${rel} (${cols.join(", ")}) values ${rows.map((row) => `(${cols.map((c) => literal(row[c] ?? null)).join(", ")})`).join(", ")}`,
    );
  }
}
