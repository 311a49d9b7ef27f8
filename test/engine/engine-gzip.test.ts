// Gzip-compressed JSON Lines (`.jsonl.gz`, `.json.gz`; Firehose's default) are read
// transparently: the same records, counts and rows as the plain file, with the manifest's hash
// and size those of the stored file. A damaged gzip file fails with a clear error and publishes
// nothing.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { isGzipKey } from "../../engine/read-lines.js";
import { listing, MIXED_LINES, parquetRows, removeTempDirs, review, reviewsIr, runOneFile } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const ir = reviewsIr();
const TEXT = MIXED_LINES.join("\n") + "\n";

const runOne = (name: string, bytes: Buffer) => runOneFile(ir, "product_reviews", name, bytes, "gzip");

/** Table rows without the columns that name the raw file or its arrival time. */
async function rowsOf(lakeDir: string): Promise<unknown[]> {
  const rows = JSON.parse(await parquetRows(lakeDir, "product_reviews", "review_id")) as Record<string, unknown>[];
  return rows.map(({ _source_file: _f, _input: _i, _ingested_at: _t, ...rest }) => rest);
}

describe("gzip-compressed JSON Lines", () => {
  it("names decide, as Hadoop's codec factory does for Spark", () => {
    expect(["a.jsonl.gz", "x/b.json.GZ", "c.gz"].map(isGzipKey)).toEqual([true, true, true]);
    expect(["a.jsonl", "a.gzip", "a.gz.jsonl"].map(isGzipKey)).toEqual([false, false, false]);
  });

  it("gives the plain file's counts and rows, and the manifest records the stored file", async () => {
    const gz = gzipSync(TEXT);
    const [plain, zipped] = [await runOne("export.jsonl", Buffer.from(TEXT)), await runOne("export.jsonl.gz", gz)];
    const p = plain.summary.files[0]!;
    const z = zipped.summary.files[0]!;
    expect(z.status).toBe("processed");
    expect(z.reconciled).toBe(true);
    expect(z.counts).toEqual({ ...p.counts, contentSha256: z.counts!.contentSha256 });
    expect(await rowsOf(zipped.lakeDir)).toEqual(await rowsOf(plain.lakeDir));
    const manifests = (await listing(join(zipped.lakeDir, "state", "manifests"))).map(
      (f) => JSON.parse(readFileSync(join(zipped.lakeDir, "state", "manifests", f), "utf8")) as Record<string, unknown>,
    );
    expect(manifests.map((m) => [m.raw_key, m.content_sha256, m.bytes])).toEqual([
      ["reviews/export.jsonl.gz", createHash("sha256").update(gz).digest("hex"), gz.length],
    ]);
  });

  it("reads every member of a multi-member file (concatenated gzip streams)", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => review(i));
    const gz = Buffer.concat([gzipSync(lines.slice(0, 10).join("\n") + "\n"), gzipSync(lines.slice(10).join("\n") + "\n")]);
    const { summary } = await runOne("firehose-1.json.gz", gz);
    expect(summary.files[0]!.counts!.recordsIn).toBe(30);
    expect(summary.files[0]!.reconciled).toBe(true);
  });

  it("notices a cut-off last line inside the compressed text", async () => {
    const { summary } = await runOne("cut.jsonl.gz", gzipSync(TEXT + review(500).slice(0, 40)));
    expect(summary.files[0]!.notes.join("\n")).toContain("looks truncated");
  });

  it("a truncated gzip file fails with a clear error and publishes nothing", async () => {
    const gz = gzipSync(Array.from({ length: 2000 }, (_, i) => review(i)).join("\n") + "\n");
    const { lakeDir, summary } = await runOne("broken.jsonl.gz", gz.subarray(0, Math.floor(gz.length / 2)));
    const f = summary.files[0]!;
    expect(f.status).toBe("failed");
    expect(f.reason).toMatch(/not a readable gzip file \(unexpected end of file\)/);
    expect(await listing(join(lakeDir, "processed"))).toEqual([]);
  });
});
