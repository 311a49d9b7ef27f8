// The hand-written whole run as its own process: `node dist/bench/baseline-script.js INPUT OUT
// MEMORY_LIMIT THREADS [keep-state]` runs baseline (a) with the reference pipeline's marts (and,
// with keep-state, the staging tables an incremental pipeline keeps) and prints its result as
// JSON. bench/whole-run.ts times it from spawn to exit, as it times `lakec run`.
import { runDuckdbBaseline } from "./baseline-duckdb.js";

const [input, out, memoryLimit = "2GB", threads = "2", state] = process.argv.slice(2);
if (!input || !out) throw new Error("usage: baseline-script.js INPUT OUT [MEMORY_LIMIT] [THREADS]");
const result = await runDuckdbBaseline(input, out, Number(threads), memoryLimit, { marts: true, keepState: state === "keep-state" });
process.stdout.write(`${JSON.stringify(result)}\n`);
