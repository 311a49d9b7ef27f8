// The one way user text reaches the site's HTML: every name, description, path, rule value and
// artifact line goes through `esc` (text and attribute values alike), and data for the browser
// goes through `scriptJson`. Templates below only concatenate already-escaped strings.

/** HTML-escapes text for element content and for double- or single-quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * JSON to place inside `<script type="application/json">`: `<` is written `\u003c` so no value
 * can close the element (`</script>`) or open a comment (`<!--`); U+2028/2029 are escaped for
 * old JavaScript parsers. JSON.parse gives back the original text.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A relative link target: each path segment percent-encoded, then HTML-escaped. */
export function href(path: string): string {
  const [file, anchor] = path.split("#", 2);
  const encoded = file!
    .split("/")
    .map((s) => (s === ".." ? s : encodeURIComponent(s)))
    .join("/");
  return esc(anchor === undefined ? encoded : `${encoded}#${encodeURIComponent(anchor)}`);
}

export function link(path: string, text: string, cls?: string): string {
  return `<a href="${href(path)}"${cls ? ` class="${esc(cls)}"` : ""}>${esc(text)}</a>`;
}

/** `<table>` from a header row and rows of already-escaped cells. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], cls = "grid"): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table class="${esc(cls)}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** `<dl>` of label → already-escaped value, skipping undefined values. */
export function facts(items: readonly (readonly [string, string | undefined])[]): string {
  const rows = items.filter(([, v]) => v !== undefined).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`);
  return `<dl class="facts">${rows.join("")}</dl>`;
}

export const code = (text: string): string => `<code>${esc(text)}</code>`;

export interface PageShell {
  /** Site path of this page, e.g. `p/reviews/source-product_reviews.html`. */
  readonly path: string;
  readonly title: string;
  /** Breadcrumbs: [site path, label] pairs, the last one being this page (not linked). */
  readonly crumbs: readonly (readonly [string, string])[];
  readonly body: string;
  /** Loads the layout library and the lineage renderer. */
  readonly lineage?: boolean;
}

/** `../` repeated to reach the site root from `path`. */
export function rootOf(path: string): string {
  return "../".repeat(path.split("/").length - 1);
}

/** Turns a site path into one relative to the page at `from` (both relative to the site root). */
export function rel(from: string, to: string): string {
  const a = from.split("/").slice(0, -1);
  const b = to.split("/");
  let common = 0;
  while (common < a.length && common < b.length - 1 && a[common] === b[common]) common++;
  return "../".repeat(a.length - common) + b.slice(common).join("/");
}

export function pageHtml(p: PageShell): string {
  const root = rootOf(p.path);
  const crumbs = p.crumbs
    .map(([path, label], i) => (i === p.crumbs.length - 1 ? `<span>${esc(label)}</span>` : link(root + path, label)))
    .join(' <span class="sep">/</span> ');
  const scripts = p.lineage
    ? `<script src="${href(`${root}assets/dagre.min.js`)}"></script>\n<script src="${href(`${root}assets/site.js`)}"></script>`
    : `<script src="${href(`${root}assets/site.js`)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lakec docs">
<title>${esc(p.title)} · lakec docs</title>
<link rel="stylesheet" href="${href(`${root}assets/site.css`)}">
</head>
<body>
<header class="top"><a class="brand" href="${href(`${root}index.html`)}">lakec docs</a><nav class="crumbs">${crumbs}</nav></header>
<main>
${p.body}
</main>
${scripts}
</body>
</html>
`;
}
