// The docs site target: a static site of the pipelines, a pure function of their IRs, their
// generated files and (optionally) local lake statistics. It opens from disk (file://), needs no
// server and loads nothing from the network: the layout library, the script and the styles are
// files of the site. Output is deterministic; only lake data (freshness) changes between runs.
import type { EmittedFile } from "../../compiler/ir.js";
import { clientMain } from "./client.js";
import type { DocsInput } from "./input.js";
import { martPage, sourcePage, tablePage, type Page } from "./object-pages.js";
import { artifactPages, indexPage, lakePage, lineagePage, pipelinePage } from "./site-pages.js";
import { pipelineSite } from "./site-model.js";
import { SITE_CSS } from "./style.js";

export type { Artifact, DocsAssets, DocsInput, DocsPipeline, LakeFile, LakePipelineStats, LakeStats, QuarantineSample } from "./input.js";
export { esc, scriptJson } from "./html.js";

/** Written at the site root: `lakec docs` replaces only a folder that holds it (or an empty one). */
export const SITE_MARKER = "lakec-docs.json";

function siteScript(): string {
  return `// lakec docs: draws the lineage and filters the index.\n"use strict";\n(${clientMain.toString()})(window);\n`;
}

function layoutLibrary(input: DocsInput): string {
  // The source map is not shipped, so its comment would only make the browser ask for it.
  const lib = input.assets.layoutLibrary.replace(/^\/\/# sourceMappingURL=.*$/m, "").trimEnd();
  return `/* @dagrejs/dagre, bundled by lakec docs. Licence:\n${input.assets.layoutLicense.replace(/\*\//g, "* /").trim()}\n*/\n${lib}\n`;
}

export function emitDocsSite(input: DocsInput): EmittedFile[] {
  const pages: Page[] = [];
  const sites = input.pipelines.map((p) => pipelineSite(p.ir, p.artifacts, input.lake?.pipelines[p.ir.name], input.lake?.readAt));
  pages.push(indexPage(sites));
  for (const site of sites) {
    pages.push(pipelinePage(site), lineagePage(site));
    for (const s of site.ir.sources) pages.push(sourcePage(site, s));
    for (const t of site.ir.tables) pages.push(tablePage(site, t));
    for (const m of site.ir.marts) pages.push(martPage(site, m));
    pages.push(...artifactPages(site));
    const lake = input.lake && lakePage(site, input.lake);
    if (lake) pages.push(lake);
  }
  const marker = {
    generator: "lakec docs",
    pipelines: sites.map((s) => ({ name: s.ir.name, file: s.ir.sourceFile })),
    lake: input.lake !== undefined,
  };
  return [
    ...pages.map((p) => ({ path: p.path, contents: p.html })),
    { path: "assets/site.css", contents: SITE_CSS },
    { path: "assets/site.js", contents: siteScript() },
    { path: "assets/dagre.min.js", contents: layoutLibrary(input) },
    { path: SITE_MARKER, contents: `${JSON.stringify(marker, null, 2)}\n` },
  ];
}
