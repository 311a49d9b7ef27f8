// Reads what `lakec docs --lake DIR` shows, through the engine's own APIs: the run manifests
// (per raw file reconciliation), the quarantine files (samples) and the warehouse, opened
// read-only (row counts and freshness). Produces plain data for the docs site target.
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import type { PipelineIR, SourceIR } from "../compiler/ir.js";
import { lakePaths, quarantineFile, readManifest, type FileManifest, type LakePaths } from "../engine/index.js";
import { publishedState } from "../engine/index.js";
import { queryWarehouse, warehouseRelations } from "../engine/index.js";
import type { LakeFile, LakePipelineStats, LakeStats, QuarantineSample } from "../targets/docs-site/index.js";

/** Per source: at most this many samples per reason, read from at most this many lines. */
const SAMPLES_PER_REASON = 3;
const MAX_SAMPLE_LINES = 2000;
/** A raw record longer than this is cut in the sample (the quarantine file keeps all of it). */
const MAX_RECORD_CHARS = 2000;

function lakeFile(m: FileManifest): LakeFile {
  const c = m.counts;
  return {
    rawKey: m.raw_key,
    source: m.source,
    status: m.status,
    ...(m.error !== undefined && { error: m.error }),
    bytes: m.bytes,
    recordsIn: c.records_in,
    clean: c.clean,
    quarantined: c.quarantined,
    droppedInvalid: c.dropped_invalid,
    duplicates: c.duplicates,
    byReason: c.by_reason,
    rowsWritten: m.rows_written,
  };
}

async function manifests(paths: LakePaths, source: SourceIR): Promise<FileManifest[]> {
  const dir = join(paths.manifests, source.name);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".json")).sort();
  const out: FileManifest[] = [];
  for (const n of names) {
    const m = await readManifest(join(dir, n));
    if (m) out.push(m);
  }
  return out.sort((a, b) => (a.raw_key < b.raw_key ? -1 : a.raw_key > b.raw_key ? 1 : 0));
}

interface QuarantineLine {
  raw_record?: string;
  reason?: string;
  reason_column?: string;
  line_number?: number;
}

async function samples(paths: LakePaths, source: SourceIR, files: readonly FileManifest[]): Promise<QuarantineSample[]> {
  const out: QuarantineSample[] = [];
  const perReason = new Map<string, number>();
  let read = 0;
  for (const m of files) {
    if (m.counts.quarantined === 0) continue;
    const stream = createReadStream(quarantineFile(paths, source.name, m.raw_key), { encoding: "utf8" });
    stream.on("error", () => undefined);
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (++read > MAX_SAMPLE_LINES) break;
        let q: QuarantineLine;
        try {
          q = JSON.parse(line) as QuarantineLine;
        } catch {
          continue;
        }
        const reason = q.reason ?? "unknown";
        if ((perReason.get(reason) ?? 0) >= SAMPLES_PER_REASON) continue;
        perReason.set(reason, (perReason.get(reason) ?? 0) + 1);
        const record = q.raw_record ?? "";
        out.push({
          rawKey: m.raw_key,
          ...(q.line_number !== undefined && { line: q.line_number }),
          reason,
          ...(q.reason_column && { detail: q.reason_column }),
          record: record.length > MAX_RECORD_CHARS ? `${record.slice(0, MAX_RECORD_CHARS)}…` : record,
        });
      }
    } catch {
      // A missing or unreadable quarantine file only means fewer samples; the counts come from the manifest.
    } finally {
      lines.close();
      stream.destroy();
    }
  }
  return out;
}

/** Row counts of tables (views) and marts, and the newest `_ingested_at` of each table, in one read-only query. */
async function warehouseStats(dir: string, ir: PipelineIR): Promise<{ rows: Record<string, number>; freshness: Record<string, string> }> {
  const present = new Set(await warehouseRelations(dir));
  const parts = [
    ...ir.tables
      .filter((t) => present.has(t.name))
      .map(
        (t) =>
          `SELECT ${quoteString("duckdb", t.name)} AS name, count(*) AS n, strftime(max(_ingested_at), '%Y-%m-%dT%H:%M:%SZ') AS fresh FROM main.${quoteIdent("duckdb", t.name)}`,
      ),
    ...ir.marts
      .filter((m) => present.has(m.name))
      .map(
        (m) => `SELECT ${quoteString("duckdb", m.name)} AS name, count(*) AS n, NULL AS fresh FROM main.${quoteIdent("duckdb", m.name)}`,
      ),
  ];
  const rows: Record<string, number> = {};
  const freshness: Record<string, string> = {};
  if (parts.length === 0) return { rows, freshness };
  const r = await queryWarehouse(dir, parts.join("\nUNION ALL\n"));
  for (const [name, n, fresh] of r.rows) {
    rows[String(name)] = Number(n);
    if (fresh !== null && fresh !== undefined) freshness[String(name)] = String(fresh);
  }
  return { rows, freshness };
}

async function pipelineStats(dir: string, ir: PipelineIR): Promise<LakePipelineStats> {
  const paths = lakePaths(dir);
  const files: LakeFile[] = [];
  const sampleMap: Record<string, QuarantineSample[]> = {};
  for (const s of ir.sources) {
    const ms = await manifests(paths, s);
    files.push(...ms.map(lakeFile));
    sampleMap[s.name] = await samples(paths, s, ms);
  }
  const notes: string[] = [];
  let rows: Record<string, number> = {};
  let freshness: Record<string, string> = {};
  try {
    ({ rows, freshness } = await warehouseStats(dir, ir));
  } catch (e) {
    // No warehouse yet, or another process holds it: fall back to what the manifests say was published.
    notes.push(
      `The warehouse could not be read (${e instanceof Error ? e.message : String(e)}); table rows are from the run manifests, marts and freshness are not shown.`,
    );
    rows = { ...(await publishedState(paths, ir)).rowsByTable };
  }
  return { files, rows, freshness, samples: sampleMap, notes };
}

export async function readLakeStats(dir: string, shownDir: string, irs: readonly PipelineIR[]): Promise<LakeStats> {
  const pipelines: Record<string, LakePipelineStats> = {};
  const readAt = new Date().toISOString();
  for (const ir of irs) pipelines[ir.name] = await pipelineStats(dir, ir);
  return { dir: shownDir, readAt, pipelines };
}
