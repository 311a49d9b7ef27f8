// lakec init --update pipeline.yaml --from new.jsonl: the keys of a new sample that the pipeline
// does not map (the schema drift a run reports, compiler/sql/drift.ts), proposed as new entries
// with the types `init` infers, as a unified diff of the YAML. The entries are inserted as text
// where the Document API says the map ends, so every comment and the layout of the rest of the
// file stay as they were.
import { createTwoFilesPatch } from "diff";
import { isMap, isPair, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";
import { compilePipeline } from "../compiler/index.js";
import { formatDiagnostic, hasErrors } from "../compiler/diagnostics.js";
import type { PipelineIR, SourceIR } from "../compiler/ir.js";
import { driftSchema, unmappedPathsOf, type UnmappedPath } from "../compiler/sql/drift.js";
import { UsageError } from "./context.js";
import { inferValues, NamePool, snakeName, type SampleValue } from "./init-infer.js";
import { q, typeOptions } from "./init-render.js";

export interface UpdateProposal {
  /** The pipeline's text with the new entries (equal to the input when nothing is new). */
  readonly text: string;
  /** One line per proposed entry: `path → name: type`. */
  readonly added: readonly string[];
  /** Unmapped paths that cannot be proposed, and why. */
  readonly skipped: readonly string[];
}

interface Insertion {
  /** Path of the YAML map the entry goes into. */
  readonly at: readonly string[];
  readonly key: string;
  /** The entry's value as flow YAML. */
  readonly value: string;
  readonly note: string;
}

function valuesAt(records: readonly Record<string, SampleValue>[], u: UnmappedPath): SampleValue[] {
  const at = (v: SampleValue | undefined, path: readonly string[]): SampleValue | undefined =>
    path.reduce<SampleValue | undefined>(
      (x, k) =>
        typeof x === "object" && x !== null && !Array.isArray(x) && !("decimalText" in x)
          ? (x as Record<string, SampleValue>)[k]
          : undefined,
      v,
    );
  const out: SampleValue[] = [];
  for (const r of records) {
    if (u.kind === "key") {
      const v = at(r, u.path);
      if (v !== undefined) out.push(v);
      continue;
    }
    const holder = at(r, u.path);
    const els =
      u.mode === "array"
        ? Array.isArray(holder)
          ? holder
          : []
        : typeof holder === "object" && holder !== null && !Array.isArray(holder) && !("decimalText" in holder)
          ? Object.values(holder)
          : [];
    for (const e of els)
      if (typeof e === "object" && e !== null && !Array.isArray(e) && !("decimalText" in e) && u.field in e)
        out.push((e as Record<string, SampleValue>)[u.field]!);
  }
  return out;
}

/** `type: …` and its options for a value that must be scalar (flattened keys, fields): nested values stay text. */
function scalarOptions(name: string, values: readonly SampleValue[]): string[] {
  const t = inferValues(name, values);
  return t.kind === "object" || t.kind === "array" ? ["type: string"] : typeOptions(t);
}

function columnOptions(name: string, values: readonly SampleValue[]): string[] {
  const t = inferValues(name, values);
  if (t.kind === "object") return ["type: object"];
  if (t.kind === "array" && t.nested) return [`type: ${q("array<object>")}`];
  return typeOptions(t);
}

function pickSource(ir: PipelineIR, wanted: string | undefined): SourceIR {
  if (wanted !== undefined) {
    const s = ir.sources.find((x) => x.name === wanted);
    if (!s) throw new UsageError(`--source ${wanted}: the pipeline has ${ir.sources.map((x) => x.name).join(", ")}`);
    return s;
  }
  if (ir.sources.length !== 1)
    throw new UsageError(`the pipeline has several sources (${ir.sources.map((x) => x.name).join(", ")}): pass --source`);
  return ir.sources[0]!;
}

/** The entries for the sample's unmapped paths, in the order they first appear. */
function insertions(
  ir: PipelineIR,
  src: SourceIR,
  flattenDoc: Record<string, { into?: string }>,
  records: readonly Record<string, SampleValue>[],
): { list: Insertion[]; skipped: string[] } {
  const schema = driftSchema(
    src,
    ir.tables.filter((t) => t.source === src.name),
  );
  const seen = new Map<string, UnmappedPath>();
  for (const r of records)
    for (const u of unmappedPathsOf(schema, r as Record<string, unknown>)) {
      const label = u.kind === "key" ? u.path.join(".") : `${u.path.join(".")}${u.mode === "array" ? "[]" : ".*"}.${u.field}`;
      if (!seen.has(label)) seen.set(label, u);
    }
  const columns = new NamePool(src.name.replace(/s$/, ""));
  for (const t of ir.tables.filter((x) => x.source === src.name)) for (const c of t.columns) columns.reserve(c.name);
  for (const c of src.columns) columns.reserve(c.name);
  const list: Insertion[] = [];
  const skipped: string[] = [];
  for (const [label, u] of seen) {
    const values = valuesAt(records, u);
    if (u.kind === "field") {
      const col = src.columns.find((c) => [c.path, ...(c.alternatives ?? [])].some((p) => p.join("\u0000") === u.path.join("\u0000")));
      if (!col) {
        skipped.push(`${label}: no flatten entry reads ${u.path.join(".")}`);
        continue;
      }
      const name = new NamePool(col.name).take(snakeName(u.field, "field"));
      list.push({
        at: ["sources", src.name, "flatten", col.name, "fields"],
        key: u.field,
        value: `{ name: ${name}, ${scalarOptions(u.field, values).join(", ")} }`,
        note: `${label} → ${name}`,
      });
      continue;
    }
    if (u.path.some((k) => k.includes(".") || k === "")) {
      skipped.push(`${label}: a key that is empty or holds "." cannot be addressed by from:`);
      continue;
    }
    const head = u.path[0]!;
    if (u.path.length === 2 && flattenDoc[head]?.into === "columns") {
      const name = snakeName(u.path[1]!, "key");
      list.push({
        at: ["sources", src.name, "flatten", head, "keys"],
        key: u.path[1]!,
        value: `{ name: ${name}, ${scalarOptions(u.path[1]!, values).join(", ")} }`,
        note: `${label} → ${head} key ${name}`,
      });
      continue;
    }
    const name = columns.take(snakeName(u.path.join("_"), "field"));
    const from = u.path.length === 1 && u.path[0] === name ? [] : [`from: ${q(u.path.join("."))}`];
    list.push({
      at: ["sources", src.name, "columns"],
      key: name,
      value: `{ ${[...from, ...columnOptions(name, values)].join(", ")} }`,
      note: `${label} → column ${name}`,
    });
  }
  return { list, skipped };
}

const keyText = (k: string): string => q(k);

/** The offset and text that add `ins` to the map at `ins.at`, or undefined when that map is not in the file. */
function edit(text: string, doc: ReturnType<typeof parseDocument>, ins: Insertion): { at: number; text: string } | undefined {
  const node = doc.getIn(ins.at, true) as Node | undefined;
  if (!isMap(node) || node.range == null) return undefined;
  const map = node as YAMLMap<unknown, unknown>;
  if (map.flow) {
    let at = text.lastIndexOf("}", map.range![1] - 1);
    while (text[at - 1] === " ") at--;
    return { at, text: `${map.items.length === 0 ? "" : ", "}${keyText(ins.key)}: ${ins.value}` };
  }
  const items = map.items as Pair<Node, Node | null>[];
  const first = items[0]!;
  const last = items[items.length - 1]!;
  if (!isPair(first) || !isScalar(first.key) || first.key.range == null) return undefined;
  const keyStart = first.key.range[0];
  const indent = " ".repeat(keyStart - (text.lastIndexOf("\n", keyStart - 1) + 1));
  const end = (last.value?.range?.[1] ?? (last.key as Node).range![1]) as number;
  const lineEnd = text[end - 1] === "\n" ? end : text.indexOf("\n", end) === -1 ? text.length : text.indexOf("\n", end) + 1;
  const prefix = lineEnd === text.length && !text.endsWith("\n") ? "\n" : "";
  return { at: lineEnd, text: `${prefix}${indent}${keyText(ins.key)}: ${ins.value}\n` };
}

/** The pipeline text with the sample's unmapped keys added. Throws a UsageError when the pipeline does not validate. */
export function proposeUpdate(
  file: string,
  text: string,
  records: readonly Record<string, SampleValue>[],
  source?: string,
): UpdateProposal {
  const compiled = compilePipeline(file, text);
  if (hasErrors(compiled.diagnostics) || !compiled.ir) {
    throw new UsageError(
      `${file} does not validate; fix it first:\n${compiled.diagnostics.map((d) => formatDiagnostic(d, text)).join("\n")}`,
    );
  }
  const ir = compiled.ir;
  const src = pickSource(ir, source);
  const doc = parseDocument(text);
  const flattenDoc = ((doc.toJS() as { sources?: Record<string, { flatten?: Record<string, { into?: string }> }> }).sources?.[src.name]
    ?.flatten ?? {}) as Record<string, { into?: string }>;
  const { list, skipped } = insertions(ir, src, flattenDoc, records);
  const edits: { at: number; text: string }[] = [];
  const added: string[] = [];
  for (const ins of list) {
    const e = edit(text, doc, ins);
    if (e === undefined) {
      skipped.push(`${ins.note}: no ${ins.at.join(".")} map to add it to`);
      continue;
    }
    edits.push(e);
    added.push(ins.note);
  }
  // From the end, so earlier offsets stay valid; entries for the same map keep their order.
  let out = text;
  for (const e of edits.map((x, i) => ({ ...x, i })).sort((a, b) => b.at - a.at || b.i - a.i))
    out = out.slice(0, e.at) + e.text + out.slice(e.at);
  const check = compilePipeline(file, out);
  if (hasErrors(check.diagnostics))
    throw new Error(`the updated pipeline does not validate:\n${check.diagnostics.map((d) => formatDiagnostic(d, out)).join("\n")}`);
  return { text: out, added, skipped };
}

/** A unified diff of the pipeline file, as `git diff` prints one. */
export function updateDiff(file: string, before: string, after: string): string {
  return before === after
    ? ""
    : createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 }).replace(/^=+\n/, "");
}
