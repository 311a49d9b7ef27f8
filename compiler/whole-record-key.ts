// `key: whole_record` (docs/language.md, "Sources"): a feed without a primary key is
// deduplicated on the raw record itself. The record id is the MD5 of the record's text (the line,
// without the CR of a CRLF ending; for `format: json`, the element's text), which the clean SQL
// computes while the line is at hand, so byte-identical records are duplicates and records that
// differ in any byte, key order or spacing included, are not.
import type { SourceDoc } from "./doc.js";

export const WHOLE_RECORD = "whole_record";

/** The meta column of `parsed`/`checked` holding the record hash (`_` names are kept from users, LK210). */
export const RECORD_HASH_COLUMN = "_record_hash";

/** The key columns a source declares: none for `key: whole_record`. */
export function keyColumns(src: Pick<SourceDoc, "key">): string[] {
  return Array.isArray(src.key) ? src.key : [];
}

export function isWholeRecordKey(src: Pick<SourceDoc, "key">): boolean {
  return src.key === WHOLE_RECORD;
}
