import { defineConfig } from "vitest/config";

// CI has two cores; generous per-test timeouts keep heavy-but-correct tests (grammar warm-up,
// DuckDB runs, child processes) from flaking under load. Hangs are still caught.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ["test/**/*.test.ts"],
  },
});
