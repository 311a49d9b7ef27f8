// Timing trace for performance work: with LAKEC_TRACE set, each traced step prints its duration
// to stderr (`[lakec-trace] +<ms since start> <step> <ms> rss <MB> peak <MB>`): the resident set
// size at the step's end and the peak so far show which step holds memory (issue 16's goal is a peak under 1 GB). Off by default: no output, and the
// cost of a disabled span is one property read.
const enabled = (): boolean => process.env.LAKEC_TRACE !== undefined && process.env.LAKEC_TRACE !== "" && process.env.LAKEC_TRACE !== "0";
const origin = performance.now();

/** Runs `fn`, printing how long it took when tracing is on. */
export async function traced<T>(step: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled()) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const t1 = performance.now();
    const rss = Math.round(process.memoryUsage.rss() / 1024 ** 2);
    const peak = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stderr.write(`[lakec-trace] +${Math.round(t1 - origin)} ${step} ${Math.round(t1 - t0)} ms rss ${rss} MB peak ${peak} MB\n`);
  }
}
