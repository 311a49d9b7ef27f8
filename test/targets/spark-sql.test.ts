// The Glue jobs run the shared SQL on Spark, which cannot run here; a real Spark SQL grammar
// (dt-sql-parser's ANTLR grammar) parses every statement so a syntax slip fails in CI.
import { readFileSync } from "node:fs";
import { SparkSQL } from "dt-sql-parser";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PipelineDoc } from "../../compiler/doc.js";
import { lower } from "../../compiler/lower.js";
import { cleanStages, tableSelect } from "../../compiler/sql/clean.js";
import { driftSql } from "../../compiler/sql/drift.js";

const parser = new SparkSQL();

function statements(file: string): [string, string][] {
  const ir = lower(parse(readFileSync(file, "utf8")) as PipelineDoc, file);
  const out: [string, string][] = [];
  for (const s of ir.sources) {
    for (const [stage, sql] of Object.entries(cleanStages(s, "spark"))) out.push([`${s.name}.${stage}`, sql]);
    const drift = driftSql(s, ir.tables, "spark");
    if (drift !== undefined) out.push([`${s.name}.drift`, drift]);
  }
  for (const t of ir.tables) out.push([`table ${t.name}`, tableSelect(t, "spark")]);
  return out;
}

describe("Spark SQL of the clean and flatten stages parses", () => {
  for (const file of [
    "pipelines/reviews.yaml",
    "pipelines/yelp.yaml",
    "test/cases/derive-checkins/pipeline.yaml",
    "test/cases/messy-feeds/pipeline.yaml",
    "test/cases/whole-record-key/pipeline.yaml",
  ]) {
    for (const [name, sql] of statements(file)) {
      it(`${file}: ${name}`, () => {
        expect(parser.validate(sql)).toEqual([]);
      });
    }
  }

  it("rejects broken SQL (the check can fail)", () => {
    const [, sql] = statements("pipelines/reviews.yaml")[0]!;
    const broken = sql.replace(/\)(?=[^)]*$)/, "");
    expect(parser.validate(broken).length).toBeGreaterThan(0);
    expect(parser.validate("SELECT CASE WHEN a THEN b FROM t").length).toBeGreaterThan(0);
  });
});
