// Reads a `format: json` raw file into DuckDB as records, in slices of bounded size: the same
// `(line_no, line)` rows as the line reader, where line_no is the record's position in the
// document (1-based) and line its exact text. The split rules are in engine/json-values.ts.
import { isUtf8 } from "node:buffer";
import type { DuckDBConnection } from "@duckdb/node-api";
import { JsonValueSplitter } from "./json-values.js";
import { LineReader, openSource, SourceReader, type InvalidLine, type LoadedSlice, type RecordReader } from "./read-lines.js";

export class JsonRecordReader extends SourceReader {
  private readonly splitter = new JsonValueSplitter();
  /** Completed records not yet loaded: `pending[head…]` (an index, as shift() is linear). */
  private pending: Buffer[] = [];
  private head = 0;
  private recordNo = 0;
  private cut = false;

  static async open(path: string, withHash = false): Promise<JsonRecordReader> {
    return new JsonRecordReader(...(await openSource(path, withHash)));
  }

  async loadSlice(conn: DuckDBConnection, table: string, maxBytes: number): Promise<LoadedSlice> {
    const appender = await conn.createAppender(table);
    const firstLine = this.recordNo + 1;
    const invalid: InvalidLine[] = [];
    let rows = 0;
    let bytes = 0;
    try {
      while (bytes < maxBytes && (this.head < this.pending.length || (await this.fill()))) {
        const record = this.pending[this.head++]!;
        this.recordNo++;
        bytes += record.length;
        if (!isUtf8(record)) {
          invalid.push({ lineNo: this.recordNo, text: record.toString("utf8") });
          continue;
        }
        appender.appendBigInt(BigInt(this.recordNo));
        appender.appendVarchar(record.toString("utf8"));
        appender.endRow();
        rows++;
      }
    } finally {
      appender.closeSync();
    }
    // Look ahead so the last slice knows it is the last one.
    if (this.head === this.pending.length && !this.eof) await this.fill();
    const done = this.eof && this.head === this.pending.length;
    return { firstLine, lastLine: this.recordNo, rows, bytes, nonEmpty: this.recordNo - firstLine + 1, invalidUtf8: invalid, done };
  }

  endsCut(): boolean {
    return this.cut;
  }

  /** Reads blocks until a record is complete or the file ends; false when nothing is left. */
  private async fill(): Promise<boolean> {
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    }
    while (this.pending.length === 0 && !this.eof) {
      const block = await this.source.next();
      if (block === undefined) {
        this.eof = true;
        this.cut = this.splitter.end((r) => this.pending.push(r)).cut;
      } else {
        this.splitter.push(block, (r) => this.pending.push(r));
      }
    }
    return this.head < this.pending.length;
  }
}

/** The reader for a source's raw format. */
export async function openRecordReader(path: string, format: "jsonl" | "json", withHash: boolean): Promise<RecordReader> {
  return format === "json" ? JsonRecordReader.open(path, withHash) : LineReader.open(path, withHash);
}
