// The pages above and beside the object pages: the site index, each pipeline's overview, its
// whole lineage, its generated files (highlighted, one page each) and its local lake.
import type { PipelineIR } from "../../compiler/ir.js";
import { highlightedPre, languageOf } from "./highlight.js";
import { code, esc, facts, link, pageHtml, rel, table } from "./html.js";
import type { LakeStats } from "./input.js";
import { filesTable, freshnessCell, notes, quarantineSection, reconciles } from "./lake-sections.js";
import type { Page } from "./object-pages.js";
import { lineageSection, number } from "./sections.js";
import { artifactPage, byLayer, layerOf, objectPage, pipelineDir, sibling, type ObjectKind, type PipelineSite } from "./site-model.js";

interface Entry {
  readonly kind: ObjectKind;
  readonly name: string;
  readonly description?: string;
}

function entries(ir: PipelineIR): Entry[] {
  return [
    ...ir.sources.map((s) => ({ kind: "source" as const, name: s.name, description: s.description })),
    ...ir.tables.map((t) => ({ kind: "table" as const, name: t.name, description: t.description })),
    ...ir.marts.map((m) => ({ kind: "mart" as const, name: m.name, description: m.description })),
  ];
}

function entryRow(ir: PipelineIR, e: Entry, from: string, withPipeline: boolean): string {
  const search = `${ir.name} ${e.kind} ${e.name} ${e.description ?? ""}`.toLowerCase();
  const cells = [
    ...(withPipeline ? [link(rel(from, `${pipelineDir(ir)}/index.html`), ir.name)] : []),
    `<span class="kind">${e.kind}</span>`,
    link(rel(from, objectPage(ir, e.kind, e.name)), e.name),
    e.description ? esc(e.description) : "",
  ];
  return `<tr data-search="${esc(search)}">${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
}

export function indexPage(sites: readonly PipelineSite[]): Page {
  const path = "index.html";
  const pipes = table(
    ["pipeline", "description", "sources", "tables", "marts", "file"],
    sites.map(({ ir }) => [
      link(`${pipelineDir(ir)}/index.html`, ir.name),
      ir.description ? esc(ir.description) : "",
      String(ir.sources.length),
      String(ir.tables.length),
      String(ir.marts.length),
      code(ir.sourceFile),
    ]),
  );
  const rows = sites.flatMap(({ ir }) => entries(ir).map((e) => entryRow(ir, e, path, true)));
  const body = `<h1>Pipelines</h1>
${pipes}
<h2>Sources, tables and marts</h2>
<p><input id="filter" type="search" placeholder="filter by name or description" aria-label="filter"></p>
<table class="grid objects"><thead><tr><th>pipeline</th><th>kind</th><th>name</th><th>description</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>`;
  return { path, html: pageHtml({ path, title: "pipelines", crumbs: [["", "pipelines"]], body }) };
}

export function pipelinePage(site: PipelineSite): Page {
  const ir = site.ir;
  const path = `${pipelineDir(ir)}/index.html`;
  const info = facts([
    ["file", code(ir.sourceFile)],
    // A site documents one environment (`lakec docs --env`): say which, and what it is for.
    [
      "environment",
      ir.environment &&
        `${code(ir.environment.name)} of ${ir.environment.all.map((e) => code(e.name)).join(", ")}${ir.environment.description ? `: ${esc(ir.environment.description)}` : ""}`,
    ],
    [
      "AWS",
      `${code(ir.aws.region)}, raw bucket ${code(ir.aws.rawBucket)}, processed bucket ${code(ir.aws.processedBucket)}, Glue ${esc(ir.aws.glue.version)} (${esc(ir.aws.glue.workerType)} × ${esc(String(ir.aws.glue.workers))})`,
    ],
    [
      "Snowflake",
      `${code(`${ir.snowflake.database}.${ir.snowflake.schema}`)}, warehouse ${code(ir.snowflake.warehouse)}, integration ${code(ir.snowflake.storageIntegration)}`,
    ],
    ["Airflow", `schedule ${code(ir.airflow.schedule)}, ${esc(String(ir.airflow.retries))} retries`],
  ]);
  const more = [
    link("lineage.html", "lineage"),
    link("artifacts.html", "generated files"),
    ...(site.lake ? [link("lake.html", "local lake")] : []),
  ].join(" · ");
  const rows = entries(ir).map((e) => entryRow(ir, e, path, false));
  const body = `<h1><span class="kind">pipeline</span> ${esc(ir.name)}</h1>
${ir.description ? `<p class="desc">${esc(ir.description)}</p>` : ""}
${info}
<p class="more">${more}</p>
<table class="grid objects"><thead><tr><th>kind</th><th>name</th><th>description</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>`;
  return {
    path,
    html: pageHtml({
      path,
      title: ir.name,
      crumbs: [
        ["index.html", "pipelines"],
        ["", ir.name],
      ],
      body,
    }),
  };
}

export function lineagePage(site: PipelineSite): Page {
  const ir = site.ir;
  const path = `${pipelineDir(ir)}/lineage.html`;
  const options = site.graph.groups.map(
    (g) => `<option value="${esc(site.ids.get(g.key)!)}">${esc(`${g.kind === "raw" ? "source" : g.kind} ${g.name}`)}</option>`,
  );
  const scopes = `<p><label>Show <select id="lineage-scope"><option value="">the whole pipeline</option>${options.join("")}</select></label></p>`;
  const body = `<h1><span class="kind">lineage</span> ${esc(ir.name)}</h1>\n${lineageSection(site, undefined, scopes)}`;
  return {
    path,
    html: pageHtml({
      path,
      title: `lineage of ${ir.name}`,
      crumbs: [
        ["index.html", "pipelines"],
        [`${pipelineDir(ir)}/index.html`, ir.name],
        ["", "lineage"],
      ],
      body,
      lineage: true,
    }),
  };
}

export function artifactPages(site: PipelineSite): Page[] {
  const ir = site.ir;
  const listPath = `${pipelineDir(ir)}/artifacts.html`;
  const sorted = byLayer(site.artifacts);
  const rows = sorted.map((a) => [
    esc(layerOf(a.path)),
    link(rel(listPath, artifactPage(ir, a)), a.path),
    number(a.contents.split("\n").length - (a.contents.endsWith("\n") ? 1 : 0)),
  ]);
  const listBody = `<h1><span class="kind">generated files</span> ${esc(ir.name)}</h1>
<p class="hint">What <code>lakec compile ${esc(ir.sourceFile)}</code> writes, layer by layer, except the IR dump <code>generated/${esc(ir.name)}/ir/ir.json</code> that this site is drawn from. Object pages link here at the line that names them.</p>
${table(["layer", "file", "lines"], rows)}`;
  const crumbs = (last: string): [string, string][] => [
    ["index.html", "pipelines"],
    [`${pipelineDir(ir)}/index.html`, ir.name],
    ...(last
      ? ([
          [listPath, "generated files"],
          ["", last],
        ] as [string, string][])
      : ([["", "generated files"]] as [string, string][])),
  ];
  const list: Page = {
    path: listPath,
    html: pageHtml({ path: listPath, title: `generated files of ${ir.name}`, crumbs: crumbs(""), body: listBody }),
  };
  const pages = sorted.map((a): Page => {
    const path = artifactPage(ir, a);
    const body = `<h1 class="file">${esc(a.path)}</h1>\n${highlightedPre(a.contents, languageOf(a.path))}`;
    return { path, html: pageHtml({ path, title: a.path, crumbs: crumbs(a.path), body }) };
  });
  return [list, ...pages];
}

export function lakePage(site: PipelineSite, lake: LakeStats): Page | undefined {
  const ir = site.ir;
  const stats = site.lake;
  if (!stats) return undefined;
  const path = `${pipelineDir(ir)}/lake.html`;
  const rowTable = table(
    ["kind", "name", "rows", "freshest row (_ingested_at)"],
    [
      ...ir.tables.map((t) => [
        "table",
        link(sibling("table", t.name), t.name),
        number(stats.rows[t.name]),
        freshnessCell(site, t.name) ?? "",
      ]),
      ...ir.marts.map((m) => ["mart", link(sibling("mart", m.name), m.name), number(stats.rows[m.name]), ""]),
    ],
  );
  const bad = stats.files.filter((f) => !reconciles(f)).length;
  const summary = `${number(stats.files.length)} raw file(s); ${bad === 0 ? "every file reconciles" : `<span class="bad">${number(bad)} do not reconcile or failed</span>`}.`;
  const body = `<h1><span class="kind">local lake</span> ${esc(ir.name)}</h1>
<p>Lake folder ${code(lake.dir)}, read at ${esc(lake.readAt)}. ${summary} Records in = clean + quarantined + dropped invalid + duplicates.</p>
${notes(stats)}
<section><h2>Tables and marts</h2>${rowTable}</section>
<section><h2>Raw files</h2>${filesTable(stats.files)}</section>
${ir.sources.map((s) => `<section><h2>Source ${link(sibling("source", s.name), s.name)}</h2>${quarantineSection(stats, s)}</section>`).join("\n")}`;
  return {
    path,
    html: pageHtml({
      path,
      title: `local lake of ${ir.name}`,
      crumbs: [
        ["index.html", "pipelines"],
        [`${pipelineDir(ir)}/index.html`, ir.name],
        ["", "local lake"],
      ],
      body,
    }),
  };
}
