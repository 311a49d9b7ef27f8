// Stack parameters, including NoEcho ones. DescribeStacks shows a NoEcho value as `****`, so
// lakec cannot compare it, and must never send `****` back as a value. It records a SHA-256 of
// each NoEcho value it sets in a stack tag instead: plans compare hashes, output shows no value.
import { sha256 } from "./plan.js";
import type { CfnTemplate } from "./diff-aws.js";

export const MASKED = "****";

export function hashTag(parameter: string): string {
  return `lakec:sha256:${parameter}`;
}

export function noEchoParameters(t: CfnTemplate): string[] {
  return Object.entries(t.Parameters ?? {})
    .filter(([, p]) => (p as { NoEcho?: unknown } | null)?.NoEcho === true || (p as { NoEcho?: unknown } | null)?.NoEcho === "true")
    .map(([k]) => k);
}

export interface StackParameterState {
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** Whether the stack already holds `value` for `k`; undefined when it cannot be known. */
export function holds(stack: StackParameterState, k: string, value: string): boolean | undefined {
  const current = stack.parameters[k] ?? "";
  if (current !== MASKED) return current === value;
  const tag = stack.tags[hashTag(k)];
  return tag === undefined ? undefined : tag === sha256(value);
}

/** Plan lines for parameters that change; NoEcho values are never shown. */
export function parameterChanges(
  desired: Readonly<Record<string, string>>,
  noEcho: readonly string[],
  stack: StackParameterState,
): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(desired)) {
    const same = holds(stack, k, v);
    if (same === true) continue;
    if (noEcho.includes(k)) lines.push(`~ ${k}: (NoEcho) ${same === undefined ? "not recorded by lakec, set again" : "changes"}`);
    else lines.push(`~ ${k}: ${JSON.stringify(stack.parameters[k] ?? "")} → ${JSON.stringify(v)}`);
  }
  return lines;
}

/** Tags recording the hashes of the NoEcho values being set, merged over the stack's tags. */
export function hashTags(
  existing: Readonly<Record<string, string>>,
  parameters: Readonly<Record<string, string>>,
  noEcho: readonly string[],
): Record<string, string> {
  const tags = { ...existing };
  for (const k of noEcho) if (parameters[k] !== undefined) tags[hashTag(k)] = sha256(parameters[k]);
  return tags;
}
