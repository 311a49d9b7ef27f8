// Reads what was published (the manifest, plus the current bytes of files that changed, for the
// diff) and publishes the steps of a plan: files first, manifest last, so an interrupted publish
// leaves a manifest that still lists every file lakec may own and a re-run converges.
import type { PublishDeployed, PublishedFile } from "../../diff-publish.js";
import { sha256, type Step } from "../../plan.js";
import type { PipelineIR } from "../../../compiler/ir.js";
import { manifestPath, type PublishManifest, type PublishStore } from "./store.js";

/** Who owns a publish manifest: the pipeline, or the pipeline in one environment. */
export function publishOwner(ir: Pick<PipelineIR, "name" | "environment">): string {
  return ir.environment ? `${ir.name}-${ir.environment.name}` : ir.name;
}

export async function readManifest(store: PublishStore, pipeline: string): Promise<PublishManifest | undefined> {
  const text = await store.get(manifestPath(pipeline));
  if (text === undefined) return undefined;
  const m = JSON.parse(text) as PublishManifest;
  if (m.version !== 1 || typeof m.files !== "object")
    throw new Error(`${store.description}${manifestPath(pipeline)} is not a lakec publish manifest`);
  return m;
}

/**
 * Every file about to be written is read back, so a hand edit or a half-finished publish shows
 * as a change; the manifest only says which other files lakec owns (and may delete).
 */
export async function readPublished(store: PublishStore, pipeline: string, desired: ReadonlyMap<string, string>): Promise<PublishDeployed> {
  const manifest = await readManifest(store, pipeline);
  const files: Record<string, PublishedFile> = {};
  for (const [path, hash] of Object.entries(manifest?.files ?? {})) if (!desired.has(path)) files[path] = { sha256: hash };
  for (const path of desired.keys()) {
    const current = await store.get(path);
    if (current !== undefined) files[path] = { sha256: sha256(current), content: current };
  }
  return { files };
}

export async function publish(
  store: PublishStore,
  pipeline: string,
  steps: readonly Step[],
  desired: ReadonlyMap<string, string>,
  log: (l: string) => void,
): Promise<void> {
  const old = (await readManifest(store, pipeline))?.files ?? {};
  // Claim ownership of new files before writing them, with a hash nothing matches: if this run
  // stops midway, the next plan reads their real bytes instead of trusting the manifest.
  const owned: Record<string, string> = { ...old };
  const files = steps.flatMap((s) => (s.kind === "file" ? [s] : []));
  for (const s of files) if (s.action !== "destroy") owned[s.name] = "pending";
  await store.put(manifestPath(pipeline), `${JSON.stringify({ version: 1, pipeline, files: sortKeys(owned) }, null, 2)}\n`);
  for (const s of files) {
    const path = s.name;
    if (s.action === "destroy") await store.remove(path);
    else await store.put(path, desired.get(path) ?? "");
    log(`${s.layer}: ${s.action === "destroy" ? "removed" : "published"} ${store.description}${path}`);
  }
  const final: Record<string, string> = {};
  for (const [path, content] of desired) final[path] = sha256(content);
  await store.put(manifestPath(pipeline), `${JSON.stringify({ version: 1, pipeline, files: sortKeys(final) }, null, 2)}\n`);
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
