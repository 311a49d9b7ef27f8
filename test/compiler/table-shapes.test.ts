// One table-shape model (compiler/table-shapes.ts): the checks and lowering see the same tables,
// with the same columns, and the shape's defaults, carried columns and partition keys.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildTables } from "../../compiler/check/tables.js";
import type { PipelineDoc, SourceDoc } from "../../compiler/doc.js";
import { lower } from "../../compiler/lower.js";
import { shapeSource } from "../../compiler/table-shapes.js";

const doc = (file: string): PipelineDoc => parse(readFileSync(file, "utf8")) as PipelineDoc;

describe("the checks and lowering share the table shapes", () => {
  it.each(["pipelines/reviews.yaml", "pipelines/yelp.yaml"])("%s: same tables, same columns", (file) => {
    const d = doc(file);
    const checked = buildTables(d).map((t) => [t.name, t.kind, t.columns.map((c) => c.name).sort()]);
    const lowered = lower(d, file).tables.map((t) => [t.name, t.kind, t.columns.map((c) => c.name).sort()]);
    expect(checked).toEqual(lowered);
  });
});

const source = (over: Partial<SourceDoc>): SourceDoc =>
  ({
    prefix: "raw/x/",
    id: "x_id",
    key: ["a"],
    columns: {
      a: { type: "string" },
      at: { type: "timestamp" },
      d: { type: "date" },
      tags: { type: "array<string>" },
      attrs: { type: "object" },
    },
    ...over,
  }) as SourceDoc;

describe("shapeSource", () => {
  it("names child tables' index, key and value columns by default, or as written", () => {
    const s = shapeSource(
      "x",
      source({ flatten: { tags: { into: "table", table: "x_tags" }, attrs: { into: "table", table: "x_attrs", key: "k", value: "v" } } }),
    );
    expect(s.children).toEqual([
      { name: "x_tags", fromColumn: "tags", valueColumn: "value", mode: "array", indexColumn: "position" },
      { name: "x_attrs", fromColumn: "attrs", valueColumn: "v", mode: "entries", keyColumn: "k" },
    ]);
  });

  it("leaves out a child table without a name or over a scalar (the checks report those)", () => {
    const s = shapeSource(
      "x",
      source({ flatten: { tags: { into: "table" }, a: { into: "table", table: "bad" }, attrs: { into: "columns", keys: { k: "k" } } } }),
    );
    expect(s.children).toEqual([]);
  });

  it("keys a date by day with its own name, and a timestamp or a coarser grain with a derived key", () => {
    expect(shapeSource("x", source({ partition_by: "d" })).partition).toEqual({ column: "d", grain: "day", key: "d" });
    expect(shapeSource("x", source({ partition_by: "at" })).partition).toEqual({ column: "at", grain: "day", key: "at_day" });
    expect(shapeSource("x", source({ partition_by: "d", partition_grain: "month" })).partition).toEqual({
      column: "d",
      grain: "month",
      key: "d_month",
    });
  });

  it("carries the id, the key columns and the partition column once", () => {
    expect(shapeSource("x", source({ key: ["a", "d"], partition_by: "d" })).carried).toEqual([
      { name: "x_id", from: "id" },
      { name: "a", from: "key", keyIndex: 0 },
      { name: "d", from: "key", keyIndex: 1 },
    ]);
    expect(shapeSource("x", source({ key: "whole_record", partition_by: "at" })).carried.map((c) => c.name)).toEqual(["x_id", "at"]);
  });
});
