// The Glue clean job must cut a raw object into the same lines as the local engine (a line ends
// at LF; a CRLF line loses its CR; a lone CR stays inside the line). Spark's text reader splits
// at \r, \r\n and \n unless lineSep is set:
// https://spark.apache.org/docs/latest/sql-data-sources-text.html ("The line separator handles
// all `\r`, `\r\n` and `\n` by default.")
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { glueScripts } from "../../targets/glue/index.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

describe("the Glue clean job's line split matches the local engine", () => {
  for (const file of REFERENCE_PIPELINES) {
    it(file, () => {
      const ir = compilePipeline(file, readFileSync(file, "utf8")).ir!;
      const clean = glueScripts(ir).find((s) => s.role === "clean")!.contents;
      // Python source text: the separator literal is the two characters backslash and n.
      expect(clean).toContain('spark.read.option("lineSep", "\\n").text(hadoop_path(bucket, raw_key))');
      expect(clean).not.toMatch(/spark\.read\.text\(/);
      // The CR of a CRLF ending is dropped from valid lines and from rejected ones alike.
      expect(clean).toContain('.withColumn("line", without_cr(F.col("line")))');
      expect(clean).toContain('without_cr(F.decode(F.col("line").cast("binary"), "UTF-8")).alias("raw_record")');
      expect(clean).toContain('return F.when(text.endswith("\\r"), text.substr(F.lit(1), F.length(text) - 1)).otherwise(text)');
    });
  }
});
