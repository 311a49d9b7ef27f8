// The Airflow target: one DAG per pipeline (and environment) that runs the pipeline's dbt models and tests.
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { dagId, dagPython } from "./dag.js";

export { AIRFLOW_IMPORTS, alertTopicEnv, dagId, processedDatasetUris } from "./dag.js";

export function emitAirflow(ir: PipelineIR): EmittedFile[] {
  return [{ path: `airflow/${dagId(ir)}.py`, contents: dagPython(ir) }];
}

export const airflowTarget = {
  name: "airflow",
  description: "Airflow DAG running dbt source freshness and dbt build for the pipeline (cron, preset or Datasets/Assets)",
  emit: emitAirflow,
};
