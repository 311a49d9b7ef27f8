// Splits a `format: json` raw file into its records: the elements of one top-level JSON array,
// or JSON values written back to back (Firehose without a delimiter: `{…}{…}`), with any
// whitespace between them. Each record's exact bytes become one row of the `lines` relation,
// numbered by position (1-based), so the shared clean SQL classifies, quarantines and counts
// them as it does JSON Lines.
//
// The split is structural, not a parse: it tracks strings (with escapes) and bracket depth, so
// a malformed element is still one record (rejected as malformed_json by the SQL) and nothing
// is lost. The Glue clean job splits with the same rules in Python (targets/glue/json-values-py.ts);
// test/engine/json-values.test.ts runs both over the same inputs.
//
// Rules, over bytes (the structural characters are ASCII, so UTF-8 text needs no decoding):
// - whitespace is space, tab, CR and LF;
// - the first non-whitespace byte `[` opens the top-level array; inside it `,` between
//   elements is skipped and `]` closes it. Anything after the closing `]`, or in a file that
//   does not start with `[`, is read as values back to back;
// - a value starting with `{` or `[` ends at the bracket that brings the depth back to 0
//   (any closing bracket counts: mismatches are the SQL's malformed_json); one starting with
//   anything else (a string, number or literal: not an object, so rejected as not_an_object)
//   ends before whitespace, `,`, `]`, `[` or `{` outside a string;
// - at the end of the file an unfinished value is a record too, and the file counts as cut
//   (as is an array that never closed).

const WS = new Set([0x20, 0x09, 0x0d, 0x0a]);
const SCALAR_END = new Set([0x20, 0x09, 0x0d, 0x0a, 0x2c, 0x5d, 0x5b, 0x7b]);
const [QUOTE, BACKSLASH, COMMA, OPEN_SQ, CLOSE_SQ, OPEN_CURLY, CLOSE_CURLY] = [0x22, 0x5c, 0x2c, 0x5b, 0x5d, 0x7b, 0x7d];

export class JsonValueSplitter {
  /** 0: before the first value; 1: inside the top-level array; 2: values back to back. */
  private mode: 0 | 1 | 2 = 0;
  private inRecord = false;
  private scalar = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: Buffer[] = [];

  /** Feeds the next block; calls `emit` with each record completed in it, in order. */
  push(block: Buffer, emit: (record: Buffer) => void): void {
    let start = this.inRecord ? 0 : -1;
    for (let i = 0; i < block.length; i++) {
      const b = block[i]!;
      if (!this.inRecord) {
        if (WS.has(b)) continue;
        if (this.mode === 0) {
          this.mode = b === OPEN_SQ ? 1 : 2;
          if (this.mode === 1) continue;
        }
        if (this.mode === 1 && b === COMMA) continue;
        if (this.mode === 1 && b === CLOSE_SQ) {
          this.mode = 2;
          continue;
        }
        this.inRecord = true;
        start = i;
        this.scalar = b !== OPEN_CURLY && b !== OPEN_SQ;
        this.depth = this.scalar ? 0 : 1;
        this.inString = b === QUOTE;
        this.escaped = false;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
      } else if (b === QUOTE) {
        this.inString = true;
      } else if (this.scalar) {
        if (SCALAR_END.has(b)) {
          this.finish(block.subarray(start, i), emit);
          i--; // the terminator is read again outside the record
        }
      } else if (b === OPEN_CURLY || b === OPEN_SQ) {
        this.depth++;
      } else if ((b === CLOSE_CURLY || b === CLOSE_SQ) && --this.depth === 0) {
        this.finish(block.subarray(start, i + 1), emit);
      }
    }
    if (this.inRecord) this.parts.push(Buffer.from(block.subarray(start)));
  }

  /** Ends the input: emits an unfinished value; returns whether the file was cut short. */
  end(emit: (record: Buffer) => void): { cut: boolean } {
    const cut = (this.inRecord && (this.inString || !this.scalar)) || this.mode === 1;
    if (this.inRecord) this.finish(Buffer.alloc(0), emit);
    return { cut };
  }

  private finish(tail: Buffer, emit: (record: Buffer) => void): void {
    emit(this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]));
    this.parts = [];
    this.inRecord = false;
  }
}

/** The records of a whole buffer (tests, and the equivalence check against the Glue splitter). */
export function splitJsonValues(data: Buffer): { records: Buffer[]; cut: boolean } {
  const records: Buffer[] = [];
  const s = new JsonValueSplitter();
  s.push(data, (r) => records.push(r));
  return { records, ...s.end((r) => records.push(r)) };
}
