// `npm run bench`: compile time, throughput against the two baselines, dev-mode latency and peak
// memory, in a fresh temporary folder (removed afterwards unless --keep). Throughput and latency
// each run in a child process of their own, so one's memory and caches do not colour the other.
//
//   npm run bench -- [--records 1000000] [--latency-records 10000] [--only compile,whole,throughput,pandas,latency]
//                    [--memory-limit 2GB] [--repeat 3] [--keep]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchCompile, type CompileTiming } from "./compile.js";
import { benchLatency, type LatencyResult } from "./latency.js";
import { formatReport } from "./report.js";
import { benchPandas, benchThroughput, type PandasResult, type ThroughputResult } from "./throughput.js";
import { benchWholeRun, type WholeRunResult } from "./whole-run.js";
import { writeAmazonReviews, type AmazonStats } from "../synthetic/amazon.js";

export interface BenchResults {
  /** loadAvg: 1-minute load average when the run started and ended (other work on the machine). */
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; loadAvg: number[] };
  records: number;
  memoryLimit: string;
  input?: AmazonStats & { generateSeconds: number };
  compile?: CompileTiming[];
  throughput?: ThroughputResult;
  pandas?: PandasResult;
  latency?: LatencyResult;
  whole?: WholeRunResult;
}

interface Args {
  records: number;
  latencyRecords: number;
  only: Set<string>;
  memoryLimit: string;
  repeat: number;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    records: 1_000_000,
    latencyRecords: 10_000,
    only: new Set(["compile", "whole", "throughput", "pandas", "latency"]),
    memoryLimit: "2GB",
    repeat: 3,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--records":
        a.records = Number(v);
        i++;
        break;
      case "--latency-records":
        a.latencyRecords = Number(v);
        i++;
        break;
      case "--only":
        a.only = new Set((v ?? "").split(","));
        i++;
        break;
      case "--repeat":
        a.repeat = Number(v);
        i++;
        break;
      case "--memory-limit":
        a.memoryLimit = v ?? a.memoryLimit;
        i++;
        break;
      case "--keep":
        a.keep = true;
        break;
      default:
        throw new Error(`bench: unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(a.records) || a.records < 1 || !Number.isInteger(a.latencyRecords) || a.latencyRecords < 1)
    throw new Error("bench: record counts must be positive integers");
  if (!Number.isInteger(a.repeat) || a.repeat < 1) throw new Error("bench: --repeat takes a positive integer");
  return a;
}

/** Runs this file in a child process for one measurement and returns the JSON it prints. */
function child<T>(args: readonly string[]): Promise<T> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", rej);
    p.on("close", (code) =>
      code === 0 ? res(JSON.parse(out.trim().split("\n").pop()!) as T) : rej(new Error(`bench child ${args[0]} exited with ${code}`)),
    );
  });
}

async function childMain(argv: readonly string[]): Promise<void> {
  const [what, ...rest] = argv;
  let result: unknown;
  if (what === "throughput") result = await benchThroughput(rest[0]!, rest[1]!, rest[2], Number(rest[3] ?? 1));
  else if (what === "latency") result = await benchLatency(rest[0]!, Number(rest[1]), 5, rest[2]);
  else throw new Error(`bench: unknown child ${String(what)}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const work = mkdtempSync(join(tmpdir(), "lakec-bench-"));
  const results: BenchResults = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      loadAvg: [loadavg()[0]!],
    },
    records: args.records,
    memoryLimit: args.memoryLimit,
  };
  const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
  try {
    if (args.only.has("compile")) {
      log("compile");
      results.compile = benchCompile();
    }
    const input = join(work, "reviews.jsonl");
    if (args.only.has("whole") || args.only.has("throughput") || args.only.has("pandas")) {
      log(`generating ${args.records} synthetic records`);
      const t0 = performance.now();
      const stats = await writeAmazonReviews(input, { seed: 2018, records: args.records });
      results.input = { ...stats, generateSeconds: (performance.now() - t0) / 1000 };
    }
    if (args.only.has("whole")) {
      log(`whole run: lakec run and the hand-written script with marts, each a process, alternating, ${args.repeat} time(s) each`);
      results.whole = await benchWholeRun(input, join(work, "whole"), args.memoryLimit, args.repeat);
    }
    if (args.only.has("throughput")) {
      log(`throughput: engine and the hand-written DuckDB baseline, alternating, ${args.repeat} time(s) each`);
      results.throughput = await child<ThroughputResult>([
        "throughput",
        input,
        join(work, "throughput"),
        args.memoryLimit,
        String(args.repeat),
      ]);
    }
    if (args.only.has("pandas")) {
      log("throughput: pandas baseline");
      results.pandas = await benchPandas(input, join(work, "pandas"));
    }
    if (args.only.has("latency")) {
      log(`latency: ${args.latencyRecords}-record files under lakec dev`);
      results.latency = await child<LatencyResult>(["latency", join(work, "latency"), String(args.latencyRecords), args.memoryLimit]);
    }
    results.machine.loadAvg.push(loadavg()[0]!);
    writeFileSync(join(work, "results.json"), JSON.stringify(results, null, 2));
    process.stdout.write(formatReport(results));
    if (args.keep) log(`kept ${work}`);
  } finally {
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
(argv[0] === "--child" ? childMain(argv.slice(1)) : main(argv)).catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
