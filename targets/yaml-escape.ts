// YAML escaping for generated files (CloudFormation, dbt properties). Scalars are written by the
// `yaml` package's stringify, never by hand: it quotes what needs quoting (`{{`, `#`, `: `, a
// leading `*`, `yes` under YAML 1.1) and escapes line breaks. Comments are the one place text
// is printed by hand, through yamlComment.
import { oneLine } from "./text-escape.js";

/** A YAML comment line: text with a line break cannot start a new key or document. */
export function yamlComment(text: string): string {
  return `# ${oneLine(text)}`;
}
