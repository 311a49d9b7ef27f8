// What every check module shares: the document, the locator, and one list of diagnostics.
// Checks never stop at the first problem: they report and carry on, so a user sees every
// mistake of a file at once.
import type { Diagnostic, DocPath, Locator, Severity, Span } from "../diagnostics.js";
import type { PipelineDoc } from "../doc.js";
import type { SemanticCode } from "./codes.js";
import type { Type } from "../ir.js";
import { typeToString } from "../ir.js";

export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly doc: PipelineDoc,
    private readonly locate: Locator,
  ) {}

  /** Reports at a document node; `key` points at the mapping key rather than its value. */
  error(code: SemanticCode, path: DocPath, message: string, hint?: string, opts?: { key?: boolean }): void {
    this.report("error", code, this.locate(path, opts), message, hint);
  }

  warn(code: SemanticCode, path: DocPath, message: string, hint?: string, opts?: { key?: boolean }): void {
    this.report("warning", code, this.locate(path, opts), message, hint);
  }

  /** Reports at characters `offset … offset+length` inside the string scalar at `path`. */
  errorInScalar(code: SemanticCode, path: DocPath, text: string, offset: number, length: number, message: string, hint?: string): void {
    this.report("error", code, this.spanInScalar(path, text, offset, length), message, hint);
  }

  /**
   * The span of a substring of a one-line scalar. The locator gives the node's span only, so a
   * quoted scalar is recognised by being wider than its text, and escapes by the remaining
   * width: `''` in single-quoted scalars, `\"` and `\\` in double-quoted ones.
   */
  private spanInScalar(path: DocPath, text: string, offset: number, length: number): Span {
    const node = this.locate(path);
    if (node.endLine !== node.line || text.includes("\n")) return node;
    const width = node.endCol - node.col;
    if (width <= text.length) return this.within(node, offset, length);
    const escapes = width - 2 - text.length;
    const escaped = [/'/g, /["\\]/g].find((re) => (text.match(re) ?? []).length === escapes);
    const before = escapes > 0 && escaped ? (text.slice(0, offset).match(escaped) ?? []).length : 0;
    return this.within(node, 1 + offset + before, length);
  }

  private within(node: Span, offset: number, length: number): Span {
    const col = node.col + offset;
    return { line: node.line, col, endLine: node.line, endCol: col + Math.max(1, length) };
  }

  private report(severity: Severity, code: SemanticCode, span: Span, message: string, hint?: string): void {
    const d: Diagnostic = {
      file: this.file,
      line: span.line,
      col: span.col,
      endLine: span.endLine,
      endCol: span.endCol,
      severity,
      code,
      message,
      ...(hint ? { hint } : {}),
    };
    this.diagnostics.push(d);
  }
}

/** Quotes a user-supplied name or value for a message. */
export function q(s: unknown): string {
  return `'${String(s)}'`;
}

/** `a, b and c`. */
export function listAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** `an integer`, `a decimal(2,1)`: a type with its article, for messages. */
export function aType(t: Type): string {
  const s = typeToString(t);
  return /^[aeiou]/.test(s) ? `an ${s}` : `a ${s}`;
}
