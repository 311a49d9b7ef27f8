// `format: json` raw files: the split into records (engine/json-values.ts), the same split in
// the Glue job's Python (targets/glue/json-values-py.ts) over the same inputs, and a pipeline run
// end to end: a JSON array gives the counts and rows of the same records as JSON Lines.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { JsonValueSplitter, splitJsonValues } from "../../engine/json-values.js";
import { mulberry32 } from "../../synthetic/amazon.js";
import { PY_JSON_VALUES } from "../../targets/glue/json-values-py.js";
import { parquetRows, removeTempDirs, review, reviewsIr, runOneFile } from "../support/engine-fixtures.js";
import { needsPython, python } from "../support/python.js";

afterAll(removeTempDirs);

const split = (text: string): { records: string[]; cut: boolean } => {
  const r = splitJsonValues(Buffer.from(text));
  return { records: r.records.map((b) => b.toString()), cut: r.cut };
};

/** Inputs for the splitters: documented shapes, hostile strings and cut files. */
const CASES: Record<string, { text: string; records: string[]; cut: boolean }> = {
  array: { text: '[{"a":1},{"b":[2,3]}]', records: ['{"a":1}', '{"b":[2,3]}'], cut: false },
  pretty: { text: '[\n  {\n    "a": 1\n  },\r\n  {"b": "x"}\n]\n', records: ['{\n    "a": 1\n  }', '{"b": "x"}'], cut: false },
  "back to back": { text: '{"a":1}{"a":2}\n{"a":3} {"a":4}', records: ['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}'], cut: false },
  "brackets and quotes in strings": {
    text: '[{"s":"]}[{,\\"\\\\"},{"t":"\\u005d"}]',
    records: ['{"s":"]}[{,\\"\\\\"}', '{"t":"\\u005d"}'],
    cut: false,
  },
  "scalars are records": { text: '[1, "two", null, {"a":1}, [4]]', records: ["1", '"two"', "null", '{"a":1}', "[4]"], cut: false },
  "empty elements are skipped": { text: "[{},,{}]", records: ["{}", "{}"], cut: false },
  "after the array": { text: '[{"a":1}] {"b":2} x', records: ['{"a":1}', '{"b":2}', "x"], cut: false },
  "empty array": { text: " [ ] ", records: [], cut: false },
  "empty file": { text: "", records: [], cut: false },
  "malformed but balanced": { text: '[{"a":1,,},{"a":}]', records: ['{"a":1,,}', '{"a":}'], cut: false },
  "cut inside an object": { text: '[{"a":1},{"b":"x', records: ['{"a":1}', '{"b":"x'], cut: true },
  "array never closed": { text: '[{"a":1}', records: ['{"a":1}'], cut: true },
  "cut inside a string scalar": { text: '{"a":1} "abc', records: ['{"a":1}', '"abc'], cut: true },
  "backslash at the end": { text: '{"a":"\\', records: ['{"a":"\\'], cut: true },
  "non-ASCII": { text: '[{"n":"Café Olé ]"}]', records: ['{"n":"Café Olé ]"}'], cut: false },
};

/** Random documents over the characters that matter to the split, for the equivalence check. */
function fuzzInputs(n: number): string[] {
  const rnd = mulberry32(20261204);
  const alphabet = ["{", "}", "[", "]", '"', "\\", ",", " ", "\n", "a", "1", ":", "é"];
  return Array.from({ length: n }, () =>
    Array.from({ length: Math.floor(rnd() * 40) }, () => alphabet[Math.floor(rnd() * alphabet.length)]!).join(""),
  );
}

describe("the JSON value splitter", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      expect(split(c.text)).toEqual({ records: c.records, cut: c.cut });
    });
  }

  it("gives the same records whatever the block boundaries", () => {
    for (const c of Object.values(CASES)) {
      const s = new JsonValueSplitter();
      const records: string[] = [];
      for (const byte of Buffer.from(c.text)) s.push(Buffer.from([byte]), (r) => records.push(r.toString()));
      const { cut } = s.end((r) => records.push(r.toString()));
      expect({ records, cut }).toEqual({ records: c.records, cut: c.cut });
    }
  });

  it.skipIf(!python)(needsPython("the Glue job's Python splitter gives the same records and cut flag"), () => {
    const inputs = [...Object.values(CASES).map((c) => c.text), ...fuzzInputs(400)];
    const program = [
      "import json, re, sys",
      PY_JSON_VALUES.split("\n\ndef read_json_records")[0]!,
      "out = []",
      "for text in json.load(sys.stdin):",
      "    records, cut = split_json_values(text.encode('utf-8'))",
      "    out.append({'records': [r.decode('utf-8', 'replace') for r in records], 'cut': cut})",
      "print(json.dumps(out))",
    ].join("\n");
    const r = spawnSync(python!.path, ["-c", program], { input: JSON.stringify(inputs), encoding: "utf8" });
    expect(r.stderr).toBe("");
    const fromPython = JSON.parse(r.stdout) as { records: string[]; cut: boolean }[];
    const fromEngine = inputs.map((t) => {
      const s = splitJsonValues(Buffer.from(t));
      return { records: s.records.map((b) => b.toString("utf8")), cut: s.cut };
    });
    expect(fromPython).toEqual(fromEngine);
  });
});

describe("format: json, end to end", () => {
  const jsonl = reviewsIr();
  const json = reviewsIr((y) => y.replace("format: jsonl", "format: json"));
  const records = [
    ...Array.from({ length: 12 }, (_, i) => review(i)),
    review(3), // a duplicate
    review(100, { overall: 9 }), // out of range
    '{"overall": 5.0,, "reviewerID": "X"}', // malformed but balanced
    "[1, 2]", // not an object
  ];

  const run = (ir: typeof json, name: string, bytes: Buffer | string) => runOneFile(ir, "product_reviews", name, bytes, "json-format");

  const rows = async (lakeDir: string): Promise<unknown[]> =>
    (JSON.parse(await parquetRows(lakeDir, "product_reviews", "review_id")) as Record<string, unknown>[]).map(
      ({ _source_file: _f, _input: _i, _ingested_at: _t, ...rest }) => rest,
    );

  it("a pretty-printed JSON array gives the counts and rows of the same records as JSON Lines", async () => {
    const asLines = await run(jsonl, "export.jsonl", records.join("\n") + "\n");
    const pretty = `[\n${records.map((r) => JSON.stringify(JSON.parse(r.replace(",,", ",")), null, 2)).join(",\n")}\n]\n`.replace(
      '"overall": 5,\n  "reviewerID": "X"',
      '"overall": 5,,\n  "reviewerID": "X"',
    );
    const asArray = await run(json, "export.json", pretty);
    const [l, a] = [asLines.summary.files[0]!, asArray.summary.files[0]!];
    expect(a.status).toBe("processed");
    expect(a.reconciled).toBe(true);
    expect({ ...a.counts, contentSha256: "" }).toEqual({ ...l.counts, contentSha256: "" });
    expect(a.counts).toMatchObject({ recordsIn: 16, clean: 12, duplicates: 1, invalid: 3 });
    expect(await rows(asArray.lakeDir)).toEqual(await rows(asLines.lakeDir));
  });

  it("objects back to back, gzip-compressed (Firehose without a delimiter), and quarantine numbers are positions", async () => {
    const { lakeDir, summary } = await run(json, "firehose.json.gz", gzipSync(records.join("")));
    expect(summary.files[0]!.counts).toMatchObject({ recordsIn: 16, clean: 12, duplicates: 1, invalid: 3 });
    const q = (await import("node:fs")).readdirSync(join(lakeDir, "quarantine", "product_reviews"));
    const quarantined = (await import("node:fs"))
      .readFileSync(join(lakeDir, "quarantine", "product_reviews", q[0]!), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { line_number: number; reason: string });
    expect(quarantined.map((x) => [x.line_number, x.reason])).toEqual([
      [14, "out_of_range"],
      [15, "malformed_json"],
      [16, "not_an_object"],
    ]);
  });

  it("a file cut inside its array is reported as looking truncated", async () => {
    const text = `[${records.slice(0, 5).join(",")},${review(50).slice(0, 30)}`;
    const { summary } = await run(json, "cut.json", text);
    expect(summary.files[0]!.counts).toMatchObject({ recordsIn: 6, clean: 5, invalid: 1 });
    expect(summary.files[0]!.notes.join("\n")).toContain("looks truncated");
  });
});
