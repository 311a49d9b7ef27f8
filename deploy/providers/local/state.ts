// The local lake's deployed state: the engine's run manifests (one per raw file) and
// `.lake/state/deployed.json`, which `lakec apply` writes after it has built views and models.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PipelineIR } from "../../../compiler/ir.js";
import { lakePaths, listRawKeys, manifestFile, readManifest, sourceForKey } from "../../../engine/index.js";
import type { DeployedRecord, LocalDeployed, LocalDesired, RawFileState } from "../../diff-local.js";
import { countCleaningChanges } from "./cleaning-counts.js";

export function deployedFile(lakeDir: string): string {
  return join(lakeDir, "state", "deployed.json");
}

/**
 * The last apply's record. A damaged one (truncated, not JSON, `null`) is moved aside to
 * `deployed.json.damaged` and treated as absent: plan then shows the local warehouse as not yet
 * applied, and the next apply (or clean run) writes it again. `onDamaged` hears about it.
 */
export async function readDeployedRecord(
  lakeDir: string,
  onDamaged: (message: string) => void = () => undefined,
): Promise<DeployedRecord | undefined> {
  const file = deployedFile(lakeDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let r: DeployedRecord | null;
  try {
    r = JSON.parse(text) as DeployedRecord | null;
  } catch {
    r = null;
  }
  if (r === null || typeof r !== "object" || typeof r.models !== "object" || typeof r.views !== "object") {
    await rename(file, `${file}.damaged`);
    onDamaged(`${file} was damaged; kept as deployed.json.damaged and treated as absent`);
    return undefined;
  }
  if (r.version !== 1) throw new Error(`${file}: unknown version ${String(r.version)}`);
  return r;
}

export async function writeDeployedRecord(lakeDir: string, ir: PipelineIR, d: LocalDesired): Promise<void> {
  const record: DeployedRecord = {
    version: 1,
    pipeline: ir.name,
    semantics: d.semantics,
    columnTypes: d.columnTypes,
    views: d.views,
    models: Object.fromEntries(d.models.map((m) => [m.name, { hash: m.hash, mart: m.mart, sql: m.sql }])),
    definitions: d.definitions,
  };
  const file = deployedFile(lakeDir);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function readLocal(lakeDir: string, ir: PipelineIR): Promise<LocalDeployed> {
  const paths = lakePaths(lakeDir);
  const files: RawFileState[] = [];
  const quarantined = new Map<string, number>();
  for (const rawKey of await listRawKeys(paths)) {
    const source = sourceForKey(ir, rawKey);
    if (!source) continue;
    const m = await readManifest(manifestFile(paths, source.name, rawKey));
    files.push({ rawKey, source: source.name, ...(m ? { semantics: m.semantics } : {}), ok: m?.status === "ok" });
    if (m?.status === "ok") quarantined.set(source.name, (quarantined.get(source.name) ?? 0) + m.counts.quarantined);
  }
  const record = await readDeployedRecord(lakeDir);
  const cleaning = await countCleaningChanges(lakeDir, ir, record, quarantined);
  return { files, ...(record ? { record } : {}), ...(Object.keys(cleaning).length ? { cleaning } : {}) };
}
