// Publishing a raw file's outputs so that readers of the local lake see the old version or the
// new one, never a mix, never an error, and a failure keeps the old version.
//
// - Each raw file has two output slots: `_input=<h>` and `_input=<h>-b` in every partition of
//   its tables. Its manifest's `input` names the slot that is current.
// - A (re)process writes into the other slot: what is left there (a crash, or the version
//   before last) is removed, then the staged folders are renamed in. The views read only the
//   current slots (`WHERE _input IN (…)`, pruned by DuckDB before any file is opened), so
//   nothing a reader sees changes yet.
// - The manifest, written last, commits the new slot; the previous one is recorded in
//   state/superseded.jsonl. The views switch when the warehouse is rebuilt beside the old one
//   and renamed over it at the end of the run (buildBeside): a reader sees every table and
//   model as of one build.
// - Superseded slots are removed when the lake is next opened, so a query that started on the
//   old views can finish reading them; while it stays open (dev), once no reader holds a
//   warehouse that reads them (engine/retired-warehouses.ts).
// - On every run, each current file's published files are checked against the names and sizes
//   its manifest lists (stat only); a missing or changed file makes the raw file reprocess.
import { appendFile, copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { PipelineIR, SourceIR } from "../compiler/ir.js";
import {
  exists,
  filesUnder,
  forEachLimit,
  inputDirs,
  inputHash,
  quarantineFile,
  removeInputDir,
  tableDir,
  type LakePaths,
} from "./lake.js";
import { readManifest, type FileManifest } from "./manifest.js";
import { filesToCheck, forgetRepublished } from "./compact-state.js";
import { traced } from "./trace.js";
import { COMPACT_MIN_FREE_BYTES, compactWarehouse, inspectWarehouse, worthCompacting } from "./warehouse-file.js";

/** The slot a (re)process writes into: the one the current manifest does not name. */
export function nextSlot(rawKey: string, current: FileManifest | undefined): string {
  const h = inputHash(rawKey);
  return current?.status === "ok" && current.input === h ? `${h}-b` : h;
}

function sourceTableNames(ir: PipelineIR, source: SourceIR): string[] {
  return ir.tables.filter((t) => t.source === source.name).map((t) => t.name);
}

/** Removes one slot's folders in every table of the source. */
export async function removeSlot(paths: LakePaths, ir: PipelineIR, source: SourceIR, slot: string): Promise<void> {
  for (const t of sourceTableNames(ir, source)) await forEachLimit(await inputDirs(paths, t, slot), removeInputDir);
}

/** Every file under `dir` with its size, keyed by its path relative to `base` with `/`, in path order. */
async function filesWithSizes(dir: string, base: string, into: Record<string, number>): Promise<void> {
  const files = await filesUnder(dir);
  const sizes = new Map<string, number>();
  await forEachLimit(files, async (p) => void sizes.set(p, (await stat(p)).size));
  for (const p of files) into[relative(base, p).split(sep).join("/")] = sizes.get(p)!;
}

export interface Staged {
  readonly ir: PipelineIR;
  readonly source: SourceIR;
  readonly rawKey: string;
  readonly slot: string;
  /** Holds `<table>/…/_input=<slot>/part-<n>.parquet` and `quarantine.jsonl`. */
  readonly stagingDir: string;
  readonly quarantineRows: number;
}

/** Moves a whole staged table folder into place when the table has no folder yet (or an empty one). */
async function renameWholeTable(staged: string, target: string): Promise<boolean> {
  try {
    await rename(staged, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST" || code === "EPERM") return false;
    throw e;
  }
}

/**
 * Renames the staged outputs into the file's next slot and the quarantine file over the old
 * one (one rename: a reader of quarantine/ sees the old file or the new). Returns the published
 * files and sizes, relative to the lake, for the manifest. The views do not see the slot until
 * the manifest commits it and the warehouse is rebuilt.
 */
export async function publishToSlot(paths: LakePaths, s: Staged): Promise<Record<string, number>> {
  const files: Record<string, number> = {};
  const tag = `_input=${s.slot}`;
  await forgetRepublished(paths, s.source.name, s.rawKey, s.slot);
  await removeSlot(paths, s.ir, s.source, s.slot);
  for (const t of sourceTableNames(s.ir, s.source)) {
    const staged = join(s.stagingDir, t);
    const target = tableDir(paths, t);
    await filesWithSizes(staged, s.stagingDir, files);
    const parts = await readdir(staged).catch(() => [] as string[]);
    if (parts.length === 0) continue;
    if (parts.includes(tag)) {
      await mkdir(target, { recursive: true });
      await rename(join(staged, tag), join(target, tag));
      continue;
    }
    if (await renameWholeTable(staged, target)) continue;
    await forEachLimit(parts, async (part) => {
      await mkdir(join(target, part), { recursive: true });
      await rename(join(staged, part, tag), join(target, part, tag));
      await rmdir(join(staged, part));
    });
  }
  const published = Object.fromEntries(Object.entries(files).map(([p, size]) => [`processed/${p}`, size]));
  const q = quarantineFile(paths, s.source.name, s.rawKey);
  if (s.quarantineRows > 0) {
    await mkdir(dirname(q), { recursive: true });
    const from = join(s.stagingDir, "quarantine.jsonl");
    published[relative(paths.root, q).split(sep).join("/")] = (await stat(from)).size;
    await rename(from, q);
  } else {
    await rm(q, { force: true });
  }
  return published;
}

/** Problems with a current file's published outputs: listed files that are missing or changed size. */
export async function damagedOutputs(paths: LakePaths, m: FileManifest): Promise<string[]> {
  const problems: string[] = [];
  await forEachLimit(Object.entries(await filesToCheck(paths, m)), async ([rel, size]) => {
    const st = await stat(join(paths.root, ...rel.split("/"))).catch(() => undefined);
    if (!st) problems.push(`${rel} is missing`);
    else if (st.size !== size) problems.push(`${rel} has ${st.size} bytes, not ${size}`);
  });
  return problems.sort();
}

export const supersededLog = (paths: LakePaths): string => join(paths.root, "state", "superseded.jsonl");

interface SupersededEntry {
  readonly manifest: string;
  readonly slot: string;
  readonly dirs: readonly string[];
}

/** Remembers the slot a reprocess replaced, for removal when the lake is next opened. */
export async function recordSuperseded(paths: LakePaths, ir: PipelineIR, source: SourceIR, manifest: string, slot: string): Promise<void> {
  const dirs: string[] = [];
  for (const t of sourceTableNames(ir, source))
    for (const d of await inputDirs(paths, t, slot)) dirs.push(relative(paths.root, d).split(sep).join("/"));
  const entry: SupersededEntry = { manifest: relative(paths.root, manifest).split(sep).join("/"), slot, dirs };
  await appendFile(supersededLog(paths), `${JSON.stringify(entry)}\n`);
}

/** Removes the slots recorded as superseded, unless a later reprocess made one current again. */
export async function collectSuperseded(paths: LakePaths): Promise<number> {
  const text = await readFile(supersededLog(paths), "utf8").catch(() => "");
  const removed = await removeSupersededSlots(paths, text);
  await rm(supersededLog(paths), { force: true });
  return removed;
}

/**
 * collectSuperseded for the log's first `upToBytes` only (engine/retired-warehouses.ts knows no
 * reader holds those slots); later entries stay in the log. The log is rewritten by a rename.
 */
export async function collectSupersededEntries(paths: LakePaths, upToBytes: number): Promise<number> {
  const buf = await readFile(supersededLog(paths)).catch(() => Buffer.alloc(0));
  const removed = await removeSupersededSlots(paths, buf.subarray(0, upToBytes).toString("utf8"));
  await writeFile(`${supersededLog(paths)}.tmp`, buf.subarray(upToBytes));
  await rename(`${supersededLog(paths)}.tmp`, supersededLog(paths));
  return removed;
}

async function removeSupersededSlots(paths: LakePaths, text: string): Promise<number> {
  let removed = 0;
  for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
    let e: SupersededEntry;
    try {
      e = JSON.parse(line) as SupersededEntry;
    } catch {
      continue;
    }
    const m = await readManifest(join(paths.root, ...e.manifest.split("/")));
    if (m?.status === "ok" && m.input === e.slot) continue;
    for (const d of e.dirs) {
      const dir = join(paths.root, ...d.split("/"));
      if (!relative(paths.processed, dir).startsWith("..") && (await exists(dir))) {
        await removeInputDir(dir);
        removed++;
      }
    }
  }
  return removed;
}

/** The current slots of a source's raw files: what its tables' views read. */
export async function currentSlots(paths: LakePaths, source: string): Promise<string[]> {
  const dir = join(paths.manifests, source);
  const names = await readdir(dir).catch(() => [] as string[]);
  const slots: string[] = [];
  for (const n of names.filter((x) => x.endsWith(".json"))) {
    const m = await readManifest(join(dir, n));
    if (m?.status === "ok") slots.push(m.input);
  }
  return slots.sort();
}

const besideFile = (paths: LakePaths): string => join(paths.tmp, `${process.pid}-warehouse.duckdb`);

/** What the copy was taken from: a warehouse changed since (compaction, apply) is copied again. */
async function identity(file: string): Promise<string | undefined> {
  const [db, wal] = await Promise.all([stat(file).catch(() => undefined), stat(`${file}.wal`).catch(() => undefined)]);
  return db && [db.ino, db.size, db.mtimeMs, wal?.size, wal?.mtimeMs].join(":");
}

/** A copy of warehouse.duckdb made ahead of buildBeside (startWarehouseCopy). */
export interface WarehouseCopy {
  /** The warehouse's identity when it was copied; undefined when there was none to copy. */
  readonly ready: Promise<string | undefined>;
  /** Removes the copy, for a run that builds nothing (300 MB on a 1M-record lake). */
  discard(): Promise<void>;
}

async function copyWarehouse(paths: LakePaths, next: string): Promise<void> {
  await traced("warehouse: copy warehouse.duckdb", () => copyFile(paths.warehouse, next));
  if (await exists(`${paths.warehouse}.wal`)) await copyFile(`${paths.warehouse}.wal`, `${next}.wal`);
}

/**
 * Starts the copy buildBeside would make, and writes it to disk, while the file stage runs: on
 * a 1M-record lake the copy took 0.2 s and the build's first commit 0.35 s more (its fsync
 * wrote the copy's 300 MB of dirty pages), both in the time a user waits for.
 */
export function startWarehouseCopy(paths: LakePaths): WarehouseCopy {
  const next = besideFile(paths);
  const ready = (async (): Promise<string | undefined> => {
    await rm(next, { force: true });
    await rm(`${next}.wal`, { force: true });
    const before = await identity(paths.warehouse);
    if (before === undefined) return undefined;
    await copyWarehouse(paths, next);
    const fh = await open(next, "r+");
    try {
      await traced("warehouse: write the copy to disk", () => fh.datasync());
    } finally {
      await fh.close();
    }
    return before;
  })();
  ready.catch(() => undefined);
  const discard = async (): Promise<void> => {
    await ready.catch(() => undefined);
    await rm(next, { force: true });
    await rm(`${next}.wal`, { force: true });
  };
  return { ready, discard };
}

/**
 * Runs `build` on a copy of warehouse.duckdb and renames the copy over it when `build`
 * returns: a reader opens the old file or the new one, never waits on the run's lock and never
 * sees a model dropped and not yet rebuilt. When `build` throws, the previous warehouse stays.
 * `prepared` is a copy started earlier (startWarehouseCopy), used when the warehouse has not
 * changed since. A copy mostly of free space is compacted first (warehouse-file.ts).
 */
export async function buildBeside<T>(
  paths: LakePaths,
  build: (next: LakePaths) => Promise<T>,
  onRebuilt: (why: string) => void = () => undefined,
  prepared?: WarehouseCopy,
  compactMinFreeBytes = COMPACT_MIN_FREE_BYTES,
): Promise<T> {
  const next = besideFile(paths);
  const copied = await traced("warehouse: wait for the copy", async () => prepared?.ready.catch(() => undefined));
  const current = await identity(paths.warehouse);
  if (copied === undefined || copied !== current) {
    await rm(next, { force: true });
    await rm(`${next}.wal`, { force: true });
    if (current !== undefined) await copyWarehouse(paths, next);
  }
  if (current !== undefined) {
    // Everything in it is derived from processed/ and the pipeline: a file DuckDB cannot open
    // (random bytes, a torn copy) is replaced by one built from scratch.
    const size = await traced("warehouse: check copy opens", () => inspectWarehouse(next));
    if ("error" in size) {
      await rm(next, { force: true });
      await rm(`${next}.wal`, { force: true });
      onRebuilt(size.error);
    } else if (worthCompacting(size, compactMinFreeBytes)) {
      // Only a saving: a copy that could not be rewritten (a full disk) is built on as it is.
      await traced("warehouse: compact the copy", () => compactWarehouse(next).catch(() => undefined));
    }
  }
  try {
    const result = await build({ ...paths, warehouse: next });
    // The copy replayed any log of the old file and closed cleanly; a stale log left beside
    // the new file would be replayed onto it.
    await rm(`${paths.warehouse}.wal`, { force: true });
    await rename(next, paths.warehouse);
    return result;
  } finally {
    await rm(next, { force: true });
    await rm(`${next}.wal`, { force: true });
  }
}
