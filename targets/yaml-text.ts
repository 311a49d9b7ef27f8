// The one YAML writer of every target. Each YAML lakec writes is read by Python tools (dbt and
// cfn-lint load it with PyYAML, which implements YAML 1.1) as well as by YAML 1.2 readers, so a
// string must stay a string under both: `no`, `on`, `y` are booleans in 1.1, `0o17` is an
// integer in 1.2 only, `1:20` is a base-60 integer and `2024-01-01` a date in 1.1 only.
import { Document, parse, visit, type Scalar } from "yaml";
import { oneLine } from "./text-escape.js";

/**
 * A YAML comment line. Scalars are written by yamlText (the `yaml` package quotes what needs
 * quoting); comments are the one place text is printed by hand, so a line break in it cannot
 * start a new key or document.
 */
export function yamlComment(text: string): string {
  return `# ${oneLine(text)}`;
}

/**
 * PyYAML resolves two plain scalars the `yaml` package's 1.1 schema keeps as strings: `=` (the
 * `tag:yaml.org,2002:value` type, which PyYAML's safe loader cannot even construct) and `<<`
 * (the merge key).
 */
const PYYAML_ONLY = new Set(["=", "<<"]);

function readsAs(text: string, version: "1.1" | "1.2"): unknown {
  try {
    return parse(text, { version, logLevel: "silent" });
  } catch {
    return undefined;
  }
}

/** True when the plain spelling of `s` would be read back as `s` by both YAML 1.1 and 1.2 readers. */
export function isPlainSafe(s: string): boolean {
  if (PYYAML_ONLY.has(s)) return false;
  return readsAs(s, "1.1") === s && readsAs(s, "1.2") === s;
}

export interface YamlTextOptions {
  /** Comment lines written above the document, each made by yamlComment. */
  readonly header?: readonly string[];
}

/**
 * Serialises plain data (no aliases, strings never folded) so that it means the same to YAML 1.1
 * and YAML 1.2 readers: every string whose plain form either version would read as anything but
 * that string is double-quoted.
 */
export function yamlText(value: unknown, options: YamlTextOptions = {}): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value === "string" && !isPlainSafe(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  const body = doc.toString({ lineWidth: 0, minContentWidth: 0 });
  return [...(options.header ?? []), body].join("\n");
}

/** Parses generated YAML the way dbt does (PyYAML, YAML 1.1), so the local run reads what ships. */
export function parseAsDbt(text: string): unknown {
  return parse(text, { version: "1.1" });
}
