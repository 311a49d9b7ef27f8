// A small syntax highlighter for the generated artifacts (SQL with Jinja, Python, YAML, JSON,
// Markdown), run when the site is emitted so pages need no script and nothing from a CDN. Each
// language is an ordered list of sticky regular expressions; the first that matches at the
// current position makes a token, and any other character is plain text. Every token's text goes
// through `esc`.
import { esc } from "./html.js";

type Rule = readonly [cls: string | undefined, re: RegExp];

export type Language = "sql" | "python" | "yaml" | "json" | "markdown" | "text";

const words = (list: string): Set<string> => new Set(list.split(/\s+/).filter(Boolean));

const SQL_KEYWORDS = words(`select from where and or not null is in as on join left right inner outer full cross group by order
  having limit union all distinct case when then else end create replace table view external stage file format integration
  storage if exists insert into values update delete merge using matched set alter grant usage to role schema database
  with cast try_cast over partition coalesce true false auto_refresh location pattern type comment enabled allowed_locations
  storage_aws_role_arn storage_provider drop materialized incremental unique_key config ref source is_incremental refresh
  varchar bigint double boolean date timestamp decimal integer number string timestamp_ntz variant interval`);
const PY_KEYWORDS = words(`def class return if else elif for in import from as with try except finally raise None True False
  and or not is lambda pass while break continue yield async await global nonlocal assert del`);

const NUMBER: Rule = ["num", /-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b/y];
const JINJA: Rule = ["tpl", /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/y];
const WORD: Rule = ["word", /[A-Za-z_][A-Za-z0-9_$]*/y];

const RULES: Record<Exclude<Language, "text">, readonly Rule[]> = {
  sql: [JINJA, ["com", /--[^\n]*/y], ["com", /\/\*[\s\S]*?\*\//y], ["str", /'(?:[^']|'')*'/y], ["str", /\$\$[\s\S]*?\$\$/y], ["id", /"(?:[^"]|"")*"/y], NUMBER, WORD],
  python: [
    ["com", /#[^\n]*/y],
    ["str", /[rRbBfFuU]{0,2}(?:"""[\s\S]*?"""|'''[\s\S]*?''')/y],
    ["str", /[rRbBfFuU]{0,2}(?:"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/y],
    NUMBER,
    WORD,
  ],
  yaml: [
    ["com", /(?<=^|\s)#[^\n]*/my],
    ["key", /^[ \t]*(?:- )*(?:"(?:\\.|[^"\\\n])*"|'(?:[^'\n]|'')*'|[^\s#'"{}[\],:][^\n#:]*?)(?=:(?:\s|$))/my],
    JINJA,
    ["str", /"(?:\\.|[^"\\\n])*"|'(?:[^'\n]|'')*'/y],
    ["kw", /\b(?:true|false|null|yes|no|on|off)\b/y],
    NUMBER,
  ],
  json: [["key", /"(?:\\.|[^"\\])*"(?=\s*:)/y], ["str", /"(?:\\.|[^"\\])*"/y], ["kw", /\b(?:true|false|null)\b/y], NUMBER],
  markdown: [["kw", /^#{1,6} [^\n]*/my], ["str", /```[\s\S]*?```/y], ["com", /<!--[\s\S]*?-->/y], ["id", /`[^`\n]*`/y]],
};

export function languageOf(path: string): Language {
  if (/\.sql$/.test(path)) return "sql";
  if (/\.py$/.test(path)) return "python";
  if (/\.(ya?ml|yml\.example)$/.test(path)) return "yaml";
  if (/\.json$/.test(path)) return "json";
  if (/\.md$/.test(path)) return "markdown";
  return "text";
}

interface Token {
  readonly cls: string | undefined;
  readonly text: string;
}

function classify(lang: Language, cls: string, text: string): string | undefined {
  if (cls !== "word") return cls;
  const keywords = lang === "sql" ? SQL_KEYWORDS : PY_KEYWORDS;
  return keywords.has(lang === "sql" ? text.toLowerCase() : text) ? "kw" : undefined;
}

export function tokenize(text: string, lang: Language): Token[] {
  const rules = lang === "text" ? [] : RULES[lang];
  const out: Token[] = [];
  let plain = "";
  let i = 0;
  while (i < text.length) {
    let matched: Token | undefined;
    for (const [cls, re] of rules) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (m && m[0].length > 0) {
        matched = { cls: cls && classify(lang, cls, m[0]), text: m[0] };
        break;
      }
    }
    if (!matched) {
      plain += text[i];
      i += 1;
      continue;
    }
    if (plain) out.push({ cls: undefined, text: plain });
    plain = "";
    out.push(matched);
    i += matched.text.length;
  }
  if (plain) out.push({ cls: undefined, text: plain });
  return out;
}

/** The highlighted text as one HTML fragment per line (tokens that span lines are split). */
export function highlightLines(text: string, lang: Language): string[] {
  const lines: string[] = [""];
  for (const t of tokenize(text, lang)) {
    t.text.split("\n").forEach((piece, i) => {
      if (i > 0) lines.push("");
      if (piece) lines[lines.length - 1] += t.cls ? `<span class="${t.cls}">${esc(piece)}</span>` : esc(piece);
    });
  }
  if (lines.length > 1 && lines[lines.length - 1] === "" && text.endsWith("\n")) lines.pop();
  return lines;
}

/** A `<pre>` with numbered, linkable lines (`#L12`). */
export function highlightedPre(text: string, lang: Language): string {
  const rows = highlightLines(text, lang).map((html, i) => `<span class="line" id="L${i + 1}"><a class="ln" href="#L${i + 1}">${i + 1}</a>${html}</span>`);
  // Lines are blocks, so no newline between them (it would render as an empty line).
  return `<pre class="code lang-${lang}"><code>${rows.join("")}</code></pre>`;
}
