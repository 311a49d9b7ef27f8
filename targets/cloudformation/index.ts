// The CloudFormation target: one readable YAML template per pipeline, reviewed in pull requests.
import { stringify } from "yaml";
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { glueScripts } from "../glue/index.js";
import { generatedBy } from "../text-escape.js";
import { yamlComment } from "../yaml-escape.js";
import { buildTemplate } from "./template.js";

export { buildTemplate, type Template } from "./template.js";
export { CONDITIONS, LOGICAL, OUTPUTS, PARAMETERS, physicalNames } from "./names.js";

export const TEMPLATE_PATH = "cloudformation/template.yaml";

export function templateYaml(ir: PipelineIR): string {
  const template = buildTemplate(ir, glueScripts(ir));
  // YAML 1.1 rules quote `2010-09-09`, `yes` and `on`, which YAML 1.1 readers would otherwise
  // turn into dates and booleans. lineWidth 0 never folds long strings: one value, one diff line.
  const body = stringify(template, { version: "1.1", lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
  return `${yamlComment(generatedBy(ir.sourceFile))}\n${body}`;
}

export function emitCloudFormation(ir: PipelineIR): EmittedFile[] {
  return [{ path: TEMPLATE_PATH, contents: templateYaml(ir) }];
}

export const cloudformationTarget = {
  name: "cloudformation",
  description: "AWS CloudFormation stack: buckets, EventBridge rules, Glue jobs, state machine, IAM, alarms",
  emit: emitCloudFormation,
};
