// `plan --out FILE` and `apply FILE`. A saved plan records what it was computed against: the
// desired state's hash and each layer's deployed-state hash. `apply FILE` recomputes both and
// refuses the plan if either moved, so what runs is exactly what was reviewed. The file holds
// names, hashes and steps only: credentials never enter a plan.
import { readFile, rename, writeFile } from "node:fs/promises";
import { canonicalJson, type Plan } from "./plan.js";

export class StalePlanError extends Error {
  override readonly name = "StalePlanError";
}

export async function writePlanFile(file: string, plan: Plan): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function readPlanFile(file: string): Promise<Plan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new StalePlanError(`${file} is not a saved lakec plan (${(e as Error).message})`);
  }
  const p = parsed as Partial<Plan>;
  if (p.format !== "lakec-plan/1" || !Array.isArray(p.steps) || !Array.isArray(p.targets) || typeof p.desired !== "string") {
    throw new StalePlanError(`${file} is not a saved lakec plan (format ${String(p.format)})`);
  }
  return p as Plan;
}

/** Why a saved plan may no longer be applied, or undefined when it still holds. */
export function staleReason(saved: Plan, fresh: Plan): string | undefined {
  if (saved.pipeline !== fresh.pipeline) return `it is for pipeline '${saved.pipeline}', not '${fresh.pipeline}'`;
  if (saved.desired !== fresh.desired) return `${saved.pipelineFile} (or lakec itself) changed since the plan was made`;
  const moved = saved.targets.filter((l) => saved.deployed[l] !== fresh.deployed[l]);
  if (moved.length) return `the deployed state moved since the plan was made (${moved.join(", ")})`;
  if (canonicalJson(saved.steps) !== canonicalJson(fresh.steps)) return "the steps computed now differ from the saved ones";
  return undefined;
}
