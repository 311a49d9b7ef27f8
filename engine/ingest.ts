// Getting input files into raw/: the stand-in for uploading to the raw bucket. A copy keeps
// the input's mtime (it becomes `_ingested_at`), so ingesting the same file into two lakes
// gives identical tables. Raw files are never overwritten.
import { copyFile, link, mkdir, rename, stat, utimes } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import type { PipelineIR, SourceIR } from "../compiler/ir.js";
import { rawFile, rawKeyOf, sha256File, sourceForKey, type LakePaths } from "./lake.js";

export interface IngestOptions {
  /** Put every input under this source's prefix. */
  readonly source?: string;
  /** Hard-link instead of copying (same file system only; falls back to a copy). */
  readonly link?: boolean;
}

export interface Ingested {
  readonly input: string;
  readonly rawKey: string;
  /** `copied`, `linked`, `present` (same content already there) or `in-lake` (input is a raw file). */
  readonly action: "copied" | "linked" | "present" | "in-lake";
}

/** A user mistake about inputs; the CLI prints it as a usage error. */
export class IngestError extends Error {
  override readonly name = "IngestError";
}

/**
 * Which source an input belongs to: `--source`, else the source owning its path when it is
 * already under raw/, else the only source. Several sources and no `--source` is an error.
 */
export function sourceForInput(
  paths: LakePaths,
  ir: PipelineIR,
  input: string,
  opts: IngestOptions,
): { source?: SourceIR; rawKey?: string } {
  const abs = resolve(input);
  const rel = relative(resolve(paths.raw), abs);
  if (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "")
    return { rawKey: rawKeyOf(paths, abs), ...withSource(ir, rawKeyOf(paths, abs)) };
  if (opts.source !== undefined) {
    const s = ir.sources.find((x) => x.name === opts.source);
    if (!s)
      throw new IngestError(
        `--source ${opts.source}: pipeline ${ir.name} has no such source (sources: ${ir.sources.map((x) => x.name).join(", ")})`,
      );
    return { source: s };
  }
  if (ir.sources.length === 1) return { source: ir.sources[0]! };
  throw new IngestError(
    `${input}: pipeline ${ir.name} has ${ir.sources.length} sources; say which one with --source (${ir.sources.map((x) => x.name).join(", ")})`,
  );
}

function withSource(ir: PipelineIR, rawKey: string): { source?: SourceIR } {
  const s = sourceForKey(ir, rawKey);
  return s ? { source: s } : {};
}

export async function ingestInputs(
  paths: LakePaths,
  ir: PipelineIR,
  inputs: readonly string[],
  opts: IngestOptions = {},
): Promise<Ingested[]> {
  const out: Ingested[] = [];
  for (const input of inputs) {
    const st = await stat(input).catch(() => undefined);
    if (!st?.isFile()) throw new IngestError(`${input}: no such file`);
    const where = sourceForInput(paths, ir, input, opts);
    if (where.rawKey !== undefined) {
      out.push({ input, rawKey: where.rawKey, action: "in-lake" });
      continue;
    }
    const rawKey = `${where.source!.prefix}${basename(input)}`;
    out.push({ input, rawKey, action: await place(paths, input, rawKey, st.mtime, opts.link === true) });
  }
  return out;
}

async function place(paths: LakePaths, input: string, rawKey: string, mtime: Date, useLink: boolean): Promise<Ingested["action"]> {
  const target = rawFile(paths, rawKey);
  const existing = await stat(target).catch(() => undefined);
  if (existing) {
    if ((await sha256File(target)) === (await sha256File(input))) return "present";
    throw new IngestError(`${input}: raw/${rawKey} already exists with different content; raw files are never replaced (rename the input)`);
  }
  await mkdir(join(target, ".."), { recursive: true });
  if (useLink) {
    try {
      await link(input, target);
      return "linked";
    } catch {
      // Another file system or no permission: a copy does the same job.
    }
  }
  const tmp = join(paths.tmp, `${process.pid}-ingest-${basename(input)}`);
  await copyFile(input, tmp);
  await utimes(tmp, mtime, mtime);
  await rename(tmp, target);
  return "copied";
}
