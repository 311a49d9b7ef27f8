// The Step Functions target: the state machine definition as a standalone ASL file. The same
// definition is embedded in the CloudFormation template, and the local engine executes it.
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { buildDefinition } from "./definition.js";

export { AIRFLOW_ERROR, AIRFLOW_STATE } from "./airflow-events.js";
export { DEDUPE_STATE, DELIVERY_KEY_ATTRIBUTE } from "./dedupe.js";
export { DATA_ERROR_CLASS, GLUE_STEP_ERROR } from "./glue-step.js";
export { ARRIVALS, buildDefinition, matchPattern, prefixVariants, sourceStateName, STATE, SUBSTITUTIONS } from "./definition.js";

export const ASL_PATH = "stepfunctions/state-machine.asl.json";

export function emitStateMachine(ir: PipelineIR): EmittedFile[] {
  return [{ path: ASL_PATH, contents: `${JSON.stringify(buildDefinition(ir), null, 2)}\n` }];
}

export const stepFunctionsTarget = {
  name: "stepfunctions",
  description: "AWS Step Functions state machine (ASL): route the S3 event, run Glue clean then flatten, alert on failure",
  emit: emitStateMachine,
};
