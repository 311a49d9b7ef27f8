// What the local lake should hold for this IR: per-source semantics fingerprints (the engine's
// own, so plan and `lakec run` agree on what is stale), view shapes, and the dbt models as the
// local engine renders them, hand-written ones included (`user`).
import { typeToString, type PipelineIR } from "../../../compiler/ir.js";
import { semanticsFingerprint } from "../../../engine/index.js";
import { duckdbSourceRelation, emitDbt, renderForDuckDB, type UserDbtFiles } from "../../../targets/dbt/index.js";
import { pipelineDefinitions } from "../../definitions.js";
import type { LocalDesired, LocalModelSpec } from "../../diff-local.js";
import { fingerprint } from "../../plan.js";

export function localDesired(ir: PipelineIR, user?: UserDbtFiles): LocalDesired {
  const project = renderForDuckDB(ir, emitDbt(ir), {}, user);
  const marts = new Set(ir.marts.map((m) => m.name));
  const models: LocalModelSpec[] = project.models.map((m) => ({
    name: m.name,
    hash: fingerprint({ sql: m.sql, materialized: m.materialized }),
    mart: marts.has(m.name),
    sql: m.sql,
    // source() references are rendered to the view's relation; ref() ones are listed by the renderer.
    dependsOn: [
      ...m.dependsOn,
      ...ir.tables.filter((t) => m.sql.includes(duckdbSourceRelation(ir, t.name))).map((t) => `source:${t.name}`),
    ],
  }));
  return {
    semantics: Object.fromEntries(ir.sources.map((s) => [s.name, semanticsFingerprint(ir, s)])),
    columnTypes: Object.fromEntries(
      ir.sources.map((s) => [s.name, Object.fromEntries(s.columns.map((c) => [c.name, typeToString(c.type)]))]),
    ),
    views: Object.fromEntries(
      ir.tables.map((t) => [
        t.name,
        fingerprint({ columns: t.columns.map((c) => [c.name, typeToString(c.type)]), partition: t.partition?.key ?? null }),
      ]),
    ),
    models,
    tableSource: Object.fromEntries(ir.tables.map((t) => [t.name, t.source])),
    mainTables: Object.fromEntries(ir.sources.map((s) => [s.name, s.mainTable])),
    definitions: pipelineDefinitions(ir),
  };
}
