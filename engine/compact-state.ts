// What compaction has done to the local lake, and which rows the views read because of it.
//
// Compaction (compact.ts) rewrites a partition's files into one packed file,
// `processed/<table>/<partition>/_input=packed-<gen>-<n>/part-0.parquet`, keeping every column
// as it was (`_source_file`, `_arrival_seq`, `_ingested_at` included: nothing merged looks new).
// A row's owner is its `_source_file` (the raw key); the slot it came from is recorded per
// packed file as `members: { rawKey: slot }`. The rule for readers, one for both kinds of file:
//
//   a row is live  ⇔  (its folder's `_input`, its `_source_file`) is in `lakec_live_rows`
//
// - a slot folder `_input=<s>` of raw file f: live when s is f's current slot (its manifest)
//   and s was not absorbed into packed files;
// - a packed file: live for member f when f's current slot is still the one it absorbed.
//   A reprocess of f writes the other slot, so f's packed rows die at that commit, and
//   `forgetRepublished` (called before a slot is written) drops a member whose slot name comes
//   back after two reprocesses, so old rows never revive.
//
// state/compaction.json is the commit point for writers (temp file + rename); the views read a
// copy of its live pairs inside warehouse.duckdb, which is replaced in one rename
// (publish.ts buildBeside), so a reader sees the lake before a compaction or after it. Files a
// compaction superseded are listed in `pending` and removed when the lake is next opened, as
// publish.ts does for slots.
import { readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteString } from "../compiler/expr/print.js";
import type { PipelineIR } from "../compiler/ir.js";
import { exists, forEachLimit, removeInputDir, type LakePaths } from "./lake.js";
import { readManifest, type FileManifest } from "./manifest.js";

export const PACKED_PREFIX = "packed-";

export interface PackedFile {
  /** The `_input` folder value, unique to this file: `packed-<gen>-<n>`. */
  readonly tag: string;
  /** Path relative to the lake, with `/`. */
  readonly file: string;
  readonly bytes: number;
  readonly rows: number;
  /** Raw key → the slot whose rows this file holds. */
  readonly members: Record<string, string>;
}

export interface TableCompaction {
  readonly source: string;
  readonly generation: number;
  /** Partition folder (relative to the table, `""` when unpartitioned) → its packed file. */
  readonly packed: Record<string, PackedFile>;
  /** Raw key → the slot whose folders in this table were rewritten into packed files. */
  readonly absorbed: Record<string, string>;
}

export interface PendingRemoval {
  /** Folder relative to the lake. */
  readonly dir: string;
  /** For an absorbed slot folder: removed only while that slot is still absorbed (not written again since). */
  readonly table?: string;
  readonly rawKey?: string;
  readonly slot?: string;
}

export interface CompactionState {
  readonly version: 1;
  readonly tables: Record<string, TableCompaction>;
  readonly pending: readonly PendingRemoval[];
}

const EMPTY: CompactionState = { version: 1, tables: {}, pending: [] };

export const stateFile = (paths: LakePaths): string => join(paths.root, "state", "compaction.json");

let cache: { file: string; mtimeMs: number; size: number; state: CompactionState } | undefined;

/** The lake's compaction state; `{}` for a lake never compacted. A damaged file is an error: rows would be lost or doubled. */
export async function readCompaction(paths: LakePaths): Promise<CompactionState> {
  const file = stateFile(paths);
  const st = await stat(file).catch(() => undefined);
  if (!st) return EMPTY;
  if (cache && cache.file === file && cache.mtimeMs === st.mtimeMs && cache.size === st.size) return cache.state;
  const value = JSON.parse(await readFile(file, "utf8")) as CompactionState;
  if (value?.version !== 1 || typeof value.tables !== "object")
    throw new Error(`${file} is not a lakec compaction state; restore it or delete processed/ and state/ to rebuild the lake from raw/`);
  cache = { file, mtimeMs: st.mtimeMs, size: st.size, state: value };
  return value;
}

export async function writeCompaction(paths: LakePaths, state: CompactionState): Promise<void> {
  const file = stateFile(paths);
  const tmp = join(paths.tmp, `${process.pid}-compaction.json`);
  await writeFile(tmp, `${JSON.stringify(state)}\n`);
  await rename(tmp, file);
  cache = undefined;
}

/** Current slot of every `ok` raw file of a source: raw key → slot. */
export async function currentSlotsByKey(paths: LakePaths, source: string): Promise<Map<string, FileManifest>> {
  const dir = join(paths.manifests, source);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out = new Map<string, FileManifest>();
  for (const n of names.filter((x) => x.endsWith(".json"))) {
    const m = await readManifest(join(dir, n));
    if (m?.status === "ok") out.set(m.raw_key, m);
  }
  return out;
}

/** The (folder `_input`, raw key) pairs whose rows a table's view reads (see the header). */
export function livePairs(t: TableCompaction | undefined, current: ReadonlyMap<string, FileManifest>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [rawKey, m] of current) if (t?.absorbed[rawKey] !== m.input) pairs.push([m.input, rawKey]);
  for (const p of Object.values(t?.packed ?? {}))
    for (const [rawKey, slot] of Object.entries(p.members))
      if (current.get(rawKey)?.input === slot && t?.absorbed[rawKey] === slot) pairs.push([p.tag, rawKey]);
  return pairs;
}

/** Where the views find the live pairs of compacted tables. */
export const LIVE_ROWS = "lakec_live_rows";

/** True when a table's view must use the live pairs instead of the plain current-slot filter. */
export async function isCompacted(paths: LakePaths, table: string): Promise<boolean> {
  return (await readCompaction(paths)).tables[table] !== undefined;
}

/** The WHERE of a compacted table's view: pruned by folder first (no file of a dead folder is opened), then by owner. */
export function liveRowsWhere(table: string): string {
  const t = quoteString("duckdb", table);
  return `_input IN (SELECT input FROM ${LIVE_ROWS} WHERE tbl = ${t}) AND (_input, _source_file) IN (SELECT input, raw_key FROM ${LIVE_ROWS} WHERE tbl = ${t})`;
}

/** Fills LIVE_ROWS for every compacted table of the pipeline (refreshViews calls this beside the current inputs). */
export async function recordLiveRows(conn: DuckDBConnection, paths: LakePaths, ir: PipelineIR): Promise<void> {
  const state = await readCompaction(paths);
  await conn.run(`CREATE TABLE IF NOT EXISTS ${LIVE_ROWS} (tbl VARCHAR, input VARCHAR, raw_key VARCHAR)`);
  await conn.run(`DELETE FROM ${LIVE_ROWS} WHERE tbl IN (${ir.tables.map((t) => quoteString("duckdb", t.name)).join(", ")})`);
  for (const t of ir.tables) {
    const tc = state.tables[t.name];
    if (!tc) continue;
    const pairs = livePairs(tc, await currentSlotsByKey(paths, t.source));
    for (let i = 0; i < pairs.length; i += 1000) {
      const values = pairs
        .slice(i, i + 1000)
        .map(([input, key]) => `(${quoteString("duckdb", t.name)}, ${quoteString("duckdb", input)}, ${quoteString("duckdb", key)})`);
      await conn.run(`INSERT INTO ${LIVE_ROWS} VALUES ${values.join(", ")}`);
    }
  }
}

/**
 * The files a manifest's damage check must stat: its own list, except that the files of a slot
 * absorbed by compaction are replaced by the packed files holding its rows (with their sizes).
 */
export async function filesToCheck(paths: LakePaths, m: FileManifest): Promise<Record<string, number>> {
  const state = await readCompaction(paths);
  const files: Record<string, number> = { ...(m.files ?? {}) };
  for (const [table, t] of Object.entries(state.tables)) {
    if (t.source !== m.source || t.absorbed[m.raw_key] !== m.input) continue;
    for (const rel of Object.keys(files)) if (rel.startsWith(`processed/${table}/`)) delete files[rel];
    for (const p of Object.values(t.packed)) if (p.members[m.raw_key] === m.input) files[p.file] = p.bytes;
  }
  return files;
}

/**
 * A slot of `rawKey` is about to be written again: rows compaction absorbed from an earlier
 * version under the same slot name must not count as this version's. They are dead already
 * (the slot is not current while it is being written), so no reader sees a change.
 */
export async function forgetRepublished(paths: LakePaths, source: string, rawKey: string, slot: string): Promise<void> {
  const state = await readCompaction(paths);
  let changed = false;
  const tables: Record<string, TableCompaction> = {};
  for (const [name, t] of Object.entries(state.tables)) {
    if (t.source !== source) {
      tables[name] = t;
      continue;
    }
    const absorbed = { ...t.absorbed };
    if (absorbed[rawKey] === slot) {
      delete absorbed[rawKey];
      changed = true;
    }
    const packed: Record<string, PackedFile> = {};
    for (const [part, p] of Object.entries(t.packed)) {
      if (p.members[rawKey] !== slot) {
        packed[part] = p;
        continue;
      }
      const members = { ...p.members };
      delete members[rawKey];
      packed[part] = { ...p, members };
      changed = true;
    }
    tables[name] = { ...t, absorbed, packed };
  }
  // A pending removal of this very slot's folder would delete the version being written.
  const pending = state.pending.filter((e) => !(e.rawKey === rawKey && e.slot === slot));
  if (changed || pending.length !== state.pending.length) await writeCompaction(paths, { ...state, tables, pending });
}

/**
 * At lake open: removes what earlier compactions superseded (no warehouse in place reads it),
 * and packed files none of whose rows is live any more (every member reprocessed since).
 */
export async function collectCompacted(paths: LakePaths): Promise<number> {
  const state = await readCompaction(paths);
  if (Object.keys(state.tables).length === 0 && state.pending.length === 0) return 0;
  const remove: string[] = [];
  for (const e of state.pending) {
    if (e.rawKey !== undefined && state.tables[e.table ?? ""]?.absorbed[e.rawKey] !== e.slot) continue;
    remove.push(e.dir);
  }
  const tables: Record<string, TableCompaction> = {};
  for (const [name, t] of Object.entries(state.tables)) {
    const current = await currentSlotsByKey(paths, t.source);
    const packed: Record<string, PackedFile> = {};
    for (const [part, p] of Object.entries(t.packed)) {
      const live = Object.entries(p.members).some(([k, slot]) => current.get(k)?.input === slot && t.absorbed[k] === slot);
      if (live) packed[part] = p;
      else remove.push(p.file.split("/").slice(0, -1).join("/"));
    }
    tables[name] = { ...t, packed };
  }
  await writeCompaction(paths, { version: 1, tables, pending: [] });
  let removed = 0;
  await forEachLimit(remove, async (rel) => {
    const dir = join(paths.root, ...rel.split("/"));
    if (rel.startsWith("processed/") && (await exists(dir))) {
      await removeInputDir(dir);
      removed++;
    }
  });
  return removed;
}
