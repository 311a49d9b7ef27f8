// Child process for test/engine/publish-atomic.test.ts: runs the engine on a lake with a pipeline,
// while the parent queries the lake in a loop. Bundled with esbuild by the test.
import { readFileSync } from "node:fs";
import { compilePipeline } from "../../compiler/index.js";
import { openLake, runFiles } from "../../engine/index.js";

const [lakeDir, pipeline] = process.argv.slice(2) as [string, string];
const ir = compilePipeline(pipeline, readFileSync(pipeline, "utf8")).ir!;
const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 1 });
const s = await runFiles(lake, ir);
await lake.close();
for (const f of s.files) process.stdout.write(`${f.rawKey} ${f.status}\n`);
if (!s.ok) {
  process.stderr.write(s.problems.join("\n"));
  process.exitCode = 1;
}
