// The regular expressions regexp_extract accepts: the subset that means the same in RE2
// (DuckDB), java.util.regex (Spark) and Snowflake's POSIX ERE with Perl-style class escapes.
// Anything outside it is rejected at compile time rather than matching differently per engine.

const ALLOWED_ESCAPES = new Set(["d", "D", "w", "W", "s", "S", "t", "n", "r"]);

/** Why `re` is outside the portable subset, or undefined when it is inside (and compiles). */
export function regexProblem(re: string): string | undefined {
  if (re === "") return "the pattern of regexp_extract is empty";
  if (/\(\?/.test(re))
    return "regexp_extract patterns cannot use (?…) groups (lookaround, named or non-capturing groups, inline flags): Snowflake's regular expressions have none";
  if (/[*+?}]\?/.test(re))
    return "regexp_extract patterns cannot use lazy quantifiers (*?, +?, ??): Snowflake's regular expressions have none";
  if (/[*+?}]\+/.test(re)) return "regexp_extract patterns cannot use possessive quantifiers (*+, ++): DuckDB and Snowflake have none";
  if (/\[\[?:/.test(re) || /\[:[a-z]+:\]/.test(re))
    return "regexp_extract patterns cannot use POSIX classes like [[:alpha:]]: Spark has none; write [A-Za-z]";
  for (let i = 0; i < re.length; i++) {
    if (re[i] !== "\\") continue;
    const c = re[i + 1];
    if (c === undefined) return "the pattern of regexp_extract ends with a lone backslash";
    if (/[A-Za-z0-9]/.test(c) && !ALLOWED_ESCAPES.has(c)) {
      return `regexp_extract patterns cannot use \\${c}: only \\d \\w \\s (and \\D \\W \\S \\t \\n \\r) and escaped punctuation mean the same in every engine`;
    }
    i++;
  }
  try {
    new RegExp(re, "u");
  } catch (e) {
    return `the pattern of regexp_extract is not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`;
  }
  return undefined;
}
