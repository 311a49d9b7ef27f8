// key: whole_record (docs/language.md, "Sources"): a feed with no primary key is deduplicated on
// the raw record's text, so only byte-identical records are duplicates. The legacy Yelp tip
// export has no id, and any guessed key drops distinct tips.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { cleanStages } from "../../compiler/sql/clean.js";
import { parquetRows, removeTempDirs, runOneFile } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const CASE = "test/cases/whole-record-key/pipeline.yaml";
const text = readFileSync(CASE, "utf8");
const ir = compilePipeline(CASE, text).ir!;

const tip = (user: string, business: string, t: string): string =>
  `{"user_id":"${user}","business_id":"${business}","text":"${t}","date":"2016-03-0${t.length % 9} 10:00:00","compliment_count":0}`;

describe("key: whole_record", () => {
  it("drops byte-identical records only, with the record's MD5 as its id, and reconciles", async () => {
    const lines = [
      tip("u1", "b1", "Great"),
      tip("u1", "b1", "Great"), // the same bytes: a duplicate
      tip("u1", "b1", "Great!"), // same user, business and day: a distinct tip
      tip("u2", "b1", "Great"),
      `{"business_id":"b1","user_id":"u1","text":"Great","date":"2016-03-05 10:00:00","compliment_count":0}`, // other key order: distinct
      `{"user_id":"u3","business_id":"b2","text":"Meh","compliment_count":"x"}`, // invalid (cast_failed) whatever its hash
      tip("u1", "b1", "Great"), // a third copy
    ];
    const { lakeDir, summary } = await runOneFile(ir, "tip", "tips.jsonl", `${lines.join("\r\n")}\r\n`, "whole-record");
    expect(summary.files[0]!.counts).toMatchObject({ recordsIn: 7, clean: 4, invalid: 1, duplicates: 2 });
    expect(summary.files[0]!.reconciled).toBe(true);
    const rows = JSON.parse(await parquetRows(lakeDir, "tip", "_source_line")) as Record<string, unknown>[];
    // The id is the MD5 of the line without its CRLF ending, as in the Glue job (which drops the CR too).
    expect(rows.map((r) => r.tip_id)).toEqual([0, 2, 3, 4].map((i) => createHash("md5").update(lines[i]!, "utf8").digest("hex")));
  });

  it("hashes the line in both dialects before anything drops it", () => {
    for (const d of ["duckdb", "spark"] as const) {
      expect(cleanStages(ir.sources[0]!, d).checked).toContain("md5(line) AS _record_hash");
    }
    expect(ir.sources[0]!.key).toEqual([]);
    expect(ir.tables.find((t) => t.name === "tip")!.columns[0]!.description).toBe(
      "Record id: md5 of the raw record's text (key: whole_record).",
    );
  });

  it("cannot be referenced: a foreign key needs a single-column key (LK216)", () => {
    const withRef = text.replace(
      "      business_id:      { type: string, required: true }",
      "      business_id:      { type: string, required: true, references: tip }",
    );
    const d = compilePipeline(CASE, withRef).diagnostics;
    expect(d.map((x) => `${x.code} ${x.message}`)).toEqual([
      "LK216 source 'tip' has the whole-record key; references needs a single-column key",
    ]);
  });
});
