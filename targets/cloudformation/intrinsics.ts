// Plain `Fn::` intrinsic maps. Short-form tags (!Ref) would need custom YAML tags on both the
// writer and every reader of the template; the long forms are valid everywhere.

/** Any CloudFormation template value: literals, lists, maps and intrinsic-function maps. */
export type CfnValue = string | number | boolean | null | readonly CfnValue[] | { readonly [key: string]: CfnValue };

export const ref = (name: string): CfnValue => ({ Ref: name });
export const getAtt = (resource: string, attribute: string): CfnValue => ({ "Fn::GetAtt": [resource, attribute] });
export const sub = (template: string): CfnValue => ({ "Fn::Sub": template });
export const fnIf = (condition: string, whenTrue: CfnValue, whenFalse: CfnValue): CfnValue => ({
  "Fn::If": [condition, whenTrue, whenFalse],
});
export const notEmpty = (parameter: string): CfnValue => ({ "Fn::Not": [{ "Fn::Equals": [ref(parameter), ""] }] });
export const and = (...conditions: string[]): CfnValue => ({ "Fn::And": conditions.map((c) => ({ Condition: c })) });
export const NO_VALUE: CfnValue = ref("AWS::NoValue");

/** `Fn::Sub` treats `${` as a variable; a literal one is written `${!`. */
export function escapeSub(text: string): string {
  return text.replace(/\$\{/g, "${!");
}

export interface Resource {
  readonly Type: string;
  readonly Condition?: string;
  readonly DependsOn?: readonly string[];
  readonly DeletionPolicy?: "Retain" | "Delete" | "Snapshot" | "RetainExceptOnCreate";
  readonly UpdateReplacePolicy?: "Retain" | "Delete" | "Snapshot";
  readonly Properties: { readonly [key: string]: CfnValue };
}

export type Resources = Record<string, Resource>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: CfnValue;
  readonly Action: string | readonly string[];
  /** Absent in trust policies. */
  readonly Resource?: CfnValue;
  readonly Condition?: CfnValue;
}

export const policyDocument = (statements: readonly PolicyStatement[]): CfnValue => ({
  Version: "2012-10-17",
  Statement: statements as unknown as CfnValue,
});

/** A resource policy statement letting EventBridge call `action` on `resource`, for the given rules only. */
export const fromEventBridgeRules = (sid: string, action: string, resource: CfnValue, ruleArns: CfnValue): PolicyStatement => ({
  Sid: sid,
  Effect: "Allow",
  Principal: { Service: "events.amazonaws.com" },
  Action: action,
  Resource: resource,
  Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
});
