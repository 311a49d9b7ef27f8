// The project's line diffs, on jsdiff (Myers' O(ND) algorithm: a few edits in a large file cost
// little): unified diffs for `lakec compile --check` and the golden tests, and the short `-`/`+`
// excerpts a plan shows for a published file. Plain text in, plain text out.
import { createTwoFilesPatch, diffLines, FILE_HEADERS_ONLY } from "diff";

/**
 * Past this many changed lines the exact diff is not worth its cost: the texts are shown as
 * replaced wholesale, which is still a correct diff.
 */
const MAX_EDIT_LENGTH = 1_000;

/** A text's lines with their diff prefix; a last line without a newline gets the standard marker. */
function prefixed(text: string, sign: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  const ended = lines[lines.length - 1] === "";
  if (ended) lines.pop();
  const out = lines.map((l) => `${sign}${l}`);
  return ended ? out : [...out, "\\ No newline at end of file"];
}

function range(start: number, count: number): string {
  return count === 0 ? `${start - 1},0` : count === 1 ? `${start}` : `${start},${count}`;
}

/** Unified diff of two texts (3 lines of context by default); empty when they are equal. */
export function unifiedDiff(oldName: string, newName: string, before: string, after: string, context = 3): string {
  if (before === after) return "";
  const patch = createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, {
    context,
    headerOptions: FILE_HEADERS_ONLY,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  if (patch !== undefined) return patch;
  // Too many edits for an exact diff: one hunk replacing every line, which is still correct.
  const removed = prefixed(before, "-");
  const added = prefixed(after, "+");
  const count = (ls: string[]): number => ls.filter((l) => !l.startsWith("\\")).length;
  return [
    `--- ${oldName}`,
    `+++ ${newName}`,
    `@@ -${range(1, count(removed))} +${range(1, count(added))} @@`,
    ...removed,
    ...added,
    "",
  ].join("\n");
}

/** `-`/`+` lines with one line of context around each change; `…` marks skipped runs. */
export function lineDiff(before: string, after: string, context = 1): string[] {
  const parts = diffLines(before, after, { maxEditLength: MAX_EDIT_LENGTH, ignoreNewlineAtEof: true });
  if (!parts) return [`(${before.split("\n").length} → ${after.split("\n").length} lines; too different to diff here)`];
  // A final newline ends the last line; it does not start an empty one.
  const lines = (t: string): string[] => (t.endsWith("\n") ? t.slice(0, -1) : t).split("\n");
  const ops = parts.flatMap((p) => lines(p.value).map((line) => ({ k: p.added ? "+" : p.removed ? "-" : " ", line })));
  const keep = ops.map((o, n) => o.k !== " " || ops.slice(Math.max(0, n - context), n + context + 1).some((x) => x.k !== " "));
  const out: string[] = [];
  ops.forEach((o, n) => {
    if (keep[n]) out.push(`${o.k} ${o.line}`);
    else if (keep[n - 1] || n === 0) out.push("…");
  });
  return out;
}
