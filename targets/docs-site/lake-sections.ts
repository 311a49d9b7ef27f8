// What the local lake holds, for the source, table and mart pages and the pipeline's lake page:
// per raw file reconciliation (records in = clean + quarantined + dropped + duplicates), quarantine
// counts by reason with sample records, row counts and freshness. Numbers come from the lake as
// plain data (LakeStats); nothing here reads it.
import type { SourceIR } from "../../compiler/ir.js";
import { code, esc, table } from "./html.js";
import type { LakeFile, LakePipelineStats } from "./input.js";
import { number } from "./sections.js";
import type { PipelineSite } from "./site-model.js";

export function reconciles(f: LakeFile): boolean {
  return f.status === "ok" && f.recordsIn === f.clean + f.quarantined + f.droppedInvalid + f.duplicates;
}

export function filesTable(files: readonly LakeFile[]): string {
  if (files.length === 0) return `<p class="muted">No raw file has been processed.</p>`;
  const rows = files.map((f) => [
    code(f.rawKey),
    esc(f.source),
    f.status === "ok" ? "ok" : `<span class="bad">failed</span>${f.error ? `: ${esc(f.error)}` : ""}`,
    number(f.recordsIn),
    number(f.clean),
    number(f.quarantined),
    number(f.droppedInvalid),
    number(f.duplicates),
    reconciles(f) ? `<span class="good">✓</span>` : `<span class="bad">✗</span>`,
  ]);
  return table(
    ["raw file", "source", "status", "records in", "clean", "quarantined", "dropped invalid", "duplicates", "reconciles"],
    rows,
    "grid files",
  );
}

function byReason(files: readonly LakeFile[]): [string, number][] {
  const sums = new Map<string, number>();
  for (const f of files) for (const [r, n] of Object.entries(f.byReason)) sums.set(r, (sums.get(r) ?? 0) + (n ?? 0));
  return [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

export function quarantineSection(lake: LakePipelineStats, s: SourceIR): string {
  const files = lake.files.filter((f) => f.source === s.name);
  const reasons = byReason(files);
  const samples = lake.samples[s.name] ?? [];
  const counts = reasons.length
    ? table(
        ["reason", "records"],
        reasons.map(([r, n]) => [code(r), number(n)]),
      )
    : `<p class="muted">No invalid records.</p>`;
  const sampleRows = samples.map((x) => [
    code(x.reason),
    esc(x.detail ?? ""),
    `${code(x.rawKey)}${x.line !== undefined ? `:${esc(String(x.line))}` : ""}`,
    `<code class="record">${esc(x.record)}</code>`,
  ]);
  const sampleTable = sampleRows.length
    ? `<h3>Sample quarantined records</h3>${table(["reason", "column", "raw file:line", "record"], sampleRows, "grid samples")}`
    : "";
  return `<h3>Invalid records by reason (${esc(s.onInvalid)})</h3>${counts}${sampleTable}`;
}

export function notes(lake: LakePipelineStats): string {
  return lake.notes.map((n) => `<p class="note">${esc(n)}</p>`).join("");
}

export function sourceLakeSection(site: PipelineSite, s: SourceIR): string {
  const lake = site.lake;
  if (!lake) return "";
  return `<section class="lake"><h2>In the local lake</h2>${notes(lake)}
<h3>Raw files</h3>${filesTable(lake.files.filter((f) => f.source === s.name))}
${quarantineSection(lake, s)}</section>`;
}

function age(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 120) return `${m} min`;
  const h = Math.round(ms / 3_600_000);
  return h < 48 ? `${h} h` : `${Math.round(ms / 86_400_000)} days`;
}

/** The freshest row of a table, its age when the lake was read, and dbt's verdict on it. */
export function freshnessCell(site: PipelineSite, table: string): string | undefined {
  const ts = site.lake?.freshness[table];
  if (ts === undefined || site.lakeReadAt === undefined) return undefined;
  const ms = Date.parse(site.lakeReadAt) - Date.parse(ts);
  if (Number.isNaN(ms)) return esc(ts);
  const rule = site.freshnessRule;
  const verdict = !rule
    ? ""
    : rule.errorMs !== undefined && ms > rule.errorMs
      ? "error"
      : rule.warnMs !== undefined && ms > rule.warnMs
        ? "warn"
        : "pass";
  const cls = verdict === "pass" ? "good" : verdict ? "bad" : "";
  const judged = rule ? `: dbt source freshness <span class="${cls}">${verdict}</span> (${esc(rule.text)})` : "";
  return `${esc(ts)}, ${esc(age(Math.max(0, ms)))} old when read${judged}`;
}

/** Facts rows (label, escaped value) for a table or mart page. */
export function tableLakeFacts(site: PipelineSite, name: string): [string, string | undefined][] {
  const lake = site.lake;
  if (!lake) return [];
  return [
    ["rows in the local lake", number(lake.rows[name])],
    ["freshest row (_ingested_at)", freshnessCell(site, name)],
  ];
}
