// Stage 1, clean: raw lines → typed, checked, deduplicated records plus quarantine rows.
// The SQL is compiler/sql/clean.ts's, shared with the Glue clean job; this file only feeds it
// slices of lines and adds up what it reports.
//
// Slicing keeps memory bounded on large files. The shared SQL ranks duplicates within the
// `lines` relation it is given, so a slice sees only its own duplicates; a record whose id an
// earlier slice kept is a duplicate too (slices go in line order, so the first record by line
// still wins): its rank is raised to 2 here, so the shared counts and filters treat it as one.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { checkedInTwoSteps, cleanStages, rankedInTwoSteps } from "../compiler/sql/clean.js";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import type { ReasonCode, SourceIR, TableIR } from "../compiler/ir.js";
import { driftOf, driftSql, type Drift } from "../compiler/sql/drift.js";
import { openRecordReader } from "./read-json-records.js";
import type { InvalidLine, LoadedSlice } from "./read-lines.js";

export interface CleanCounts {
  recordsIn: number;
  clean: number;
  /** Records that failed validation (any reason), whatever `on_invalid` did with them. */
  invalid: number;
  quarantined: number;
  droppedInvalid: number;
  duplicates: number;
  byReason: Partial<Record<ReasonCode, number>>;
  /** `on_cast_error: set_null` columns → values that did not cast and were set NULL in kept records. */
  castNulls: Record<string, number>;
  /** The first few rejected records, for the summary (file line, reason, column). */
  samples: { line: number; reason: string; column: string | null }[];
  slices: number;
  /** Non-empty physical lines, counted by the reader independently of the SQL (reconciliation). */
  nonEmptyLines: number;
  /** The file's last record and why it was rejected (null: it was not), to spot cut-off files. */
  lastRecord?: { line: number; reason: string | null };
  /** The raw file's SHA-256, when CleanInput.hashContent asked for it. */
  contentSha256?: string;
  /** Whether the file's text ends inside a record: no final line ending, or an unfinished JSON value. */
  endsCut?: boolean;
  /** Schema drift (compiler/sql/drift.ts): unmapped raw keys and mapped paths no record has. */
  drift?: Drift;
}

/** What stage 1 needs to know about the file; table names are per input so stages can be inspected. */
export interface CleanInput {
  readonly conn: DuckDBConnection;
  /** Loads the next slice of lines while `conn` runs the current one's SQL (same database). */
  readonly loadConn: DuckDBConnection;
  readonly source: SourceIR;
  /** The source's tables: child tables that expand objects map their fields (drift). */
  readonly tables?: readonly TableIR[];
  readonly rawKey: string;
  readonly rawPath: string;
  /** The event time (the raw file's landing time), milliseconds since the epoch: `_ingested_at`. */
  readonly ingestedAtMs: number;
  /** The file's place in the pipeline's arrival order: `_arrival_seq`. */
  readonly arrivalSeq: number;
  readonly sliceBytes: number;
  /** Views the flatten stage reads: over the kept slice tables, or over Parquet in `stagingDir` when `onDisk`. */
  readonly stagedClean: string;
  readonly stagedQuarantine: string;
  readonly stagingDir: string;
  /**
   * Stage each slice's clean and quarantine rows as Parquet in `stagingDir` instead of in
   * tables: an in-memory table cannot spill, so a file whose clean rows do not fit under the
   * memory limit needs this. It costs a write and a read of them, so small files skip it.
   */
  readonly onDisk: boolean;
  /** Compute the raw file's SHA-256 while reading it (a new file was not hashed before). */
  readonly hashContent?: boolean;
}

const SAMPLE_LIMIT = 5;

/** Every set_null column at 0, in declaration order: a column that nulled nothing is reported as 0, not left out. */
const castNullsStart = (source: SourceIR): Record<string, number> =>
  Object.fromEntries(source.columns.filter((c) => c.castNull === true).map((c) => [c.name, 0]));

async function scalarRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

const n = (v: unknown): number => Number(v ?? 0);

const sqlPath = (p: string): string => quoteString("duckdb", p.split("\\").join("/"));

/**
 * Columns of `checked` that only its own checks read: the parsed record and the per-column
 * texts (`<col>__text`, see Check in compiler/ir.ts). Nothing after `checked` uses them, and
 * carrying them through the window in `ranked` more than doubled its time (5.1 s against 2.3 s
 * for 200k lines).
 */
function checkedOnlyColumns(source: SourceIR): string {
  return ["_j", ...source.columns.map((c) => `${c.name}__text`)].map((n) => quoteIdent("duckdb", n)).join(", ");
}

export async function runCleanStage(inp: CleanInput): Promise<CleanCounts> {
  const { conn, source } = inp;
  const st = cleanStages(source, "duckdb");
  const twoStep = checkedInTwoSteps(source, "duckdb");
  const rankSteps = rankedInTwoSteps(source, "duckdb");
  // The shared quarantine SELECT over `ranked_rejected`: rejected rows joined to their raw lines.
  const quarantineWithLines = cleanStages(source, "duckdb", "ranked_rejected").quarantine;
  const id = quoteIdent("duckdb", source.idColumn);
  const counts: CleanCounts = {
    recordsIn: 0,
    clean: 0,
    invalid: 0,
    quarantined: 0,
    droppedInvalid: 0,
    duplicates: 0,
    byReason: {},
    castNulls: castNullsStart(source),
    samples: [],
    slices: 0,
    nonEmptyLines: 0,
  };
  for (const dir of SLICE_DIRS) await mkdir(join(inp.stagingDir, dir), { recursive: true });
  // A retried Clean task starts over: nothing of an earlier attempt may be counted twice.
  for (const staged of [inp.stagedClean, inp.stagedQuarantine]) await dropStaged(conn, staged);
  await conn.run(`CREATE OR REPLACE TABLE seen_ids (${id} VARCHAR)`);
  const drift = new Map<string, number>();
  const reader = await openRecordReader(inp.rawPath, source.format, inp.hashContent === true);
  // Two line tables take turns: the next slice loads (Node's reader and appender, on
  // `loadConn`) while DuckDB's threads run this one's SQL. Measured on 1M records: the reader
  // took 1.4 s of the main thread that DuckDB sat idle for.
  const load = async (table: string): Promise<LoadedSlice> => {
    await inp.loadConn.run(`CREATE OR REPLACE TABLE ${table} (line_no BIGINT, line VARCHAR)`);
    return reader.loadSlice(inp.loadConn, table, inp.sliceBytes);
  };
  let next: Promise<LoadedSlice> | undefined = load(LINE_TABLES[0]);
  try {
    for (let first = true; ; first = false) {
      const table = LINE_TABLES[counts.slices % 2]!;
      const slice: LoadedSlice = await next!;
      next = slice.done ? undefined : load(LINE_TABLES[(counts.slices + 1) % 2]!);
      await conn.run(
        `CREATE OR REPLACE TEMP VIEW lines AS SELECT line_no, line, ${quoteString("duckdb", inp.rawKey)} AS _source_file, ` +
          `make_timestamp(${Math.trunc(inp.ingestedAtMs) * 1000}) AS _ingested_at, CAST(${Math.trunc(inp.arrivalSeq)} AS BIGINT) AS _arrival_seq FROM ${table}`,
      );
      counts.slices++;
      counts.nonEmptyLines += slice.nonEmpty;
      // `parsed` is materialized: inlined, DuckDB parses each line's JSON once per field
      // reference (measured: 7.2 s against 4.9 s for 200k lines). Only the quarantine reads
      // `line` after this, and it takes it from the lines table: `parsed` and `ranked` hold no
      // copy of the raw text, and `ranked` may stay in memory as staged rows.
      await conn.run(`CREATE OR REPLACE TABLE parsed AS SELECT * REPLACE (CAST(NULL AS VARCHAR) AS line) FROM (${twoStep.parsed}) AS p`);
      await conn.run(
        `CREATE OR REPLACE TEMP VIEW checked AS SELECT * EXCLUDE (${checkedOnlyColumns(source)}) FROM (${twoStep.checkedFromParsed}) AS c`,
      );
      // `ranked` is built from its two steps (see rankedInTwoSteps): every valid record first,
      // then the later copies of an id within the slice set to 2. A record whose id an earlier
      // slice kept is a duplicate too (the first by line already won): it ranks 2 as well, so
      // every count and filter of the shared SQL treats it as one. The lookup is an IN (a mark
      // join, 0.3 s faster per 1M records) unless the file is large for the limit: then a LEFT
      // JOIN, which DuckDB can spill (the IN ran out of memory on 1M records at 64 MB;
      // seen_ids holds one id per kept record). seen_ids has each id once.
      const ranked = first
        ? rankSteps.provisional
        : inp.onDisk
          ? `SELECT r.* REPLACE (CASE WHEN r._dup_rank = 1 AND s.${id} IS NOT NULL THEN 2 ELSE r._dup_rank END AS _dup_rank) FROM (${rankSteps.provisional}) AS r LEFT JOIN seen_ids AS s ON r.${id} = s.${id}`
          : `SELECT * REPLACE (CASE WHEN _dup_rank = 1 AND ${id} IN (SELECT ${id} FROM seen_ids) THEN 2 ELSE _dup_rank END AS _dup_rank) FROM (${rankSteps.provisional}) AS r`;
      await conn.run(`CREATE OR REPLACE TABLE ranked AS ${ranked}`);
      await conn.run(`UPDATE ranked SET _dup_rank = 2 WHERE line_no IN (${rankSteps.laterDuplicates})`);
      await conn.run(
        `CREATE OR REPLACE TEMP VIEW ranked_rejected AS SELECT r.* REPLACE (l.line AS line) FROM ranked AS r JOIN ${table} AS l ON l.line_no = r.line_no WHERE r._reason IS NOT NULL`,
      );
      await conn.run("DROP TABLE parsed");
      if (!slice.done) await conn.run(`INSERT INTO seen_ids SELECT ${id} FROM ranked WHERE _reason IS NULL AND _dup_rank = 1`);
      await conn.run(
        `CREATE OR REPLACE TABLE slice_quarantine (raw_record VARCHAR, reason VARCHAR, reason_column VARCHAR, source_key VARCHAR, line_number BIGINT)`,
      );
      await addSliceCounts(inp, st, quarantineWithLines, counts);
      await addDrift(inp, table, drift);
      await conn.run(`DROP TABLE ${table}`);
      await addInvalidUtf8(inp, slice.invalidUtf8, counts);
      await keepSlice(inp, "slice_quarantine", "SELECT * FROM slice_quarantine", inp.stagedQuarantine, SLICE_DIRS[1], counts.slices);
      if (slice.done) {
        const [last] = await scalarRows(conn, "SELECT line_no, _reason FROM ranked ORDER BY line_no DESC LIMIT 1");
        if (last) counts.lastRecord = { line: n(last.line_no), reason: (last._reason as string | null) ?? null };
      }
      await keepSlice(inp, "ranked", st.clean, inp.stagedClean, SLICE_DIRS[0], counts.slices);
      // The next slice needs the room: nothing of this one stays in memory but the seen ids
      // (and, for a file staged in memory, its clean rows).
      for (const t of ["ranked", "slice_quarantine"]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
      if (slice.done) break;
    }
  } finally {
    // A failed slice leaves the next one loading: let it finish before closing the file.
    await next?.catch(() => undefined);
    await reader.close();
    for (const t of ["ranked", "parsed", ...LINE_TABLES, "seen_ids", "slice_quarantine"]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  }
  await createStagedView(inp, inp.stagedClean, SLICE_DIRS[0], counts.slices, (slice) => cleanStages(source, "duckdb", slice).clean);
  await createStagedView(inp, inp.stagedQuarantine, SLICE_DIRS[1], counts.slices, (slice) => `SELECT * FROM ${slice}`);
  const sha = reader.sha256();
  if (sha !== undefined) counts.contentSha256 = sha;
  counts.endsCut = reader.endsCut();
  if (drift.size > 0) counts.drift = driftOf(drift);
  counts.samples.sort((a, b) => a.line - b.line).splice(SAMPLE_LIMIT);
  // SQL GROUP BY order varies between runs; manifests and reports must not.
  counts.byReason = Object.fromEntries(Object.entries(counts.byReason).sort(([a], [b]) => a.localeCompare(b)));
  if (source.onInvalid === "quarantine") counts.quarantined = counts.invalid;
  if (source.onInvalid === "drop") counts.droppedInvalid = counts.invalid;
  return counts;
}

/** Adds one slice's counts, reasons and samples; `quarantine` inserts its rejected records (with their raw lines). */
async function addSliceCounts(inp: CleanInput, st: ReturnType<typeof cleanStages>, quarantine: string, counts: CleanCounts): Promise<void> {
  const { conn, source } = inp;
  const [c] = await scalarRows(conn, st.counts);
  counts.recordsIn += n(c!.records_in);
  counts.clean += n(c!.clean);
  counts.invalid += n(c!.invalid);
  counts.duplicates += n(c!.duplicates);
  for (const r of await scalarRows(conn, st.reasons)) {
    const reason = r.reason as ReasonCode;
    counts.byReason[reason] = (counts.byReason[reason] ?? 0) + n(r.records);
  }
  if (st.castNulls !== undefined) {
    const [nulls] = await scalarRows(conn, st.castNulls);
    for (const col of Object.keys(counts.castNulls)) counts.castNulls[col]! += n(nulls![col]);
  }
  if (counts.samples.length < SAMPLE_LIMIT) {
    const s = await scalarRows(
      conn,
      `SELECT line_no, _reason, _reason_column FROM ranked WHERE _reason IS NOT NULL ORDER BY line_no LIMIT ${SAMPLE_LIMIT}`,
    );
    counts.samples.push(
      ...s.map((r) => ({ line: n(r.line_no), reason: String(r._reason), column: (r._reason_column as string | null) ?? null })),
    );
  }
  if (source.onInvalid === "quarantine") await conn.run(`INSERT INTO slice_quarantine ${quarantine}`);
}

/** Adds one slice's drift tokens (compiler/sql/drift.ts), read from its lines. */
async function addDrift(inp: CleanInput, lineTable: string, tokens: Map<string, number>): Promise<void> {
  const sql = driftSql(inp.source, inp.tables ?? [], "duckdb", lineTable);
  if (sql === undefined) return;
  for (const r of await scalarRows(inp.conn, sql)) tokens.set(String(r.token), (tokens.get(String(r.token)) ?? 0) + n(r.records));
}

/**
 * Keeps one slice's rows (`select` over `table`). In memory, `table` itself is kept, renamed
 * to a staged slice: for clean rows that is `ranked`, and the staged view applies the shared
 * clean SELECT to it, which saves a copy of every clean row (0.8 s per 1M records). On disk,
 * `select` is written as Parquet next to the other slices'.
 */
async function keepSlice(inp: CleanInput, table: string, select: string, staged: string, dir: string, slice: number): Promise<void> {
  if (inp.onDisk) {
    await inp.conn.run(
      `COPY (${select}) TO ${sqlPath(join(inp.stagingDir, dir, `slice-${slice}.parquet`))} (FORMAT parquet, COMPRESSION uncompressed)`,
    );
  } else {
    await inp.conn.run(`ALTER TABLE ${table} RENAME TO ${sliceTable(staged, slice)}`);
  }
}

/** The staged relation flatten reads: over the Parquet slices on disk, or `perSlice` of each kept slice table. */
async function createStagedView(
  inp: CleanInput,
  view: string,
  dir: string,
  slices: number,
  perSlice: (sliceTable: string) => string,
): Promise<void> {
  const body = inp.onDisk
    ? `SELECT * FROM read_parquet(${sqlPath(join(inp.stagingDir, dir, "*.parquet"))})`
    : Array.from({ length: slices }, (_, i) => perSlice(sliceTable(view, i + 1))).join(" UNION ALL ");
  await inp.conn.run(`CREATE OR REPLACE VIEW ${view} AS ${body}`);
}

const SLICE_DIRS = ["_clean_slices", "_quarantine_slices"] as const;
const LINE_TABLES = ["lines_in_a", "lines_in_b"] as const;

const sliceTable = (staged: string, slice: number): string => `${staged}_s${slice}`;

/** Drops a staged relation (the view) and the slice tables under it, whatever an attempt left. */
export async function dropStaged(conn: DuckDBConnection, staged: string): Promise<void> {
  await conn.run(`DROP VIEW IF EXISTS ${staged}`);
  const like = quoteString("duckdb", `${staged}\\_s%`);
  const tables = (
    await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE ${like} ESCAPE '\\'`)
  ).getRowsJson();
  for (const [name] of tables) await conn.run(`DROP TABLE IF EXISTS ${quoteIdent("duckdb", String(name))}`);
}

/** Lines that are not UTF-8 never reach SQL; they are records, rejected as `invalid_utf8`. */
async function addInvalidUtf8(inp: CleanInput, lines: readonly InvalidLine[], counts: CleanCounts): Promise<void> {
  if (lines.length === 0) return;
  counts.recordsIn += lines.length;
  counts.invalid += lines.length;
  counts.byReason.invalid_utf8 = (counts.byReason.invalid_utf8 ?? 0) + lines.length;
  for (const l of lines.slice(0, SAMPLE_LIMIT)) counts.samples.push({ line: l.lineNo, reason: "invalid_utf8", column: null });
  if (inp.source.onInvalid !== "quarantine") return;
  const app = await inp.conn.createAppender("slice_quarantine");
  try {
    for (const l of lines) {
      app.appendVarchar(l.text);
      app.appendVarchar("invalid_utf8");
      app.appendNull();
      app.appendVarchar(inp.rawKey);
      app.appendBigInt(BigInt(l.lineNo));
      app.endRow();
    }
  } finally {
    app.closeSync();
  }
}
