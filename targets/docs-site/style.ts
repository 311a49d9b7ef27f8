// The site's stylesheet (assets/site.css). System fonts only: nothing is fetched.
export const SITE_CSS = `:root { --fg: #1d2430; --muted: #667085; --line: #d9dee7; --bg: #fff; --accent: #1f6feb; --raw: #fff4e5; --table: #eaf2ff; --mart: #e9f7ef; --hl: #d1242f; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; gap: 16px; align-items: baseline; padding: 10px 24px; border-bottom: 1px solid var(--line); background: #f6f8fa; position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; color: var(--fg); text-decoration: none; }
.crumbs .sep { color: var(--muted); }
main { padding: 16px 24px 48px; max-width: 1400px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h1.file { font-family: ui-monospace, monospace; font-size: 16px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.kind { display: inline-block; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; margin-right: 4px; vertical-align: middle; }
a { color: var(--accent); }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; border-radius: 3px; padding: 0 3px; }
.desc { font-size: 15px; } .muted, .hint { color: var(--muted); } .hint { font-size: 13px; }
.note { background: #fff8c5; border: 1px solid #eed888; padding: 6px 10px; border-radius: 4px; }
.good { color: #1a7f37; font-weight: 700; } .bad { color: var(--hl); font-weight: 700; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
table.grid { border-collapse: collapse; width: 100%; margin: 6px 0; }
table.grid th, table.grid td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.grid th { background: #f6f8fa; font-weight: 600; }
table.columns tr[data-node] { cursor: pointer; }
table.columns tr.hl td { background: #fff1f0; }
.chip { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; margin: 1px 0; font-size: 12px; background: #f6f8fa; white-space: nowrap; }
.chip b { font-weight: 600; } .chip.check { background: #fff4e5; border-color: #f0c78a; } .chip.test { background: #e9f7ef; border-color: #9fd4b2; }
code.record { display: block; white-space: pre-wrap; word-break: break-all; max-height: 6em; overflow: auto; }
ul.artifacts { columns: 2; }
input#filter { width: 100%; max-width: 420px; padding: 6px 8px; font: inherit; }
.lineage { overflow: auto; border: 1px solid var(--line); border-radius: 6px; max-height: 80vh; min-height: 60px; padding: 4px; background: #fcfcfd; }
svg.lineage-svg { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.group rect { fill: #f6f8fa; stroke: var(--line); } .group-raw rect { fill: var(--raw); } .group-mart rect { fill: var(--mart); } .group-table rect { fill: var(--table); }
.group-title { font-weight: 700; fill: var(--fg); }
.node rect { fill: #fff; stroke: #8c959f; } .node { cursor: pointer; } .node text { fill: var(--fg); }
.edge { fill: none; stroke: #8c959f; stroke-width: 1.2; } .edge.rows-only { stroke-dasharray: 4 3; }
svg.has-selection .node:not(.hl) { opacity: .25; } svg.has-selection .edge:not(.hl) { opacity: .12; }
.node.hl rect { stroke: var(--hl); stroke-width: 2; } .node.selected rect { fill: #ffebe9; } .edge.hl { stroke: var(--hl); stroke-width: 2; }
pre.code { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 0; overflow: auto; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre.code .line { display: block; padding-right: 12px; white-space: pre; scroll-margin-top: 64px; } pre.code .line:target { background: #fff8c5; }
pre.code .ln { display: inline-block; width: 4.5em; padding-right: 1em; text-align: right; color: #8c959f; text-decoration: none; user-select: none; }
.kw { color: #cf222e; font-weight: 600; } .str { color: #0a3069; } .num { color: #0550ae; } .com { color: #6e7781; font-style: italic; }
.tpl { color: #8250df; } .key { color: #116329; } .id { color: #953800; }
`;
