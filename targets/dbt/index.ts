// The dbt target: one project for all pipelines at the repository root (`dbt/`), with each
// pipeline's staging and mart models in folders it owns.
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { STRATEGY, strategyMacroSql } from "./macros.js";
import { martModelSql } from "./marts.js";
import { martsDir, stagingDir, stagingModel } from "./naming.js";
import { dbtProjectYaml, environmentProfilesExample, profilesExample } from "./project.js";
import { martModelsYaml, sourcesYaml, stagingModelsYaml } from "./properties.js";
import { stagingModelSql } from "./staging.js";

export { HISTORY_SUFFIX } from "./macros.js";
export { renderForDuckDB, type LocalModel, type LocalProject, type LocalTest, type StrategyCall } from "./render-local.js";
export { UserProjectError, userModelsDir, userTestsDir, type UserDbtFile, type UserDbtFiles } from "./user-project.js";
export { duckdbSourceRelation, duckdbSourceSchema, stagingModel } from "./naming.js";

const project = (path: string, contents: string): EmittedFile => ({ path, contents, scope: "project" });

export function emitDbt(ir: PipelineIR): EmittedFile[] {
  const staging = stagingDir(ir);
  const marts = martsDir(ir);
  const files = [
    project("dbt/dbt_project.yml", dbtProjectYaml()),
    project("dbt/profiles.yml.example", profilesExample()),
    project(`dbt/macros/${STRATEGY}.sql`, strategyMacroSql()),
    project(`${staging}/_sources.yml`, sourcesYaml(ir)),
    project(`${staging}/_models.yml`, stagingModelsYaml(ir)),
    ...ir.tables.map((t) => project(`${staging}/${stagingModel(ir, t.name)}.sql`, stagingModelSql(ir, t))),
  ];
  // Every environment of a pipeline emits the same dbt files: one project serves them all.
  if (ir.environment) files.push(project(`dbt/profiles.${ir.name}.yml.example`, environmentProfilesExample(ir)));
  if (ir.marts.length > 0) {
    files.push(project(`${marts}/_models.yml`, martModelsYaml(ir)));
    for (const m of ir.marts) files.push(project(`${marts}/${m.name}.sql`, martModelSql(ir, m)));
  }
  return files;
}

export const dbtTarget = {
  name: "dbt",
  description: "dbt project (dbt/): incremental staging models over the external tables, incremental marts by arrival, generated tests",
  emit: emitDbt,
  projectDirs: (ir: PipelineIR): readonly string[] => [stagingDir(ir), martsDir(ir)],
};
