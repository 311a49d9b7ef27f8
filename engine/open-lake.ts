// Opening a lake: its folders, and the in-memory DuckDB that runs stages 1–2 under a memory
// limit (spilling to the lake's tmp/). The warehouse file is opened only by stages 3–5.
import { readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { duckdb } from "./duckdb.js";
import { ensureLake, isAlive, lakePaths, settleRemovals, sweepStaleTmp, type LakePaths } from "./lake.js";
import { collectSuperseded } from "./publish.js";
import { clearRetired } from "./retired-warehouses.js";
import { collectCompacted } from "./compact-state.js";
import { traced } from "./trace.js";

export interface LakeOptions {
  /** DuckDB memory limit, e.g. "2GB" (default). */
  readonly memoryLimit?: string;
  /** DuckDB threads (default: DuckDB's choice, the number of cores). */
  readonly threads?: number;
  /** Bytes of raw text loaded per slice; default: a 16th of the memory limit (a slice needs several times its size while it is parsed and ranked), at most 256 MiB. */
  readonly sliceBytes?: number;
  /** Raw files larger than this stage their clean rows on disk; default: a quarter of the memory limit. */
  readonly inMemoryFileBytes?: number;
}

export interface Lake {
  readonly paths: LakePaths;
  readonly conn: DuckDBConnection;
  /**
   * A second connection: it loads the next slice of lines while `conn` works on the current
   * one, and writes Parquet beside `conn` in the flatten stage.
   */
  readonly loadConn: DuckDBConnection;
  readonly sliceBytes: number;
  /** Partitions per COPY: about one per MB of memory limit (DuckDB holds about 256 KiB per partition of a COPY). */
  readonly partitionsPerWrite: number;
  /** Raw files up to this size stage their clean rows in memory; larger ones on disk (a quarter of the limit). */
  readonly inMemoryFileBytes: number;
  /** Parquet row-group bytes: a 16th of the memory limit, at most 128 MiB (DuckDB's default row count is about that). */
  readonly rowGroupBytes: number;
  /** DuckDB settings for other instances on this lake (the warehouse). */
  readonly settings: Record<string, string>;
  /** Runs `fn` after every earlier call finished: one file at a time on the shared connection. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** "2GB" → bytes; undefined for text DuckDB would reject, and for a bare number (`2` is 2 bytes to DuckDB, surely not meant). */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toUpperCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

/** Another live process has the lake open for writing (a `lakec run` or `lakec dev`). */
export class LakeBusyError extends Error {
  override readonly name = "LakeBusyError";
}

/** Who holds a lake's lock: a pid, and that process's start time where the system tells it. */
export interface LockOwner {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, it names one process, not a later one reusing the pid. */
  readonly start?: string;
}

/** The start time of a live process, on systems with /proc; undefined elsewhere. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner> | number;
    if (typeof v === "number") return Number.isInteger(v) && v > 0 ? { pid: v } : undefined;
    return typeof v?.pid === "number" && Number.isInteger(v.pid) && v.pid > 0
      ? { pid: v.pid, ...(typeof v.start === "string" && { start: v.start }) }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A lock is held only while the process that took it runs. After a crash or a reboot its pid
 * may belong to another program (a shell, a database): then the start time differs, and the
 * lock is stale. A lock without a start time (an older lakec) counts as held only if the live
 * process's command line mentions lakec.
 */
function heldBy(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  const start = processStart(owner.pid);
  if (start === undefined) return true;
  if (owner.start !== undefined) return owner.start === start;
  try {
    return readFileSync(`/proc/${owner.pid}/cmdline`, "utf8").includes("lakec");
  } catch {
    return true;
  }
}

/**
 * One writer per lake: two runs publishing the same raw file at once would interleave their
 * deletes and renames. The lock is a file naming the owner (LockOwner); a lock whose process is
 * gone, or is no longer the lakec that took it, is taken over.
 */
async function lockLake(paths: LakePaths): Promise<() => Promise<void>> {
  const file = join(paths.root, "state", "lake.lock");
  const me = JSON.stringify({ pid: process.pid, start: processStart(process.pid) });
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, me, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      const owner = parseOwner((await readFile(file, "utf8").catch(() => "")).trim());
      if (owner?.pid === process.pid) break;
      if (owner && heldBy(owner)) {
        throw new LakeBusyError(
          `the lake ${paths.root} is in use by process ${owner.pid} (a lakec run or dev); wait for it to finish or stop it`,
        );
      }
      await rm(file, { force: true });
    }
  }
  return async () => {
    const owner = parseOwner((await readFile(file, "utf8").catch(() => "")).trim());
    if (owner?.pid === process.pid) await rm(file, { force: true });
  };
}

export async function openLake(dir: string, opts: LakeOptions = {}): Promise<Lake> {
  const paths = lakePaths(dir);
  await ensureLake(paths);
  const unlock = await lockLake(paths);
  await traced("open: sweep stale tmp", () => sweepStaleTmp(paths));
  await traced("open: collect superseded", () => collectSuperseded(paths));
  await traced("open: clear retired", () => clearRetired(paths));
  await traced("open: collect compacted", () => collectCompacted(paths));
  const memoryLimit = opts.memoryLimit ?? "2GB";
  const limitBytes = parseByteSize(memoryLimit);
  if (limitBytes === undefined) throw new Error(`memory limit '${memoryLimit}' is not a size like 2GB or 512MB`);
  const settings: Record<string, string> = {
    memory_limit: memoryLimit,
    preserve_insertion_order: "false",
    // DuckDB 1.3+ keeps the bytes of every file it reads in an "external file cache", as part of
    // its memory: a full build of the models over a 100k-record lake (4,609 day files) held 456 MB
    // there, the larger part of the run's peak (1.1 GB), for files no step reads twice. Off, the
    // same read peaked 520 MB lower and took as long (issue 16: peak RSS under 1 GB).
    enable_external_file_cache: "false",
    temp_directory: join(paths.tmp, `${process.pid}-duckdb`),
    ...(opts.threads !== undefined && { threads: String(opts.threads) }),
  };
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(":memory:", settings);
  const conn = await instance.connect();
  const loadConn = await instance.connect();
  // Rows a partitioned COPY buffers per thread before handing them to the file writers. The
  // default (524,288) runs out of memory at a 1–2 GB limit with many day partitions; 10,000
  // wrote 5,000 day partitions 0.6 s faster than 100,000 (3.4 s against 4.0 s for 960k rows),
  // and an unpartitioned 960k-row file still got row groups of up to 63k rows. Scaled down
  // further under small limits.
  // A COPY also closes one of its files once more than
  // partitioned_write_max_open_files (default 100) are open, and a later row for that
  // partition starts `part-1`: with two threads on sorted rows, 20–31 of 5,021 day partitions
  // got two files, a different number in each run. The flatten stage gives a COPY at most
  // `partitionsPerWrite` partitions, so with that many open files each partition gets exactly
  // `part-0` and the listing is the same in every run; memory and time did not change.
  // Settings are per connection: loadConn writes Parquet too (see FlattenInput.writers).
  const partitionsPerWrite = Math.max(32, Math.floor(limitBytes / 1024 ** 2));
  for (const c of [conn, loadConn]) {
    await c.run(`SET partitioned_write_flush_threshold = ${Math.max(1000, Math.min(10_000, Math.floor(limitBytes / 16384)))}`);
    await c.run(`SET partitioned_write_max_open_files = ${partitionsPerWrite}`);
  }
  const sliceBytes = opts.sliceBytes ?? Math.min(256 * 1024 ** 2, Math.max(1024 ** 2, Math.floor(limitBytes / 16)));
  let tail: Promise<unknown> = Promise.resolve();
  return {
    paths,
    conn,
    loadConn,
    sliceBytes,
    partitionsPerWrite,
    inMemoryFileBytes: opts.inMemoryFileBytes ?? Math.floor(limitBytes / 4),
    rowGroupBytes: Math.max(1024 ** 2, Math.min(128 * 1024 ** 2, Math.floor(limitBytes / 16))),
    settings,
    exclusive<T>(fn: () => Promise<T>): Promise<T> {
      const next = tail.then(fn, fn);
      tail = next.catch(() => undefined);
      return next;
    },
    async close() {
      await tail;
      await settleRemovals();
      conn.closeSync();
      loadConn.closeSync();
      instance.closeSync();
      await unlock();
    },
  };
}
