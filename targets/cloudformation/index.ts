// The CloudFormation target: one readable YAML template per pipeline, reviewed in pull requests.
import { yamlComment, yamlText } from "../yaml-text.js";
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { glueScripts } from "../glue/index.js";
import { generatedBy } from "../text-escape.js";
import { buildTemplate } from "./template.js";

export { buildTemplate, type Template } from "./template.js";
export { CONDITIONS, LOGICAL, OUTPUTS, PARAMETERS, physicalNames } from "./names.js";

export const TEMPLATE_PATH = "cloudformation/template.yaml";

export function templateYaml(ir: PipelineIR): string {
  const template = buildTemplate(ir, glueScripts(ir));
  // cfn-lint and the AWS CLI read templates with PyYAML (YAML 1.1): yamlText quotes `2010-09-09`,
  // `yes` and the like. Strings are never folded: one value, one diff line.
  return yamlText(template, { header: [yamlComment(generatedBy(ir.sourceFile))] });
}

export function emitCloudFormation(ir: PipelineIR): EmittedFile[] {
  return [{ path: TEMPLATE_PATH, contents: templateYaml(ir) }];
}

export const cloudformationTarget = {
  name: "cloudformation",
  description: "AWS CloudFormation stack: buckets, EventBridge rules, Glue jobs, state machine, IAM, alarms",
  emit: emitCloudFormation,
};
