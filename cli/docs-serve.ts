// lakec docs --serve: serves the written site on 127.0.0.1, rebuilds it when a pipeline file (or,
// with --lake, a run manifest) changes, and reloads open pages. The reload script is added to
// HTML responses only, never to the files on disk, so the site stays what `lakec docs` writes.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { lakePaths } from "../engine/index.js";
import { UsageError, type CliContext } from "./context.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
};
const EVENTS = "/__lakec/events";
const RELOAD = `<script>new EventSource(${JSON.stringify(EVENTS)}).onmessage = () => location.reload();</script>\n`;

export interface DocsServer {
  readonly url: string;
  /** Rebuilds now and tells open pages to reload (the watcher calls it). */
  rebuild(): Promise<void>;
  close(): Promise<void>;
}

/** `/p/x.html` → a file inside `root`, or undefined for anything that would leave it. */
function fileFor(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split("?")[0]!);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function serveFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const file = fileFor(root, req.url ?? "/");
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  const type = TYPES[extname(file)] ?? "application/octet-stream";
  if (extname(file) !== ".html") {
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    createReadStream(file).pipe(res);
    return;
  }
  const html = await readFile(file, "utf8");
  res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(html.replace("</body>", `${RELOAD}</body>`));
}

export interface ServeOptions {
  readonly out: string;
  readonly lake?: string;
  readonly port: number;
  readonly poll?: boolean;
}

/**
 * Starts serving `opts.out` after one build. `build` writes the site and returns false when a
 * pipeline has errors (the old site stays up, and the errors are printed).
 */
export async function startDocsServer(
  ctx: CliContext,
  files: readonly string[],
  opts: ServeOptions,
  build: () => Promise<boolean>,
): Promise<DocsServer> {
  const root = resolve(ctx.io.cwd, opts.out);
  if (!(await build()) && !existsSync(join(root, "index.html")))
    throw new UsageError("nothing to serve: fix the pipeline errors above first");
  const clients = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    if (req.url === EVENTS) {
      res
        .writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" })
        .write(": connected\n\n");
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    serveFile(root, req, res).catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((ok, fail) => server.once("error", fail).listen(opts.port, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let queue = Promise.resolve();
  const rebuild = (): Promise<void> => {
    queue = queue.then(async () => {
      try {
        if (await build()) for (const c of clients) c.write("data: reload\n\n");
      } catch (e) {
        // One failed rebuild (a lake folder removed, a full disk) must not stop the server.
        ctx.io.err(`lakec: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    });
    return queue;
  };
  const watched = [
    ...files.map((f) => resolve(ctx.io.cwd, f)),
    ...(opts.lake ? [lakePaths(resolve(ctx.io.cwd, opts.lake)).manifests] : []),
  ];
  const watcher: FSWatcher = watch(watched, {
    ignoreInitial: true,
    usePolling: opts.poll === true,
    awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
  });
  let timer: NodeJS.Timeout | undefined;
  watcher.on("all", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void rebuild(), 150);
  });
  await new Promise<void>((ok) => watcher.once("ready", ok));
  ctx.io.out(
    `serving ${opts.out} at ${url} (rebuilds when ${files.length === 1 ? "the pipeline changes" : "a pipeline changes"}${opts.lake ? " or the lake is run" : ""}; Ctrl-C to stop)\n`,
  );
  return {
    url,
    rebuild,
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
      await queue;
      for (const c of clients) c.end();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
