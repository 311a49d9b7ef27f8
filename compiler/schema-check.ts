// Validates a parsed pipeline against schemas/pipeline.schema.json and turns every ajv error
// into one located, explained diagnostic (LK1xx). ajv's raw output is built for machines:
// branch noise from anyOf, one error per keyword, JSON pointers. This file is the translation.
import Ajv2020Module from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import schema from "../schemas/pipeline.schema.json" with { type: "json" };
import { didYouMean, type Diagnostic, type DocPath, type Locator } from "./diagnostics.js";

/** Stable codes for schema problems; each has a golden case under test/cases/err-lk1nn-*. */
export const SCHEMA_CODES = {
  LK101: "a key that the language does not define",
  LK102: "a required key is missing",
  LK103: "a value has the wrong type",
  LK104: "a value is not one of the allowed values",
  LK105: "a text does not have the required form",
  LK106: "an e-mail address is not valid",
  LK107: "version is not 1",
  LK108: "a number is out of its allowed range",
  LK109: "a list or mapping is empty, or a list has the wrong length",
} as const;

/** LK199 is the safety net for a schema keyword this file does not translate yet. */
type SchemaCode = keyof typeof SCHEMA_CODES | "LK199";

// Under ESM these CommonJS modules arrive wrapped: the class is on `.default`.
type AjvCtor = typeof Ajv2020Module.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as AjvCtor;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

let compiled: ValidateFunction | undefined;

/** Compiling the schema costs ~20 ms; do it once, on first use. */
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    addFormats(ajv, ["email"]);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/**
 * Name and type patterns are in the schema for editors, but the semantic checks report them
 * with sharper messages (LK201 names, LK301 types), so the schema check leaves them alone.
 */
function deferredToSemanticChecks(e: ErrorObject): boolean {
  if (e.keyword === "propertyNames" || e.schemaPath.startsWith("#/properties/environments/propertyNames/")) return true;
  return /^#\/\$defs\/(name|type)\//.test(e.schemaPath) && (e.keyword === "pattern" || e.keyword === "maxLength");
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** `sources.product_reviews.columns.rating`, or `the top level`. */
export function showPath(path: DocPath): string {
  if (path.length === 0) return "the top level";
  return path
    .map((p, i) =>
      typeof p === "number" ? `[${p}]` : !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `[${JSON.stringify(p)}]` : i === 0 ? p : `.${p}`,
    )
    .join("");
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  if (typeof v === "string") return "a text";
  return `a ${typeof v}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a text",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  null: "null",
};

function expectedTypes(t: unknown): string {
  const list = (Array.isArray(t) ? t : String(t).split(",")).map((x) => TYPE_NAMES[String(x)] ?? String(x));
  return list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
}

function show(v: unknown): string {
  const s = typeof v === "string" ? `'${v}'` : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

interface Built {
  readonly code: SchemaCode;
  readonly path: DocPath;
  readonly key?: boolean;
  readonly message: string;
  readonly hint?: string;
}

function description(s: unknown): string | undefined {
  const d = (s as { description?: unknown } | undefined)?.description;
  return typeof d === "string" ? d : undefined;
}

let keyHomes: Map<string, string[]> | undefined;

/** Key → the titled places where the schema allows it (`partition_by` → ["a source"]). */
function homesOf(key: string): string[] {
  if (!keyHomes) {
    keyHomes = new Map();
    const stack: unknown[] = [schema];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node === null || typeof node !== "object") continue;
      const { title, properties } = node as { title?: unknown; properties?: Record<string, unknown> };
      if (typeof title === "string" && properties)
        for (const k of Object.keys(properties)) keyHomes.set(k, [...(keyHomes.get(k) ?? []), title]);
      stack.push(...Object.values(node));
    }
  }
  return keyHomes.get(key) ?? [];
}

function misplacedHint(key: string, here: unknown): string | undefined {
  const homes = homesOf(key).filter((h) => h !== here);
  if (homes.length === 0 || typeof here !== "string") return undefined;
  return `'${key}' belongs in ${[...new Set(homes)].join(" or ")}, not in ${here}`;
}

function unknownKey(path: DocPath, e: ErrorObject): Built {
  const key = String((e.params as { additionalProperty: string }).additionalProperty);
  const parent = e.parentSchema as { properties?: object; title?: unknown };
  const allowed = Object.keys(parent.properties ?? {});
  const hint =
    didYouMean(key, allowed) ??
    misplacedHint(key, parent.title) ??
    (allowed.length > 0 ? `allowed keys here: ${allowed.join(", ")}` : undefined);
  return {
    code: "LK101",
    path: [...path, key],
    key: true,
    message: `unknown key '${key}' in ${showPath(path)}`,
    ...(hint ? { hint } : {}),
  };
}

function missingKey(path: DocPath, e: ErrorObject): Built {
  const key = String((e.params as { missingProperty: string }).missingProperty);
  const props = (e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {};
  const hint = description(props[key]);
  return {
    code: "LK102",
    path: [...path, key],
    key: true,
    message: `missing required key '${key}' in ${showPath(path)}`,
    ...(hint ? { hint } : {}),
  };
}

function wrongType(path: DocPath, e: ErrorObject): Built {
  const expected = expectedTypes((e.params as { type: unknown }).type);
  const got = jsonType(e.data);
  let hint = description(e.parentSchema);
  const allowed = (e.parentSchema as { enum?: unknown[] }).enum;
  const items = (e.parentSchema as { items?: { type?: unknown; $ref?: unknown } }).items;
  if (allowed && typeof e.data !== "string") hint = `quote it: one of ${allowed.map((v) => JSON.stringify(String(v))).join(", ")}`;
  else if (expected.startsWith("a text") && (typeof e.data === "number" || typeof e.data === "boolean"))
    hint = `quote it to make it text: "${String(e.data)}"`;
  else if (expected === "true or false" && typeof e.data === "string") hint = `write true or false; YAML reads '${e.data}' as text`;
  else if (expected === "a list" && typeof e.data === "string" && (items?.type === "string" || items?.$ref !== undefined))
    hint = `write a list, for example [${e.data}]`;
  return { code: "LK103", path, message: `${showPath(path)} must be ${expected}, not ${got}`, ...(hint ? { hint } : {}) };
}

function badEnum(path: DocPath, e: ErrorObject): Built {
  const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
  const shown = allowed.map((v) => String(v));
  const hint = didYouMean(String(e.data), shown) ?? `allowed values: ${shown.join(", ")}`;
  return { code: "LK104", path, message: `${show(e.data)} is not a valid value for ${showPath(path)}`, hint };
}

function badRange(path: DocPath, e: ErrorObject): Built {
  const s = e.parentSchema as { minimum?: number; maximum?: number };
  const bounds =
    s.minimum !== undefined && s.maximum !== undefined
      ? `between ${s.minimum} and ${s.maximum}`
      : s.minimum !== undefined
        ? `at least ${s.minimum}`
        : `at most ${String(s.maximum)}`;
  return {
    code: "LK108",
    path,
    message: `${showPath(path)} must be ${bounds}, not ${show(e.data)}`,
    ...optionalHint(description(e.parentSchema)),
  };
}

function badSize(path: DocPath, e: ErrorObject): Built {
  const limit = (e.params as { limit: number }).limit;
  const what: Record<string, string> = {
    minItems: limit === 1 ? "must not be an empty list" : `must have at least ${limit} items`,
    maxItems: `must have at most ${limit} items`,
    minProperties: "must not be empty",
    minLength: "must not be empty text",
  };
  return {
    code: "LK109",
    path,
    message: `${showPath(path)} ${what[e.keyword] ?? e.message ?? "has the wrong size"}`,
    ...optionalHint(description(e.parentSchema)),
  };
}

function optionalHint(hint: string | undefined): { hint?: string } {
  return hint ? { hint } : {};
}

function build(e: ErrorObject): Built | undefined {
  const path = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case "additionalProperties":
      return unknownKey(path, e);
    case "required":
      return missingKey(path, e);
    case "type":
      return wrongType(path, e);
    case "enum":
      return badEnum(path, e);
    case "const":
      return {
        code: "LK107",
        path,
        message: `${showPath(path)} must be ${show((e.params as { allowedValue: unknown }).allowedValue)}, not ${show(e.data)}`,
        hint: "this is version 1 of the pipeline language",
      };
    case "pattern":
      return {
        code: "LK105",
        path,
        message: `${show(e.data)} is not a valid ${showPath(path)}`,
        ...optionalHint(description(e.parentSchema)),
      };
    case "format":
      return {
        code: "LK106",
        path,
        message: `${show(e.data)} is not a valid e-mail address`,
        ...optionalHint(description(e.parentSchema)),
      };
    case "minimum":
    case "maximum":
      return badRange(path, e);
    case "minItems":
    case "maxItems":
    case "minProperties":
    case "minLength":
      return badSize(path, e);
    case "anyOf":
    case "items":
      return undefined; // explained by the branch errors (see collapseAnyOf), or by maxItems
    default:
      return { code: "LK199", path, message: `${showPath(path)} ${e.message ?? "is not valid"}` };
  }
}

/**
 * ajv reports every failed branch of an anyOf. When some branch has the right JSON type, the
 * user meant that branch: keep its errors and drop the other branches' type errors. When no
 * branch has the right type, one "must be X or Y" says it all.
 */
function collapseAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const out = [...errors];
  for (const group of errors.filter((e) => e.keyword === "anyOf")) {
    const at = group.instancePath;
    const typeErrors = out.filter((e) => e.keyword === "type" && e.instancePath === at);
    // An enum branch fails on a value of another type too (ajv checks enum apart from type): noise.
    const offType = (e: ErrorObject): boolean => {
      const allowed = e.keyword === "enum" && e.instancePath === at ? (e.params as { allowedValues: unknown[] }).allowedValues : [];
      return allowed.length > 0 && allowed.every((v) => jsonType(v) !== jsonType(e.data));
    };
    // Errors inside the value (a list's items) mean the branch of that shape was meant.
    const others = out.filter(
      (e) => e !== group && !offType(e) && ((e.keyword !== "type" && e.instancePath === at) || e.instancePath.startsWith(`${at}/`)),
    );
    const drop = new Set<ErrorObject>([...typeErrors, ...out.filter(offType)]);
    // A text that is not the one special word a list option allows (`key: order_id` where
    // `key: whole_record` is the only text): the list was meant, so its type error explains it.
    const listBranch = typeErrors.find((e) =>
      String((e.params as { type: unknown }).type)
        .split(",")
        .includes("array"),
    );
    if (
      listBranch &&
      others.length > 0 &&
      others.every((e) => e.keyword === "enum" && e.instancePath === at && typeof e.data === "string")
    ) {
      for (const e of others) drop.add(e);
      drop.delete(listBranch);
    }
    if (others.length === 0 && typeErrors.length > 0) {
      const types = typeErrors.flatMap((e) => String((e.params as { type: unknown }).type).split(","));
      out.push({ ...typeErrors[0]!, params: { type: [...new Set(types)] } });
    }
    for (let i = out.length - 1; i >= 0; i--) if (drop.has(out[i]!)) out.splice(i, 1);
  }
  return out;
}

export function checkSchema(file: string, value: unknown, locate: Locator): Diagnostic[] {
  const validate = validator();
  if (validate(value)) return [];
  const collapsed = collapseAnyOf(validate.errors ?? []);
  // A value of the wrong type also fails its enum; the type error explains both.
  const typed = new Set(collapsed.filter((e) => e.keyword === "type").map((e) => e.instancePath));
  const errors = collapsed.filter((e) => !deferredToSemanticChecks(e) && !(e.keyword === "enum" && typed.has(e.instancePath)));
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const b = build(e);
    if (!b) continue;
    const span = locate(b.path, b.key ? { key: true } : undefined);
    const id = `${span.line}:${span.col}:${b.code}:${b.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ file, ...span, severity: "error", code: b.code, message: b.message, hint: b.hint ?? "see docs/language.md for this key" });
  }
  return out;
}
