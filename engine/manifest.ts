// Run manifests: one JSON file per raw file, written last, after its outputs are in place.
// A manifest whose content hash and semantics fingerprint match the raw file and the current
// pipeline means the file's outputs are complete and current, so a rerun skips it. Anything
// else (no manifest, a different hash, a crash before the manifest) means: process again.
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PipelineIR, ReasonCode, SourceIR } from "../compiler/ir.js";
import { cleanStages, tableSelect } from "../compiler/sql/clean.js";
import { sourceTables } from "./flatten-stage.js";
import { exists, rawFile, type LakePaths } from "./lake.js";

/** Bump when the lake layout or the engine's use of the shared SQL changes meaning. */
export const LAYOUT_VERSION = 1;

export type FileStatus = "ok" | "failed";

export interface FileManifest {
  readonly version: 1;
  readonly raw_key: string;
  readonly source: string;
  /** `_input=<input>` tag of the file's outputs: its current slot, `<h>` or `<h>-b` (engine/publish.ts). */
  readonly input: string;
  readonly content_sha256: string;
  /** The raw file as stat saw it just before it was read and hashed (hashIfUnchanged). */
  readonly raw_stat?: RawStat;
  readonly bytes: number;
  readonly semantics: string;
  /** The file's place in the pipeline's arrival order; every row it wrote carries it as `_arrival_seq`. */
  readonly arrival_seq?: number;
  /** `_ingested_at` of the rows, ms since the epoch: a reprocess under a changed pipeline writes a later one. */
  readonly ingested_at_ms?: number;
  readonly status: FileStatus;
  readonly error?: string;
  readonly counts: {
    readonly records_in: number;
    readonly clean: number;
    readonly invalid: number;
    readonly quarantined: number;
    readonly dropped_invalid: number;
    readonly duplicates: number;
    readonly by_reason: Partial<Record<ReasonCode, number>>;
    /** `on_cast_error: set_null` columns → values set NULL because they did not cast (absent when the source has none). */
    readonly cast_nulls?: Record<string, number>;
  };
  /**
   * Schema drift (compiler/sql/drift.ts): how many distinct raw paths no column maps, the first
   * few with the records that carry them, and the mapped paths (columns, `fields:`) no record has.
   */
  readonly drift?: { readonly unmapped_paths: number; readonly unmapped: Record<string, number>; readonly absent: readonly string[] };
  readonly rows_written: Record<string, number>;
  readonly timings_ms: Record<string, number>;
  /** Published files (path relative to the lake → bytes), checked on every run; absent before this was recorded. */
  readonly files?: Record<string, number>;
}

/** Size, inode and the kernel-kept times to the nanosecond, as strings (they pass 2^53). */
export interface RawStat {
  readonly size: number;
  readonly ino: string;
  readonly mtime_ns: string;
  readonly ctime_ns: string;
}

export function rawStatOf(s: BigIntStats): RawStat {
  return { size: Number(s.size), ino: String(s.ino), mtime_ns: String(s.mtimeNs), ctime_ns: String(s.ctimeNs) };
}

/**
 * The manifest's content hash when the raw file is the one it hashed, so a run need not read
 * every raw file again to find the new ones (a 490 MB file took 0.9 s to hash on every
 * `lakec run` and every `lakec dev` start). As git's index does, a file is the same when its
 * size, inode, mtime and ctime are. Any write changes ctime, which no user tool can set back
 * (touch and utimes set mtime only), and the stat was taken before the read, so a write during
 * the read shows too. On a file system that keeps whole seconds only, a write in the same second
 * would not show, so there every file is hashed again.
 */
export function hashIfUnchanged(m: FileManifest, now: RawStat): string | undefined {
  const then = m.raw_stat;
  if (then === undefined || BigInt(then.ctime_ns) % 1_000_000_000n === 0n) return undefined;
  const same = then.size === now.size && then.ino === now.ino && then.mtime_ns === now.mtime_ns && then.ctime_ns === now.ctime_ns;
  return same ? m.content_sha256 : undefined;
}

/**
 * Hash of everything that decides a source's outputs: the DuckDB clean SQL, each table's
 * SELECT, partition keys and what happens to invalid records. `plan` compares it too.
 */
export function semanticsFingerprint(ir: PipelineIR, source: SourceIR): string {
  const tables = sourceTables(ir, source).map((t) => ({
    name: t.name,
    select: tableSelect(t, "duckdb"),
    partition: t.partition?.key ?? null,
  }));
  const payload = { layout: LAYOUT_VERSION, onInvalid: source.onInvalid, stages: cleanStages(source, "duckdb"), tables };
  return createHash("sha256").update(JSON.stringify(payload)).digest("hex");
}

export async function readManifest(file: string): Promise<FileManifest | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A torn manifest cannot come from our atomic write; treat it as absent so the file reruns.
    return undefined;
  }
  // Damaged by hand or by a tool (`null`, a list, missing fields): absent too, and rebuilt.
  const m = value as Partial<FileManifest> | null;
  const ok =
    m !== null &&
    typeof m === "object" &&
    typeof m.raw_key === "string" &&
    typeof m.input === "string" &&
    typeof m.status === "string" &&
    typeof m.content_sha256 === "string" &&
    typeof m.rows_written === "object" &&
    m.rows_written !== null;
  return ok ? (m as FileManifest) : undefined;
}

/** Temp file + rename, so a reader never sees half a manifest. */
export async function writeManifest(file: string, m: FileManifest, tmpFile: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(tmpFile, `${JSON.stringify(m, null, 2)}\n`);
  await rename(tmpFile, file);
}

export function isCurrent(m: FileManifest | undefined, contentSha256: string, semantics: string): boolean {
  return m !== undefined && m.status === "ok" && m.content_sha256 === contentSha256 && m.semantics === semantics;
}

export interface PublishedState {
  /** Rows per table over every raw file with an `ok` manifest: what the external tables hold. */
  readonly rowsByTable: Record<string, number>;
  /**
   * Raw keys whose outputs are published although their raw file is gone. Their rows stay in
   * the lake, as processed objects stay in S3 after the raw object is deleted; the report names
   * them so nobody is surprised.
   */
  readonly orphans: readonly string[];
  /** Every published raw file with its arrival (manifests written before arrivals existed have none). */
  readonly arrivals: readonly PublishedFile[];
}

export interface PublishedFile {
  readonly rawKey: string;
  readonly source: string;
  readonly arrival: number;
  readonly input: string;
  /** The folders its manifest lists files in, relative to the lake: `processed/<table>/…/_input=<slot>`. */
  readonly folders: readonly string[];
}

/** The slot folders a manifest lists files in, relative to the lake: `processed/<table>/<partition…>/_input=<slot>`. */
export function slotFolders(m: FileManifest): string[] {
  const folders = new Set(
    Object.keys(m.files ?? {})
      .filter((f) => f.startsWith("processed/"))
      .map((f) => f.slice(0, f.lastIndexOf("/"))),
  );
  return [...folders];
}

/** What the manifests say is published: metadata only, no Parquet is opened. */
export async function publishedState(paths: LakePaths, ir: PipelineIR): Promise<PublishedState> {
  const rowsByTable: Record<string, number> = Object.fromEntries(ir.tables.map((t) => [t.name, 0]));
  const orphans: string[] = [];
  const arrivals: PublishedFile[] = [];
  for (const s of ir.sources) {
    const dir = join(paths.manifests, s.name);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith(".json"))) {
      const m = await readManifest(join(dir, n));
      if (m?.status !== "ok") continue;
      for (const [t, rows] of Object.entries(m.rows_written)) if (t in rowsByTable) rowsByTable[t]! += rows;
      arrivals.push({ rawKey: m.raw_key, source: s.name, arrival: m.arrival_seq ?? 0, input: m.input, folders: slotFolders(m) });
      if (!(await exists(rawFile(paths, m.raw_key)))) orphans.push(m.raw_key);
    }
  }
  return { rowsByTable, orphans: orphans.sort(), arrivals };
}
