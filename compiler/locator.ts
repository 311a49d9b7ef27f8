// Maps a document path (["sources", "product_reviews", "columns", "rating"]) to the line and
// column it came from, so every later stage can point at the user's text without seeing YAML.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";
import type { DocPath, Locator, Span } from "./diagnostics.js";

const START: Span = { line: 1, col: 1, endLine: 1, endCol: 1 };

/** A locator for text that could not be parsed: everything points at the start of the file. */
export const locateNothing: Locator = () => START;

interface Step {
  readonly node: Node | null;
  /** The key this node is the value of, when it sits in a mapping. */
  readonly key: Node | null;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? "" : String(key.value);
  return undefined;
}

function deref(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? node;
  return (node as Node | null) ?? null;
}

/** One step down the tree, or undefined when the segment does not exist. */
function child(doc: Document, node: Node | null, segment: string | number): Step | undefined {
  const target = deref(doc, node);
  if (isMap(target)) {
    const pair = (target.items as Pair[]).find((p) => keyText(p.key) === String(segment));
    if (!pair) return undefined;
    return { node: (pair.value as Node | null) ?? null, key: (pair.key as Node | null) ?? null };
  }
  if (isSeq(target) && typeof segment === "number") {
    const item = target.items[segment];
    if (item === undefined || isPair(item)) return undefined;
    return { node: (item as Node | null) ?? null, key: null };
  }
  return undefined;
}

function rangeOf(node: Node | null): [number, number] | undefined {
  const r = node?.range;
  if (!r) return undefined;
  return [r[0], Math.max(r[0], r[1])];
}

export function makeLocator(doc: Document, counter: LineCounter): Locator {
  const span = (range: [number, number]): Span => {
    const a = counter.linePos(range[0]);
    const b = counter.linePos(range[1]);
    return { line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  };
  return (path: DocPath, opts?: { key?: boolean }): Span => {
    const trail: Step[] = [{ node: (doc.contents as Node | null) ?? null, key: null }];
    for (const segment of path) {
      const next = child(doc, trail[trail.length - 1]!.node, segment);
      if (!next) break;
      trail.push(next);
    }
    const found = trail.length === path.length + 1;
    const last = trail[trail.length - 1]!;
    // A path that does not exist (a missing required key) points at the key of the nearest
    // existing parent: the value of a mapping spans many lines, its key is one precise token.
    const preferKey = opts?.key === true || !found;
    const range = (preferKey ? rangeOf(last.key) : undefined) ?? rangeOf(last.node) ?? rangeOf(last.key);
    return range ? span(range) : START;
  };
}
