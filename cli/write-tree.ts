// The only code that writes compiler output. It compares the desired tree with the disk,
// and either reports the difference (`--check`) or applies it all-or-nothing: every new file
// is first written into a staging folder beside its destination, and only when all staging
// succeeded are the staged folders renamed into place (renames within one file system are
// atomic and do not fail for lack of space).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { unifiedDiff } from "../deploy/text-diff.js";

export interface OutputTree {
  /** Absolute path → contents. */
  readonly files: ReadonlyMap<string, string>;
  /** Absolute folders owned entirely: afterwards they hold exactly the files listed under them. */
  readonly ownedDirs: readonly string[];
}

export interface FileChange {
  readonly path: string;
  readonly kind: "added" | "modified" | "removed";
  readonly before?: string;
  readonly after?: string;
}

function isUnder(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else out.push(p);
    }
  }
  return out;
}

/** Outermost owned folders only: a folder inside another owned one adds nothing. */
function outermost(dirs: readonly string[]): string[] {
  return [...new Set(dirs)].filter((d) => !dirs.some((o) => o !== d && isUnder(d, o)));
}

function readIfFile(path: string): string | undefined {
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
}

/** What writing `tree` would change, sorted by path. Reads the disk; writes nothing. */
export function diffTree(tree: OutputTree): FileChange[] {
  const changes: FileChange[] = [];
  for (const [path, after] of tree.files) {
    const before = readIfFile(path);
    if (before === undefined) changes.push({ path, kind: "added", after });
    else if (before !== after) changes.push({ path, kind: "modified", before, after });
  }
  for (const dir of outermost(tree.ownedDirs)) {
    for (const path of listFiles(dir)) {
      if (!tree.files.has(path)) changes.push({ path, kind: "removed", before: readFileSync(path, "utf8") });
    }
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A unified diff of all changes, with paths relative to `base`. */
export function formatChanges(changes: readonly FileChange[], base: string): string {
  return changes
    .map((c) => {
      const rel = relative(base, c.path).split(sep).join("/");
      const oldName = c.kind === "added" ? "/dev/null" : `a/${rel}`;
      const newName = c.kind === "removed" ? "/dev/null" : `b/${rel}`;
      return unifiedDiff(oldName, newName, c.before ?? "", c.after ?? "");
    })
    .join("");
}

interface Staged {
  /** Destination that the staged folder or file replaces. */
  readonly dest: string;
  readonly staged: string;
  /** An owned folder that should no longer exist: it is removed, not replaced. */
  empty?: boolean;
  /** Where the old destination was moved, once it was. */
  backup?: string;
  installed?: boolean;
}

function stagingName(dest: string, tag: string): string {
  return join(dirname(dest), `.${basename(dest)}.lakec-${tag}-${process.pid}`);
}

/** Writes every changed folder and file beside its destination; `staged` collects them for cleanup. */
function stage(tree: OutputTree, changes: readonly FileChange[], staged: Staged[]): void {
  const owned = outermost(tree.ownedDirs);
  for (const dir of owned.filter((d) => changes.some((c) => isUnder(c.path, d)))) {
    const s: Staged = { dest: dir, staged: stagingName(dir, "stage") };
    staged.push(s);
    rmSync(s.staged, { recursive: true, force: true });
    mkdirSync(s.staged, { recursive: true });
    s.empty = true;
    for (const [path, contents] of tree.files) {
      if (!isUnder(path, dir)) continue;
      s.empty = false;
      const target = join(s.staged, relative(dir, path));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, contents);
    }
  }
  for (const c of changes) {
    if (c.kind === "removed" || owned.some((d) => isUnder(c.path, d))) continue;
    const s: Staged = { dest: c.path, staged: stagingName(c.path, "stage") };
    staged.push(s);
    mkdirSync(dirname(c.path), { recursive: true });
    writeFileSync(s.staged, c.after ?? "");
  }
}

function install(steps: Staged[]): void {
  for (const s of steps) {
    if (existsSync(s.dest)) {
      s.backup = stagingName(s.dest, "old");
      rmSync(s.backup, { recursive: true, force: true });
      renameSync(s.dest, s.backup);
    }
    if (s.empty) {
      rmSync(s.staged, { recursive: true, force: true });
      continue;
    }
    mkdirSync(dirname(s.dest), { recursive: true });
    renameSync(s.staged, s.dest);
    s.installed = true;
  }
}

/** Best effort: one failed cleanup must not stop the others, nor hide the original error. */
function attempt(fn: () => void): void {
  try {
    fn();
  } catch {
    // The original error is reported; a leftover staging folder is named .<dest>.lakec-stage-*.
  }
}

function rollBack(steps: readonly Staged[]): void {
  for (const s of [...steps].reverse()) {
    if (s.installed) attempt(() => rmSync(s.dest, { recursive: true, force: true }));
    if (s.backup && existsSync(s.backup)) attempt(() => renameSync(s.backup!, s.dest));
    attempt(() => rmSync(s.staged, { recursive: true, force: true }));
  }
}

/**
 * Makes the disk match `tree`, all or nothing, and returns what changed. Unchanged folders and
 * files are not touched, so their modification times stay put.
 */
export function writeTree(tree: OutputTree): FileChange[] {
  const changes = diffTree(tree);
  if (changes.length === 0) return changes;
  const steps: Staged[] = [];
  try {
    stage(tree, changes, steps);
    install(steps);
  } catch (err) {
    rollBack(steps);
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`could not write the output; nothing was changed: ${why}`);
  }
  for (const s of steps) if (s.backup) rmSync(s.backup, { recursive: true, force: true });
  return changes;
}
