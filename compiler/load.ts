// Text → plain value plus a locator, with every YAML and file problem turned into a diagnostic.
// The limits below exist because the input is untrusted: the `yaml` package parses about
// 0.5 MB/s, recurses on nesting (a deep flow sequence exhausts memory before it throws) and
// expands aliases on demand, so size, nesting and alias counts are bounded before and during
// parsing rather than trusted to the parser.
import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
  type YAMLError,
} from "yaml";
import type { Diagnostic, Locator } from "./diagnostics.js";
import { locateNothing, makeLocator } from "./locator.js";

/** A real pipeline is a few KB; 200 sources are about 300 KB. Parsing 512 KB takes under a second. */
export const MAX_SOURCE_BYTES = 512 * 1024;
/** Deepest real nesting is 8 (sources/x/flatten/y/keys/k/null_if/0). */
export const MAX_DEPTH = 32;
/** Raw bracket depth, counted before parsing; anything real is far below it. */
export const MAX_FLOW_DEPTH = 64;
/** Aliases a document may expand; enough for shared column specs, far too few for a bomb. */
export const MAX_ALIAS_COUNT = 100;
/** A binary file produces one syntax error per token; after this many, the rest is noise. */
const MAX_YAML_ERRORS = 20;

/** Stable codes for file and YAML problems; each has a golden case or a hostile-input test. */
export const LOADER_CODES = {
  LK001: "YAML syntax error",
  LK002: "a mapping has the same key twice",
  LK003: "a tab is used for indentation",
  LK004: "the file is larger than MAX_SOURCE_BYTES",
  LK005: "the file is empty",
  LK006: "the top level is not a mapping",
  LK007: "the file contains control characters (binary data)",
  LK008: "the file is not valid UTF-8",
  LK009: "nesting is deeper than the limit",
  LK010: "aliases expand more than MAX_ALIAS_COUNT times (an alias bomb)",
  LK011: "the file holds more than one YAML document",
  LK012: "an alias names no anchor",
  LK013: "a mapping key is a list or a mapping",
  LK014: "an alias is inside the node it refers to (a cycle)",
  LK020: "warning: an unknown YAML tag or directive",
} as const;

export interface ParsedYaml {
  readonly value?: unknown;
  readonly locate: Locator;
  readonly diagnostics: Diagnostic[];
}

function diag(file: string, line: number, col: number, code: string, message: string, hint?: string): Diagnostic {
  return { file, line, col, severity: "error", code, message, ...(hint ? { hint } : {}) };
}

function posOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** Decodes file bytes strictly: invalid UTF-8 is a diagnostic, never a silent U+FFFD. */
export function decodeSource(file: string, bytes: Uint8Array): { text?: string; diagnostics: Diagnostic[] } {
  if (bytes.length > MAX_SOURCE_BYTES) return { diagnostics: [tooLarge(file, bytes.length)] };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), diagnostics: [] };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const pos = posOf(new TextDecoder("utf-8").decode(bytes.subarray(0, bad)), bad);
    return {
      diagnostics: [
        diag(file, pos.line, pos.col, "LK008", "the file is not valid UTF-8", "pipeline files must be UTF-8 text; is this a binary file?"),
      ],
    };
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest prefix that fails to decode (a cut inside a valid sequence
  // also fails, so step back to the lead byte of that sequence).
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid + 1));
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  let at = lo;
  while (at > 0 && (bytes[at]! & 0xc0) === 0x80) at--;
  return at;
}

/** LK004; exported so a caller can refuse a huge file before reading it. */
export function tooLarge(file: string, size: number): Diagnostic {
  return diag(
    file,
    1,
    1,
    "LK004",
    `the file is too large (${size} bytes; the limit is ${MAX_SOURCE_BYTES})`,
    "a pipeline.yaml describes the feed, not its data: is this the right file?",
  );
}

/** Problems visible in the raw text, checked before the parser sees it. */
function checkText(file: string, text: string): Diagnostic | undefined {
  // Encoding is only needed when the text might be over the limit in UTF-8 (up to 3 bytes a char).
  const size = text.length * 3 > MAX_SOURCE_BYTES ? new TextEncoder().encode(text).length : text.length;
  if (size > MAX_SOURCE_BYTES) return tooLarge(file, size);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/.exec(text);
  if (control) {
    const p = posOf(text, control.index);
    const code = control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase();
    return diag(
      file,
      p.line,
      p.col,
      "LK007",
      `the file contains a control character (U+${code}); it looks like binary data`,
      "pipeline files must be plain UTF-8 text",
    );
  }
  const replacement = text.indexOf("\uFFFD");
  if (replacement !== -1) {
    const p = posOf(text, replacement);
    return diag(
      file,
      p.line,
      p.col,
      "LK008",
      "the file contains U+FFFD: it was probably not valid UTF-8 when it was read",
      "save the file as UTF-8",
    );
  }
  const deep = flowTooDeep(text);
  if (deep !== undefined) {
    const p = posOf(text, deep);
    return diag(
      file,
      p.line,
      p.col,
      "LK009",
      `nesting is deeper than ${MAX_FLOW_DEPTH} levels`,
      "a pipeline nests at most a few levels; check for unbalanced brackets",
    );
  }
  return undefined;
}

/**
 * Offset where bracket depth first exceeds the limit. Deliberately ignores quotes and comments:
 * a superset of real flow nesting can only over-report, and only for absurd text.
 */
function flowTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return undefined;
}

const YAML_CODES: Partial<Record<YAMLError["code"], { code: string; message?: string; hint?: string }>> = {
  TAB_AS_INDENT: { code: "LK003", message: "tab used for indentation", hint: "YAML indentation must use spaces, not tabs" },
  DUPLICATE_KEY: { code: "LK002" },
  RESOURCE_EXHAUSTION: { code: "LK009", message: `nesting is too deep`, hint: "a pipeline nests at most a few levels" },
  MULTIPLE_DOCS: {
    code: "LK011",
    message: "the file holds more than one YAML document",
    hint: "a pipeline file holds one document: remove the `---` separator",
  },
  BAD_ALIAS: { code: "LK012", hint: "define the anchor (&name) before using the alias (*name)" },
};

function yamlErrors(file: string, errors: readonly YAMLError[], severity: "error" | "warning"): Diagnostic[] {
  // One tab in the indentation derails the parser for the rest of the block: the tab errors
  // are the cause, the syntax errors after them are noise.
  const tabs = errors.filter((e) => e.code === "TAB_AS_INDENT");
  return (tabs.length > 0 ? tabs : errors).slice(0, MAX_YAML_ERRORS).map((e) => {
    const mapped = YAML_CODES[e.code];
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    // The parser appends its own " at line L, column C" to messages; the location is ours to print.
    const text = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    if (severity === "warning") {
      const tag = /^Unresolved tag: (.*)$/.exec(text);
      const message = tag ? `unknown YAML tag '${tag[1]}' is ignored` : `YAML warning: ${text}`;
      return {
        ...diag(
          file,
          pos.line,
          pos.col,
          "LK020",
          message,
          tag ? "pipelines use no YAML tags; remove it" : "see the YAML 1.2 specification",
        ),
        severity,
      };
    }
    const code = mapped?.code ?? "LK001";
    const message = code === "LK001" ? `YAML syntax error: ${text}` : (mapped?.message ?? text);
    return diag(
      file,
      pos.line,
      pos.col,
      code,
      message,
      mapped?.hint ?? "check the indentation and the brackets on this line and the one before it",
    );
  });
}

function at(file: string, counter: LineCounter, node: unknown, code: string, message: string, hint: string): Diagnostic {
  const p = counter.linePos((node as Node | null)?.range?.[0] ?? 0);
  return diag(file, p.line, p.col, code, message, hint);
}

/** Problems of one alias: it names no anchor, or it sits inside the node it names (a cycle). */
function aliasProblem(file: string, doc: Document, counter: LineCounter, alias: Alias): Diagnostic | undefined {
  const target = alias.resolve(doc) as Node | undefined;
  if (target === undefined)
    return at(
      file,
      counter,
      alias,
      "LK012",
      `unknown alias '*${alias.source}'`,
      "define the anchor (&name) before using the alias (*name)",
    );
  const [start, , end] = target.range ?? [0, 0, 0];
  const own = alias.range?.[0] ?? -1;
  if (own >= start && own < end) {
    return at(
      file,
      counter,
      alias,
      "LK014",
      `alias '*${alias.source}' is inside the node it refers to`,
      "an alias cannot contain itself; copy the values instead",
    );
  }
  return undefined;
}

/** A mapping key must be a scalar: JSON object keys are text. */
function keyProblem(file: string, doc: Document, counter: LineCounter, key: unknown): Diagnostic | undefined {
  const resolved = isAlias(key) ? key.resolve(doc) : key;
  if (!isMap(resolved) && !isSeq(resolved)) return undefined;
  return at(
    file,
    counter,
    key,
    "LK013",
    "a mapping key must be a text, not a list or a mapping",
    "write the key as plain text, for example `name:`",
  );
}

/** Walks the node tree without recursion: the tree is untrusted and may be deep. */
function checkTree(file: string, doc: Document, counter: LineCounter): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) {
      return [at(file, counter, node, "LK009", `nesting is deeper than ${MAX_DEPTH} levels`, "a pipeline nests at most a few levels")];
    }
    if (isAlias(node)) {
      const problem = aliasProblem(file, doc, counter, node);
      if (problem) out.push(problem);
    } else if (isMap(node)) {
      out.push(...duplicateKeys(file, node.items, counter));
      for (const pair of node.items) {
        const problem = keyProblem(file, doc, counter, pair.key);
        if (problem) out.push(problem);
        stack.push({ node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: isPair(item) ? item.value : item, depth: depth + 1 });
    }
  }
  return out;
}

/** Linear-time duplicate detection (the parser's own check is quadratic in the map size). */
function duplicateKeys(file: string, pairs: readonly { key: unknown }[], counter: LineCounter): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const pair of pairs) {
    if (!isScalar(pair.key) || pair.key.value === "<<") continue;
    const name = String(pair.key.value);
    const offset = pair.key.range?.[0] ?? 0;
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, offset);
      continue;
    }
    const p = counter.linePos(offset);
    const firstLine = counter.linePos(first).line;
    out.push(
      diag(
        file,
        p.line,
        p.col,
        "LK002",
        `duplicate key '${name}'`,
        `'${name}' is already defined on line ${firstLine}; YAML keeps only one of them`,
      ),
    );
  }
  return out;
}

/** Where the first alias is: the best place to point at when aliases expand too much. */
function firstAlias(doc: Document, counter: LineCounter): { line: number; col: number } {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return counter.linePos(offset);
}

function toValue(file: string, doc: Document, counter: LineCounter): { value?: unknown; diagnostics: Diagnostic[] } {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), diagnostics: [] };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/excessive alias count/i.test(message)) {
      const p = firstAlias(doc, counter);
      return {
        diagnostics: [
          diag(
            file,
            p.line,
            p.col,
            "LK010",
            `too many alias expansions (more than ${MAX_ALIAS_COUNT})`,
            "this looks like a YAML alias bomb; expand the aliases by hand",
          ),
        ],
      };
    }
    return {
      diagnostics: [
        diag(file, 1, 1, "LK001", `YAML could not be read: ${message}`, "simplify the YAML: plain mappings, lists and scalars"),
      ],
    };
  }
}

/** Parses one pipeline file. Never throws for any input text. */
export function parseYaml(file: string, rawText: string): ParsedYaml {
  const text = rawText.startsWith("\uFEFF") ? rawText.slice(1) : rawText;
  const early = checkText(file, text);
  if (early) return { locate: locateNothing, diagnostics: [early] };
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false, merge: true, prettyErrors: true, strict: true });
  const diagnostics = [...yamlErrors(file, doc.errors, "error"), ...yamlErrors(file, doc.warnings, "warning")];
  const locate = makeLocator(doc, counter);
  if (doc.errors.length > 0) return { locate, diagnostics };
  diagnostics.push(...checkTree(file, doc, counter));
  if (diagnostics.some((d) => d.severity === "error")) return { locate, diagnostics };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    diagnostics.push(
      diag(file, 1, 1, "LK005", "the file is empty", "start from `lakec init --from sample.jsonl`, or see docs/language.md"),
    );
    return { locate, diagnostics };
  }
  if (!isMap(doc.contents)) {
    const p = locate([]);
    const kind = isSeq(doc.contents) ? "a list" : "a single value";
    diagnostics.push(
      diag(
        file,
        p.line,
        p.col,
        "LK006",
        `the top level of a pipeline must be a mapping of keys, not ${kind}`,
        "a pipeline starts with `version: 1` and `name: …`",
      ),
    );
    return { locate, diagnostics };
  }
  const converted = toValue(file, doc, counter);
  return { value: converted.value, locate, diagnostics: [...diagnostics, ...converted.diagnostics] };
}
