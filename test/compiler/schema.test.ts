// The JSON Schema is the editor-facing form of the language: it must cover exactly the keys of
// compiler/doc.ts, describe every one of them, reject unknown keys everywhere, and accept the
// reference pipelines exactly as written.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { parseYaml } from "../../compiler/load.js";
import { checkSchema } from "../../compiler/schema-check.js";
import schema from "../../schemas/pipeline.schema.json" with { type: "json" };

const ROOT = join(import.meta.dirname, "..", "..");

type Node = Record<string, unknown>;

/** Every subschema, with its JSON pointer. */
function walk(node: unknown, path: string, out: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}/${i}`, out));
  else if (node !== null && typeof node === "object") {
    out.push([path, node as Node]);
    for (const [k, v] of Object.entries(node)) if (k !== "examples" && k !== "enum" && k !== "default") walk(v, `${path}/${k}`, out);
  }
  return out;
}

/** Property names declared in compiler/doc.ts, read with the TypeScript compiler API. */
function docKeys(): Set<string> {
  const file = join(ROOT, "compiler", "doc.ts");
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const keys = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isPropertySignature(n) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))) keys.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(source);
  return keys;
}

describe("schemas/pipeline.schema.json", () => {
  const nodes = walk(schema, "#");
  const objects = nodes.filter(([, n]) => n.type === "object");

  test("every object rejects unknown keys or types its map values", () => {
    const open = objects.filter(([, n]) => n.additionalProperties === undefined || n.additionalProperties === true).map(([p]) => p);
    expect(open).toEqual([]);
  });

  test("every property has a description", () => {
    const missing = objects.flatMap(([p, n]) =>
      Object.entries((n.properties ?? {}) as Record<string, Node>)
        .filter(([, v]) => typeof v.description !== "string" || v.description.length < 10)
        .map(([k]) => `${p}/properties/${k}`),
    );
    expect(missing).toEqual([]);
  });

  test("covers exactly the keys of compiler/doc.ts", () => {
    const schemaKeys = new Set(objects.flatMap(([, n]) => Object.keys((n.properties ?? {}) as object)));
    expect([...docKeys()].filter((k) => !schemaKeys.has(k)).sort()).toEqual([]);
    expect([...schemaKeys].filter((k) => !docKeys().has(k)).sort()).toEqual([]);
  });

  test.each(["pipelines/reviews.yaml", "pipelines/yelp.yaml", "pipelines/storefront.yaml"])("%s validates as written", (file) => {
    const parsed = parseYaml(file, readFileSync(join(ROOT, file), "utf8"));
    expect(parsed.diagnostics).toEqual([]);
    expect(checkSchema(file, parsed.value, parsed.locate)).toEqual([]);
  });

  test("the editor comment the language reference recommends is accepted", () => {
    const text = `# yaml-language-server: $schema=../schemas/pipeline.schema.json\n${readFileSync(join(ROOT, "pipelines/reviews.yaml"), "utf8")}`;
    const parsed = parseYaml("x.yaml", text);
    expect(checkSchema("x.yaml", parsed.value, parsed.locate)).toEqual([]);
  });
});

// The schema check defers name and type patterns to the semantic checks (sharper messages):
// every place the schema uses $defs/name or $defs/type must still be rejected, by LK201/LK301.
describe("patterns the schema check leaves to the semantic checks", () => {
  const base = readFileSync(join(ROOT, "pipelines/reviews.yaml"), "utf8");
  test.each([
    ["name: reviews", "name: Reviews", "LK201"],
    ["  product_reviews:\n", "  Product_Reviews:\n", "LK201"],
    ["id: review_id", "id: Review_ID", "LK201"],
    ["table: product_review_images", "table: Product-Images", "LK201"],
    ["value: image_url", "value: Image URL", "LK201"],
    ["index: position", "index: 1pos", "LK201"],
    ['"Size:": size', '"Size:": Size', "LK201"],
    ['"Size:": size', '"Size:": { name: Size }', "LK201"],
    ["reviews: count(*)", "Reviews: count(*)", "LK201"],
    ["  product_daily_ratings:", "  ProductDaily:", "LK201"],
    ["name: reviews", `name: ${"r".repeat(70)}`, "LK201"],
    ['type: "decimal(2,1)"', 'type: "decimal(2,x)"', "LK301"],
    ['type: "array<string>"', 'type: "array<strin>"', "LK301"],
  ])("%s → %s is %s", (from, to, code) => {
    expect(base).toContain(from);
    const result = compilePipeline("r.yaml", base.replace(from, to));
    expect(result.ir).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toContain(code);
    expect(result.diagnostics.some((d) => d.code.startsWith("LK1"))).toBe(false);
  });
});

describe("schema hints", () => {
  const base = readFileSync(join(ROOT, "pipelines/reviews.yaml"), "utf8");
  const hintsFor = (from: string, to: string): string[] => {
    expect(base).toContain(from);
    return compilePipeline("r.yaml", base.replace(from, to)).diagnostics.map((d) => `${d.code} ${d.hint ?? ""}`);
  };

  test("a typo gets the closest key", () => {
    expect(hintsFor("trim: true, null_if", "trimm: true, null_if")).toEqual(["LK101 did you mean 'trim'?"]);
  });

  test("a key in the wrong place says where it belongs", () => {
    expect(hintsFor("    partition_by: review_date", "    grain: [asin]")).toEqual(["LK101 'grain' belongs in a mart, not in a source"]);
  });

  test("YAML 1.1 booleans are text in YAML 1.2", () => {
    expect(hintsFor("type: boolean, default: false }", "type: boolean, required: yes }")).toEqual([
      "LK103 write true or false; YAML reads 'yes' as text",
    ]);
  });

  test("a number where text is expected is told to quote it", () => {
    expect(hintsFor('version: "5.0"', "version: 5.0")).toEqual(['LK103 quote it: one of "2.0", "3.0", "4.0", "5.0"']);
  });
});
