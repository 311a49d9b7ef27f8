// Removing superseded output slots while the lake stays open (a long `lakec dev` session), not
// only when it is next opened (engine/publish.ts collectSuperseded).
//
// A superseded slot is read by no warehouse built after it was superseded: those views read
// the current slots only. It may still be read by a reader that opened an older warehouse, and
// a reader keeps the file it opened after the build's rename (engine/publish.ts buildBeside).
// So each successful build keeps a hard link to the warehouse it replaced, under
// state/retired/, with the length the superseded log had when the build started. DuckDB holds
// a lock on a database file for as long as a process has it open (shared for readers), so a
// retired file whose lock this process can take has no reader left. Once the oldest retired
// files are all free, the slots superseded before the newest of them was retired are read by
// nobody and are removed, and their entries leave the log.
//
// Limits: DuckDB's locks are per process, so a reader inside this same process is not seen (the
// engine opens none between builds); a reader that is between opening the path and taking its
// lock is covered by leaving freshly retired files alone for MIN_AGE_MS.
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { duckdb } from "./duckdb.js";
import { exists, removeLater, type LakePaths } from "./lake.js";
import { collectSupersededEntries, supersededLog } from "./publish.js";

const MIN_AGE_MS = 2_000;

const retiredDir = (paths: LakePaths): string => join(paths.root, "state", "retired");

interface Retirement {
  /** Bytes of state/superseded.jsonl when the build started: its entries up to there are unread by newer builds. */
  readonly logBytes: number;
  readonly at: number;
}

/** Before a build: links the live warehouse so its readers can be detected after the rename. */
export async function prepareRetirement(paths: LakePaths): Promise<{ commit: () => Promise<void>; abandon: () => Promise<void> }> {
  const logBytes = (await stat(supersededLog(paths)).catch(() => undefined))?.size ?? 0;
  const name = `${Date.now().toString().padStart(15, "0")}-${process.pid}`;
  const file = join(retiredDir(paths), `${name}.duckdb`);
  const had = await exists(paths.warehouse);
  if (had) {
    await mkdir(retiredDir(paths), { recursive: true });
    await link(paths.warehouse, file);
  }
  return {
    commit: async () => {
      // Without a previous warehouse no reader can hold a superseded slot: the marker alone frees them.
      const r: Retirement = { logBytes, at: Date.now() };
      await mkdir(retiredDir(paths), { recursive: true });
      await writeFile(join(retiredDir(paths), `${name}.json`), JSON.stringify(r));
    },
    abandon: async () => {
      if (had) await rm(file, { force: true });
    },
  };
}

/** True when some process has `file` open through DuckDB: its lock stops a read-write open. */
async function hasReader(file: string): Promise<boolean> {
  if (!(await exists(file))) return false;
  try {
    const { DuckDBInstance } = await duckdb();
    (await DuckDBInstance.create(file)).closeSync();
    return false;
  } catch (e) {
    return /lock/i.test(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Frees the retired warehouses no reader holds, oldest first, and removes the superseded slots
 * only they could read. Returns the number of slot folders removed.
 */
export async function collectRetired(paths: LakePaths, now = Date.now()): Promise<number> {
  const dir = retiredDir(paths);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".json")).sort();
  let upTo = 0;
  for (const n of names) {
    const r = JSON.parse(await readFile(join(dir, n), "utf8")) as Retirement;
    const db = join(dir, n.replace(/\.json$/, ".duckdb"));
    if (now - r.at < MIN_AGE_MS || (await hasReader(db))) break;
    upTo = Math.max(upTo, r.logBytes);
    for (const f of [db, `${db}.wal`]) await removeLater(paths, f);
    await rm(join(dir, n), { force: true });
  }
  return upTo > 0 ? collectSupersededEntries(paths, upTo) : 0;
}

/** When the lake is opened every superseded slot is removed: the retired files go with them. */
export async function clearRetired(paths: LakePaths): Promise<void> {
  await removeLater(paths, retiredDir(paths));
}
