// Applies the local steps with the engine's own API: reprocess the stale raw files through the
// compiled state machine (the backfill), drop what the pipeline no longer has, rebuild views,
// models and marts, then record what was built in state/deployed.json. Every step is
// idempotent, so an interrupted apply is finished by running it again.
import { duckdb } from "../../../engine/index.js";
import { quoteIdent } from "../../../compiler/expr/print.js";
import type { PipelineIR } from "../../../compiler/ir.js";
import {
  openLake,
  processRawFile,
  refreshWarehouse,
  type FileSummary,
  type LakeOptions,
  type WarehouseResult,
} from "../../../engine/index.js";
import { duckdbSourceRelation, HISTORY_SUFFIX } from "../../../targets/dbt/index.js";
import type { Step } from "../../plan.js";
import type { Desired } from "../../desired.js";
import { localDesired } from "./desired.js";
import { writeDeployedRecord } from "./state.js";

export interface LocalApplyResult {
  readonly files: readonly FileSummary[];
  readonly warehouse?: WarehouseResult;
  /** Files that failed, dbt tests that failed: apply finished but is not clean. */
  readonly problems: readonly string[];
}

const q = (n: string): string => quoteIdent("duckdb", n);

/**
 * Removed views and marts: the warehouse build only creates, so drops are ours. `warehouse` is
 * the build's private copy (refreshWarehouse's beforeBuild), never the file readers have open.
 */
async function dropRemoved(warehouse: string, ir: PipelineIR, drops: readonly Step[]): Promise<void> {
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(warehouse);
  const conn = await instance.connect();
  try {
    for (const s of drops) {
      if (s.layer !== "local") continue;
      const name = s.name;
      if (s.kind === "view") {
        await conn.run(`DROP VIEW IF EXISTS ${duckdbSourceRelation(ir, name)}`);
        await conn.run(`DROP VIEW IF EXISTS main.${q(name)}`);
      } else {
        // A model is a view or a table depending on its materialization; drop whichever exists.
        const rows = (
          await conn.runAndReadAll(
            `SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '${name.replace(/'/g, "''")}'`,
          )
        ).getRowObjectsJson();
        const type = rows[0]?.table_type;
        if (type) await conn.run(`DROP ${type === "VIEW" ? "VIEW" : "TABLE"} main.${q(name)}`);
        // An incremental staging model's history of replaced rows goes with it (targets/dbt/macros.ts).
        await conn.run(`DROP TABLE IF EXISTS main.${q(`${name}${HISTORY_SUFFIX}`)}`);
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export async function applyLocal(
  lakeDir: string,
  ir: PipelineIR,
  steps: readonly Step[],
  opts: LakeOptions & { log: (l: string) => void; dbtProject?: Desired["dbtProject"] },
): Promise<LocalApplyResult> {
  const mine = steps.filter((s) => s.layer === "local" && s.action !== "noop");
  if (!mine.length) return { files: [], problems: [] };
  const lake = await openLake(lakeDir, opts);
  const files: FileSummary[] = [];
  try {
    for (const s of mine.filter((x) => x.action === "reprocess")) {
      for (const rawKey of s.impact?.rawFiles ?? []) {
        const summary = await processRawFile(lake, ir, rawKey);
        opts.log(`local: ${summary.status} ${rawKey}${summary.reason ? ` (${summary.reason})` : ""}`);
        files.push(summary);
      }
    }
    const drops = mine.filter((s) => s.action === "destroy");
    const warehouse = await refreshWarehouse(lake, ir, {
      files,
      ...(drops.length && { beforeBuild: (file: string) => dropRemoved(file, ir, drops) }),
      ...(opts.dbtProject && { dbt: { dbtDir: opts.dbtProject.dir } }),
    });
    opts.log(`local: views ${warehouse.views.length}, models ${warehouse.models.length}, tests ${warehouse.tests.length}`);
    await writeDeployedRecord(lakeDir, ir, localDesired(ir, opts.dbtProject?.files));
    const problems = [
      ...files.filter((f) => f.status === "failed").map((f) => `${f.rawKey}: failed: ${f.reason ?? "unknown"}`),
      ...warehouse.tests.filter((t) => t.failures > 0 && t.severity === "error").map((t) => `test ${t.name} failed: ${t.failures} row(s)`),
    ];
    return { files, warehouse, problems };
  } finally {
    await lake.close();
  }
}
