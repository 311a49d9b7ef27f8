// `on_cast_error: set_null` (docs/language.md, "Messy feeds"): a present value that does not
// cast becomes NULL instead of rejecting the record. Each such value is flagged in `checked`
// and counted per column over the records kept, so the NULLs a run introduced are reported in
// the summary and the manifest rather than passing unnoticed.
import { printExpr, quoteIdent } from "../expr/print.js";
import { ref } from "../expr/ast.js";
import type { CleanColumn, SourceIR } from "../ir.js";
import type { SqlDialect } from "./clean.js";

/** Names starting with `_` are kept from users (LK210), so this cannot collide with a column. */
const flagName = (c: CleanColumn): string => `_cast_null_${c.name}`;

const nulledColumns = (src: SourceIR): CleanColumn[] => src.columns.filter((c) => c.castNull === true);

/** For `checked`'s last SELECT (which sees both `<col>__text` and the value): one flag per set_null column. */
export function castNullFlags(src: SourceIR, d: SqlDialect): string[] {
  return nulledColumns(src).map((c) => {
    const present = printExpr({ k: "isNull", arg: ref(`${c.name}__text`), negate: true }, d);
    const failed = printExpr({ k: "isNull", arg: ref(c.name) }, d);
    return `(${present} AND ${failed}) AS ${quoteIdent(d, flagName(c))}`;
  });
}

/**
 * Over `ranked`: one row, a column per set_null column (named like it) holding how many of the
 * records kept (clean, first of their id) got NULL there from a value that did not cast.
 * Undefined for a source without such columns, so its jobs run no extra query.
 */
export function castNullsSql(src: SourceIR, d: SqlDialect, ranked: string): string | undefined {
  const cols = nulledColumns(src);
  if (cols.length === 0) return undefined;
  const sums = cols.map(
    (c) =>
      `coalesce(sum(CASE WHEN _reason IS NULL AND _dup_rank = 1 AND ${quoteIdent(d, flagName(c))} THEN 1 ELSE 0 END), 0) AS ${quoteIdent(d, c.name)}`,
  );
  return `SELECT ${sums.join(", ")} FROM ${ranked}`;
}
