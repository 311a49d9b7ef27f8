// Measures what a cleaning change would do to the rows the local lake publishes now, before the
// plan is made, the way SQLMesh's table diff runs the new model against the current table: each
// check the deployed pipeline did not have is evaluated over the source's published main table
// (through the read-only warehouse connection `lakec query` uses, so planning never writes or
// waits on a run), removed columns' values are counted there, and the quarantine's size comes
// from the run manifests. The pure diff (deploy/diff-local.ts) only reads the numbers.
import { printExpr, quoteIdent, quoteString } from "../../../compiler/expr/print.js";
import type { PipelineIR, SourceIR } from "../../../compiler/ir.js";
import { NoWarehouseError, queryWarehouse } from "../../../engine/index.js";
import { addedChecks, removedColumns, type CleaningCounts } from "../../cleaning-changes.js";
import { canonicalJson } from "../../plan.js";
import type { Definition } from "../../definitions.js";
import { sourceDefinition } from "../../definitions.js";
import type { DeployedRecord } from "../../diff-local.js";

const q = (n: string): string => quoteIdent("duckdb", n);

/** Names the check reads (its refs): a check on a column the published table lacks cannot be counted. */
function refsOf(e: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(e)) for (const x of e) refsOf(x, into);
  else if (e !== null && typeof e === "object") {
    const o = e as Record<string, unknown>;
    if (o["k"] === "ref" && typeof o["name"] === "string") into.add(o["name"]);
    for (const v of Object.values(o)) refsOf(v, into);
  }
  return into;
}

async function publishedColumns(lakeDir: string, table: string): Promise<Set<string>> {
  const r = await queryWarehouse(
    lakeDir,
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${quoteString("duckdb", table)}`,
  );
  return new Set(r.rows.map((row) => String(row[0])));
}

async function measure(
  lakeDir: string,
  source: SourceIR,
  before: Definition,
  after: Definition,
): Promise<Omit<CleaningCounts, "quarantined">> {
  const table = source.mainTable;
  const columns = await publishedColumns(lakeDir, table);
  if (!columns.size) return { unavailable: [`${table} is not in the warehouse yet`] };
  const unavailable: string[] = [];
  const added = new Set(addedChecks(before, after));
  const checks = source.checks.filter((c) => added.has(`check ${JSON.stringify(c)}`));
  const countable = checks.filter((c) => [...refsOf(c.fails, new Set())].every((n) => columns.has(n)));
  for (const c of checks)
    if (!countable.includes(c)) unavailable.push(`the ${c.reason} check reads ${c.column}, which ${table} does not publish yet`);
  const removed = removedColumns(before, after).filter((c) => columns.has(c));
  const out: { failingNewChecks?: number; removedColumnValues?: Record<string, number>; unavailable?: string[] } = {};
  if (unavailable.length) out.unavailable = unavailable;
  if (!countable.length && !removed.length) return out;
  // A NULL check result is a pass, as in the clean SQL's CASE: FILTER drops it the same way.
  const failing = countable.length ? countable.map((c) => `(${printExpr(c.fails, "duckdb")})`).join(" OR ") : "false";
  const selects = [`count(*) FILTER (WHERE ${failing})`, ...removed.map((c) => `count(${q(c)})`)];
  const [row] = (await queryWarehouse(lakeDir, `SELECT ${selects.join(", ")} FROM main.${q(table)}`)).rows;
  if (countable.length && !unavailable.length) out.failingNewChecks = Number(row![0]);
  if (removed.length) out.removedColumnValues = Object.fromEntries(removed.map((c, i) => [c, Number(row![i + 1])]));
  return out;
}

/**
 * Counts for each source whose recorded definition differs from the desired one. `quarantined`
 * maps a source to the records its current manifests put in the quarantine.
 */
export async function countCleaningChanges(
  lakeDir: string,
  ir: PipelineIR,
  record: DeployedRecord | undefined,
  quarantined: ReadonlyMap<string, number>,
): Promise<Record<string, CleaningCounts>> {
  const out: Record<string, CleaningCounts> = {};
  for (const source of ir.sources) {
    const before = record?.definitions?.sources[source.name];
    const after = sourceDefinition(source);
    if (!before || canonicalJson(before) === canonicalJson(after)) continue;
    const base = { quarantined: quarantined.get(source.name) ?? 0 };
    try {
      out[source.name] = { ...base, ...(await measure(lakeDir, source, before, after)) };
    } catch (e) {
      if (!(e instanceof NoWarehouseError)) throw e;
      out[source.name] = { ...base, unavailable: ["the local lake has no warehouse yet (run `lakec run` or `lakec apply` first)"] };
    }
  }
  return out;
}
