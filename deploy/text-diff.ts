// A small line diff for the plan's file changes: enough to show what a published dbt model or
// DAG will look like, not a general-purpose diff (files above a few thousand lines are summarised).

const MAX_LINES = 4000;

/** Longest-common-subsequence table, bottom-up, on two line arrays. */
function lcs(a: readonly string[], b: readonly string[]): number[][] {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  }
  return t;
}

/** `-`/`+` lines with one line of context around each change; `…` marks skipped runs. */
export function lineDiff(before: string, after: string, context = 1): string[] {
  // A final newline ends the last line; it does not start an empty one.
  const lines = (t: string): string[] => (t.endsWith("\n") ? t.slice(0, -1) : t).split("\n");
  const a = lines(before);
  const b = lines(after);
  if (a.length > MAX_LINES || b.length > MAX_LINES) return [`(${a.length} → ${b.length} lines; too large to diff here)`];
  const t = lcs(a, b);
  const ops: { k: " " | "-" | "+"; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ k: " ", line: a[i++]! });
      j++;
    } else if (i < a.length && (j >= b.length || t[i + 1]![j]! >= t[i]![j + 1]!)) {
      ops.push({ k: "-", line: a[i++]! });
    } else {
      ops.push({ k: "+", line: b[j++]! });
    }
  }
  const keep = ops.map((o, n) => o.k !== " " || ops.slice(Math.max(0, n - context), n + context + 1).some((x) => x.k !== " "));
  const out: string[] = [];
  ops.forEach((o, n) => {
    if (keep[n]) out.push(`${o.k} ${o.line}`);
    else if (keep[n - 1] || n === 0) out.push("…");
  });
  return out;
}
