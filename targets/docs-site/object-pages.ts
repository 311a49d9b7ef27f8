// One page per source, table and mart: everything a reviewer asks about it, its lineage, the
// generated code that creates it, and (with --lake) what the local lake holds for it.
import type { MartIR, SourceIR, TableIR } from "../../compiler/ir.js";
import { findSource, typeToString } from "../../compiler/ir.js";
import { snowflakeName, stagingModel } from "../dbt/naming.js";
import { colKey, jsonPathText, martKey, rawKey } from "../lineage/graph.js";
import { code, esc, facts, link, pageHtml, table } from "./html.js";
import { sourceLakeSection, tableLakeFacts } from "./lake-sections.js";
import { columnRules } from "./rules.js";
import { artifactsSection, codeList, description, lineageSection, ruleChips, testChips } from "./sections.js";
import { objectPage, pipelineDir, sibling, type PipelineSite } from "./site-model.js";

export interface Page {
  readonly path: string;
  readonly html: string;
}

const crumbs = (site: PipelineSite, last: string): [string, string][] => [
  ["index.html", "pipelines"],
  [`${pipelineDir(site.ir)}/index.html`, site.ir.name],
  ["", last],
];

const nodeAttr = (site: PipelineSite, key: string): string => {
  const id = site.ids.get(key);
  return id === undefined ? "" : ` data-node="${esc(id)}"`;
};

const sqlName = (site: PipelineSite, name: string): string =>
  [site.ir.snowflake.database, site.ir.snowflake.schema, name].map((n) => `"${snowflakeName(n)}"`).join(".");

function flattenSection(site: PipelineSite, s: SourceIR): string {
  const rows: string[][] = [];
  const intoColumns = new Map<string, string[]>();
  for (const c of s.columns) if (c.flattenedFrom) intoColumns.set(c.flattenedFrom, [...(intoColumns.get(c.flattenedFrom) ?? []), c.name]);
  for (const [from, cols] of intoColumns)
    rows.push([code(from), "columns", codeList(cols), esc("one column per listed key; other keys are ignored")]);
  for (const t of site.ir.tables.filter((x) => x.source === s.name && x.child)) {
    const ch = t.child!;
    const x = ch.expansion;
    const how =
      x.mode === "entries"
        ? `one row per key: ${code(x.keyColumn)}, value ${code(x.valueColumn)} (${esc(typeToString(x.element))})`
        : `one row per ${x.mode === "split" ? `${esc(JSON.stringify(x.separator))}-separated item (trimmed)` : "array element"}: ${code(x.indexColumn)}, value ${code(x.valueColumn)} (${esc(typeToString(x.element))})`;
    rows.push([code(ch.fromColumn), "table", link(sibling("table", t.name), t.name), `${how}; carries ${codeList(ch.carried)}`]);
  }
  if (rows.length === 0) return "";
  return `<section><h2>Flatten rules</h2>${table(["column", "into", "result", "how"], rows)}</section>`;
}

export function sourcePage(site: PipelineSite, s: SourceIR): Page {
  const ir = site.ir;
  const path = objectPage(ir, "source", s.name);
  const rows = s.columns.map((c) => {
    const flat = c.flattenedFrom ? [{ name: "flattened from", value: c.flattenedFrom }] : [];
    const cells = [
      code(c.name),
      code(jsonPathText(c.path)),
      esc(typeToString(c.type)),
      ruleChips([...flat, ...columnRules(s, c)]),
      c.description ? esc(c.description) : "",
    ];
    return `<tr${nodeAttr(site, rawKey(s.name, c.path))}>${cells.map((x) => `<td>${x}</td>`).join("")}</tr>`;
  });
  const children = site.ir.tables.filter((t) => t.source === s.name && t.kind === "child");
  const info = facts([
    ["raw prefix", `${code(`s3://${ir.aws.rawBucket}/${s.prefix}`)} (locally ${code(`raw/${s.prefix}`)})`],
    ["format", code(s.format)],
    s.wholeRecordKey
      ? ["key", `${code("whole_record")}: a later record with the same text is a duplicate, dropped and counted`]
      : ["key", `${codeList(s.key)}: a later record with the same key is a duplicate, dropped and counted`],
    [
      "record id",
      s.wholeRecordKey ? `${code(s.idColumn)}: md5 of the raw record's text` : `${code(s.idColumn)}: md5 of (${codeList(s.key)})`,
    ],
    ["invalid records", `${code(s.onInvalid)}${s.onInvalid === "quarantine" ? " (kept with their reason in the quarantine)" : ""}`],
    [
      "partition",
      s.partition ? `${code(s.partition.column)} by ${esc(s.partition.grain)}, hive key ${code(`${s.partition.key}=`)}` : undefined,
    ],
    ["main table", link(sibling("table", s.mainTable), s.mainTable)],
    ["child tables", children.length ? children.map((t) => link(sibling("table", t.name), t.name)).join(", ") : undefined],
    [
      "references",
      s.references.length ? s.references.map((r) => `${code(r.column)} → ${code(`${r.toTable}.${r.toColumn}`)}`).join(", ") : undefined,
    ],
  ]);
  const colTable = `<table class="grid columns"><thead><tr><th>column</th><th>raw path</th><th>type</th><th>cleaning rules</th><th>description</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table>`;
  const focus = site.graph.groups.find((g) => g.kind === "raw" && g.name === s.name)?.nodes.map((n) => n.key) ?? [];
  const body = `<h1><span class="kind">source</span> ${esc(s.name)}</h1>
${description(s.description)}
${info}
<section><h2>Columns</h2><p class="hint">Rules apply in this order: strip, trim, null_if, split, then the cast (format, unit), default, and the checks; the first failing check names the quarantine reason.</p>${colTable}</section>
${flattenSection(site, s)}
${lineageSection(site, focus)}
${sourceLakeSection(site, s)}
${artifactsSection(site, path, [s.name])}`;
  return { path, html: pageHtml({ path, title: `source ${s.name}`, crumbs: crumbs(site, `source ${s.name}`), body, lineage: true }) };
}

export function tablePage(site: PipelineSite, t: TableIR): Page {
  const ir = site.ir;
  const path = objectPage(ir, "table", t.name);
  const model = stagingModel(ir, t.name);
  const tests = site.dbtTests.get(model);
  const ext = site.externalTables.get(t.name.toUpperCase());
  const rows = t.columns.map((c) => {
    const cells = [
      code(c.name),
      esc(typeToString(c.type)),
      c.nullable ? "yes" : "no",
      c.description ? esc(c.description) : "",
      c.lineage.paths.map((p) => code(jsonPathText(p))).join(" "),
      testChips(tests?.get(c.name)),
    ];
    return `<tr${nodeAttr(site, colKey(t.name, c.name))}>${cells.map((x) => `<td>${x}</td>`).join("")}</tr>`;
  });
  const src = findSource(ir, t.source);
  const info = facts([
    [
      "kind",
      t.child
        ? `child of ${link(sibling("table", t.child.parent), t.child.parent)}, one row per item of ${code(t.child.fromColumn)} (${esc(t.child.expansion.mode)})`
        : "main table of its source",
    ],
    ["source", link(sibling("source", src.name), src.name)],
    ["row key", codeList(t.rowKey)],
    ["partition", t.partition ? `${code(t.partition.key)} (${esc(t.partition.grain)} of ${code(t.partition.column)})` : undefined],
    ["processed data", code(`s3://${ir.aws.processedBucket}/${t.name}/`)],
    ["Snowflake external table", ext ? `${code(sqlName(site, ext.name))} on stage ${code(sqlName(site, ext.stage))}` : undefined],
    ["dbt source", code(`source('${ir.name}', '${t.name}')`)],
    ["dbt staging model", code(model)],
    ["model tests", tests?.get("")?.length ? testChips(tests.get("")) : undefined],
    ...tableLakeFacts(site, t.name),
  ]);
  const body = `<h1><span class="kind">table</span> ${esc(t.name)}</h1>
${description(t.description)}
${info}
<section><h2>Columns</h2><p class="hint">Data columns; every table also carries <code>_source_file</code>, <code>_source_line</code> and <code>_ingested_at</code>.</p>${`<table class="grid columns"><thead><tr><th>column</th><th>type</th><th>nullable</th><th>description</th><th>from raw path</th><th>dbt tests (${esc(model)})</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table>`}</section>
${lineageSection(
  site,
  t.columns.map((c) => colKey(t.name, c.name)),
)}
${artifactsSection(site, path, [t.name, model])}`;
  return { path, html: pageHtml({ path, title: `table ${t.name}`, crumbs: crumbs(site, `table ${t.name}`), body, lineage: true }) };
}

export function martPage(site: PipelineSite, m: MartIR): Page {
  const ir = site.ir;
  const path = objectPage(ir, "mart", m.name);
  const tests = site.dbtTests.get(m.name);
  const tableLink = (name: string) => link(sibling("table", name), name);
  const role = (name: string) => (m.grain.some((g) => g.name === name) ? "grain" : "measure");
  const rows = m.columns.map((c) => {
    const cells = [
      code(c.name),
      esc(typeToString(c.type)),
      role(c.name),
      c.description ? esc(c.description) : "",
      testChips(tests?.get(c.name)),
    ];
    return `<tr${nodeAttr(site, martKey(m.name, c.name))}>${cells.map((x) => `<td>${x}</td>`).join("")}</tr>`;
  });
  const info = facts([
    ["from", tableLink(m.from)],
    [
      "joins",
      m.joins.length
        ? m.joins
            .map(
              (j) =>
                `${tableLink(j.table)} on ${j.on.map((o) => code(`${o.left.table}.${o.left.column} = ${o.right.table}.${o.right.column}`)).join(" and ")}`,
            )
            .join("<br>")
        : undefined,
    ],
    ["grain", m.grain.map((g) => code(`${g.table}.${g.column}${g.name !== g.column ? ` as ${g.name}` : ""}`)).join(", ")],
    ["filter", m.whereText !== undefined ? code(m.whereText) : undefined],
    [
      "incremental",
      `by arrival: the groups that rows arrived since the last run touch (now and before) are re-aggregated from staging, keyed on ${code("grain_key")}; emptied groups are deleted`,
    ],
    ["dbt model", `${code(m.name)} (${code(`ref('${m.name}')`)}), materialized incremental, contract enforced`],
    ["Snowflake table", `${code(`"${snowflakeName(m.name)}"`)} in the schema of the dbt target (profiles.yml)`],
    ["grain_key tests", testChips(tests?.get("grain_key"))],
    ...tableLakeFacts(site, m.name),
  ]);
  const measures = table(
    ["measure", "expression", "type"],
    m.measures.map((x) => [code(x.name), code(x.text), esc(typeToString(x.type))]),
  );
  const body = `<h1><span class="kind">mart</span> ${esc(m.name)}</h1>
${description(m.description)}
${info}
<section><h2>Measures</h2>${measures}</section>
<section><h2>Columns</h2><table class="grid columns"><thead><tr><th>column</th><th>type</th><th>role</th><th>description</th><th>dbt tests</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></section>
${lineageSection(
  site,
  m.columns.map((c) => martKey(m.name, c.name)),
)}
${artifactsSection(site, path, [m.name])}`;
  return { path, html: pageHtml({ path, title: `mart ${m.name}`, crumbs: crumbs(site, `mart ${m.name}`), body, lineage: true }) };
}
