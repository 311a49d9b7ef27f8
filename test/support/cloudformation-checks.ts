// Static checks of a CloudFormation template, used by test/targets/cloudformation.test.ts: resource
// types and properties against the current resource spec (@aws-cdk/aws-service-spec), every
// reference resolved, and IAM statements without wildcard actions.
import { loadAwsServiceSpec } from "@aws-cdk/aws-service-spec";

type SpecDb = Awaited<ReturnType<typeof loadAwsServiceSpec>>;
type SpecResource = ReturnType<SpecDb["all"]>[number] & { properties: Record<string, SpecProperty>; attributes: Record<string, unknown> };
interface SpecProperty {
  required?: boolean;
  type: SpecType;
}
type SpecType =
  | { type: "string" | "number" | "integer" | "boolean" | "json" | "date-time" | "null" | "tag" }
  | { type: "ref"; reference: { $ref: string } }
  | { type: "array" | "map"; element: SpecType }
  | { type: "union"; types: SpecType[] };

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const INTRINSIC = /^(Ref|Condition|Fn::[A-Za-z]+)$/;
const isIntrinsic = (v: Json): boolean => isObj(v) && Object.keys(v).length === 1 && INTRINSIC.test(Object.keys(v)[0]!);

export const PSEUDO_PARAMETERS = [
  "AWS::AccountId",
  "AWS::NoValue",
  "AWS::Partition",
  "AWS::Region",
  "AWS::StackId",
  "AWS::StackName",
  "AWS::URLSuffix",
  "AWS::NotificationARNs",
];
const RESOURCE_KEYS = ["Type", "Properties", "DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy", "Metadata"];

export class SpecChecker {
  constructor(private readonly db: SpecDb) {}

  static async load(): Promise<SpecChecker> {
    return new SpecChecker(await loadAwsServiceSpec());
  }

  resource(type: string): SpecResource | undefined {
    const found = this.db.lookup("resource", "cloudFormationType", "equals", type);
    return found.length === 1 ? (found[0] as SpecResource) : undefined;
  }

  /** Every problem with resource types, property names, required properties and GetAtt names. */
  check(template: Obj): string[] {
    const problems: string[] = [];
    for (const [id, res] of Object.entries(template.Resources as Obj)) {
      if (!isObj(res)) continue;
      for (const key of Object.keys(res)) if (!RESOURCE_KEYS.includes(key)) problems.push(`${id}: unknown resource attribute ${key}`);
      const spec = this.resource(String(res.Type));
      if (!spec) {
        problems.push(`${id}: unknown resource type ${String(res.Type)}`);
        continue;
      }
      this.checkProperties(`${id}`, spec.properties, (res.Properties as Obj) ?? {}, problems);
    }
    for (const [where, target, attribute] of getAtts(template)) {
      const res = (template.Resources as Obj)[target];
      const spec = isObj(res) ? this.resource(String(res.Type)) : undefined;
      if (spec && !(attribute in spec.attributes))
        problems.push(`${where}: ${target} (${String((res as Obj).Type)}) has no attribute ${attribute}`);
    }
    return problems;
  }

  private checkProperties(path: string, props: Record<string, SpecProperty>, value: Obj, problems: string[]): void {
    for (const [name, p] of Object.entries(props)) {
      if (p.required && !(name in value)) problems.push(`${path}: required property ${name} is missing`);
    }
    for (const [name, v] of Object.entries(value)) {
      const p = props[name];
      if (!p) problems.push(`${path}: unknown property ${name}`);
      else this.checkValue(`${path}.${name}`, p.type, v, problems);
    }
  }

  private checkValue(path: string, type: SpecType, value: Json, problems: string[]): void {
    if (isIntrinsic(value)) return;
    switch (type.type) {
      case "json":
      case "tag":
        return;
      case "string":
      case "date-time":
        if (typeof value !== "string") problems.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
        return;
      case "number":
      case "integer":
        if (typeof value !== "number" || (type.type === "integer" && !Number.isInteger(value)))
          problems.push(`${path}: expected ${type.type}, got ${JSON.stringify(value)}`);
        return;
      case "boolean":
        if (typeof value !== "boolean") problems.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
        return;
      case "null":
        return;
      case "array":
        if (!Array.isArray(value)) problems.push(`${path}: expected a list`);
        else value.forEach((v, i) => this.checkValue(`${path}[${i}]`, type.element, v, problems));
        return;
      case "map":
        if (!isObj(value)) problems.push(`${path}: expected a map`);
        else for (const [k, v] of Object.entries(value)) this.checkValue(`${path}.${k}`, type.element, v, problems);
        return;
      case "union": {
        const attempts = type.types.map((t) => {
          const p: string[] = [];
          this.checkValue(path, t, value, p);
          return p;
        });
        if (!attempts.some((p) => p.length === 0)) problems.push(...attempts.sort((a, b) => a.length - b.length)[0]!);
        return;
      }
      case "ref": {
        const def = this.db.get("typeDefinition", type.reference.$ref) as unknown as { properties: Record<string, SpecProperty> };
        if (!isObj(value)) problems.push(`${path}: expected an object`);
        else this.checkProperties(path, def.properties, value, problems);
        return;
      }
    }
  }
}

/** [where, resource, attribute] of every Fn::GetAtt, and of every `${Res.Attr}` in Fn::Sub. */
function getAtts(template: Obj): [string, string, string][] {
  const out: [string, string, string][] = [];
  walk(template, "", (path, node) => {
    const getAtt = node["Fn::GetAtt"];
    if (Array.isArray(getAtt)) out.push([path, String(getAtt[0]), String(getAtt[1])]);
    for (const v of subVariables(node)) if (v.includes(".")) out.push([path, v.split(".")[0]!, v.slice(v.indexOf(".") + 1)]);
  });
  return out;
}

function walk(value: Json, path: string, visit: (path: string, node: Obj) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  else if (isObj(value)) {
    visit(path, value);
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, visit);
  }
}

/** Variables of an Fn::Sub node (`${!Literal}` is an escape, not a variable). */
function subVariables(node: Obj): string[] {
  const sub = node["Fn::Sub"];
  if (sub === undefined) return [];
  const [text, vars] = Array.isArray(sub) ? [String(sub[0]), (sub[1] as Obj) ?? {}] : [String(sub), {}];
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1]!).filter((v) => !(v in vars));
}

/** Every Ref, GetAtt, Sub variable, condition name and DependsOn that does not resolve. */
export function unresolvedReferences(template: Obj): string[] {
  const params = Object.keys((template.Parameters as Obj) ?? {});
  const resources = Object.keys(template.Resources as Obj);
  const conditions = Object.keys((template.Conditions as Obj) ?? {});
  const refable = new Set([...params, ...resources, ...PSEUDO_PARAMETERS]);
  const problems: string[] = [];
  walk(template, "", (path, node) => {
    if (typeof node.Ref === "string" && !refable.has(node.Ref)) problems.push(`${path}: Ref ${node.Ref}`);
    const getAtt = node["Fn::GetAtt"];
    if (Array.isArray(getAtt) && !resources.includes(String(getAtt[0]))) problems.push(`${path}: GetAtt ${String(getAtt[0])}`);
    for (const v of subVariables(node)) {
      const name = v.includes(".") && !v.startsWith("AWS::") ? v.split(".")[0]! : v;
      if (!refable.has(name) || (v.includes(".") && !resources.includes(name))) problems.push(`${path}: Sub variable \${${v}}`);
    }
    const fnIf = node["Fn::If"];
    if (Array.isArray(fnIf) && !conditions.includes(String(fnIf[0]))) problems.push(`${path}: Fn::If condition ${String(fnIf[0])}`);
    if (typeof node.Condition === "string" && !conditions.includes(node.Condition)) problems.push(`${path}: Condition ${node.Condition}`);
  });
  for (const [id, res] of Object.entries(template.Resources as Obj)) {
    for (const dep of ((res as Obj).DependsOn as string[] | undefined) ?? [])
      if (!resources.includes(dep)) problems.push(`${id}: DependsOn ${dep}`);
  }
  return problems;
}

/** Allow statements of every IAM policy document in the template, with where they are. */
export function allowStatements(template: Obj): { where: string; actions: string[]; resources: Json[] }[] {
  const out: { where: string; actions: string[]; resources: Json[] }[] = [];
  walk(template, "", (path, node) => {
    if (node.Version !== "2012-10-17" || !Array.isArray(node.Statement)) return;
    node.Statement.forEach((s, i) => {
      if (!isObj(s) || s.Effect !== "Allow") return;
      const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
      out.push({ where: `${path}.Statement[${i}]`, actions: list(s.Action).map(String), resources: list(s.Resource) });
    });
  });
  return out;
}

/** `*`, `svc:*` or any other wildcard in an allowed action. */
export const wildcardActions = (template: Obj): string[] =>
  allowStatements(template).flatMap((s) => s.actions.filter((a) => a.includes("*")).map((a) => `${s.where}: ${a}`));
