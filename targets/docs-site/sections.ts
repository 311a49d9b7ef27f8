// Page parts shared by the object pages: lineage, generated-artifact links, rule and test chips.
import { code, esc, link, rel, scriptJson } from "./html.js";
import type { Rule } from "./rules.js";
import { artifactPage, clientGraph, mentionsOf, pipelineDir, type PipelineSite } from "./site-model.js";

export function description(text: string | undefined): string {
  return text === undefined ? `<p class="muted">No description.</p>` : `<p class="desc">${esc(text)}</p>`;
}

/** The lineage of `focus` (node keys; the whole pipeline when undefined), drawn in the browser. */
export function lineageSection(site: PipelineSite, focus?: readonly string[], scopes = ""): string {
  const data = clientGraph(site, focus);
  return `<section class="lineage-section">
<h2>Lineage</h2>
<p class="hint">Raw JSON path → table column → mart column. Click a column, in the graph or in a table on this page, to highlight its whole path; click the background to clear.</p>
${scopes}<div id="lineage" class="lineage" data-nodes="${data.nodes.length}">Drawing the lineage needs JavaScript.</div>
<script type="application/json" id="lineage-data">${scriptJson(data)}</script>
</section>`;
}

/** Links to every generated file that mentions one of `names`, at the first line that does. */
export function artifactsSection(site: PipelineSite, page: string, names: readonly string[]): string {
  const items = mentionsOf(site, names).map(
    (m) => `<li>${link(`${rel(page, artifactPage(site.ir, m.artifact))}#L${m.line}`, `${m.artifact.path}:${m.line}`)}</li>`,
  );
  const all = link(rel(page, `${pipelineDir(site.ir)}/artifacts.html`), "all generated files");
  if (items.length === 0) return `<section><h2>Generated code</h2><p class="muted">No generated file names it (${all}).</p></section>`;
  return `<section><h2>Generated code</h2><p class="hint">Files that create or use it, at the first line that names it (${all}).</p><ul class="artifacts">${items.join("")}</ul></section>`;
}

export function ruleChips(rules: readonly Rule[]): string {
  return rules
    .map(
      (r) =>
        `<span class="chip${r.reason ? " check" : ""}"${r.reason ? ` title="${esc(`fails as ${r.reason}`)}"` : ""}><b>${esc(r.name)}</b> ${esc(r.value)}</span>`,
    )
    .join(" ");
}

export function testChips(tests: readonly string[] | undefined): string {
  return (tests ?? []).map((t) => `<span class="chip test">${esc(t)}</span>`).join(" ");
}

export const codeList = (items: readonly string[]): string => items.map(code).join(", ");

export function number(n: number | undefined): string {
  return n === undefined ? `<span class="muted">–</span>` : esc(n.toLocaleString("en-US"));
}
