// lakec docs FILE… --out DIR [--lake DIR] [--serve [--port N]]: writes the static docs site
// (targets/docs-site) through the one writer, all files or none.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import type { PipelineIR } from "../compiler/ir.js";
import { layoutOutput } from "../targets/registry.js";
import { emitDocsSite, SITE_MARKER, type Artifact, type DocsAssets, type LakeStats } from "../targets/docs-site/index.js";
import { UsageError, type CliContext } from "./context.js";
import { readLakeStats } from "./docs-lake.js";
import { startDocsServer, type DocsServer } from "./docs-serve.js";
import { interrupted } from "./dev.js";
import { loadProject, reportDiagnostics } from "./pipeline-files.js";
import { writeTree, type FileChange, type OutputTree } from "./write-tree.js";

const HELP = `
Writes a static site of the pipelines to DIR: an index of sources, tables and marts; per source
its raw prefix, key and every cleaning and flatten rule; per table and mart the columns, grain,
measures, dbt tests and Snowflake names; an interactive column lineage graph; every generated
file, highlighted. Open DIR/index.html in a browser: no server and no network are needed.

With --lake, the pages also show what the local lake holds: rows, quarantined records by reason
(with samples), per raw file reconciliation, and the freshest row of each table.

DIR is replaced as a whole: it must be empty, missing, or a site written by lakec docs.

With --serve, the site is also served on http://127.0.0.1:PORT/, rebuilt when a pipeline file
changes (or, with --lake, when a raw file is run), and open pages reload themselves.

Examples:
  $ lakec docs pipelines/*.yaml --out site
  $ lakec docs pipelines/reviews.yaml --out site --lake .lake
  $ lakec docs pipelines/*.yaml --out site --serve --port 8040

Exit codes: 0 written, 1 a pipeline has errors, 2 usage or internal error.`;

export interface DocsOptions {
  out: string;
  lake?: string;
  env?: string;
  serve?: boolean;
  port: string;
  poll?: boolean;
}

/** dagre's browser bundle and licence, from the installed package (read here: targets do no I/O). */
export function layoutAssets(): DocsAssets {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("@dagrejs/dagre"));
  return {
    layoutLibrary: readFileSync(join(dist, "dagre.min.js"), "utf8"),
    layoutLicense: readFileSync(join(dist, "dagre.min.js.LEGAL.txt"), "utf8"),
  };
}

/** Every file `lakec compile` would write for the pipeline, with the paths a user sees. */
export function artifactsOf(ir: PipelineIR): Artifact[] {
  const layout = layoutOutput(ir);
  return [
    ...[...layout.pipelineFiles].map(([p, contents]) => ({ path: `generated/${ir.name}/${p}`, contents })),
    ...[...layout.projectFiles].map(([path, contents]) => ({ path, contents })),
  ];
}

/** Refuses to replace a folder that holds anything but an earlier site: DIR is owned as a whole. */
function checkOut(out: string, shown: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UsageError(`--out ${shown} is a file, not a folder`);
  if (readdirSync(out).length > 0 && !existsSync(join(out, SITE_MARKER))) {
    throw new UsageError(
      `--out ${shown} is not empty and holds no ${SITE_MARKER}: lakec docs replaces the whole folder, so it writes only into an empty folder or an earlier site`,
    );
  }
}

/** `handWritten`: per pipeline, its own dbt files (dbt/models/custom/<pipeline>/, dbt/tests/<pipeline>/), shown beside the generated ones. */
export async function buildSite(
  irs: readonly PipelineIR[],
  out: string,
  lake?: LakeStats,
  handWritten: ReadonlyMap<string, readonly Artifact[]> = new Map(),
): Promise<FileChange[]> {
  const files = emitDocsSite({
    pipelines: irs.map((ir) => ({ ir, artifacts: [...artifactsOf(ir), ...(handWritten.get(ir.name) ?? [])] })),
    assets: layoutAssets(),
    ...(lake && { lake }),
  });
  const tree: OutputTree = {
    files: new Map(files.map((f) => [join(out, ...f.path.split("/")), f.contents])),
    ownedDirs: [out],
    exclusive: true,
  };
  try {
    return writeTree(tree);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Loads the pipelines and writes the site once; undefined when a pipeline has errors. */
export async function docsOnce(ctx: CliContext, files: readonly string[], opts: DocsOptions): Promise<FileChange[] | undefined> {
  // One site is one deployment: --env's settings, else each pipeline's default environment.
  const loaded = loadProject(ctx.io.cwd, files, opts.env);
  reportDiagnostics(ctx.io, loaded, "text");
  if (loaded.some((l) => hasErrors(l.diagnostics) || !l.ir)) return undefined;
  const irs = loaded.map((l) => l.ir!);
  const out = resolve(ctx.io.cwd, opts.out);
  checkOut(out, opts.out);
  let lake: LakeStats | undefined;
  if (opts.lake !== undefined) {
    const dir = resolve(ctx.io.cwd, opts.lake);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`--lake ${opts.lake}: no such folder (run \`lakec run\` first)`);
    lake = await readLakeStats(dir, opts.lake, irs);
  }
  const { readUserDbtFiles } = await import("../engine/index.js");
  const handWritten = new Map<string, Artifact[]>();
  for (const ir of irs) {
    const user = await readUserDbtFiles(resolve(ctx.io.cwd, "dbt"), ir.name, ctx.io.cwd);
    handWritten.set(
      ir.name,
      [...user.models, ...user.properties, ...user.tests].map((f) => ({ path: `dbt/${f.rel}`, contents: f.text })),
    );
  }
  const changes = await buildSite(irs, out, lake, handWritten);
  const count = (k: FileChange["kind"]) => changes.filter((c) => c.kind === k).length;
  const index = relative(ctx.io.cwd, join(out, "index.html")) || "index.html";
  ctx.io.out(
    `docs for ${irs.map((i) => i.name).join(", ")}: ${count("added")} added, ${count("modified")} modified, ${count("removed")} removed; open ${index}\n`,
  );
  return changes;
}

/** Starts `lakec docs --serve`: one build, then the server and the watcher (see docs-serve.ts). */
export function startServe(ctx: CliContext, files: readonly string[], opts: DocsOptions): Promise<DocsServer> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${opts.port}: expected a port number (0 for any free port)`);
  const serveOpts = { out: opts.out, port, ...(opts.lake !== undefined && { lake: opts.lake }), ...(opts.poll && { poll: true }) };
  return startDocsServer(ctx, files, serveOpts, async () => (await docsOnce(ctx, files, opts)) !== undefined);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("docs")
    .description("write a static, browsable site of the pipelines: sources, tables, marts, lineage, generated code")
    .argument("<files...>", "pipeline.yaml files")
    .requiredOption("--out <dir>", "folder to write the site into (replaced as a whole)")
    .option("--lake <dir>", "also show row counts, quarantine and reconciliation of this local lake")
    .option("--env <name>", "document this environment of pipelines with environments: (default: each one's default, else its first)")
    .option("--serve", "serve the site on 127.0.0.1, rebuild it on changes and reload open pages")
    .option("--port <n>", "port for --serve (0: any free port)", "8040")
    .option("--poll", "with --serve: poll the file system instead of native events")
    .addHelpText("after", HELP)
    .action(async (files: string[], opts: DocsOptions) => {
      if (opts.serve) {
        const server = await startServe(ctx, files, opts);
        await interrupted();
        return server.close();
      }
      const changes = await docsOnce(ctx, files, opts);
      if (!changes) ctx.exit(1);
    });
}
