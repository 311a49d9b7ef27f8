// Child process for test/engine/compact.test.ts: compacts a lake while the parent queries it in a
// loop. Bundled with esbuild by the test.
import { readFileSync } from "node:fs";
import { compilePipeline } from "../../compiler/index.js";
import { compactLake, openLake } from "../../engine/index.js";

const [lakeDir, pipeline] = process.argv.slice(2) as [string, string];
const ir = compilePipeline(pipeline, readFileSync(pipeline, "utf8")).ir!;
const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 1 });
const r = await compactLake(lake, ir);
await lake.close();
for (const t of r.tables) process.stdout.write(`${t.table} ${t.partitionsRewritten} rewritten\n`);
