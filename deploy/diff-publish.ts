// dbt and Airflow: the files a target emits, published to a folder or an S3 prefix (the one an
// MWAA environment or a dbt runner reads). The plan shows each file's diff. Only files lakec
// published before (listed in its publish manifest) are ever deleted: a shared folder may
// hold other people's files.
import type { Layer, Step } from "./plan.js";
import { sha256 } from "./plan.js";
import { lineDiff } from "./text-diff.js";

export interface PublishedFile {
  readonly sha256: string;
  /** Present when the provider fetched it (changed files), for the diff. */
  readonly content?: string;
}

export interface PublishDeployed {
  /** What lakec published last time, by path relative to the destination. */
  readonly files: Readonly<Record<string, PublishedFile>>;
}

export function diffPublish(
  layer: Extract<Layer, "dbt" | "airflow">,
  destination: string,
  desired: ReadonlyMap<string, string>,
  deployed: PublishDeployed,
): Step[] {
  const steps: Step[] = [];
  const where = destination.endsWith("/") ? destination : `${destination}/`;
  for (const [path, content] of [...desired].sort(([a], [b]) => a.localeCompare(b))) {
    const old = deployed.files[path];
    const key = { layer, kind: "file", name: path } as const;
    if (!old)
      steps.push({
        ...key,
        action: "create",
        resource: `${where}${path}`,
        details: [`${content.split("\n").length} lines`],
        destructive: false,
        reason: "new file",
      });
    else if (old.sha256 !== sha256(content)) {
      const details = old.content !== undefined ? lineDiff(old.content, content) : ["content changed"];
      steps.push({ ...key, action: "update", resource: `${where}${path}`, details, destructive: false, reason: "content changed" });
    }
  }
  for (const path of Object.keys(deployed.files).sort()) {
    if (desired.has(path)) continue;
    steps.push({
      layer,
      kind: "file",
      name: path,
      action: "destroy",
      resource: `${where}${path}`,
      details: [],
      destructive: false,
      reason: "no longer emitted (published by lakec before)",
    });
  }
  return steps;
}
