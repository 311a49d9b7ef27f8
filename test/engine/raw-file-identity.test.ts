// A run finds the new and changed raw files without reading every old one again: a file whose
// size, inode, mtime and ctime are those its manifest recorded keeps the manifest's hash
// (engine/manifest.ts hashIfUnchanged). A write of the same size with mtime set back still shows,
// through ctime.
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lakePaths, manifestFile, readManifest } from "../../engine/index.js";
import { hashIfUnchanged, writeManifest, type FileManifest } from "../../engine/manifest.js";
import { reviewsIr, review, removeTempDirs, runLake, tempDir, writeLines } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const KEY = "reviews/2024-06-01.jsonl";

describe("raw files a run has processed", () => {
  it("are not hashed again while stat says they are the same file, and a same-size rewrite with its mtime set back is still seen", async () => {
    const dir = await tempDir("rawstat");
    const lakeDir = join(dir, "lake");
    const ir = reviewsIr();
    const input = await writeLines(join(dir, "2024-06-01.jsonl"), [review(1, { overall: 4 }), review(2, { overall: 5 })]);
    const first = await runLake(lakeDir, ir, [input]);
    expect(first.files.map((f) => f.status)).toEqual(["processed"]);
    const manifestPath = manifestFile(lakePaths(lakeDir), "product_reviews", KEY);
    const manifest = (await readManifest(manifestPath))!;
    const raw = join(lakeDir, "raw", KEY);
    const st = await stat(raw, { bigint: true });
    expect(manifest.raw_stat).toEqual({
      size: Number(st.size),
      ino: String(st.ino),
      mtime_ns: String(st.mtimeNs),
      ctime_ns: String(st.ctimeNs),
    });

    const again = await runLake(lakeDir, ir);
    expect(again.files.map((f) => [f.status, f.timingsMs.hash])).toEqual([["skipped", undefined]]);

    // Same length, other rating, and the old mtime put back: only ctime tells.
    const text = await readFile(raw, "utf8");
    const changed = text.replace('"overall":4', '"overall":2');
    expect(changed).not.toBe(text);
    expect(changed.length).toBe(text.length);
    const before = await stat(raw);
    await writeFile(raw, changed);
    await utimes(raw, before.atime, before.mtime);
    const third = await runLake(lakeDir, ir);
    expect(third.files.map((f) => f.status)).toEqual(["processed"]);
    expect(third.files[0]!.timingsMs.hash).toBeGreaterThanOrEqual(0); // ctime differed: read and hashed again
    expect((await readManifest(manifestPath))!.content_sha256).not.toBe(manifest.content_sha256);
  });

  it("are hashed once when their manifest has no recorded stat (an older lake, a copied one), then trusted", async () => {
    const dir = await tempDir("rawstat-old");
    const lakeDir = join(dir, "lake");
    const ir = reviewsIr();
    const input = await writeLines(join(dir, "2024-06-01.jsonl"), [review(1)]);
    await runLake(lakeDir, ir, [input]);
    const manifestPath = manifestFile(lakePaths(lakeDir), "product_reviews", KEY);
    const { raw_stat: _dropped, ...older } = (await readManifest(manifestPath))!;
    await writeManifest(manifestPath, older, `${manifestPath}.tmp`);
    const again = await runLake(lakeDir, ir);
    expect(again.files.map((f) => f.status)).toEqual(["skipped"]);
    expect(again.files[0]!.timingsMs.hash).toBeGreaterThanOrEqual(0);
    // Found unchanged by reading it: the stat is recorded now, and the next run trusts it.
    expect((await readManifest(manifestPath))!.raw_stat).toBeDefined();
    const third = await runLake(lakeDir, ir);
    expect(third.files.map((f) => [f.status, f.timingsMs.hash])).toEqual([["skipped", undefined]]);
  });

  it("are always hashed on a file system that keeps whole seconds, where a write in the same second would not show", () => {
    const stat = { size: 10, ino: "7", mtime_ns: "1700000000000000000", ctime_ns: "1700000000000000000" };
    const m = { content_sha256: "abc", raw_stat: stat } as unknown as FileManifest;
    expect(hashIfUnchanged(m, stat)).toBeUndefined();
    const fine = { ...stat, ctime_ns: "1700000000123456789" };
    expect(hashIfUnchanged({ ...m, raw_stat: fine }, fine)).toBe("abc");
    expect(hashIfUnchanged({ ...m, raw_stat: fine }, { ...fine, ctime_ns: "1700000000123456790" })).toBeUndefined();
  });
});
