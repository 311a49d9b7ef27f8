// `plan --out FILE` and `apply FILE`. A saved plan records what it was computed against: the
// desired state's hash and each layer's deployed-state hash. `apply FILE` recomputes both and
// refuses the plan if either moved, so what runs is exactly what was reviewed. It also records
// what it was made for (its binding): the environment, the pipeline file by absolute path and
// content hash, the working folder and the lake, so `apply` runs it against exactly those from
// any folder, and refuses it when a flag or the file says otherwise. The file holds names,
// hashes and steps only: credentials never enter a plan.
import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { canonicalJson, LAYERS, PLAN_FORMAT, STEP_KINDS, type Layer, type Plan } from "./plan.js";

/** What a saved plan was made for. Paths are absolute. */
export interface PlanBinding {
  /** Absent for a pipeline without environments. */
  readonly environment?: string;
  readonly pipelinePath: string;
  /** sha256 of the pipeline file's bytes when the plan was made. */
  readonly pipelineSha256: string;
  /** The folder `plan` ran in: generated headers name the pipeline relative to it. */
  readonly cwd: string;
  /** The local lake the plan read (and `apply` writes, with the local target). */
  readonly lake: string;
}

export interface SavedPlan {
  readonly plan: Plan;
  readonly binding: PlanBinding;
}

export function sha256Hex(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export class StalePlanError extends Error {
  override readonly name = "StalePlanError";
}

export async function writePlanFile(file: string, plan: Plan, binding: PlanBinding): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify({ ...plan, binding }, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function readPlanFile(file: string): Promise<SavedPlan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new StalePlanError(`${file} is not a saved lakec plan (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object") throw new StalePlanError(`${file} is not a saved lakec plan (not a JSON object)`);
  const p = parsed as Omit<Partial<Plan>, "format"> & { format?: unknown };
  if (p.format === "lakec-plan/1") {
    throw new StalePlanError(
      `${file} was made by an older lakec (format lakec-plan/1, steps keyed by strings): run \`lakec plan --out\` again`,
    );
  }
  if (p.format !== PLAN_FORMAT || !Array.isArray(p.steps) || !Array.isArray(p.targets) || typeof p.desired !== "string") {
    throw new StalePlanError(`${file} is not a saved lakec plan (format ${String(p.format)})`);
  }
  const bad = (p.steps as unknown[]).findIndex((s) => !isStepObject(s));
  if (bad >= 0)
    throw new StalePlanError(`${file} is not a saved lakec plan (step ${bad + 1} does not say which layer, kind and object it changes)`);
  const { binding, ...plan } = parsed as Plan & { binding?: Partial<PlanBinding> };
  if (!isBinding(binding))
    throw new StalePlanError(
      `${file} does not say which environment, pipeline file and lake it was made for (an older lakec made it): run \`lakec plan --out\` again`,
    );
  return { plan: plan as Plan, binding };
}

/** The step names a layer, a kind that layer has, and an object name exactly when the kind needs one. */
function isStepObject(s: unknown): boolean {
  if (s === null || typeof s !== "object") return false;
  const { layer, kind, name } = s as { layer?: unknown; kind?: unknown; name?: unknown };
  if (typeof layer !== "string" || !(LAYERS as readonly string[]).includes(layer) || typeof kind !== "string") return false;
  const named = Object.hasOwn(STEP_KINDS[layer as Layer], kind) ? STEP_KINDS[layer as Layer][kind] : undefined;
  return named === "named" ? typeof name === "string" : named === "unnamed" && name === undefined;
}

function isBinding(b: Partial<PlanBinding> | undefined): b is PlanBinding {
  if (b === undefined || b === null || typeof b !== "object") return false;
  const texts = [b.pipelinePath, b.pipelineSha256, b.cwd, b.lake];
  return texts.every((t) => typeof t === "string") && (b.environment === undefined || typeof b.environment === "string");
}

/** What `apply PLAN` was told and found: the flags it was given and the pipeline file's bytes now. */
export interface ApplyRequest {
  readonly environment?: string;
  /** Absolute; undefined without --lake. */
  readonly lake?: string;
  /** Undefined when the file cannot be read. */
  readonly pipelineBytes?: Uint8Array;
}

/**
 * Why a saved plan must not be applied as asked, or undefined. Checked before anything is
 * read from the cloud, so a plan for dev is never compared with (or applied to) prod.
 */
export function bindingRefusal(b: PlanBinding, req: ApplyRequest): string | undefined {
  const made = b.environment === undefined ? "a pipeline without environments" : `environment '${b.environment}'`;
  if (req.environment !== undefined && req.environment !== b.environment)
    return `it was made for ${made}, not environment '${req.environment}'`;
  if (req.lake !== undefined && req.lake !== b.lake) return `it was made with the lake ${b.lake}, not ${req.lake}`;
  if (req.pipelineBytes === undefined) return `the pipeline it was made for, ${b.pipelinePath}, cannot be read`;
  if (sha256Hex(req.pipelineBytes) !== b.pipelineSha256) return `${b.pipelinePath} changed since the plan was made`;
  return undefined;
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
