// Words a lakec name may not be, because some target would need to quote it (and quoting
// changes case rules in Snowflake) or could not use it at all. Every list is copied from the
// engine's own documentation or catalog; test/compiler/reserved-words.test.ts re-derives the DuckDB and
// Python lists from the installed engines so an upgrade that adds a keyword fails loudly.

/**
 * Snowflake "Reserved & limited keywords" (docs.snowflake.com/en/sql-reference/reserved-keywords),
 * including the limited ones (e.g. ACCOUNT, SCHEMA: not usable in SHOW … IN <name>), ASOF and
 * MATCH_CONDITION (reserved by the 2024_01 bundle), and ASC/DESC, which the page's preamble
 * names as reserved.
 */
export const SNOWFLAKE_RESERVED: ReadonlySet<string> = new Set(
  `ACCOUNT ALL ALTER AND ANY AS ASC ASOF BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION
  CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE
  DELETE DESC DISTINCT DROP ELSE EXISTS FALSE FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING
  ILIKE IN INCREMENT INNER INSERT INTERSECT INTO IS ISSUE JOIN LATERAL LEFT LIKE LOCALTIME
  LOCALTIMESTAMP MATCH_CONDITION MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY REGEXP
  REVOKE RIGHT RLIKE ROW ROWS SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER
  TRUE TRY_CAST UNION UNIQUE UPDATE USING VALUES VIEW WHEN WHENEVER WHERE WITH`.split(/\s+/),
);

/**
 * Spark SQL keywords marked "reserved" in ANSI mode (docs/sql-ref-ansi-compliance.md, "SQL
 * Keywords"). Glue jobs do not enable ANSI mode, but users do, and dbt-spark models may run there.
 */
export const SPARK_RESERVED: ReadonlySet<string> = new Set(
  `ALL AND ANY AS AUTHORIZATION BOTH CASE CAST CHECK COLLATE COLUMN CONSTRAINT CREATE CROSS
  CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DISTINCT ELSE END ESCAPE EXCEPT FALSE
  FETCH FILTER FOR FOREIGN FROM FULL GRANT GROUP HAVING IN INNER INTERSECT INTO IS JOIN LATERAL
  LEADING LEFT NATURAL NOT NULL ON ONLY OR ORDER OUTER OVERLAPS PERCENTILE_CONT PERCENTILE_DISC
  PRIMARY REFERENCES RIGHT SELECT SESSION_USER SOME TABLE THEN TIME TO TRAILING UNION UNIQUE
  UNKNOWN USER USING WHEN WHERE WITH WITHIN`.split(/\s+/),
);

/**
 * DuckDB 1.5 keywords that cannot be an unquoted column or table name: every `reserved` keyword of
 * `duckdb_keywords()` plus the `type_function` ones that fail as a column name (`join`, `left`, …).
 */
export const DUCKDB_RESERVED: ReadonlySet<string> = new Set(
  `ALL ANALYSE ANALYZE AND ANTI ANY ARRAY AS ASC ASOF ASYMMETRIC AT AUTHORIZATION BINARY BOTH BY
  CASE CAST CHECK COLLATE COLLATION COLUMN CONCURRENTLY CONSTRAINT CREATE CROSS DEFAULT DEFERRABLE
  DESC DESCRIBE DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FREEZE FROM FULL GLOB GROUP
  HAVING ILIKE IN INITIALLY INNER INTERSECT INTO IS ISNULL JOIN LAMBDA LATERAL LEADING LEFT LIKE
  LIMIT NATURAL NOT NOTNULL NULL OFFSET ON ONLY OR ORDER OUTER OVERLAPS PIVOT PIVOT_LONGER
  PIVOT_WIDER PLACING POSITIONAL PRIMARY QUALIFY REFERENCES RETURNING RIGHT SELECT SEMI SHOW SIMILAR
  SOME SUMMARIZE SYMMETRIC TABLE TABLESAMPLE THEN TO TRAILING TRUE UNION UNIQUE UNPACK UNPIVOT
  USING VARIADIC VERBOSE WHEN WHERE WINDOW WITH`.split(/\s+/),
);

/**
 * Python 3.11 (the Glue 5.0 runtime) `keyword.kwlist` and `keyword.softkwlist`, lower-case only:
 * `False`/`None`/`True` cannot match a lakec name. Names become Python identifiers in the Glue
 * jobs and the Airflow DAG.
 */
export const PYTHON_RESERVED: ReadonlySet<string> = new Set(
  `and as assert async await break class continue def del elif else except finally for from
  global if import in is lambda nonlocal not or pass raise return try while with yield
  _ case match`.split(/\s+/),
);

/** The engines in which a (lower-case) name is reserved, in a stable order; empty when none. */
export function reservedIn(name: string): string[] {
  const upper = name.toUpperCase();
  const engines: string[] = [];
  if (SNOWFLAKE_RESERVED.has(upper)) engines.push("Snowflake");
  if (SPARK_RESERVED.has(upper)) engines.push("Spark SQL");
  if (DUCKDB_RESERVED.has(upper)) engines.push("DuckDB");
  if (PYTHON_RESERVED.has(name)) engines.push("Python");
  return engines;
}

/** True when a name is reserved anywhere. */
export function isReserved(name: string): boolean {
  return reservedIn(name).length > 0;
}
