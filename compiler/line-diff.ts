// The one line diff of the project: `lakec compile --check` prints it as a unified diff (the
// format every code-review tool understands) and `lakec plan` shows published-file changes
// with it. Plain text in, plain text out, so every layer may use it.

export type Op = { kind: " " | "-" | "+"; text: string };

/** Past this many cells the middle of the diff is shown as replaced wholesale: cheap and still correct. */
const MAX_CELLS = 4_000_000;

/** A last line without a newline carries the standard marker, so it differs from one with. */
function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}

/** Longest-common-subsequence edit script over the part that differs. */
function middleOps(a: readonly string[], b: readonly string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map((text): Op => ({ kind: "-", text })), ...b.map((text): Op => ({ kind: "+", text }))];
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: " ", text: a[i++]! });
      j++;
    } else if (i < a.length && (j === b.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
      // Deletions before insertions, as diff(1) prints them.
      ops.push({ kind: "-", text: a[i++]! });
    } else {
      ops.push({ kind: "+", text: b[j++]! });
    }
  }
  return ops;
}

/** Common prefix and suffix kept as is; an LCS edit script for the rest. */
export function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const same = (xs: readonly string[]): Op[] => xs.map((text) => ({ kind: " ", text }));
  return [...same(a.slice(0, pre)), ...middleOps(a.slice(pre, a.length - suf), b.slice(pre, b.length - suf)), ...same(a.slice(a.length - suf))];
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
}

/** Unified diff of two texts with 3 lines of context; empty when they are equal. */
export function unifiedDiff(oldName: string, newName: string, before: string, after: string, context = 3): string {
  if (before === after) return "";
  const ops = editScript(splitLines(before), splitLines(after));
  const changed = ops.map((o, k) => (o.kind !== " " ? k : -1)).filter((k) => k >= 0);
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  let k = 0;
  while (k < changed.length) {
    // Grow a hunk while the next change is within 2*context unchanged lines of the last one.
    let end = k;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * context) end++;
    const from = Math.max(0, changed[k]! - context);
    const to = Math.min(ops.length, changed[end]! + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (const o of ops.slice(0, from)) {
      if (o.kind !== "+") oldStart++;
      if (o.kind !== "-") newStart++;
    }
    const body = ops.slice(from, to);
    const oldCount = body.filter((o) => o.kind !== "+").length;
    const newCount = body.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`, ...body.map((o) => `${o.kind}${o.text}`));
    k = end + 1;
  }
  return `${out.join("\n")}\n`;
}
