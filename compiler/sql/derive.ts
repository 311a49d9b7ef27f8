// Derived columns as SQL select items: the typed expression cast to the column's IR type, so
// DuckDB, Spark and Snowflake store the same type (e.g. DuckDB's year() is BIGINT, Snowflake's
// NUMBER(4,0)). The main table's are computed by the clean stage (the Glue clean job and the
// local engine), a child table's over its expanded rows.
import { printExpr, quoteIdent, sqlType, type DialectName, type PrintOptions } from "../expr/print.js";
import type { DerivedColumn } from "../ir.js";

export function derivedItems(derived: readonly DerivedColumn[] | undefined, d: DialectName, opts: PrintOptions = {}): string[] {
  return (derived ?? []).map((c) => `CAST(${printExpr(c.expr, d, opts)} AS ${sqlType(d, c.type)}) AS ${quoteIdent(d, c.name)}`);
}
