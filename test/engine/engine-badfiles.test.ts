// Bad raw files, all in one run: each gets a clear reason, none stops the others, and the good
// file's rows are all there. Line numbers stay exact across blank lines, CRLF and bad bytes.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lakePaths, manifestFile, openLake, readManifest, runFiles, type FileSummary, type RunSummary } from "../../engine/index.js";
import { review, reviewsIr, tempDir, warehouseRows, removeTempDirs } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const ir = reviewsIr();
let summary: RunSummary;
let lakeDir: string;
const file = (name: string): FileSummary => {
  const f = summary.files.find((x) => x.rawKey === `reviews/${name}` || x.rawKey === name);
  if (!f) throw new Error(`no summary for ${name}: ${summary.files.map((x) => x.rawKey).join(", ")}`);
  return f;
};

const BIG_TEXT_BYTES = 10 * 1024 * 1024;

beforeAll(async () => {
  lakeDir = join(await tempDir("bad"), ".lake");
  const raw = join(lakeDir, "raw", "reviews");
  await mkdir(raw, { recursive: true });
  const put = (name: string, body: string | Buffer) => writeFile(join(raw, name), body);
  await put("good.jsonl", `${[review(1), review(2), review(3)].join("\n")}\n`);
  await put("empty.jsonl", "");
  await put("not-json.jsonl", "id,name\n1,alpha\n2,beta\n");
  await put("truncated.jsonl", `${review(10)}\n${review(11)}\n${review(12).slice(0, 40)}`);
  await put(
    "bad-utf8.jsonl",
    Buffer.concat([
      Buffer.from(`${review(20)}\n`),
      Buffer.from(`${review(21).slice(0, 30)}`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`${review(21).slice(30)}\n\r\n${review(22)}\r\n`),
    ]),
  );
  await put("one-big-line.jsonl", `${review(30, { reviewText: "x".repeat(BIG_TEXT_BYTES) })}\n`);
  const long = Buffer.from(review(31, { reviewText: "y".repeat(6 * 1024 * 1024) }));
  long[3 * 1024 * 1024] = 0xff;
  await put("long-bad-utf8.jsonl", Buffer.concat([long, Buffer.from(`\n${review(32)}\n`)]));
  await put("array.json", `[${review(40)}, ${review(41)}]\n`);
  await put("array-pretty.json", `[\n  ${review(42)},\n  ${review(43)}\n]\n`);
  await put(
    "wrong-types.jsonl",
    `${[1, 2].map((i) => JSON.stringify({ overall: "five", reviewerID: i, asin: ["x"], unixReviewTime: "yesterday", vote: "many" })).join("\n")}\n`,
  );
  await mkdir(join(lakeDir, "raw", "elsewhere"), { recursive: true });
  await writeFile(join(lakeDir, "raw", "elsewhere", "stray.jsonl"), `${review(50)}\n`);
  const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 2 });
  try {
    summary = await runFiles(lake, ir);
  } finally {
    await lake.close();
  }
}, 60_000);

describe("bad raw files", () => {
  it("processes the good file and every other file, and the run reports only the real failures", () => {
    expect(file("good.jsonl")).toMatchObject({ status: "processed", counts: { recordsIn: 3, clean: 3 } });
    expect(summary.files.every((f) => f.reconciled)).toBe(true);
    expect(summary.files.filter((f) => f.status === "failed")).toEqual([]);
    expect(summary.warehouse.tests.filter((t) => t.failures > 0)).toEqual([]);
  });

  it("records each file's SHA-256 in its manifest, computed while reading (bad bytes, CRLF, a 10 MB line, an empty file)", async () => {
    const processed = summary.files.filter((f) => f.status === "processed");
    expect(processed.length).toBeGreaterThanOrEqual(9);
    for (const f of processed) {
      const bytes = await readFile(join(lakeDir, "raw", ...f.rawKey.split("/")));
      const m = await readManifest(manifestFile(lakePaths(lakeDir), f.source!, f.rawKey));
      expect({ key: f.rawKey, sha: m?.content_sha256, bytes: m?.bytes }).toEqual({
        key: f.rawKey,
        sha: createHash("sha256").update(bytes).digest("hex"),
        bytes: bytes.length,
      });
    }
  });

  it("empty file: no records, said so", () => {
    const f = file("empty.jsonl");
    expect(f).toMatchObject({ status: "processed", counts: { recordsIn: 0, clean: 0 } });
    expect(f.notes).toEqual(["no records: the file is empty or has only blank lines"]);
  });

  it("not JSON: every line quarantined as not_an_object, with a note naming the problem", () => {
    const f = file("not-json.jsonl");
    expect(f.counts).toMatchObject({ recordsIn: 3, clean: 0, quarantined: 3, byReason: { not_an_object: 3 } });
    expect(f.notes.join(" ")).toContain("not JSON Lines");
  });

  it("truncated last line: the complete lines load, the cut one is malformed_json and flagged", () => {
    const f = file("truncated.jsonl");
    expect(f.counts).toMatchObject({ recordsIn: 3, clean: 2, byReason: { malformed_json: 1 } });
    expect(f.samples).toEqual([{ line: 3, reason: "malformed_json", column: null }]);
    expect(f.notes).toContain("line 3, the last, has no line ending and does not parse: the file looks truncated");
  });

  it("invalid UTF-8: only that line is quarantined; blank and CRLF lines keep numbering exact", async () => {
    const f = file("bad-utf8.jsonl");
    expect(f.counts).toMatchObject({ recordsIn: 3, clean: 2, quarantined: 1, byReason: { invalid_utf8: 1 } });
    expect(f.samples).toEqual([{ line: 2, reason: "invalid_utf8", column: null }]);
    const rows = await warehouseRows(
      lakeDir,
      "SELECT reviewer_id, _source_line FROM product_reviews WHERE _source_file = 'reviews/bad-utf8.jsonl' ORDER BY 2",
    );
    expect(rows).toEqual([
      { reviewer_id: "R20", _source_line: "1" },
      { reviewer_id: "R22", _source_line: "4" },
    ]);
  });

  it("a 10 MB single line is one ordinary record", async () => {
    expect(file("one-big-line.jsonl")).toMatchObject({ status: "processed", counts: { recordsIn: 1, clean: 1 } });
    const [r] = await warehouseRows(lakeDir, "SELECT length(body) AS n FROM product_reviews WHERE reviewer_id = 'R30'");
    expect(r!.n).toBe(String(BIG_TEXT_BYTES));
  });

  it("invalid UTF-8 inside a line longer than a read block is still found, and only that line is lost", () => {
    const f = file("long-bad-utf8.jsonl");
    expect(f.counts).toMatchObject({ recordsIn: 2, clean: 1, byReason: { invalid_utf8: 1 } });
    expect(f.samples).toEqual([{ line: 1, reason: "invalid_utf8", column: null }]);
  });

  it("a JSON array instead of lines: not_an_object, on one line or pretty-printed", () => {
    expect(file("array.json").counts).toMatchObject({ recordsIn: 1, clean: 0, byReason: { not_an_object: 1 } });
    expect(file("array.json").notes.join(" ")).toContain("expected one JSON object per line");
    // Pretty-printed: the element followed by a comma does not parse; the last element's line
    // is a complete JSON object, so like any line it is a record.
    expect(file("array-pretty.json").counts).toMatchObject({ recordsIn: 4, clean: 1, byReason: { not_an_object: 2, malformed_json: 1 } });
  });

  it("wrong types everywhere: cast_failed with the column named", () => {
    const f = file("wrong-types.jsonl");
    expect(f.counts).toMatchObject({ recordsIn: 2, clean: 0, byReason: { cast_failed: 2 } });
    expect(f.samples.map((s) => s.column)).toEqual(["rating", "rating"]);
    expect(f.notes.join(" ")).toContain("do the column types match this file?");
  });

  it("a file under no source prefix: unmatched, with the state machine's reason", () => {
    const f = file("elsewhere/stray.jsonl");
    expect(f.status).toBe("unmatched");
    expect(f.reason).toContain("under no source prefix of pipeline reviews (reviews/)");
  });
});
