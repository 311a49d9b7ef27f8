// The one diagnostic type. Every user mistake, from YAML syntax to a mistyped measure,
// becomes one of these; only the CLI turns them into text and exit codes.

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine?: number;
  readonly endCol?: number;
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** A position in the document: path of keys/indexes from the root. */
export type DocPath = readonly (string | number)[];

export interface Span {
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

/** Resolves a document path to a source span; `key` points at the mapping key instead of its value. */
export type Locator = (path: DocPath, opts?: { key?: boolean }) => Span;

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code));
}

/** Levenshtein distance, bounded; used for "did you mean" hints. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(name.length, best.length) / 3));
  return bestD <= limit ? `did you mean '${best}'?` : undefined;
}

/** Renders one diagnostic the way compilers do: location, code, message, source line, caret, hint. */
/** Styles a piece of a diagnostic for a terminal; the CLI passes one when colour is on. */
export type DiagnosticPaint = (style: "red" | "yellow" | "cyan" | "bold" | "dim", text: string) => string;

export function formatDiagnostic(d: Diagnostic, sourceText?: string, paint: DiagnosticPaint = (_s, t) => t): string {
  const severity = paint(d.severity === "error" ? "red" : "yellow", `${d.severity} ${d.code}`);
  const head = `${paint("bold", `${d.file}:${d.line}:${d.col}`)} ${severity}: ${d.message}`;
  const out = [head];
  if (sourceText !== undefined && d.line >= 1) {
    const lines = sourceText.split(/\r?\n/);
    const src = lines[d.line - 1];
    if (src !== undefined && src.length <= 500) {
      const gutter = String(d.line).padStart(4);
      out.push(`${paint("dim", `${gutter} |`)} ${src}`);
      const width = d.endLine === d.line && d.endCol !== undefined && d.endCol > d.col ? d.endCol - d.col : 1;
      out.push(
        `${paint("dim", `${" ".repeat(gutter.length)} |`)} ${" ".repeat(Math.max(0, d.col - 1))}${paint(d.severity === "error" ? "red" : "yellow", "^".repeat(Math.min(width, 80)))}`,
      );
    }
  }
  if (d.hint) out.push(`  ${paint("cyan", "hint:")} ${d.hint}`);
  return out.join("\n");
}
