// `lakec validate` for hand-written dbt models: their refs are checked while rendering
// (targets/dbt/user-project.ts); here their SQL is bound on DuckDB against the schema the
// pipeline compiles to, so a column the pipeline renamed or removed fails in validate, not in
// production. Nothing is read from the lake: every external table is an empty relation with the
// IR's exact column types, the generated models are views over them (their full-refresh SQL),
// and each hand-written model and test is bound in dependency order. Binding checks every name
// (columns, tables, functions) and the types DuckDB resolves at bind time; it cannot check what
// only fails on data (a cast of a bad value), nor Snowflake-only SQL (see docs/local-engine.md).
import type { DuckDBConnection } from "@duckdb/node-api";
import { didYouMean, type Diagnostic } from "../compiler/diagnostics.js";
import { quoteIdent } from "../compiler/expr/print.js";
import type { PipelineIR } from "../compiler/ir.js";
import {
  duckdbSourceRelation,
  duckdbSourceSchema,
  emitDbt,
  renderForDuckDB,
  UserProjectError,
  type LocalProject,
  type UserDbtFile,
  type UserDbtFiles,
} from "../targets/dbt/index.js";
import { columnPosition, diagnostic, positionOf, type Position } from "../targets/dbt/user-project.js";
import { lakePaths } from "./lake.js";
import { externalTableSql } from "./warehouse.js";

const q = (n: string): string => quoteIdent("duckdb", n);

const COLUMN_ERRORS = [
  /Referenced column "([^"]+)" not found/,
  /does not have a column named "([^"]+)"/,
  /column "([^"]+)" (?:must appear in the GROUP BY|not found)/i,
];

/** The source line DuckDB quotes (`LINE 4:   avg(stars) …`), found in the hand-written file. */
function quotedLine(file: UserDbtFile, message: string): number | undefined {
  const quoted = /LINE \d+:\s?(.*)/.exec(message)?.[1]?.trim();
  if (!quoted) return undefined;
  const probe = quoted.replace(/\.\.\.$/, "").slice(0, 60);
  const i = file.text.split("\n").findIndex((l) => l.includes(probe));
  return i < 0 ? undefined : i + 1;
}

function positionIn(file: UserDbtFile, message: string, word: string | undefined): Position {
  const line = quotedLine(file, message);
  if (word !== undefined) {
    if (line !== undefined) {
      const text = file.text.split("\n")[line - 1]!;
      const col = text.toLowerCase().indexOf(word.toLowerCase());
      if (col >= 0) return { line, col: col + 1, endCol: col + 1 + word.length };
    }
    return columnPosition(file, word);
  }
  return line !== undefined ? { line, col: 1 } : { line: 1, col: 1 };
}

async function columnsOf(conn: DuckDBConnection, models: readonly string[]): Promise<string[]> {
  const cols: string[] = [];
  for (const m of models) {
    const r = await conn.runAndReadAll(`DESCRIBE ${q(m)}`).catch(() => undefined);
    for (const row of r?.getRowObjectsJson() ?? []) cols.push(String(row.column_name));
  }
  return cols;
}

/** One DuckDB error on a hand-written file as a diagnostic: a missing column is LK602, anything else LK608. */
async function bindFailure(
  conn: DuckDBConnection,
  file: UserDbtFile,
  refs: readonly string[],
  e: unknown,
  what: string,
  readsGenerated: boolean,
): Promise<Diagnostic> {
  const message = e instanceof Error ? e.message : String(e);
  const first = message.split("\n")[0]!;
  const column = COLUMN_ERRORS.map((re) => re.exec(message)?.[1]).find((x) => x !== undefined);
  if (column !== undefined) {
    const available = await columnsOf(conn, refs);
    const near = didYouMean(column.replace(/^.*\./, ""), available);
    const where = refs.length > 0 ? ` of ${refs.map((r) => `ref('${r}')`).join(", ")}` : "";
    const hint = `${near ?? `columns${where}: ${available.join(", ")}`}${readsGenerated ? "; the pipeline may have renamed or removed it" : ""}`;
    return diagnostic(
      file,
      positionIn(file, message, column.replace(/^.*\./, "")),
      "LK602",
      `${what}: column '${column}' does not exist (DuckDB: ${first})`,
      hint,
    );
  }
  const near = /at or near "([^"]+)"/.exec(message)?.[1];
  return diagnostic(
    file,
    positionIn(file, message, near),
    "LK608",
    `${what} does not bind on DuckDB: ${first}`,
    "the local engine runs this SQL on DuckDB; see docs/local-engine.md for SQL that differs from Snowflake",
  );
}

async function createSources(conn: DuckDBConnection, ir: PipelineIR): Promise<void> {
  await conn.run(`CREATE SCHEMA ${q(duckdbSourceSchema(ir))}`);
  const nowhere = lakePaths("/nonexistent-lakec-lake");
  for (const t of ir.tables) await conn.run(`CREATE VIEW ${duckdbSourceRelation(ir, t.name)} AS ${await externalTableSql(nowhere, t, [])}`);
}

async function bindProject(conn: DuckDBConnection, ir: PipelineIR, project: LocalProject, user: UserDbtFiles): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const byRel = new Map([...user.models, ...user.properties, ...user.tests].map((f) => [f.rel, f]));
  const failed = new Set<string>();
  const userModels = new Set(project.models.filter((m) => m.userFile !== undefined).map((m) => m.name));
  await createSources(conn, ir);
  for (const m of project.models) {
    if (m.dependsOn.some((d) => failed.has(d))) {
      failed.add(m.name);
      continue;
    }
    try {
      await conn.run(`CREATE VIEW ${q(m.name)} AS ${m.sql}`);
    } catch (e) {
      failed.add(m.name);
      const file = m.userFile === undefined ? undefined : byRel.get(m.userFile);
      if (!file) throw new Error(`the generated model ${m.name} does not bind on DuckDB: ${e instanceof Error ? e.message : String(e)}`);
      out.push(
        await bindFailure(
          conn,
          file,
          m.dependsOn,
          e,
          `model ${m.name}`,
          m.dependsOn.some((d) => !userModels.has(d)),
        ),
      );
    }
  }
  for (const t of project.tests.filter((x) => x.userFile !== undefined)) {
    const reads = t.models ?? [t.model];
    if (reads.some((m) => failed.has(m))) continue;
    try {
      await conn.prepare(`SELECT count(*) FROM (${t.sql}) AS failing`);
    } catch (e) {
      const file = byRel.get(t.userFile!)!;
      const d = await bindFailure(
        conn,
        file,
        reads,
        e,
        `test ${t.name}`,
        reads.some((r) => !userModels.has(r)),
      );
      // A generic test in a .yml names its column as `- name: <column>`.
      const column = t.column;
      out.push(
        column !== undefined && /\.ya?ml$/.test(file.rel)
          ? {
              ...d,
              ...span(positionOf(file.text, new RegExp(`name:\\s*['"]?(${column.replace(/[^A-Za-z0-9_]/g, "\\$&")})['"]?\\s*$`, "m"), 1)),
            }
          : d,
      );
    }
  }
  return out;
}

const span = (p: Position): Pick<Diagnostic, "line" | "col" | "endLine" | "endCol"> => ({
  line: p.line,
  col: p.col,
  endLine: p.line,
  endCol: p.endCol ?? p.col + 1,
});

/**
 * Every problem with one pipeline's hand-written dbt files: rendering and refs first (pure),
 * then, when those are clean, the binding of each model and test on an empty DuckDB.
 */
export async function checkUserProject(ir: PipelineIR, user: UserDbtFiles): Promise<Diagnostic[]> {
  let project: LocalProject;
  try {
    project = renderForDuckDB(ir, emitDbt(ir), {}, user);
  } catch (e) {
    if (e instanceof UserProjectError) return [...e.diagnostics];
    throw e;
  }
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { autoinstall_known_extensions: "false", autoload_known_extensions: "false" });
  const conn = await instance.connect();
  try {
    return await bindProject(conn, ir, project, user);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
