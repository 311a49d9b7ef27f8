// A small line diff for the plan's file changes: enough to show what a published dbt model or
// DAG will look like, not a general-purpose diff (files above a few thousand lines are summarised).

import { editScript } from "../compiler/line-diff.js";

const MAX_LINES = 4000;

/** `-`/`+` lines with one line of context around each change; `…` marks skipped runs. */
export function lineDiff(before: string, after: string, context = 1): string[] {
  // A final newline ends the last line; it does not start an empty one.
  const lines = (t: string): string[] => (t.endsWith("\n") ? t.slice(0, -1) : t).split("\n");
  const a = lines(before);
  const b = lines(after);
  if (a.length > MAX_LINES || b.length > MAX_LINES) return [`(${a.length} → ${b.length} lines; too large to diff here)`];
  const ops = editScript(a, b).map((o) => ({ k: o.kind, line: o.text }));
  const keep = ops.map((o, n) => o.k !== " " || ops.slice(Math.max(0, n - context), n + context + 1).some((x) => x.k !== " "));
  const out: string[] = [];
  ops.forEach((o, n) => {
    if (keep[n]) out.push(`${o.k} ${o.line}`);
    else if (keep[n - 1] || n === 0) out.push("…");
  });
  return out;
}
