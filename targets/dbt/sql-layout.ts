// Formats model SQL with sql-formatter while keeping Jinja intact: the SQL is built with plain
// placeholder identifiers, formatted, and only then are the placeholders replaced by Jinja.
import { format } from "sql-formatter";

export class ModelSql {
  private readonly jinja = new Map<string, string>();

  /** A placeholder identifier that becomes `{{ ref('model') }}` after formatting. */
  ref(model: string): string {
    return this.hold(`{{ ref('${model}') }}`);
  }

  source(source: string, table: string): string {
    return this.hold(`{{ source('${source}', '${table}') }}`);
  }

  /** A placeholder identifier for any Jinja expression. */
  hold(jinja: string): string {
    const key = `lakec_jinja_${this.jinja.size}`;
    this.jinja.set(key, jinja);
    return key;
  }

  /**
   * Formats `sql`, then swaps placeholders for their Jinja. `lines` maps a marker identifier the
   * caller wrote into the SQL (`where …` / `and …` / alone on its line) to the block replacing that line.
   */
  render(sql: string, lines: ReadonlyMap<string, (indent: string, lead: string) => string> = new Map()): string {
    let out = format(sql, { language: "snowflake", keywordCase: "lower", functionCase: "lower", dataTypeCase: "lower", tabWidth: 2 });
    for (const [key, block] of lines) {
      // The formatter puts a lone condition on the line after `where`; take both lines then.
      const re = new RegExp(`^( *)(?:(where)\\n +|(and|where) )?${key}$`, "m");
      const m = re.exec(out);
      if (!m) throw new Error(`formatted SQL lost the line placeholder ${key}`);
      out = out.replace(re, () => block(m[1]!, m[2] ?? m[3] ?? ""));
    }
    for (const [key, jinja] of this.jinja) out = out.replace(new RegExp(`\\b${key}\\b`, "g"), () => jinja);
    return out;
  }
}
