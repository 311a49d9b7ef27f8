// The language has one date/time format syntax (strftime-style). DuckDB's strptime takes it
// as is; Spark and Snowflake need it translated. Parsing patterns use the single-letter Java
// fields (`M`, `d`) so `9 1, 2016` and `09 01, 2016` both parse, as they do in DuckDB.

export const SUPPORTED_CODES: Readonly<Record<string, string>> = {
  Y: "yyyy",
  m: "M",
  d: "d",
  H: "H",
  I: "h",
  M: "mm",
  S: "ss",
  f: "SSSSSS",
  b: "MMM",
  B: "MMMM",
  p: "a",
  "%": "%",
};

/** Returns the first unsupported `%x` code in a format, or undefined when all are supported. */
export function unsupportedCode(fmt: string): string | undefined {
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== "%") continue;
    const c = fmt[i + 1];
    if (c === undefined || !(c in SUPPORTED_CODES)) return `%${c ?? ""}`;
    i++;
  }
  return undefined;
}

/** Translates a strftime-style pattern to a Java DateTimeFormatter pattern (Spark). */
export function strftimeToJava(fmt: string): string {
  let out = "";
  let literal = "";
  const flush = (): void => {
    if (!literal) return;
    // Letters are pattern fields in Java, so literal runs containing letters are quoted.
    out += /[A-Za-z']/.test(literal) ? `'${literal.replace(/'/g, "''")}'` : literal;
    literal = "";
  };
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch === "%" && i + 1 < fmt.length) {
      const code = fmt[i + 1]!;
      i++;
      if (code === "%") {
        literal += "%";
        continue;
      }
      flush();
      const java = SUPPORTED_CODES[code];
      if (java === undefined) throw new Error(`strftimeToJava: unsupported code %${code} (the checker should have rejected it)`);
      out += java;
      continue;
    }
    literal += ch;
  }
  flush();
  return out;
}

const SNOWFLAKE_CODES: Readonly<Record<string, string>> = {
  Y: "YYYY",
  m: "MM",
  d: "DD",
  H: "HH24",
  I: "HH12",
  M: "MI",
  S: "SS",
  f: "FF6",
  b: "MON",
  B: "MMMM",
  p: "AM",
};

/** Translates a strftime-style pattern to a Snowflake format string; literals are double-quoted. */
export function strftimeToSnowflake(fmt: string): string {
  let out = "";
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch === "%" && i + 1 < fmt.length && fmt[i + 1] !== "%") {
      const code = SNOWFLAKE_CODES[fmt[i + 1]!];
      if (code === undefined) throw new Error(`strftimeToSnowflake: unsupported code %${fmt[i + 1]}`);
      out += code;
      i++;
      continue;
    }
    if (ch === "%") i++;
    out += /[A-Za-z]/.test(ch) ? `"${ch}"` : ch;
  }
  return out;
}
