// lakec init --from SAMPLE.json[l] [--name N] [--out FILE]: a user's first step. The draft it
// writes is compiled before it is shown, so it always validates.
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { compilePipeline } from "../compiler/index.js";
import { formatDiagnostic, hasErrors } from "../compiler/diagnostics.js";
import { UsageError, type CliContext } from "./context.js";
import { NamePool, snakeName, type SampleValue } from "./init-infer.js";
import { renderPipeline } from "./init-render.js";
import { proposeUpdate, updateDiff } from "./init-update.js";
import { displayPath } from "./pipeline-files.js";

/** Inference needs a sample, not the whole file: read at most this much of it. */
const MAX_SAMPLE_BYTES = 16 * 1024 * 1024;
const MAX_SAMPLE_RECORDS = 5000;
const DECIMAL_KEY = "__lakec_decimal_text__";

const EXAMPLES = `
Examples:
  $ lakec init --from data/orders.jsonl --name orders --out pipelines/orders.yaml
  $ lakec init --from sample.json > pipeline.yaml
  $ lakec init --update pipelines/orders.yaml --from new-export.jsonl          # diff
  $ lakec init --update pipelines/orders.yaml --from new-export.jsonl --write  # apply

Reads a file of up to 16 MiB whole, and the first ${MAX_SAMPLE_RECORDS} records of a larger one
(JSON Lines, or one JSON array). It infers column types (dates,
timestamps, epoch times, decimals), flattens nested objects into columns and arrays into child
tables, and picks a key from id-like fields that are unique in the sample, or \`key: whole_record\`
when none is (a guessed key that repeats would drop distinct records). The AWS and Snowflake
settings are placeholders. The draft always validates; review it before you deploy.

With --update, the keys of the sample that the pipeline does not map (what a run reports as
schema drift) are proposed as new columns, flatten keys or fields, with the same inferred
types, as a unified diff of the pipeline file; --write applies it, keeping comments and layout.`;

/** The file's first MAX_SAMPLE_BYTES, and whether that is all of it. */
function readHead(path: string): { text: string; whole: boolean } {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(MAX_SAMPLE_BYTES);
    const n = readSync(fd, buf, 0, MAX_SAMPLE_BYTES, 0);
    return { text: buf.subarray(0, n).toString("utf8"), whole: n < MAX_SAMPLE_BYTES };
  } finally {
    closeSync(fd);
  }
}

/** JSON.parse, but a number written with a fraction or exponent keeps its text (`5.0` is not 5). */
export function parseSampleJson(text: string): SampleValue {
  const tagged = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)(?:[eE][+-]?\d+)?|-?\d+[eE][+-]?\d+/g, (m) =>
    m.startsWith('"') ? m : `{"${DECIMAL_KEY}":"${m}"}`,
  );
  return JSON.parse(tagged, (_k, v: unknown) =>
    v !== null && typeof v === "object" && DECIMAL_KEY in v ? { decimalText: (v as Record<string, string>)[DECIMAL_KEY] } : v,
  ) as SampleValue;
}

function isRecord(v: SampleValue): v is Record<string, SampleValue> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !("decimalText" in v);
}

/**
 * Records of a JSON Lines file or of a JSON array; lines that are not JSON objects are counted.
 * A file read `whole` gives every record: a sample cut at MAX_SAMPLE_RECORDS can call a key
 * unique that repeats later, and a small file costs little to read in full.
 */
export function readSample(
  raw: string,
  whole = false,
): { records: Record<string, SampleValue>[]; skipped: number; format: "jsonl" | "json" } {
  const limit = whole ? Number.POSITIVE_INFINITY : MAX_SAMPLE_RECORDS;
  const text = raw.startsWith("\uFEFF") ? raw.slice(1) : raw;
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    try {
      const all = parseSampleJson(trimmed);
      const items = Array.isArray(all) ? all : [];
      const records = items.filter(isRecord).slice(0, limit);
      // One JSON document: the pipeline reads it as `format: json`, not line by line.
      return { records, skipped: items.length - records.length, format: "json" };
    } catch {
      // A truncated or JSON Lines file that starts with '[': fall through to lines.
    }
  }
  const records: Record<string, SampleValue>[] = [];
  let skipped = 0;
  const lines = text.split("\n");
  // The last line may be cut off by the read limit; it is not a record then.
  if (!whole) lines.pop();
  for (const line of lines) {
    if (records.length >= limit) break;
    if (line.trim() === "") continue;
    try {
      const v = parseSampleJson(line);
      if (isRecord(v)) records.push(v);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped, format: "jsonl" };
}

/** The schema ships in lakec's package root; find it from this module, compiled (dist/cli) or not. */
function schemaFile(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const candidate = join(dir, "schemas", "pipeline.schema.json");
    if (existsSync(candidate) && existsSync(join(dir, "package.json"))) return candidate;
  }
  return undefined;
}

interface InitCliOptions {
  from: string;
  name?: string;
  out?: string;
  force?: boolean;
  update?: string;
  source?: string;
  write?: boolean;
}

/** --update: the sample's unmapped keys as new entries of an existing pipeline, printed as a diff (written with --write). */
function runUpdate(ctx: CliContext, opts: InitCliOptions & { update: string }): void {
  if (opts.name !== undefined || opts.out !== undefined)
    throw new UsageError("--update changes the pipeline file itself: --name and --out do not apply");
  const samplePath = resolve(ctx.io.cwd, opts.from);
  const pipelinePath = resolve(ctx.io.cwd, opts.update);
  for (const [flag, p] of [
    ["--from", samplePath],
    ["--update", pipelinePath],
  ] as const)
    if (!existsSync(p)) throw new UsageError(`cannot read ${flag === "--from" ? opts.from : opts.update}: no such file`);
  const head = readHead(samplePath);
  const { records } = readSample(head.text, head.whole);
  if (records.length === 0) throw new UsageError(`${opts.from} holds no JSON objects (expected JSON Lines or a JSON array of objects)`);
  const shown = displayPath(ctx.io.cwd, opts.update);
  const before = readFileSync(pipelinePath, "utf8");
  const p = proposeUpdate(shown, before, records, opts.source);
  for (const s of p.skipped) ctx.io.err(`lakec: not proposed: ${s}\n`);
  if (p.added.length === 0) {
    ctx.io.err(`${shown} maps every key of the ${records.length} records of ${opts.from}; nothing to add\n`);
    return;
  }
  ctx.io.out(updateDiff(shown, before, p.text));
  if (!opts.write) {
    ctx.io.err(
      `${p.added.length} new entr${p.added.length === 1 ? "y" : "ies"} from ${records.length} records; review the types, then rerun with --write to apply\n`,
    );
    return;
  }
  writeFileSync(pipelinePath, p.text);
  ctx.io.err(`wrote ${shown}: ${p.added.join("; ")}; next: lakec validate ${shown}\n`);
}

function run(ctx: CliContext, opts: InitCliOptions): void {
  if (opts.update !== undefined) return runUpdate(ctx, { ...opts, update: opts.update });
  if (opts.write || opts.source !== undefined) throw new UsageError("--write and --source go with --update");
  const samplePath = resolve(ctx.io.cwd, opts.from);
  if (!existsSync(samplePath)) throw new UsageError(`cannot read ${opts.from}: no such file`);
  const head = readHead(samplePath);
  const { records, skipped, format } = readSample(head.text, head.whole);
  if (records.length === 0) throw new UsageError(`${opts.from} holds no JSON objects (expected JSON Lines or a JSON array of objects)`);
  const base = basename(samplePath).replace(/\.(jsonl|ndjson|json)(\.gz)?$/i, "");
  const sourceName = new NamePool("source").take(snakeName(base, "source"));
  const pipelineName = opts.name ?? sourceName;
  if (!/^[a-z][a-z0-9_]*$/.test(pipelineName))
    throw new UsageError(
      `--name '${pipelineName}' is not a valid name: use lower case letters, digits and _ (for example ${snakeName(pipelineName, "pipeline")})`,
    );
  const outPath = opts.out ? resolve(ctx.io.cwd, opts.out) : undefined;
  if (outPath && existsSync(outPath) && !opts.force) throw new UsageError(`${opts.out} already exists; pass --force to replace it`);
  const schema = schemaFile();
  const schemaPath = schema
    ? relative(outPath ? dirname(outPath) : ctx.io.cwd, schema)
        .split(sep)
        .join("/")
    : "pipeline.schema.json";
  const text = renderPipeline(records, { pipelineName, sourceName, sampleName: basename(samplePath), schemaPath, format });
  const shown = opts.out ? displayPath(ctx.io.cwd, opts.out) : "pipeline.yaml";
  const result = compilePipeline(shown, text);
  if (hasErrors(result.diagnostics)) {
    // A draft that does not validate is a bug in init, not the user's mistake: show why.
    const why = result.diagnostics.map((d) => formatDiagnostic(d, text)).join("\n");
    throw new Error(`the inferred pipeline does not validate:\n${why}`);
  }
  if (skipped > 0) ctx.io.err(`lakec: skipped ${skipped} lines of ${opts.from} that are not JSON objects\n`);
  if (!outPath) return ctx.io.out(text);
  writeFileSync(outPath, text);
  ctx.io.err(`wrote ${shown} from ${records.length} records; next: lakec validate ${shown}\n`);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("init")
    .description("infer a starting pipeline.yaml from a sample JSON or JSON Lines file")
    .requiredOption("--from <sample>", "sample file: JSON Lines, or a JSON array of objects")
    .option("--name <name>", "pipeline name (default: from the sample's file name)")
    .option("--out <file>", "write the pipeline here instead of to standard output")
    .option("--force", "replace --out when it exists")
    .option("--update <pipeline>", "propose the sample's unmapped keys as new entries of this pipeline, as a diff")
    .option("--source <name>", "with --update: the source the sample belongs to (when there are several)")
    .option("--write", "with --update: apply the diff to the pipeline file")
    .addHelpText("after", EXAMPLES)
    .action((opts: InitCliOptions) => run(ctx, opts));
}
