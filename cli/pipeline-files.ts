// Reading pipeline files and printing their diagnostics, shared by validate and compile.
import { readFileSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { compilePipeline, type CompileResult } from "../compiler/index.js";
import { didYouMean, formatDiagnostic, sortDiagnostics, type Diagnostic } from "../compiler/diagnostics.js";
import type { PipelineIR } from "../compiler/ir.js";
import { checkProject } from "../compiler/check/project.js";
import { decodeSource, MAX_SOURCE_BYTES, tooLarge } from "../compiler/load.js";
import { UsageError, type CliIO } from "./context.js";
import { paintFor } from "./style.js";

export interface LoadedPipeline extends CompileResult {
  /** The path as shown in diagnostics and generated headers: relative to the working folder, with `/`. */
  readonly file: string;
  /** Undefined when the bytes could not be decoded. */
  readonly text?: string;
}

export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, resolve(cwd, file));
  return (rel === "" || rel.startsWith("..") ? resolve(cwd, file) : rel).split(sep).join("/");
}

function fileSize(path: string, shown: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`${shown} is not a file`);
    return st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${shown}: no such file`);
  }
}

function readBytes(path: string, shown: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function readAndCompile(cwd: string, file: string): LoadedPipeline {
  const shown = displayPath(cwd, file);
  const size = fileSize(resolve(cwd, file), shown);
  // Refuse before reading: a pipeline file is small, and a wrong argument may be a huge dump.
  if (size > MAX_SOURCE_BYTES) return { file: shown, diagnostics: [tooLarge(shown, size)] };
  const bytes = readBytes(resolve(cwd, file), shown);
  const decoded = decodeSource(shown, bytes);
  if (decoded.text === undefined) return { file: shown, diagnostics: decoded.diagnostics };
  return { file: shown, text: decoded.text, ...compilePipeline(shown, decoded.text) };
}

function environmentsOf(loaded: LoadedPipeline): string[] {
  return (loaded.irs ?? []).flatMap((ir) => (ir.environment ? [ir.environment.name] : []));
}

/** The IR of the environment `env` names; a UsageError lists the pipeline's environments. */
function environmentIr(loaded: LoadedPipeline, env: string): PipelineIR {
  const names = environmentsOf(loaded);
  if (names.length === 0)
    throw new UsageError(
      `${loaded.file} declares no environments, so --env ${env} does not apply; remove --env, or add an environments: block (docs/language.md, Environments)`,
    );
  const ir = loaded.irs!.find((i) => i.environment?.name === env);
  if (ir) return ir;
  throw new UsageError(
    `${loaded.file} has no environment '${env}'; ${didYouMean(env, names) ?? `its environments are ${names.join(", ")}`}`,
  );
}

/**
 * Reads and compiles one pipeline file, for commands that work on one deployment (run, plan,
 * apply, query, …): `ir` is the environment `env` names, else the default one. Throws
 * UsageError when the file cannot be read, or when the pipeline has several environments,
 * none marked `default: true`, and no `env` chooses.
 */
export function loadPipeline(cwd: string, file: string, env?: string): LoadedPipeline {
  const loaded = readAndCompile(cwd, file);
  if (!loaded.ir) return loaded;
  if (env !== undefined) return { ...loaded, ir: environmentIr(loaded, env) };
  const names = environmentsOf(loaded);
  if (names.length > 1 && loaded.defaultEnvironment === undefined) {
    throw new UsageError(
      `${loaded.file} has environments ${names.join(", ")} and none is marked default: true: choose one with ${names.map((n) => `--env ${n}`).join(" or ")}`,
    );
  }
  return loaded;
}

/**
 * Reads and compiles several pipeline files as one project, adding the checks across files
 * (shared names: pipelines, marts, storage integrations, output tables) to the diagnostics of
 * the file that claims a name second. Files with errors of their own take no part. `irs` holds
 * every environment, or only `env` (pipelines without environments are the same in all).
 */
export function loadProject(cwd: string, files: readonly string[], env?: string): LoadedPipeline[] {
  const loaded = files.map((f) => {
    const l = readAndCompile(cwd, f);
    if (env === undefined || !l.ir || environmentsOf(l).length === 0) return l;
    const ir = environmentIr(l, env);
    return { ...l, ir, irs: [ir] };
  });
  const members = loaded.flatMap((l) => (l.irs && l.locate ? l.irs.map((ir) => ({ file: l.file, ir, locate: l.locate! })) : []));
  const across = checkProject(members);
  if (across.length === 0) return loaded;
  return loaded.map((l) => {
    const mine = across.filter((d) => d.file === l.file);
    return mine.length === 0 ? l : { ...l, diagnostics: sortDiagnostics([...l.diagnostics, ...mine]) };
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Prints diagnostics as text on stderr (with source lines, coloured when stderr may be) and a
 * summary line, and returns them all, sorted. In JSON mode nothing is printed: the command puts
 * them in its JSON document.
 */
export function reportDiagnostics(io: CliIO, loaded: readonly LoadedPipeline[], format: string): Diagnostic[] {
  const all: Diagnostic[] = sortDiagnostics(loaded.flatMap((l) => l.diagnostics));
  if (format === "json") return all;
  const paint = paintFor(io.colour?.err === true);
  const texts = new Map(loaded.map((l) => [l.file, l.text]));
  for (const d of all) io.err(`${formatDiagnostic(d, texts.get(d.file), paint)}\n`);
  const errors = all.filter((d) => d.severity === "error").length;
  const warnings = all.length - errors;
  if (all.length > 0) io.err(`${plural(errors, "error")}${warnings > 0 ? `, ${plural(warnings, "warning")}` : ""}\n`);
  return all;
}
