// Child process for test/engine/engine-kill.test.ts: runs the engine on a lake and prints progress
// markers, so the parent can SIGKILL it at chosen points. Bundled with esbuild by the test.
import { readFileSync } from "node:fs";
import { compilePipeline } from "../../compiler/index.js";
import { openLake, refreshWarehouse, processRawFile, listRawKeys } from "../../engine/index.js";

const [lakeDir, pipeline] = process.argv.slice(2) as [string, string];
const ir = compilePipeline(pipeline, readFileSync(pipeline, "utf8")).ir!;
const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 2 });
for (const key of await listRawKeys(lake.paths)) {
  process.stdout.write(`start ${key}\n`);
  await processRawFile(lake, ir, key);
  process.stdout.write(`done ${key}\n`);
}
process.stdout.write("warehouse\n");
await refreshWarehouse(lake, ir);
await lake.close();
process.stdout.write("finished\n");
