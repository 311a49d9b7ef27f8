// Preloaded with `node --import` into a benchmarked child process: at exit it writes the
// process's peak RSS (kB) and its CPU time (user and system, all threads: DuckDB's included, in
// microseconds) to file descriptor 3, which the parent opened as a pipe. Any program can be
// measured this way, lakec's CLI included, without a Debian tool such as /usr/bin/time.
import { writeSync } from "node:fs";

process.on("exit", () => {
  try {
    const usage = process.resourceUsage();
    writeSync(3, `${JSON.stringify({ maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime })}\n`);
  } catch {
    // Not started by the benchmark (no fd 3): nothing to report to.
  }
});
