// Checks across the pipelines compiled together. They share one dbt project (dbt/), and
// usually one Snowflake account and one AWS account, so some names must be unique across
// files, which no check of a single file can see. The first file (in the order given) keeps a
// name; every later file that claims it again gets the diagnostic, pointing at its own text.
import type { Diagnostic, DocPath, Locator } from "../diagnostics.js";
import type { PipelineIR, TableIR } from "../ir.js";

export const PROJECT_CODES = {
  LK501: "two pipelines compiled together have the same name",
  LK502: "two pipelines define a mart of the same name (a dbt project needs unique model names)",
  LK503: "two pipelines name the same Snowflake storage integration",
  LK504: "two pipelines write an output table of the same name into the same processed bucket or Snowflake schema",
} as const;

export type ProjectCode = keyof typeof PROJECT_CODES;

/** One compiled pipeline: its file as shown, its IR and the locator of its text. */
export interface ProjectMember {
  readonly file: string;
  readonly ir: PipelineIR;
  readonly locate: Locator;
}

interface Claim {
  readonly key: string;
  readonly code: ProjectCode;
  readonly path: DocPath;
  /** Point at the mapping key (a mart's or a source's name) rather than its value. */
  readonly atKey: boolean;
  readonly message: (earlier: string) => string;
  readonly hint: string;
}

const q = (s: string): string => `'${s}'`;

/** Where a table is declared: its source for a main table, the flatten entry's `table` for a child. */
function tablePath(t: TableIR): DocPath {
  return t.child ? ["sources", t.source, "flatten", t.child.fromColumn, "table"] : ["sources", t.source];
}

/** Every name this pipeline takes in the shared namespaces, with where to point if it is taken. */
function claims(ir: PipelineIR): Claim[] {
  const out: Claim[] = [
    {
      key: `pipeline:${ir.name}`,
      code: "LK501",
      path: ["name"],
      atKey: false,
      message: (earlier) => `pipeline name ${q(ir.name)} is already the name of ${earlier}`,
      hint: "generated/<name>/, the dbt folders and the stack are named after the pipeline: give each pipeline its own name",
    },
    {
      key: `integration:${ir.snowflake.storageIntegration.toUpperCase()}`,
      code: "LK503",
      path: ["snowflake", "storage_integration"],
      atKey: false,
      message: (earlier) => `storage integration ${q(ir.snowflake.storageIntegration)} is also ${earlier}'s`,
      hint: "an integration trusts one pipeline's IAM role and allows only its table prefixes, and CREATE … IF NOT EXISTS keeps the first: give each pipeline its own storage_integration",
    },
  ];
  for (const m of ir.marts) {
    out.push({
      key: `mart:${m.name}`,
      code: "LK502",
      path: ["marts", m.name],
      atKey: true,
      message: (earlier) => `mart ${q(m.name)} is also defined in ${earlier}`,
      hint: "the marts of all pipelines become models of one dbt project, and dbt needs unique model names: rename one of them",
    });
  }
  const schema = `${ir.snowflake.database}.${ir.snowflake.schema}`.toUpperCase();
  for (const t of ir.tables) {
    const collide = (where: string) => ({
      code: "LK504" as const,
      path: tablePath(t),
      atKey: !t.child,
      message: (earlier: string) => `output table ${q(t.name)} is also written by ${earlier} into the same ${where}`,
      hint: "two pipelines would overwrite each other's files and external tables: rename the table, or use another bucket and schema",
    });
    out.push({ key: `bucket-table:${ir.aws.processedBucket}/${t.name}`, ...collide(`processed bucket ${q(ir.aws.processedBucket)}`) });
    out.push({ key: `schema-table:${schema}.${t.name.toUpperCase()}`, ...collide(`Snowflake schema ${schema}`) });
  }
  return out;
}

/** Diagnostics for names that a later pipeline claims again; empty for a single pipeline. */
export function checkProject(members: readonly ProjectMember[]): Diagnostic[] {
  const owners = new Map<string, string>();
  const out: Diagnostic[] = [];
  for (const m of members) {
    const reported = new Set<string>();
    for (const c of claims(m.ir)) {
      const earlier = owners.get(c.key);
      // The environments of one file share its marts by design; their buckets, schemas and
      // integrations are checked apart from this (LK362, compiler/environments.ts).
      if (earlier === m.file) continue;
      if (earlier === undefined) {
        owners.set(c.key, m.file);
        continue;
      }
      // A table in the same bucket and the same schema is one mistake, reported once.
      const once = `${c.code}:${c.path.join(".")}`;
      if (reported.has(once)) continue;
      reported.add(once);
      const span = m.locate(c.path, { key: c.atKey });
      out.push({ file: m.file, ...span, severity: "error", code: c.code, message: c.message(earlier), hint: c.hint });
    }
  }
  return out;
}
