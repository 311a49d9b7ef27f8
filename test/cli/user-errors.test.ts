// Errors users cause are one-line errors with exit 1, never "internal error … this is a bug in
// lakec" with exit 2; odd entries under raw/ are reported instead of passed over in silence.
// Each case below gave the internal error (or was silently ignored) before.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../engine/index.js";
import { processStart } from "../../engine/open-lake.js";
import { removeTempDirs, review, tempDir, writeLines, lakecIn } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const lakec = lakecIn;

/** One line on stderr, `lakec: …`, exit 1. */
function oneLineError(r: { code: number; err: string }, text: string | RegExp): void {
  expect(r.err).not.toContain("internal error");
  expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  expect(r.err).toMatch(typeof text === "string" ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : text);
  expect(r.code).toBe(1);
}

const cwd = process.cwd();

describe("errors users cause", () => {
  it.each([["run"], ["dev"]])("%s --memory-limit 2 (a bare number) is a one-line error", async (cmd) => {
    const dir = await tempDir("user-errors");
    const r = await lakec(cwd, cmd, "pipelines/reviews.yaml", "--lake", join(dir, "lake"), "--memory-limit", "2");
    oneLineError(r, "lakec: --memory-limit 2: expected a size with a unit, like 2GB or 512MB");
    oneLineError(
      await lakec(cwd, cmd, "pipelines/reviews.yaml", "--lake", join(dir, "lake"), "--memory-limit", "1KB"),
      "--memory-limit 1KB: at least 16MB",
    );
  });

  it("a full disk (ENOSPC) is a one-line error", async () => {
    const dir = await tempDir("user-errors");
    const sample = await writeLines(join(dir, "s.jsonl"), ['{"id": "1", "n": 2}']);
    // Writing to /dev/full fails with ENOSPC, as a full disk does.
    const r = await lakec(cwd, "init", "--from", sample, "--out", "/dev/full", "--force");
    oneLineError(r, /^lakec: ENOSPC: no space left on device.*\(the disk is full: free some space and run again\)$/m);
  });

  it("dev on a lake another live process has open is a one-line error", async () => {
    const dir = await tempDir("user-errors");
    const lake = join(dir, "lake");
    await mkdir(join(lake, "state"), { recursive: true });
    await writeFile(join(lake, "state", "lake.lock"), JSON.stringify({ pid: process.ppid, start: processStart(process.ppid) }));
    const r = await lakec(cwd, "dev", "pipelines/reviews.yaml", "--lake", lake);
    oneLineError(r, `is in use by process ${process.ppid}`);
    const run = await lakec(cwd, "run", "pipelines/reviews.yaml", "--lake", lake);
    oneLineError(run, `is in use by process ${process.ppid}`);
  });

  it("a raw file whose name has a line break is reported as failed with the reason; the others are processed", async () => {
    const dir = await tempDir("user-errors");
    const lake = join(dir, "lake");
    const odd = await writeLines(join(dir, "a\nb.jsonl"), [review(1)]);
    const good = await writeLines(join(dir, "good.jsonl"), [review(2)]);
    const r = await lakec(cwd, "run", "pipelines/reviews.yaml", "--lake", lake, "--input", odd, good, "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(1);
    const s = (JSON.parse(r.out) as { result: RunSummary }).result;
    expect(s.files.map((f) => [f.rawKey, f.status])).toEqual([
      ["reviews/a\nb.jsonl", "failed"],
      ["reviews/good.jsonl", "processed"],
    ]);
    expect(s.files[0]!.reason).toBe('the file name has a line break or control character ("reviews/a\\nb.jsonl"): rename the file');
  });

  it("symbolic links and FIFOs under raw/ are reported, not silently ignored", async () => {
    const dir = await tempDir("user-errors");
    const lake = join(dir, "lake");
    const target = await writeLines(join(dir, "elsewhere.jsonl"), [review(1)]);
    await mkdir(join(lake, "raw", "reviews"), { recursive: true });
    await symlink(target, join(lake, "raw", "reviews", "linked.jsonl"));
    execFileSync("mkfifo", [join(lake, "raw", "reviews", "pipe.jsonl")]);
    await writeLines(join(lake, "raw", "reviews", "real.jsonl"), [review(2)]);
    const r = await lakec(cwd, "run", "pipelines/reviews.yaml", "--lake", lake, "--json");
    expect(r.code).toBe(1);
    const s = (JSON.parse(r.out) as { result: RunSummary }).result;
    expect(s.files.map((f) => [f.rawKey, f.status, f.reason?.split(",")[0]])).toEqual([
      ["reviews/linked.jsonl", "failed", "a symbolic link"],
      ["reviews/pipe.jsonl", "failed", "a FIFO (named pipe)"],
      ["reviews/real.jsonl", "processed", undefined],
    ]);
    expect(s.problems.join("\n")).toContain("reviews/pipe.jsonl: failed: a FIFO (named pipe), not a file: raw files must be regular files");
  });

  it.each(["order", "sample", "table"])("init --name %s writes a draft that validates", async (name) => {
    const dir = await tempDir("user-errors");
    const sample = await writeLines(join(dir, "s.jsonl"), ['{"id": "1", "n": 2}', '{"id": "2", "n": 3}']);
    const out = join(dir, "p.yaml");
    const r = await lakec(cwd, "init", "--from", sample, "--name", name, "--out", out);
    expect(r.err).not.toContain("internal error");
    expect(r.code).toBe(0);
    expect(await readFile(out, "utf8")).toContain(`schema: ${name.toUpperCase()}_DATA`);
    expect(await lakec(cwd, "validate", out)).toMatchObject({ code: 0 });
  });

  it('init --from a sample with a "" key writes a draft that validates and says what it left out', async () => {
    const dir = await tempDir("user-errors");
    const sample = await writeLines(join(dir, "s.jsonl"), ['{"id": "1", "": 2}', '{"id": "2", "": 3}']);
    const out = join(dir, "p.yaml");
    expect((await lakec(cwd, "init", "--from", sample, "--out", out)).code).toBe(0);
    expect(await readFile(out, "utf8")).toContain('# Left out: a field with an empty name (""), which `from` cannot address.');
    expect(await lakec(cwd, "validate", out)).toMatchObject({ code: 0 });
  });
});
