// The benchmark report as Markdown, ready to paste into bench/RESULTS.md and docs/benchmarks.md.
import type { BenchResults } from "./run.js";
import type { WholeRunResult } from "./whole-run.js";

const n = (x: number, digits = 0): string => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (x: number): string => `${x.toFixed(2)}×`;

function compileSection(r: BenchResults): string[] {
  if (!r.compile) return [];
  const rows = r.compile.map(
    (c) =>
      `| ${c.label} | ${c.sources} | ${n(c.yamlBytes)} | ${c.medianMs.toFixed(1)} | ${c.minMs.toFixed(1)} | ${(c.minMs / c.sources).toFixed(2)} | ${c.ratioToOne === undefined ? "" : ratio(c.ratioToOne)} |`,
  );
  return [
    "## Compile time (in-process: load, schema, checks, lowering to IR)",
    "",
    "| pipeline | sources | YAML bytes | median ms | min ms | min ms per source | min vs 1 source |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
  ];
}

function throughputSection(r: BenchResults): string[] {
  const t = r.throughput;
  if (!t && !r.pandas) return [];
  const mb = r.input ? r.input.bytes / 1e6 : 0;
  const out = [`## Throughput: ${n(r.records)} synthetic review records (${n(mb)} MB), 2 DuckDB threads`, ""];
  out.push("| run | what it does | seconds | records/s | lakec is |", "|---|---|---:|---:|---:|");
  const ran = t?.engine;
  // A failed run's time is time-to-failure, not throughput: it gets no rate and no ratios.
  const e = ran?.status === "processed" ? ran : undefined;
  const rate = (s: number): string => n(r.records / s);
  if (ran && !e) out.push(`| lakec run | **failed** after ${ran.processSeconds.toFixed(2)} s: ${ran.reason ?? "unknown"} | | | |`);
  if (e) {
    out.push(
      `| lakec run, stages 1–2 | clean, dedupe, flatten, Snappy Parquet, quarantine, manifest | ${e.processSeconds.toFixed(2)} | ${rate(e.processSeconds)} | |`,
    );
    out.push(
      `| lakec run, stages 1–5 | the above, then views, dbt models, dbt tests | ${(e.processSeconds + e.warehouseSeconds).toFixed(2)} | ${rate(e.processSeconds + e.warehouseSeconds)} | |`,
    );
  }
  if (t) {
    const vs = e ? ratio(t.duckdb.seconds / e.processSeconds) : "";
    out.push(
      `| (a) hand-written DuckDB SQL, same process | clean, dedupe, flatten, Snappy Parquet, quarantine | ${t.duckdb.seconds.toFixed(2)} | ${rate(t.duckdb.seconds)} | ${vs} as fast (target ≥ 0.8×) |`,
    );
  }
  if (r.pandas) {
    const vs = e ? ratio(r.pandas.seconds / e.processSeconds) : "";
    out.push(
      `| (b) pandas json_normalize, Debian python3-pandas | same cleaning; writes CSV, as Debian ships no Parquet writer for Python | ${r.pandas.seconds.toFixed(2)} | ${rate(r.pandas.seconds)} | ${vs} faster (target ≥ 5×) |`,
    );
  }
  out.push("");
  if (t && t.engineSeconds.length > 1) {
    const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(", ");
    out.push(
      `lakec and baseline (a) ran alternately, ${t.engineSeconds.length} times each, each run in a fresh folder; the table shows each side's median run. ` +
        `All runs, in order: lakec stages 1–2 ${list(t.engineSeconds)} s; baseline (a) ${list(t.duckdbSeconds)} s.`,
      "",
    );
  }
  const counts = [
    ran &&
      `lakec: ${n(ran.records)} in = ${n(ran.clean)} clean + ${n(ran.invalid)} invalid + ${n(ran.duplicates)} duplicates (status ${ran.status}, reconciled: ${ran.reconciled}, failed dbt tests: ${ran.testsFailed})`,
    t &&
      `DuckDB baseline: ${n(t.duckdb.records)} in = ${n(t.duckdb.clean)} clean + ${n(t.duckdb.invalid)} invalid + ${n(t.duckdb.duplicates)} duplicates`,
    r.pandas &&
      `pandas baseline: ${n(r.pandas.records)} in = ${n(r.pandas.clean)} clean + ${n(r.pandas.invalid)} invalid + ${n(r.pandas.duplicates)} duplicates`,
  ].filter((x): x is string => typeof x === "string");
  out.push("Counts (all three must agree):", "", ...counts.map((c) => `- ${c}`), "");
  if (ran)
    out.push(
      `lakec's output: ${n(ran.parquetFiles)} Parquet files; \`_input\` folders holding more than one file: ${n(ran.foldersWithSeveralFiles)}.`,
      "",
    );
  out.push("Peak memory (RSS of the whole process):", "");
  if (ran)
    out.push(
      `- lakec run, 1 process (Node + DuckDB, DuckDB memory limit ${r.memoryLimit}): ${n(ran.peakRssMb)} MB${e ? "" : " (run failed)"}`,
    );
  if (r.pandas) out.push(`- pandas baseline: ${n(r.pandas.peak_rss_mb)} MB`);
  out.push("");
  return out;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

type Side = WholeRunResult["stateful"];

/** The script that also keeps the staging tables: what keeping lakec's incremental state costs a script. */
function statefulRow(runs: Side, lakecSeconds: number): string {
  const s = median(runs.map((x) => x.seconds));
  const cells = [
    "the same script, keeping state",
    "also writes the two staging tables (latest row per id, image rows) that lakec keeps for incremental runs; not a goal's baseline",
    s.toFixed(2),
    runs.map((x) => x.seconds.toFixed(2)).join(", "),
    runs.map((x) => x.cpuSeconds.toFixed(1)).join(", "),
    n(Math.max(...runs.map((x) => x.peakRssMb))),
    `${ratio(s / lakecSeconds)} as fast`,
  ];
  return `| ${cells.join(" | ")} |`;
}

function wholeRunSection(r: BenchResults): string[] {
  const w = r.whole;
  if (!w) return [];
  const l = median(w.lakec.map((x) => x.seconds));
  const b = median(w.baseline.map((x) => x.seconds));
  const list = (xs: readonly number[], digits = 2): string => xs.map((x) => x.toFixed(digits)).join(", ");
  const stage = (k: keyof (typeof w.lakec)[number]["result"]["stagesMs"]): string => list(w.lakec.map((x) => x.result.stagesMs[k] / 1000));
  return [
    `## Whole run: ${n(r.records)} records into an empty lake, each side a process from start to exit`,
    "",
    "| run | what it does | median s | all runs, s | CPU s (user + system), all runs | peak RSS MB | lakec is |",
    "|---|---|---:|---|---|---:|---:|",
    `| \`lakec run\` | clean, dedupe, Parquet, quarantine, manifests, views, dbt models, dbt tests | ${l.toFixed(2)} | ${list(w.lakec.map((x) => x.seconds))} | ${list(
      w.lakec.map((x) => x.cpuSeconds),
      1,
    )} | ${n(Math.max(...w.lakec.map((x) => x.peakRssMb)))} | |`,
    `| hand-written DuckDB script | the same cleaning, dedupe, Parquet and quarantine, then the three marts from the rows in memory | ${b.toFixed(2)} | ${list(w.baseline.map((x) => x.seconds))} | ${list(
      w.baseline.map((x) => x.cpuSeconds),
      1,
    )} | ${n(Math.max(...w.baseline.map((x) => x.peakRssMb)))} | ${ratio(b / l)} as fast (target ≥ 1.0×) |`,
    ...(w.stateful.length ? [statefulRow(w.stateful, l)] : []),
    "",
    "CPU time is the work each side did, whatever the cores: on 2 cores a run cannot take less wall time than half its CPU time.",
    "",
    "Where `lakec run`'s time goes (each run, seconds):",
    "",
    "| stage | runs |",
    "|---|---|",
    `| clean + flatten (stages 1–2) | ${stage("files")} |`,
    `| views refresh | ${stage("refresh")} |`,
    `| dbt models | ${stage("models")} |`,
    `| dbt tests | ${stage("tests")} |`,
    "",
    w.disagreements.length
      ? `**The two sides disagree, so the comparison is void:** ${w.disagreements.join("; ")}.`
      : "Both sides agree on records in, clean, invalid, duplicates and every mart's row count.",
    "",
  ];
}

function latencySection(r: BenchResults): string[] {
  const l = r.latency;
  if (!l) return [];
  const row = (label: string, d: typeof l.first): string =>
    `| ${label} | ${n(d.records)} | ${n(d.latencyMs)} | ${n(d.detectMs)} | ${n(d.processMs)} | ${n(d.warehouseMs)} | ${d.status} |`;
  return [
    "## Latency under `lakec dev`: file renamed into raw/ → marts updated (target < 2,000 ms)",
    "",
    "| drop | records | total ms | detect + queue ms | stages 1–2 ms | stages 3–5 ms | status |",
    "|---|---:|---:|---:|---:|---:|---|",
    row("first (creates the warehouse)", l.first),
    ...l.steady.map((d, i) => row(`steady ${i + 1}`, d)),
    "",
    `Median of the steady drops: ${n(l.medianSteadyMs)} ms.`,
    "",
  ];
}

export function formatReport(r: BenchResults): string {
  const m = r.machine;
  const head = [
    `# lakec benchmarks`,
    "",
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, Node ${m.node}; 1-minute load average ${m.loadAvg.map((x) => x.toFixed(1)).join(" at start, ")} at the end (other work on the machine slows every figure).`,
    "",
  ];
  return `${[...head, ...compileSection(r), ...wholeRunSection(r), ...throughputSection(r), ...latencySection(r)].join("\n")}\n`;
}
