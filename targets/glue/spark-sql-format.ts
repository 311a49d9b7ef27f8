// Lays the shared Spark SQL out on several lines so script diffs are reviewable. The layout is
// used only when it provably changes nothing but whitespace between tokens; otherwise the SQL is
// embedded exactly as compiler/sql/clean.ts printed it.
import { format } from "sql-formatter";

/** The SQL with whitespace outside quoted literals and identifiers removed. */
export function sqlTokens(sql: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      out += c;
      // Spark escapes with a backslash inside '…' and "…"; a doubled quote closes and reopens.
      if (c === "\\" && quote !== "`") out += sql[++i] ?? "";
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === "`") {
      quote = c;
      out += c;
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

export function layOutSparkSql(sql: string): string {
  let laidOut: string;
  try {
    laidOut = format(sql, { language: "spark", tabWidth: 2, keywordCase: "preserve" });
  } catch {
    return sql;
  }
  return sqlTokens(laidOut) === sqlTokens(sql) ? laidOut : sql;
}
